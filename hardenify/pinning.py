"""Find the image references in Dockerfiles and compose files and plan the edits that pin them.

Pure functions: text in, `Edit`s out, no I/O, no network. The registry lookups happen in
between (`ScanResult.lookups()` → `Resolver.resolve_many` → `plan()`), which keeps this
module testable with plain strings and lets one run resolve the references of many files
in one concurrent batch.

Edits touch only the characters of the reference itself, so every other byte of the file
(comments, continuations, CRLF line endings, YAML quoting) stays exactly as it was. The
tag is kept next to the digest (`python:3.12-slim@sha256:…`) so the file stays readable
and `--update` knows which tag to follow.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hardenify.diagnostics import Edit
from hardenify.dockerfile.edits import apply
from hardenify.dockerfile.model import Dockerfile, Flag, Instruction, iter_words, parse
from hardenify.imageref import ImageRef, ImageRefError, is_valid_digest, parse_ref
from hardenify.registry.types import ErrorKind, Resolution, ResolveError

SiteKind = Literal["from", "arg", "copy-from", "mount-from", "compose"]
FileKind = Literal["dockerfile", "compose"]

_VAR_ONLY = re.compile(r"^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$")
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class PinningError(ValueError):
    """A file that cannot be scanned at all (e.g. a compose file that is not valid YAML)."""


@dataclass(frozen=True)
class ImageSite:
    """One place in a file that names a pullable image, with the exact span of the reference."""

    start: int
    end: int
    text: str  # the reference as written: file_text[start:end]
    line: int  # 1-based line of the reference
    kind: SiteKind
    ref: ImageRef
    where: str  # for people: "FROM", "ARG BASE", "COPY --from", "services.web.image"

    @property
    def pinned(self) -> bool:
        return self.ref.digest is not None

    @property
    def lookup(self) -> str:
        """What to resolve: the reference without its digest (the tag is what moves)."""
        return self.text.split("@", 1)[0]


@dataclass(frozen=True)
class Skipped:
    """A reference that is deliberately not pinned, and why (shown as a note)."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ScanResult:
    sites: tuple[ImageSite, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def lookups(self, *, update: bool = False) -> list[str]:
        """The references a registry must be asked about, in file order, without duplicates.

        Pinned references are included only in update mode, and only when they carry a tag
        (a bare `image@sha256:…` has nothing to follow).
        """
        out: dict[str, None] = {}
        for site in self.sites:
            if needs_lookup(site, update=update):
                out.setdefault(site.lookup, None)
        return list(out)


def needs_lookup(site: ImageSite, *, update: bool) -> bool:
    if not site.pinned:
        return True
    return update and site.ref.tag is not None


# ----------------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Change:
    """A planned rewrite of one reference; `previous` is set when an old digest is replaced."""

    site: ImageSite
    old: str
    new: str
    digest: str
    previous: str | None
    edit: Edit

    @property
    def action(self) -> Literal["pin", "update"]:
        return "pin" if self.previous is None else "update"


@dataclass(frozen=True)
class Failure:
    site: ImageSite
    error: ResolveError


@dataclass(frozen=True)
class PinPlan:
    changes: tuple[Change, ...] = ()
    failures: tuple[Failure, ...] = ()
    current: tuple[ImageSite, ...] = ()  # pinned already (and up to date, in update mode)
    skipped: tuple[Skipped, ...] = ()

    @property
    def edits(self) -> list[Edit]:
        return [c.edit for c in self.changes]

    def apply(self, text: str) -> str:
        return apply(text, self.edits)


def pinned_reference(text: str, digest: str) -> str:
    """`python:3.12-slim` → `python:3.12-slim@sha256:…`; `python` → `python:latest@sha256:…`.

    An untagged reference gets `:latest` written out: it is what was resolved, and without
    a tag `--update` would have nothing to follow later.
    """
    if not is_valid_digest(digest):
        raise ValueError(f"refusing to write malformed digest {digest!r}")
    base = text.split("@", 1)[0]
    ref = parse_ref(base)
    return f"{base}@{digest}" if ref.tag is not None else f"{base}:latest@{digest}"


def plan(scan: ScanResult, resolutions: Mapping[str, Resolution], *, update: bool = False) -> PinPlan:
    """Decide, per site, whether to pin, update, leave alone, or report a failure."""
    changes: list[Change] = []
    failures: list[Failure] = []
    current: list[ImageSite] = []
    for site in scan.sites:
        if not needs_lookup(site, update=update):
            if site.pinned:
                current.append(site)
            continue
        res = resolutions.get(site.lookup)
        if res is None:
            err = ResolveError(ErrorKind.PROTOCOL, f"{site.lookup} was not resolved")
            failures.append(Failure(site, err))
            continue
        if res.error is not None or res.digest is None:
            failures.append(Failure(site, res.error or ResolveError(ErrorKind.PROTOCOL, "no digest")))
            continue
        digest = res.digest
        if not is_valid_digest(digest):
            failures.append(Failure(site, ResolveError(ErrorKind.BAD_DIGEST, f"malformed digest {digest!r}")))
            continue
        if not site.pinned:
            new = pinned_reference(site.text, digest)
            # Insert after the reference: the characters the user wrote stay untouched.
            edit = Edit(site.end, site.end, new[len(site.text) :])
            changes.append(Change(site, site.text, new, digest, None, edit))
            continue
        old_digest = site.ref.digest
        assert old_digest is not None
        if old_digest == digest:
            current.append(site)
            continue
        at = site.start + site.text.index("@") + 1
        edit = Edit(at, site.end, digest)
        new = f"{site.lookup}@{digest}"
        changes.append(Change(site, site.text, new, digest, old_digest, edit))
    return PinPlan(tuple(changes), tuple(failures), tuple(current), scan.skipped)


# ------------------------------------------------------------------------------- scanning


def scan(text: str, kind: FileKind) -> ScanResult:
    return scan_compose(text) if kind == "compose" else scan_dockerfile(text)


@dataclass
class _Collector:
    text: str
    line_of: Callable[[int], int]
    sites: list[ImageSite] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    _spans: set[tuple[int, int]] = field(default_factory=set)

    def image(self, start: int, end: int, kind: SiteKind, where: str, line: int | None = None) -> None:
        """Record text[start:end] as an image, or a note explaining why it is not one."""
        if (start, end) in self._spans:
            return  # an ARG default used by several FROMs is one site (or one note)
        self._spans.add((start, end))
        raw = self.text[start:end]
        row = line if line is not None else self.line_of(start)
        if "$" in raw:
            self.skip(row, raw, f"{where} uses a variable; pin the value where it is set")
            return
        if raw.lower() == "scratch":
            return
        try:
            ref = parse_ref(raw)
        except ImageRefError as exc:
            self.skip(row, raw, f"{where}: {exc}")
            return
        self.sites.append(ImageSite(start, end, raw, row, kind, ref, where))

    def skip(self, line: int, text: str, reason: str) -> None:
        self.skipped.append(Skipped(line, text, reason))

    def result(self) -> ScanResult:
        return ScanResult(tuple(sorted(self.sites, key=lambda s: s.start)), tuple(self.skipped))


def scan_dockerfile(text: str) -> ScanResult:
    """Every pullable image a Dockerfile names: FROM (directly or through a global ARG
    default), `COPY --from=<image>` and `RUN --mount=…,from=<image>`, ONBUILD included."""
    df = parse(text)
    col = _Collector(text, lambda off: df.position(off)[0])
    all_stage_names = {st.name.lower() for st in df.stages if st.name}
    arg_sites = _global_arg_defaults(df)
    for st in df.stages:
        ins = st.from_
        words = _ws_words(ins.args)
        if not words:
            continue
        word, ws, we = words[0]
        earlier = {s.name.lower() for s in df.stages[: st.index] if s.name}
        if word.lower() in earlier:
            continue  # FROM <earlier stage>: a stage, not an image
        m = _VAR_ONLY.match(word)
        if m:
            _from_arg(col, df, ins, word, m.group(1) or m.group(2), arg_sites, earlier)
            continue
        span = _contiguous(text, ins, ws, we)
        if span is None:
            col.skip(ins.line, word, "FROM image is split across lines; hardenify does not rewrite it")
            continue
        col.image(span[0], span[1], "from", "FROM", ins.line)
    for ins in df.instructions:
        for target in (ins, ins.sub):
            if target is None:
                continue
            if target.cmd == "COPY":
                for flag in target.flags:
                    if flag.name == "from":
                        _copy_from(col, text, ins, flag, all_stage_names)
            elif target.cmd == "RUN":
                for flag in target.flags:
                    if flag.name == "mount":
                        _mount_from(col, text, ins, flag, all_stage_names)
    return col.result()


def _ws_words(s: str) -> list[tuple[str, int, int]]:
    """Whitespace-delimited words with their spans (FROM does not honour quotes)."""
    return [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[^ \t\r\n]+", s)]


def _contiguous(text: str, ins: Instruction, start: int, end: int) -> tuple[int, int] | None:
    """File span of `ins.args[start:end]` if those characters sit together in the file."""
    fs, fe = ins.arg_src(start), ins.arg_src(end, end=True)
    if text[fs:fe] == ins.args[start:end]:
        return fs, fe
    return None


@dataclass(frozen=True)
class _ArgDefault:
    name: str
    line: int
    start: int  # span of the default value's characters (inside quotes), or -1
    end: int
    problem: str | None  # why the default cannot be rewritten


def _global_arg_defaults(df: Dockerfile) -> dict[str, _ArgDefault]:
    """The last declaration of each ARG before the first FROM, with its value span."""
    out: dict[str, _ArgDefault] = {}
    text = df.text
    for ins in df.instructions:
        if ins.cmd == "FROM":
            break
        if ins.cmd != "ARG":
            continue
        for word, ws, we in iter_words(ins.args):
            name, sep, value = word.partition("=")
            if not sep:
                out[name] = _ArgDefault(name, ins.line, -1, -1, None)
                continue
            vs, ve = ws + len(name) + 1, we
            problem = None
            if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
                inner = value[1:-1]
                if value[0] in inner or "\\" in inner:
                    problem = "its quoting is too complex to rewrite safely"
                vs, ve = vs + 1, ve - 1
            elif any(c in value for c in "\"'\\"):
                problem = "its quoting is too complex to rewrite safely"
            span = _contiguous(text, ins, vs, ve)
            if span is None:
                out[name] = _ArgDefault(name, ins.line, -1, -1, "its value is split across lines")
            else:
                out[name] = _ArgDefault(name, ins.line, span[0], span[1], problem)
    return out


def _from_arg(
    col: _Collector,
    df: Dockerfile,
    ins: Instruction,
    word: str,
    name: str,
    args: Mapping[str, _ArgDefault],
    stage_names: set[str],
) -> None:
    decl = args.get(name)
    if decl is None:
        col.skip(ins.line, word, f"FROM uses ARG {name}, which is not declared before the first FROM")
        return
    if decl.start < 0 and decl.problem is None:
        col.skip(
            ins.line,
            word,
            f"FROM uses ARG {name} (line {decl.line}), which has no default; "
            "pin the value where --build-arg is passed",
        )
        return
    if decl.problem is not None:
        col.skip(
            decl.line, word, f"the default of ARG {name} (used by FROM on line {ins.line}): {decl.problem}"
        )
        return
    value = df.text[decl.start : decl.end]
    if value.lower() in stage_names:
        return
    col.image(decl.start, decl.end, "arg", f"ARG {name} (used by FROM on line {ins.line})", decl.line)


def _copy_from(col: _Collector, text: str, ins: Instruction, flag: Flag, stages: set[str]) -> None:
    value = (flag.value or "").strip()
    if not value or value.isdigit() or value.lower() in stages:
        return  # a stage index or name
    if text[flag.start : flag.end] != flag.raw:
        col.skip(ins.line, value, "COPY --from is split across lines; hardenify does not rewrite it")
        return
    raw_value = flag.raw.partition("=")[2]
    offset = flag.start + len(flag.raw) - len(raw_value)
    if len(raw_value) >= 2 and raw_value[0] in "\"'" and raw_value[-1] == raw_value[0]:
        raw_value, offset = raw_value[1:-1], offset + 1
    if raw_value != value:
        col.skip(ins.line, value, "COPY --from is quoted in a way hardenify does not rewrite")
        return
    col.image(offset, offset + len(value), "copy-from", "COPY --from", col.line_of(offset))


def _mount_from(col: _Collector, text: str, ins: Instruction, flag: Flag, stages: set[str]) -> None:
    opts = flag.options()
    value = opts.get("from", "").strip()
    if not value or value.isdigit() or value.lower() in stages:
        return
    if text[flag.start : flag.end] != flag.raw:
        col.skip(ins.line, value, "RUN --mount is split across lines; hardenify does not rewrite it")
        return
    body = flag.raw.partition("=")[2]
    offset = flag.start + len(flag.raw) - len(body)
    if len(body) >= 2 and body[0] in "\"'" and body[-1] == body[0]:
        body, offset = body[1:-1], offset + 1
    pos = 0
    for part in body.split(","):
        key, sep, val = part.partition("=")
        if sep and key.strip().lower() == "from":
            vstart = offset + pos + len(key) + 1
            lead = len(val) - len(val.lstrip())
            if val.strip() != value:
                break
            vstart += lead
            col.image(vstart, vstart + len(value), "mount-from", "RUN --mount from=", col.line_of(vstart))
            return
        pos += len(part) + 1
    col.skip(ins.line, value, "RUN --mount from= is quoted in a way hardenify does not rewrite")


# -------------------------------------------------------------------------------- compose


def scan_compose(text: str) -> ScanResult:
    """`image:` of every service (and of `x-*` extension blocks services merge in).

    Positions come from ruamel.yaml's round-trip loader; the edit then targets the scalar's
    own characters, so comments, quoting and key order survive byte for byte. A service
    with `build:` is skipped: its `image:` names what the build produces, not a pull.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        raise PinningError(f"not valid YAML: {_first_line(str(exc))}") from None
    line_starts = [0] + [m.end() for m in _YAML_BREAK.finditer(text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    col = _Collector(text, line_of)
    if not isinstance(doc, CommentedMap):
        return col.result()

    def visit(node: Any, path: str) -> None:
        if isinstance(node, CommentedMap):
            if "image" in (node.lc.data or {}):
                _compose_image(col, text, line_starts, node, path)
            for k, v in node.items():
                if k != "image":
                    visit(v, f"{path}.{k}")
        elif isinstance(node, CommentedSeq):
            for i, v in enumerate(node):
                visit(v, f"{path}[{i}]")

    services = doc.get("services")
    if isinstance(services, CommentedMap):
        for name, svc in services.items():
            if isinstance(svc, CommentedMap) and "image" in (svc.lc.data or {}):
                _compose_image(col, text, line_starts, svc, f"services.{name}")
    for key, value in doc.items():
        if isinstance(key, str) and key.startswith("x-"):
            visit(value, key)
    return col.result()


def _compose_image(col: _Collector, text: str, line_starts: Sequence[int], node: Any, path: str) -> None:
    value = node.get("image")
    line, column = node.lc.value("image")
    where = f"{path}.image"
    if not isinstance(value, str):
        return
    if "build" in node:
        col.skip(line + 1, value, f"{where} names the image `build:` produces; nothing to pull or pin")
        return
    if line >= len(line_starts):
        col.skip(line + 1, value, f"{where}: could not locate the value in the file")
        return
    off = line_starts[line] + column
    # An anchor (`&img`) or tag (`!!str`) may sit before the scalar.
    m = re.match(r"(?:[&!][^\s]*[ \t]+)*", text[off:])
    if m:
        off += m.end()
    span = _yaml_scalar_span(text, off, value)
    if span is None:
        col.skip(line + 1, value, f"{where}: written in a YAML form hardenify does not rewrite")
        return
    col.image(span[0], span[1], "compose", where, line + 1)


def _yaml_scalar_span(text: str, off: int, value: str) -> tuple[int, int] | None:
    """The span of `value`'s characters at `off` (inside quotes), if written plainly."""
    if off >= len(text):
        return None
    q = text[off]
    if q in "\"'":
        start = off + 1
        end = text.find(q, start)
        if end < 0 or text[start:end] != value or "\\" in value:
            return None
        return start, end
    end = off + len(value)
    if text[off:end] != value:
        return None
    if end < len(text) and text[end] not in " \t\r\n,}]#":
        return None
    return off, end


def _first_line(s: str) -> str:
    return " ".join(s.strip().split())[:300]
