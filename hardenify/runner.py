"""File I/O around the pure engine, and the per-file process pool.

Each file ends as exactly one of success, failure or skip; one bad file never stops the
run. Results come back in input order so output is deterministic whatever `--jobs` is.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardenify.outcome import FileOutcome
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
    # For the result cache: note the other files the run reads (FileOutcome.reads).
    record_reads: bool = False


def read_source(path: str | os.PathLike[str]) -> str:
    """Read a file losslessly (no newline translation, undecodable bytes kept as surrogates).

    Through `safeio.read_bytes`: a FIFO, socket or device is never opened, and no more than
    MAX_BYTES are read whatever the file claims.
    """
    from hardenify.safeio import NotRegularFile, UnreadableFile, read_bytes

    try:
        data = read_bytes(path, MAX_BYTES)
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except NotRegularFile as e:
        raise SourceError("is a directory" if e.kind == "directory" else str(e)) from None
    except UnreadableFile as e:
        raise SourceError(str(e)) from None
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


def conflict_line(text: str) -> int | None:
    """The line of the first unresolved merge conflict (`<<<<<<<`, `=======`, `>>>>>>>` at line
    starts, in that order), or None. Fixing such a file would edit one side of the conflict.
    One linear pass: hostile files may hold any number of unmatched markers."""
    if "<<<<<<<" not in text:  # the common case costs one substring search
        return None
    opened: int | None = None
    middle = False
    for lineno, line in enumerate(text.split("\n"), 1):
        if _marker(line, "<"):
            opened, middle = lineno, False
        elif opened is not None and line.rstrip("\r") == "=======":
            middle = True
        elif middle and _marker(line, ">"):
            return opened
    return None


def _marker(line: str, ch: str) -> bool:
    """`<<<<<<<` / `>>>>>>>` alone or followed by a space and a label, as git writes them."""
    return line.startswith(ch * 7) and (len(line) == 7 or line[7] in " \t\r")


def conflict_error(text: str) -> SourceError | None:
    """The input check shared by check, fix, pin and bulk for conflict markers."""
    line = conflict_line(text)
    if line is None:
        return None
    return SourceError(f"line {line}: unresolved merge conflict (<<<<<<< marker); resolve it first")


def dockerignore_for(dockerfile: str) -> tuple[str | None, bool]:
    """The build context's ignore file: `<Dockerfile>.dockerignore` wins over `.dockerignore`."""
    from hardenify.safeio import note

    p = Path(dockerfile)
    for cand in (p.with_name(p.name + ".dockerignore"), p.parent / ".dockerignore"):
        note(cand)
        if cand.is_file():
            try:
                return read_source(cand), True
            except SourceError:
                return None, True
    return None, False


def process(task: Task) -> FileOutcome:
    """The per-file unit of work: pure apart from reading its inputs."""
    if not task.record_reads:
        return _process(task)
    from hardenify import safeio
    from hardenify.cache import content_hash, signatures

    safeio.touched = []
    try:
        out = _process(task)
    finally:
        touched, safeio.touched = safeio.touched, None
    if out.original is not None:
        out.source_hash = content_hash(encode(out.original))
        out.reads = signatures(touched or [], exclude=task.path)
    return out


def _process(task: Task) -> FileOutcome:
    from hardenify import engine

    out = FileOutcome(filename=task.display, kind=task.kind, status="success")
    try:
        text = task.stdin_text if task.stdin_text is not None else read_source(task.path)
    except SourceError as e:
        out.status, out.error = "failure", str(e)
        return out
    conflict = conflict_error(text)
    if conflict is not None:
        out.status, out.error = "failure", str(conflict)
        return out
    out.original = text
    kwargs: dict[str, object] = {"path": task.path}
    if task.kind == "dockerfile":
        di_text, has_di = (None, False) if task.path == "-" else dockerignore_for(task.path)
        kwargs |= {"dockerignore_text": di_text, "has_dockerignore": has_di}
    elif task.kind == "compose" and task.path != "-":
        # compose rules may read the Dockerfiles the services build (never outside this dir)
        kwargs["base_dir"] = os.path.dirname(os.path.abspath(task.path))
    try:
        if task.mode == "fix":
            res = engine.fix_text(task.display, text, task.kind, task.settings, **kwargs)  # type: ignore[arg-type]
            out.fixed_text = res.text
            out.fixed = res.fixed
            out.diagnostics = res.remaining
            out.refused = res.refused
            out.unsafe_available = res.unsafe_available
            out.redactor = res.redactor
            out.applied = res.applied
            out.introduced = res.introduced
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


MAX_JOBS = 64


def jobs_for(requested: int | None) -> int:
    """Worker processes for `--jobs`: the request (default: the CPU count), capped at four per
    CPU and MAX_JOBS, since more only costs memory and start-up."""
    cpus = os.cpu_count() or 1
    if requested is not None and requested < 1:
        raise ValueError(f"--jobs must be at least 1, not {requested}")
    return max(1, min(requested or cpus, 4 * cpus, MAX_JOBS))


def run_all(
    tasks: Sequence[Task],
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileOutcome]:
    """Map `process` over tasks, in a process pool when it pays off; results in input order."""
    n = len(tasks)
    if n:
        _start_up_done()
    jobs = jobs_for(jobs)
    if jobs > 1 and n >= 16:
        from hardenify.rules import load_checks

        load_checks({t.kind for t in tasks})  # once here, not once per worker
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
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
    )
    try:
        for i, r in enumerate(pool.map(process, tasks, chunksize=chunk)):
            out.append(r)
            if progress:
                progress(i + 1, n)
    except BaseException:
        # Ctrl-C, SIGTERM turned into SystemExit, or a broken pool: end the workers now
        # instead of waiting for every queued file.
        _terminate(pool)
        raise
    pool.shutdown()
    return out


def _terminate(pool: object) -> None:
    """Cancel what is queued and kill the pool's workers (the executor has no public way)."""
    pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[attr-defined]
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError):
            pass


def _worker_init(parent: int) -> None:
    """Make a worker die with the process that started the run.

    A worker orphaned by a killed parent would otherwise block on its task queue forever. On
    Linux the kernel sends SIGKILL when the worker's parent (the run, or the forkserver that
    exits with it) dies; elsewhere a daemon thread watches the parent's pid.
    """
    import signal

    # Ctrl-C reaches the whole process group: the parent handles it and ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0:
                if os.getppid() == 1 or not _alive(parent):
                    os._exit(1)  # the parent died before the request took effect
                return
        except (OSError, AttributeError):
            pass
    import threading

    threading.Thread(target=_watch_parent, args=(parent, os.getppid()), daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(parent: int, ppid: int) -> None:
    """Exit once the run's process is gone (polls twice a second; never returns otherwise)."""
    import threading

    tick = threading.Event()
    while os.getppid() == ppid and _alive(parent):
        tick.wait(0.5)
    os._exit(1)


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
