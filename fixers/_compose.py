"""Shared plumbing of the compose rules (HF6xx).

- `report`: findings → diagnostics, honouring `# hardenify: ignore[HF6xx]` pragmas (an own-line
  comment directly above the service key or the offending key, or a trailing comment on that
  line) and offering a fix only when re-loading the result proved it (`hardenify.compose.verify`).
- `place_*`: where an edit lands. A setting is edited where it lives: the service's own key,
  or the anchor/extension it is merged from with `<<:`. When that place is also used by other
  services, the edit changes them too: the fix is then unsafe whatever the image, and the
  message names them. When it is also used outside services and `x-` extensions, there is no
  fix. New keys always go into the service's own mapping (own keys override merged ones), so
  adding one never changes another service, unless the whole service is an alias of another.
- `image`: the image a service runs, with `${VAR:-default}` interpolated and a normalised key for
  the knowledge tables in `hardenify.knowledge.images`.
- `service_dockerfile`: the text of a service's Dockerfile (`dockerfile_inline`, or read through
  the model's sandboxed reader) for the rules that need it; None when unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardenify.compose.edits import append_items, insert_keys
from hardenify.compose.model import (
    ComposeFile,
    Entry,
    Node,
    Path,
    Service,
    is_map,
    is_scalar,
    is_seq,
    text_of,
)
from hardenify.compose.verify import Change, get, verify
from hardenify.context import CheckContext
from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix
from hardenify.dockerfile.model import Dockerfile, Stage, split_words, substitute
from hardenify.imageref import ImageRef, try_parse_ref
from hardenify.knowledge.images import image_key
from hardenify.rules import Rule

NOT_VERIFIED = "no automatic fix: the edited file did not re-load to the expected result"


@dataclass
class Finding:
    """One problem, before pragmas and verification turn it into a Diagnostic."""

    start: int
    end: int
    message: str
    pragma_at: tuple[int, ...] = ()  # lines whose pragmas may silence it (besides `start`)
    change: Change | None = None
    safe: bool = False
    fix_message: str = ""
    note: str | None = None


def model(ctx: CheckContext) -> ComposeFile | None:
    """The parsed compose file, or None (another kind, or YAML the loader rejects)."""
    cf = ctx.compose
    if ctx.kind != "compose" or not isinstance(cf, ComposeFile) or cf.error is not None:
        return None
    return cf


def report(ctx: CheckContext, rule: Rule, findings: Iterable[Finding]) -> Iterator[Diagnostic]:
    """Diagnostics for the findings no pragma silences, each fix verified by re-loading."""
    cf = model(ctx)
    if cf is None:
        return
    kept = [f for f in findings if not cf.ignored(rule.code, f.start, *f.pragma_at)]
    changes: list[Change] = []
    seen: set[int] = set()  # by identity; a list scan here was quadratic in the services
    for f in kept:
        if f.change is not None and id(f.change) not in seen:
            seen.add(id(f.change))
            changes.append(f.change)
    verdicts = verify(cf, changes)
    ok = {id(c) for c, v in zip(changes, verdicts, strict=True) if v}
    for f in kept:
        fix = None
        note = f.note
        if f.change is not None:
            if id(f.change) in ok:
                applicability = Applicability.SAFE if f.safe else Applicability.UNSAFE
                fix = Fix(f.change.edits, applicability, f.fix_message)
            else:
                note = f"{note}; {NOT_VERIFIED}" if note else NOT_VERIFIED
        yield ctx.diagnostic(rule, f.start, f.end, f.message, fix=fix, note=note)


# ------------------------------------------------------------------------------ locations


def key_span(cf: ComposeFile, entry: Entry) -> tuple[int, int]:
    """From an entry's key to the end of that line (without its comment)."""
    return entry.start, max(_line_content_end(cf, entry.start), entry.start + 1)


def node_span(cf: ComposeFile, node: Node) -> tuple[int, int]:
    """A scalar's own characters, or the first line of a collection."""
    start = int(node.start_mark.index)
    if is_scalar(node) and not cf.text.count("\n", start, int(node.end_mark.index)):
        return start, max(int(node.end_mark.index), start + 1)
    return start, max(_line_content_end(cf, start), start + 1)


def service_span(svc: Service) -> tuple[int, int]:
    return svc.start, svc.key_end


def entry_span(cf: ComposeFile, svc: Service, entry: Entry) -> tuple[int, int]:
    """The offending key's line when the service owns it, else the service key (a merged
    entry's line is shared by every service that merges it)."""
    if entry.merged or entry.owner is not svc.node:
        return service_span(svc)
    return key_span(cf, entry)


