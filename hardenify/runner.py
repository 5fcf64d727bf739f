"""File I/O around the pure engine, and the per-file process pool.

Each file ends as exactly one of success, failure or skip; one bad file never stops the
run. Results come back in input order so output is deterministic whatever `--jobs` is.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardenify.diagnostics import Diagnostic, Redactor
from hardenify.settings import Settings

MAX_BYTES = 2 * 1024 * 1024


class SourceError(Exception):
    """A file hardenify cannot use; the message is the one line the user sees."""


@dataclass
class Task:
    path: str  # filesystem path, or "-" for stdin
    display: str  # what the user sees
    kind: str
    settings: Settings
    mode: str = "check"  # "check" | "fix"
    stdin_text: str | None = None


@dataclass
class FileOutcome:
    """What happened to one file; everything reporters and the summary need."""

    filename: str
    kind: str
    status: str  # "success" | "failure" | "skip"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    redactor: Redactor = field(default_factory=Redactor)
    original: str | None = None
    fixed_text: str | None = None
    fixed: Counter[str] = field(default_factory=Counter)
    refused: str | None = None
    unsafe_available: int = 0

    @property
    def changed(self) -> bool:
        return self.fixed_text is not None and self.original is not None and self.fixed_text != self.original


def read_source(path: str | os.PathLike[str]) -> str:
    """Read a file losslessly (no newline translation, undecodable bytes kept as surrogates)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError("is a directory")
    if st.st_size > MAX_BYTES:
        raise SourceError(f"file too large ({st.st_size} bytes; the limit is {MAX_BYTES})")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror or e}") from None
    return decode(data)


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("UTF-16 encoded; hardenify reads UTF-8 (convert with iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in data[:8192]:
        raise SourceError("binary file (contains NUL bytes)")
    return data.decode("utf-8", errors="surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temp file in the same directory + rename, keeping the file's mode."""
    p = Path(path)
    mode = None
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        pass
    import tempfile  # here, not at the top: `check` never writes, and tempfile costs start-up

    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".hardenify.tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(encode(text))
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def dockerignore_for(dockerfile: str) -> tuple[str | None, bool]:
    """The build context's ignore file: `<Dockerfile>.dockerignore` wins over `.dockerignore`."""
    p = Path(dockerfile)
    for cand in (p.with_name(p.name + ".dockerignore"), p.parent / ".dockerignore"):
        if cand.is_file():
            try:
                return read_source(cand), True
            except SourceError:
                return None, True
    return None, False


def process(task: Task) -> FileOutcome:
    """The per-file unit of work: pure apart from reading its inputs."""
    from hardenify import engine

    out = FileOutcome(filename=task.display, kind=task.kind, status="success")
    try:
        text = task.stdin_text if task.stdin_text is not None else read_source(task.path)
    except SourceError as e:
        out.status, out.error = "failure", str(e)
        return out
    out.original = text
    kwargs: dict[str, object] = {}
    if task.kind == "dockerfile":
        di_text, has_di = (None, False) if task.path == "-" else dockerignore_for(task.path)
        kwargs = {"dockerignore_text": di_text, "has_dockerignore": has_di}
    elif task.kind == "compose" and task.path != "-":
        # compose rules may read the Dockerfiles the services build (never outside this dir)
        kwargs = {"base_dir": os.path.dirname(os.path.abspath(task.path))}
    try:
        if task.mode == "fix":
            res = engine.fix_text(task.display, text, task.kind, task.settings, **kwargs)  # type: ignore[arg-type]
            out.fixed_text = res.text
            out.fixed = res.fixed
            out.diagnostics = res.remaining
            out.refused = res.refused
            out.unsafe_available = res.unsafe_available
            out.redactor = res.redactor
            if res.refused is not None:
                out.status = "skip"  # analysed, but deliberately left unchanged (the reason is `refused`)
        else:
            lr = engine.lint(task.display, text, task.kind, task.settings, **kwargs)
            out.diagnostics = lr.diagnostics
            out.redactor = lr.redactor
    except RecursionError:
        out.status, out.error = "failure", "file is nested too deeply to analyse"
    except Exception as e:  # a rule bug must not stop the run; say where it happened
        out.status = "failure"
        out.error = out.redactor(
            f"internal error while processing ({type(e).__name__}: {e}); please report it"
        )
    return out


def run_all(
    tasks: Sequence[Task],
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileOutcome]:
    """Map `process` over tasks, in a process pool when it pays off; results in input order."""
    n = len(tasks)
    if n:
        _start_up_done()
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or n < 16:
        results = []
        for i, t in enumerate(tasks):
            results.append(process(t))
            if progress:
                progress(i + 1, n)
        return results
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # fork is the fastest start, but a child forked after BuildKit's parser (a Go shared
    # library, loaded by `engine.buildkit_error`) ran in this process can hang in the Go runtime.
    fork_safe = "dockerfile" not in sys.modules
    ctx = mp.get_context("fork" if fork_safe else "forkserver") if sys.platform.startswith("linux") else None
    chunk = max(1, min(32, n // (jobs * 4) or 1))
    out: list[FileOutcome] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for i, r in enumerate(pool.map(process, tasks, chunksize=chunk)):
            out.append(r)
            if progress:
                progress(i + 1, n)
    return out


def _start_up_done() -> None:
    """Load the rules (before a pool forks, so workers inherit them), then, if the program
    turned the cyclic GC off for start-up (`hardenify.__main__`), freeze what start-up
    allocated, so collections skip it, and collect normally from here on."""
    from hardenify.rules import all_rules

    all_rules()
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class Progress:
    """A minimal progress bar with ETA on stderr (only when stderr is a TTY)."""

    def __init__(self, total: int, label: str = "") -> None:
        self.total = total
        self.label = label
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty() and total >= 50
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        elapsed = now - self.start
        eta = elapsed / done * (total - done) if done else 0.0
        width = 30
        filled = int(width * done / total) if total else width
        bar = "█" * filled + "░" * (width - filled)
        sys.stderr.write(f"\r{self.label}{bar} {done}/{total} ETA {eta:4.1f}s ")
        if done >= total:
            sys.stderr.write("\r" + " " * (width + len(self.label) + 30) + "\r")
        sys.stderr.flush()


def iter_changed(outcomes: Sequence[FileOutcome]) -> Iterator[FileOutcome]:
    return (o for o in outcomes if o.changed)
