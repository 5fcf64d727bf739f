"""The one path to disk: every user file hardenify changes or creates is written here.

The engine and the rules are pure (text in, text out). Writing is this module's job, in one
place, so one policy holds for every command (`fix`, `pin`, `bulk`, `report`, `new`):

- `atomic_write`: temp file, fsync, rename; keeps mode, owner and group; refuses read-only
  files and files that changed on disk since the fix was computed (`expect`).
- `write_target` / `roots_of`: the symlink policy. A symlink is written through to its target
  only when the target lies inside the tree being fixed.
- Companion files a fix creates or changes beside the file it fixes: a missing `.dockerignore`
  (`plan_companions`, HF304's unsafe fix) and the compose files re-fixed against a rewritten
  Dockerfile (`rewire_compose`).
- Secret-wiring notes (`secret_wiring`): how to pass the secrets a fix moved into BuildKit
  mounts to `docker build`.

A fix never reaches the disk through any other module. Caches hardenify owns (the result cache,
the registry digest cache) and the scratch build contexts of `--prove` are not user files and
keep their own writers.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hardenify.dockerfile.model import Dockerfile
    from hardenify.outcome import FileOutcome
    from hardenify.runner import Task

# ------------------------------------------------------------------------------ atomic write


class WriteRefused(OSError):
    """A write hardenify declines so the file is never left worse; str() is the one-line reason."""


def roots_of(paths: Sequence[str]) -> list[Path]:
    """The directories a run may write below: each directory argument, a file argument's parent."""
    out = []
    for a in paths or (".",):
        if a == "-":
            continue
        p = Path(a)
        out.append((p if p.is_dir() else p.parent).resolve())
    return out


def write_target(
    path: str | os.PathLike[str], roots: Sequence[Path], tree: str = "the tree being fixed"
) -> Path:
    """The file a fix of `path` replaces: its resolved path, which for a symlink is the target.

    A path that resolves outside `roots` (a symlink, or a symlinked directory, leaving the tree
    being fixed) is never written through: WriteRefused. Renaming over the link instead would
    turn it into a regular file and leave its target as it was.
    """
    p = Path(path)
    target = p.resolve()
    if any(target.is_relative_to(r) for r in roots):
        return target
    what = "a symlink" if p.is_symlink() else "a path through a symlinked directory"
    raise WriteRefused(f"not written: it is {what} to {target}, outside {tree}")


def atomic_write(path: str | os.PathLike[str], text: str, *, expect: str | None = None) -> None:
    """Replace `path` with `text`: temp file in the same directory, fsync, rename.

    The new file keeps the old one's mode, owner and group. An existing file with no write
    permission bit is refused: its owner made it read-only, and root could write it anyway, so
    the bits are checked, not access(). With `expect` (the text a fix was computed from), a
    file that changed on disk since it was read is refused, so a concurrent edit is never lost.
    Refusals raise WriteRefused; I/O failures raise OSError.
    """
    p = Path(path)
    try:
        st: os.stat_result | None = p.stat()
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise WriteRefused("not a regular file; not replaced")
        if not st.st_mode & 0o222:
            raise WriteRefused("the file is read-only (no write permission bits); left unchanged")
    import tempfile  # here, not at the top: `check` never writes, and tempfile costs start-up

    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".hardenify.tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
            f.flush()
            if st is not None:
                _keep_owner(f.fileno(), st)
                os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits
            else:
                os.fchmod(f.fileno(), 0o666 & ~_umask())
            os.fsync(f.fileno())
        if expect is not None:
            _check_unchanged(p, st, expect.encode("utf-8", "surrogateescape"))
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(p.parent)


def _keep_owner(fd: int, st: os.stat_result) -> None:
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        raise WriteRefused(
            f"replacing it would change its owner {st.st_uid}:{st.st_gid}, which this user cannot "
            "keep; left unchanged"
        ) from None