def _line_content_end(cf: ComposeFile, offset: int) -> int:
    line = cf.text[offset : cf.line_end(offset)]
    m = re.search(r"\s+#", line)
    if m:
        line = line[: m.start()]
    return offset + len(line.rstrip())


def via(cf: ComposeFile, svc: Service, entry: Entry) -> str:
    """` (from <anchor> at line N)` when an entry is merged in rather than the service's own."""
    if not entry.merged and entry.owner is svc.node:
        return ""
    anchor = getattr(entry.owner, "anchor", None)
    where = f"&{anchor}" if anchor else "a merged mapping"
    return f" (set in {where} at line {cf.row(entry.start)})"


def pragmas(svc: Service, entry: Entry | None = None) -> tuple[int, ...]:
    return (svc.start,) if entry is None else (svc.start, entry.start)


# ---------------------------------------------------------------------------- interpolation

_VAR_RE = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str) -> str | None:
    """`${X:-d}`/`${X-d}` → d; None when the value needs a variable's runtime value."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        if m.group(0) == "$$":
            return "$"
        body = m.group(1)
        if body is not None:
            dm = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*:?-(.*)", body, re.S)
            if dm:
                return dm.group(1)
        unknown = True
        return ""

    out = _VAR_RE.sub(sub, value)
    return None if unknown else out


def has_vars(value: str) -> bool:
    return bool(re.search(r"\$(?!\$)[{A-Za-z_]", value.replace("$$", "")))


# -------------------------------------------------------------------------------- images


@dataclass(frozen=True)
class Image:
    """The image a service runs."""

    written: str | None  # as written; None when there is no `image:`
    ref: ImageRef | None  # parsed after interpolation; None when unknown or unparsable
    key: str | None  # `postgres`, `bitnami/postgresql`, `gcr.io/distroless/static`
    tag: str  # effective tag, lower-case ("latest" when none)
    entry: Entry | None
    builds: bool  # the service has `build:` (the image is built, not pulled)

    @property
    def label(self) -> str:
        return self.written or "the built image"


def image(svc: Service) -> Image:
    entry, _ = svc.find("image")
    build, _ = svc.find("build")
    written = text_of(entry.value) if entry is not None else None
    ref = None
    if written:
        resolved = interpolate(written)
        ref = try_parse_ref(resolved.strip().lower()) if resolved else None
    key = image_key(ref) if ref is not None else None
    tag = (ref.tag or "latest").lower() if ref is not None else ""
    return Image(written, ref, key, tag, entry, build is not None)


def pulled_image_findings(
    ctx: CheckContext, rule: Rule, judge: Callable[[ImageRef, str], str | None]
) -> Iterator[Diagnostic]:
    """Report each pulled `image:` (services that `build:` are skipped) that `judge(ref,
    written)` has something to say about; its answer is the message after the service name."""
    cf = model(ctx)
    if cf is None:
        return
    found: list[Finding] = []
    for svc in cf.services:
        img = image(svc)
        if img.builds or img.ref is None or img.entry is None or img.written is None:
            continue
        what = judge(img.ref, img.written)
        if what is not None:
            start, end = node_span(cf, img.entry.value)
            found.append(Finding(start, end, f"service `{svc.name}`: {what}", (svc.start, img.entry.start)))
    yield from report(ctx, rule, found)


# ------------------------------------------------------------------------ Dockerfile lookup


def build_context(cf: ComposeFile, svc: Service) -> str | None:
    """The service's build context as written (`build: dir` or `build.context`), None without one."""
    build, _ = svc.find("build")
    if build is None:
        return None
    if is_map(build.value):
        ctx_e = cf.lookup(build.value, "context")
        return text_of(ctx_e.value) if ctx_e is not None else "."
    return text_of(build.value)


def service_dockerfile(cf: ComposeFile, svc: Service) -> str | None:
    """The Dockerfile a service builds from (inline or a file inside the compose file's tree)."""
    build, _ = svc.find("build")
    if build is None:
        return None
    if is_map(build.value):
        inline = cf.lookup(build.value, "dockerfile_inline")
        if inline is not None:
            return text_of(inline.value)
        ctx_e = cf.lookup(build.value, "context")
        df_e = cf.lookup(build.value, "dockerfile")
        context = text_of(ctx_e.value) if ctx_e is not None else "."
        dockerfile = text_of(df_e.value) if df_e is not None else "Dockerfile"
    else:
        context, dockerfile = text_of(build.value), "Dockerfile"
    if cf.reader is None or not context or not dockerfile or has_vars(context + dockerfile):
        return None
    if re.match(r"[a-z][a-z0-9+.-]*://|git@|github\.com/", context):
        return None
    rel = dockerfile if dockerfile.startswith("/") else f"{context.rstrip('/')}/{dockerfile}"
    return cf.reader(rel)


