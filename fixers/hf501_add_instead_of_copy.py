"""HF501: ADD used for local files and directories, where COPY does the same without surprises."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile import stages
from hardenify.dockerfile.edits import keyword_like
from hardenify.dockerfile.model import Dockerfile, Instruction, unquote
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF501",
    name="add-instead-of-copy",
    severity=Severity.WARNING,
    summary="ADD copies local files: use COPY, which does not unpack archives or fetch URLs.",
    what="Reports ADD (also `ONBUILD ADD`) whose sources are all local files or directories: "
    "no URL, no git repository, no local tar archive (by extension: `.tar`, `.tar.gz`, `.tgz`, "
    "`.tar.bz2`, `.tbz2`, `.tar.xz`, `.txz`, `.tar.zst`, `.gz`, `.bz2`, `.xz`, `.zst`, `.lz`, "
    "`.lzma`, `.Z`, ...) and no ADD-only flag (`--checksum`, `--keep-git-dir`, `--unpack`). "
    'Sources are read the way BuildKit reads them, with shell quotes removed: `ADD "vendor.tar.gz" /opt/` '
    'is an archive and `ADD "https://…" dir` a URL. `${VARS}` are resolved from ARG/ENV defaults; a '
    "source that stays unknown (or has an unclosed quote) is reported but not fixed.",
    why="ADD silently extracts anything that is a tar archive and downloads URLs, so what "
    "lands in the image depends on the content of the file, not just on the instruction. "
    "COPY does exactly one thing, which makes the build easier to review (CIS Docker "
    "Benchmark 4.9).",
    example="FROM python:3.12-slim\nADD requirements.txt /app/\nADD src /app/src",
    fix="Replace the keyword `ADD` with `COPY`, keeping its case (`add` → `copy`) and every "
    "flag (`--chown`, `--chmod`, `--link` and `--exclude` mean the same for COPY).",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: for local non-archive sources ADD and COPY copy the same bytes with the "
    "same ownership and permissions. The archive check is by file name, as in hadolint and "
    "Trivy: a tar archive without a tar-like extension (ADD detects archives by content) would "
    "no longer be unpacked.",
    references=References(hadolint=("DL3020",), trivy=("DS005",), checkov=("CKV_DOCKER_4",), cis=("4.9",)),
)

ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})
COPY_COMPATIBLE_FLAGS = frozenset({"chown", "chmod", "link", "exclude"})
ARCHIVE_SUFFIXES = (
    ".tar",
    ".tar.gz",
    ".tgz",
    ".taz",
    ".tar.bz2",
    ".tbz",
    ".tbz2",
    ".tb2",
    ".tar.xz",
    ".txz",
    ".tar.zst",
    ".tzst",
    ".tar.lz",
    ".tlz",
    ".tar.lzma",
    ".tar.z",
    ".tz",
    ".gz",
    ".bz2",
    ".xz",
    ".zst",
    ".lz",
    ".lzma",
    ".z",
)
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def classify(source: str) -> str:
    """'url', 'git', 'archive', 'heredoc', 'unknown' ($VAR or odd quoting left) or 'local'.

    BuildKit removes shell quotes from ADD sources before it looks at them, so
    `"https://…"` is a URL and `'vendor.tar.gz'` an archive: classify the unquoted word.
    """
    s = source.strip()
    if s.startswith("<<"):
        return "heredoc"
    if "$" in s:
        return "unknown"
    if "'" in s or '"' in s or "\\" in s:
        if s.count("'") % 2 or s.count('"') % 2:
            return "unknown"  # an unclosed quote: BuildKit's own reading is unclear
        s = unquote(s)
    low = s.lower()
    if low.startswith(("git@", "git://", "github.com/")) or (
        _URL_RE.match(s) and re.search(r"\.git(?:[#?/]|$)", low)
    ):
        return "git"
    if _URL_RE.match(s):
        return "url"
    base = low.rstrip("/").rsplit("/", 1)[-1]
    if any(base.endswith(suf) for suf in ARCHIVE_SUFFIXES):
        return "archive"
    return "local"


def add_sources(df: Dockerfile, ins: Instruction) -> list[tuple[str, str, str]]:
    """(source as written, resolved, class) for each source of an ADD; [] when unreadable."""
    if ins.json is not None:
        parts = list(ins.json)
    else:
        if ins.args.lstrip(" \t").startswith("["):
            return []
        parts = ins.words()
    if len(parts) < 2:
        return []
    stage = stages.stage_of(df, ins)
    env = stages.stage_env(df, stage, ins) if stage is not None else dict(df.global_args)
    out = []
    for src in parts[:-1]:
        resolved = stages.resolve(src, env) if "$" in src else src
        value = resolved if resolved is not None else src
        out.append((src, value, classify(value)))
    return out


def _targets(df: Dockerfile) -> Iterator[Instruction]:
    for ins in df.instructions:
        if ins.cmd == "ADD":
            yield ins
        elif ins.cmd == "ONBUILD" and ins.sub is not None and ins.sub.cmd == "ADD":
            yield ins.sub


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in _targets(df):
        flags = {f.name for f in ins.flags}
        if flags & ADD_ONLY_FLAGS:
            continue
        sources = add_sources(df, ins)
        if not sources:
            continue
        kinds = {k for _, _, k in sources}
        if kinds & {"url", "git", "archive"}:
            continue
        kstart = ins.src(0)
        kend = ins.src(len(ins.keyword), end=True)
        fix = None
        if "unknown" not in kinds and flags <= COPY_COMPATIBLE_FLAGS and kend - kstart == len(ins.keyword):
            fix = safe_fix(
                "replace ADD with COPY",
                Edit(kstart, kend, keyword_like(ins.keyword, "COPY")),
            )
        what = "files" if "heredoc" not in kinds else "inline files"
        note = " (a `${VAR}` source could not be resolved, so it is not fixed)" if "unknown" in kinds else ""
        end = ins.content_end if ins.start or ins.end else kend
        yield ctx.diagnostic(
            RULE,
            kstart,
            max(end, kstart),
            f"ADD of local {what}: use COPY (ADD also unpacks archives and fetches URLs){note}",
            fix=fix,
        )