def _check_unchanged(p: Path, st: os.stat_result | None, expected: bytes) -> None:
    """Refuse when the file on disk is no longer the bytes the fix was computed from."""
    changed = WriteRefused(
        "the file changed on disk while hardenify was fixing it; not overwritten (run again)"
    )
    try:
        now = os.lstat(p)
    except FileNotFoundError:
        raise changed from None
    if not stat.S_ISREG(now.st_mode) or now.st_size != len(expected):
        raise changed
    if st is not None and (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
        raise changed
    # O_NONBLOCK: should the path turn into a FIFO after the lstat, opening it must not block.
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        if f.read(len(expected) + 1) != expected:
            raise changed


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def _fsync_dir(d: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- companion files

# base image name → stack, for the per-stack .dockerignore template
_STACK_HINTS = (
    ("python", "python"),
    ("node", "node"),
    ("golang", "go"),
    ("rust", "rust"),
    ("ruby", "ruby"),
    ("php", "php"),
    ("openjdk", "java"),
    ("temurin", "java"),
    ("maven", "java"),
    ("gradle", "java"),
    ("dotnet", "dotnet"),
    ("nginx", "static"),
    ("httpd", "static"),
)


@dataclass(frozen=True)
class NewFile:
    """A companion file a fix creates (`path` does not exist yet), and the line saying why."""

    path: Path
    content: str
    reason: str


def guess_stack(df: Dockerfile) -> str:
    for st in df.stages:
        image = st.resolved_image.lower().rsplit("/", 1)[-1]
        for hint, stack in _STACK_HINTS:
            if hint in image:
                return stack
    return "generic"


def copies_whole_context(df: Dockerfile) -> bool:
    from hardenify.dockerfile.model import split_words

    for ins in df.instructions:
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        srcs = (ins.json or split_words(ins.args))[:-1]
        if any(s in (".", "./", "*", "./*") for s in srcs):
            return True
    return False


def missing_dockerignore(dockerfile_path: Path, text: str) -> NewFile | None:
    """A `.dockerignore` to create when the build context has none and `COPY . ...` copies it all.

    Not created when the Dockerfile itself COPYs a path the new file would exclude (a
    `COPY .npmrc` build would break): the finding stays for a human instead.
    """
    ctx_dir = dockerfile_path.parent
    if (ctx_dir / ".dockerignore").exists() or dockerfile_path.with_name(
        dockerfile_path.name + ".dockerignore"
    ).exists():
        return None
    from hardenify.dockerfile.model import parse, split_words

    df = parse(text)
    if df.is_windows or not copies_whole_context(df):
        return None
    from hardenify.dockerignore import DockerIgnore
    from hardenify.knowledge.dockerignore import default_dockerignore

    stack = guess_stack(df)
    content = default_dockerignore(stack)
    if df.newline == "\r\n":
        content = content.replace("\n", "\r\n")
    di = DockerIgnore.parse(content)
    for ins in df.instructions:
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        for src in (ins.json or split_words(ins.args))[:-1]:
            if (
                src not in (".", "./")
                and not src.startswith(("http://", "https://", "$"))
                and di.excludes(src)
            ):
                return None
    return NewFile(
        ctx_dir / ".dockerignore", content, f"no .dockerignore; created one for a {stack} build context"
    )


def rewire_compose(outcomes: Sequence[FileOutcome], tasks: Sequence[Task]) -> None:
    """Fix again, in place, the compose files of this run that build a Dockerfile the run
    rewrote, reading that Dockerfile as fixed: one run then reaches the fixed point (HF616 wires
    a new build secret now, not on the next run)."""
    fixed = {
        Path(t.path).resolve(): o.fixed_text
        for o, t in zip(outcomes, tasks, strict=True)
        if t.kind == "dockerfile" and t.path != "-" and o.changed and o.fixed_text is not None
    }
    if not fixed:
        return
    from dataclasses import replace

    from hardenify.compose import overlay
    from hardenify.runner import process

    for o, t in zip(outcomes, tasks, strict=True):
        if t.kind != "compose" or t.path == "-" or t.mode != "fix" or o.error or o.original is None:
            continue
        base = Path(t.path).resolve().parent
        if not any(base in p.parents for p in fixed):
            continue
        with overlay(fixed):
            again = process(replace(t, stdin_text=o.original))
        if again.error is None and again.fixed_text != o.fixed_text:
            for name in (
                "status",
                "diagnostics",
                "redactor",
                "fixed_text",
                "fixed",
                "refused",
                "unsafe_available",
                "applied",
                "introduced",
            ):
                setattr(o, name, getattr(again, name))


def plan_companions(outcomes: Sequence[FileOutcome], tasks: Sequence[Task]) -> list[NewFile]:
    """The companion files one fix run changes or creates, in task order; nothing is written.

    First, compose files are re-fixed against the Dockerfiles this run rewrote (`rewire_compose`,
    in place). Then the missing `.dockerignore` files to create: HF304's unsafe fix, so only with
    unsafe fixes and HF304 enabled. Each one counts as a fix of HF304 in its Dockerfile's outcome,
    whose HF304 finding it resolves.
    """
    from hardenify.engine import enabled_rules

    rewire_compose(outcomes, tasks)
    out: dict[Path, NewFile] = {}
    for o, t in zip(outcomes, tasks, strict=True):
        if t.kind != "dockerfile" or t.path == "-" or o.error or not t.settings.unsafe_fixes:
            continue
        if not any(r.code == "HF304" for r in enabled_rules(t.settings, "dockerfile", t.display)):
            continue
        text = o.fixed_text if o.fixed_text is not None else o.original
        if text is None:
            continue
        nf = missing_dockerignore(Path(t.path), text)
        if nf is not None and nf.path.resolve() not in out:
            out[nf.path.resolve()] = nf
            o.fixed["HF304"] += 1
            o.diagnostics = [d for d in o.diagnostics if d.code != "HF304"]  # fixed by the new file
    return list(out.values())


def create(nf: NewFile) -> None:
    """Create a planned companion file (atomically; OSError when it cannot be written)."""
    atomic_write(nf.path, nf.content)


def write_fix(path: str | os.PathLike[str], roots: Sequence[Path], text: str, original: str | None) -> Path:
    """Write a fixed file: through a symlink only to a target inside `roots`, keeping mode and
    owner, refusing read-only files and files changed since `original` was read. Returns the
    path written (a symlink's target). Raises WriteRefused or OSError."""
    target = write_target(path, roots)
    atomic_write(target, text, expect=original)
    return target


# ------------------------------------------------------------------------- secret-wiring notes


def secret_wiring(outcomes: Sequence[FileOutcome]) -> list[tuple[str, list[str]]]:
    """(file, `docker build` flags, redacted) for each changed file whose secrets a fix moved
    into BuildKit secret mounts: what the operator must pass to build it."""
    from hardenify.dockerfile.secretmounts import build_secret_flags

    out: list[tuple[str, list[str]]] = []
    for o in outcomes:
        if not o.changed or o.fixed_text is None or not any(c.startswith("HF3") for c in o.fixed):
            continue
        flags = build_secret_flags(o.fixed_text, o.original)
        if flags:
            out.append((o.filename, [o.redactor(f) for f in flags]))
    return out