def built_stage(cf: ComposeFile, svc: Service) -> tuple[Dockerfile, Stage] | None:
    """The parsed Dockerfile of a built service and the stage it builds (`build.target`, else
    the last); None when the Dockerfile cannot be read or has no stage."""
    text = service_dockerfile(cf, svc)
    if text is None:
        return None
    from hardenify.dockerfile.model import parse as parse_dockerfile

    df = parse_dockerfile(text)
    build, _ = svc.find("build")
    target = None
    if build is not None and is_map(build.value):
        t = cf.lookup(build.value, "target")
        target = text_of(t.value) if t is not None else None
    if target:
        for stage in df.stages:
            if stage.name and stage.name.lower() == target.lower():
                return df, stage
        return None
    final = df.final_stage
    return (df, final) if final is not None else None


def explicit_user(svc: Service) -> str | None:
    """The service's `user:` after interpolation ("" when it needs a runtime variable), or None."""
    entry, _ = svc.find("user")
    if entry is None:
        return None
    return (interpolate(text_of(entry.value) or "") or "").strip()


def built_user(cf: ComposeFile, svc: Service) -> tuple[str | None, str]:
    """The non-root user a built service's stage (`build.target`, else the last) ends with, and
    no privilege dropper; else None and why not. The Dockerfile analysis layer decides."""
    from hardenify.dockerfile.droppers import drops_privileges
    from hardenify.dockerfile.stages import chain_instructions, stage_env
    from hardenify.dockerfile.users import is_root_user
    from hardenify.knowledge.programs import root_starter

    built = built_stage(cf, svc)
    if built is None:
        return None, "its Dockerfile (or the `build.target` stage) cannot be read"
    df, stage = built
    instructions = chain_instructions(stage)
    users = [i for i in instructions if i.cmd == "USER"]
    if not users:
        return None, "its Dockerfile sets no USER, so it starts as root"
    words = split_words(users[-1].args)
    name = substitute(words[0], stage_env(df, stage, users[-1])) if words else ""
    if not name or "$" in name or is_root_user(name):
        return None, f"its Dockerfile's last USER is `{words[0] if words else ''}`"
    dropper = drops_privileges(instructions)
    for ins in instructions:
        if dropper is None and ins.cmd in ("ENTRYPOINT", "CMD"):
            for w in ins.json if ins.json is not None else split_words(ins.args):
                dropper = dropper or root_starter(w)
    if dropper:
        return None, f"its Dockerfile starts {dropper}, which needs root"
    return name, ""


def service_cap_add(cf: ComposeFile, svc: Service) -> tuple[tuple[str, ...] | None, str]:
    """Capabilities the service needs back after `cap_drop: [ALL]` (() for none), or None and
    why hardenify cannot tell. Facts come from `hardenify.knowledge.images`, or for a built
    image from its Dockerfile."""
    from hardenify.dockerfile.users import is_root_user
    from hardenify.knowledge.images import cap_add

    user = explicit_user(svc)
    img = image(svc)
    if user and not is_root_user(user):
        return (), f"it runs as `user: {user}`"
    if img.builds:
        if user is not None and not user:
            return None, "its `user:` needs a runtime variable"
        name, why = built_user(cf, svc)
        if name is None or user:
            return None, f"hardenify cannot tell which capabilities it needs: {why or 'it runs as root'}"
        return (), f"its Dockerfile runs it as `{name}`"
    caps = cap_add(img.key, img.tag)
    if caps is None:
        return None, f"hardenify does not know which capabilities `{img.label}` needs"
    if caps == () and user:
        return None, f"`{img.label}` needs no capability as its own user, but `user: {user}` runs it as root"
    return caps, ""


# --------------------------------------------------------------------------- edit placement


@dataclass
class Placed:
    """An edit and what it changes: the data paths and the other services it reaches."""

    edit: Edit
    paths: list[Path]
    others: list[str] = field(default_factory=list)  # other services the edit also changes


def reach(cf: ComposeFile, svc: Service, owner: Node, key: str) -> tuple[list[str], bool]:
    """Other services that editing `key` of `owner` changes, and whether it is ambiguous
    (something that is neither a service nor an `x-` extension shows it too)."""
    services, outside = cf.users(owner, key)
    others = sorted(name for doc, name in services if (doc, name) != (svc.doc, svc.name))
    return others, outside


def place_keys(cf: ComposeFile, svc: Service, items: Sequence[tuple[str, Any]]) -> Placed | None:
    """New keys in the service's own mapping."""
    edit = insert_keys(cf, svc.node, items)
    if edit is None:
        return None
    paths: list[Path] = []
    others: set[str] = set()
    for key, _ in items:
        o, outside = reach(cf, svc, svc.node, key)
        if outside:
            return None
        others.update(o)
        paths += cf.entry_paths(svc.node, key)
    return Placed(edit, paths, sorted(others))


def place_items(cf: ComposeFile, svc: Service, key: str, items: Sequence[Any]) -> Placed | None:
    """Append to the list `key` where it lives, or add the key with these items."""
    entry = svc.get(key)
    if entry is None:
        return place_keys(cf, svc, [(key, list(items))])
    if not is_seq(entry.value):
        return None
    others, outside = reach(cf, svc, entry.owner, key)
    if outside:
        return None
    edit = append_items(cf, entry.value, items)
    if edit is None:
        return None
    return Placed(edit, cf.entry_paths(entry.owner, key), others)


def place_nested(
    cf: ComposeFile, svc: Service, path: Sequence[str], items: Sequence[tuple[str, Any]]
) -> Placed | None:
    """Add `items` to the mapping at `path` under the service (e.g. deploy.resources.limits),
    creating the missing levels at the deepest existing one."""
    node = svc.node
    owner_path: list[str] = []
    for i, part in enumerate(path):
        entry = cf.lookup(node, part)
        if entry is None:
            value: Any = dict(items)
            for name in reversed(path[i + 1 :]):
                value = {name: value}
            items = [(part, value)]
            break
        if not is_map(entry.value):
            return None
        node = entry.value
        owner_path.append(part)
    edit = insert_keys(cf, node, items)
    if edit is None:
        return None
    if node is svc.node:
        return place_keys(cf, svc, items)
    # the deepest existing mapping may itself be shared through an anchor
    top = svc.get(path[0])
    if top is None:
        return None
    others, outside = reach(cf, svc, top.owner, path[0])
    if outside:
        return None
    paths = [p for p in cf.entry_paths(top.owner, path[0])]
    for occ_path in cf.node_paths(node):
        paths += [(*occ_path, k) for k, _ in items]
    return Placed(edit, paths, others)


def place_top(cf: ComposeFile, doc: int, key: str, items: Sequence[tuple[str, Any]]) -> Placed | None:
    """Add entries to a top-level mapping (`secrets:`), creating it at the end of the document."""
    root = cf.docs[doc] if 0 <= doc < len(cf.docs) else None
    if not is_map(root):
        return None
    entry = cf.own(root, key)
    if entry is None:
        edit = insert_keys(cf, root, [(key, dict(items))])
    elif is_map(entry.value) and not cf.is_alias(root, key):
        edit = insert_keys(cf, entry.value, items)
    else:
        return None
    return Placed(edit, [(doc, key)]) if edit is not None else None


def expect(path: Path, pred: Callable[[Any], bool]) -> Callable[[ComposeFile], bool]:
    """A verification predicate on the value at a data path of the re-loaded file."""
    return lambda new: pred(get(new.data(), path))


def change(placed: Sequence[Placed], check: Callable[[ComposeFile], bool] | None = None) -> Change:
    """One fix from several placed edits. Insertions at the same point become one edit, in
    the order given (list the innermost first: its lines must precede an outer key's)."""
    edits: list[Edit] = []
    for p in placed:
        e = p.edit
        same = next((i for i, f in enumerate(edits) if f.start == f.end == e.start == e.end), None)
        if same is None:
            edits.append(e)
        else:
            edits[same] = Edit(e.start, e.end, edits[same].content + e.content)
    paths = tuple(path for p in placed for path in p.paths)
    return Change(tuple(edits), paths, check)


def others_note(others: Sequence[str]) -> str:
    if not others:
        return ""
    names = ", ".join(others[:5]) + (" and more" if len(others) > 5 else "")
    return f"; the edit is in a shared anchor and also changes {names}"


def upper_list(value: Any) -> list[str]:
    """A plain-data list of strings, upper-cased (for capability and option comparisons)."""
    if not isinstance(value, list):
        return []
    return [str(v).upper() for v in value if isinstance(v, (str, int))]
