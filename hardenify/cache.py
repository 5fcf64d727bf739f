"""The result cache of `hardenify check`, like ruff's: a file whose result is known is not analysed again.

A file's entry is valid while everything its result depends on is unchanged:
- its bytes (a content hash, not the mtime);
- hardenify's version and code (the mtime and size of every module of the installed package, so
  an edited rule or a development checkout never serves stale results), and today's date (HF204
  compares against it);
- the effective settings of the file (selection, options, severities, unsafe flags...), its kind
  and the name it is reported under (per-file ignores match it);
- every other file its run read or probed: a `.dockerignore`, the build context files a rule
  consulted, a compose service's Dockerfile, a directory a rule listed. Those paths are recorded
  through `safeio.note` while the file runs; each is kept with a signature (absent, a regular
  file's size, mtime and content hash, a directory's listing) so a changed companion invalidates
  exactly the files that read it.

Only successful `check` runs are stored, and nothing secret: messages are already redacted, fix
edits are redacted before they are written, and the values the redactor masks are kept as
offsets into the file itself (re-read from its identical bytes on a hit). A secret that came
from another file cannot be kept that way, so such a result is not cached.

One JSON file per working directory under the user's cache dir (`HARDENIFY_CACHE_DIR`
overrides it), replaced atomically. It is input like any other: an entry that does not have
the expected shape is a miss, a file that does not parse is an empty cache, never a traceback.
The directory is pruned to MAX_TOTAL_BYTES, oldest first, and entries unseen for MAX_AGE go.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from hardenify import __version__
from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Redactor, Severity
from hardenify.outcome import FileOutcome
from hardenify.rules import rule_url
from hardenify.runner import Task
from hardenify.settings import Settings

FORMAT = 1
MAX_AGE = 30 * 24 * 3600  # entries not seen for this long are dropped
MAX_ENTRIES = 50_000  # per cache file
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # the whole cache directory
MAX_READS = 2048  # a result that depends on more files than this is not cached
HASH_LIMIT = 8 * 1024 * 1024  # companion files larger than this are compared by size and mtime only
# A file modified this recently when its signature was taken may change again within the
# file system's timestamp granularity: its content is compared, not its stat (git's "racy clean").
RACY_NS = 2_000_000_000
_SEEN_REFRESH = 24 * 3600


def cache_dir() -> Path:
    """`HARDENIFY_CACHE_DIR`, else the platform's user cache dir (`~/.cache/hardenify` on Linux)."""
    env = os.environ.get("HARDENIFY_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - a dependency, but stay usable without it
        return Path(os.path.expanduser("~/.cache/hardenify"))
    return Path(user_cache_dir("hardenify", appauthor=False))


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- companion files


def signature(path: str) -> list[Any]:
    """What the run saw at `path`, to compare later: ["absent"], ["f", size, mtime_ns, ino,
    sha256 or None, racy], ["d", mtime_ns, ino, hash of the names], or ["x", file type]."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ["absent"]
    except (OSError, ValueError) as e:
        return ["error", getattr(e, "errno", None)]
    racy = time.time_ns() - st.st_mtime_ns < RACY_NS
    if stat.S_ISREG(st.st_mode):
        return ["f", st.st_size, st.st_mtime_ns, st.st_ino, _file_hash(path, st), racy]
    if stat.S_ISDIR(st.st_mode):
        return ["d", st.st_mtime_ns, st.st_ino, _listing_hash(path), racy]
    return ["x", stat.S_IFMT(st.st_mode)]  # a FIFO or device is never opened


def _file_hash(path: str, st: os.stat_result) -> str | None:
    if st.st_size > HASH_LIMIT:
        return None
    from hardenify.safeio import read_bytes

    try:
        return content_hash(read_bytes(path, HASH_LIMIT))
    except OSError:
        return None


def _listing_hash(path: str) -> str | None:
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    return content_hash("\0".join(names).encode("utf-8", "surrogateescape"))


def signatures(paths: Iterable[str], exclude: str | None = None) -> list[tuple[str, object]]:
    """(absolute path, signature) of each distinct path, without the file being analysed."""
    skip = os.path.abspath(exclude) if exclude and exclude != "-" else None
    seen: dict[str, object] = {}
    for p in paths:
        a = os.path.abspath(p)
        if a != skip and a not in seen:
            seen[a] = signature(a)
    return list(seen.items())


def unchanged(path: str, sig: Any) -> bool:
    """Is `path` still what `sig` recorded? Stat first; contents only when the stat differs or
    the recorded file was racy."""
    if not isinstance(sig, list) or not sig:
        return False
    if sig[0] == "f" and len(sig) == 6:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        if not sig[5] and [st.st_size, st.st_mtime_ns, st.st_ino] == sig[1:4]:
            return True
        if sig[4] is None or st.st_size != sig[1]:
            return False
        return bool(_file_hash(path, st) == sig[4])
    if sig[0] == "d" and len(sig) == 5:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            return False
        if not sig[4] and [st.st_mtime_ns, st.st_ino] == sig[1:3]:
            return True
        return sig[3] is not None and bool(_listing_hash(path) == sig[3])
    if sig[0] in ("absent", "x", "error"):
        return bool(signature(path)[:2] == sig[:2])
    return False


# ------------------------------------------------------------------------------------- keys


def _canon(v: Any) -> Any:
    """Settings values as JSON with a stable order (sets and mappings sorted)."""
    if isinstance(v, Severity | Applicability):
        return v.value
    if isinstance(v, dict) or hasattr(v, "items"):
        return sorted(([str(k), _canon(x)] for k, x in v.items()), key=lambda kv: kv[0])
    if isinstance(v, frozenset | set):
        return sorted((_canon(x) for x in v), key=repr)
    if isinstance(v, list | tuple):
        return [_canon(x) for x in v]
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return repr(v)


def settings_key(settings: Settings) -> str:
    """Everything in the settings that can change a file's result (not where they came from)."""
    from dataclasses import fields

    data = {f.name: _canon(getattr(settings, f.name)) for f in fields(settings) if f.name != "source"}
    return content_hash(json.dumps(data, sort_keys=True).encode())


_code_key: str | None = None


def code_key() -> str:
    """hardenify's version and the size and mtime of each of its modules and data files: an
    upgrade or an edited rule (a development checkout) invalidates every entry."""
    global _code_key
    if _code_key is None:
        import importlib.util

        parts = [__version__]
        roots = [Path(__file__).parent]
        spec = importlib.util.find_spec("hardenify.fixers")
        if spec is not None and spec.submodule_search_locations:
            roots += [Path(p) for p in spec.submodule_search_locations]
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                for name in sorted(filenames):
                    if name.endswith((".py", ".json")):
                        try:
                            st = os.stat(os.path.join(dirpath, name))
                        except OSError:
                            continue
                        parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}")
        _code_key = content_hash("\n".join(parts).encode("utf-8", "surrogateescape"))
    return _code_key


def entry_key(task: Task) -> str:
    """One entry per file, name and kind: a new result replaces the old one."""
    return f"{os.path.abspath(task.path)}\0{task.display}\0{task.kind}"


def fingerprint(task: Task, memo: dict[int, tuple[Settings, str]]) -> str:
    """Code, day and settings: an entry made under any other fingerprint is stale. Memoised per
    Settings object (a run shares one per config file); the memo keeps it alive, so ids stay unique."""
    hit = memo.get(id(task.settings))
    if hit is not None and hit[0] is task.settings:
        return hit[1]
    import datetime as dt

    fp = content_hash(f"{code_key()}|{dt.date.today().isoformat()}|{settings_key(task.settings)}".encode())
    memo[id(task.settings)] = (task.settings, fp)
    return fp


# ---------------------------------------------------------------------------- (de)serialising


def _dump_diag(d: Diagnostic, r: Redactor, display: str) -> list[Any]:
    """A finding as JSON, redacted; the usual url and file name are left out (None)."""
    fix = None
    if d.fix is not None:
        fix = [
            [[e.start, e.end, r(e.content)] for e in d.fix.edits],
            d.fix.applicability.value,
            r(d.fix.message),
        ]
    return [
        d.code,
        d.name,
        r(d.message),
        d.severity.value,
        d.start,
        d.end,
        list(d.location),
        list(d.end_location),
        fix,
        None if d.filename == display else r(d.filename),
        None if d.url == rule_url(d.code) else (d.url or ""),
        r(d.note) if d.note else d.note,
    ]


_SEVERITIES = {s.value: s for s in Severity}
_APPLICABILITIES = {a.value: a for a in Applicability}


def _load_diag(v: list[Any], display: str) -> Diagnostic:
    """A stored finding, every field checked for its type (a KeyError/ValueError/TypeError on
    anything foreign): a cache file is input, and a reporter must never trip over it."""
    code, name, message, sev, start, end, (row, col), (erow, ecol), fix, filename, url, note = v
    f = None
    if fix is not None:
        edits, applicability, fix_message = fix
        f = Fix(
            tuple(Edit(_int(s), _int(e), _str(c)) for s, e, c in edits),
            _APPLICABILITIES[applicability],
            _str(fix_message),
        )
    return Diagnostic(
        _str(code),
        _str(name),
        _str(message),
        _SEVERITIES[sev],
        _int(start),
        _int(end),
        Position(_int(row), _int(col)),
        Position(_int(erow), _int(ecol)),
        f,
        display if filename is None else _str(filename),
        rule_url(code) if url is None else (_str(url) or None),
        None if note is None else _str(note),
    )


def _int(v: Any) -> int:
    if type(v) is not int:
        raise TypeError("not an int")
    return v


def _str(v: Any) -> str:
    if type(v) is not str:
        raise TypeError("not a string")
    return v


def _secret_offsets(text: str, r: Redactor) -> list[list[int]] | None:
    """Where each secret the redactor masks occurs in the file itself, or None when one does not
    (it came from another file): then the result is not cached, rather than storing the secret."""
    out = []
    for s in sorted(r.secrets):
        i = text.find(s)
        if i < 0:
            return None
        out.append([i, len(s)])
    return out


# ------------------------------------------------------------------------------------ the cache


class ResultCache:
    """The entries of one working directory, loaded once per run and saved once at its end."""

    def __init__(self, root: Path | None = None, cwd: str | None = None) -> None:
        self.root = root or cache_dir()
        bucket = content_hash(f"{os.path.abspath(cwd or os.getcwd())}|{__version__}".encode())[:24]
        self.path = self.root / f"v{FORMAT}" / f"{bucket}.json"
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.hits = 0
        self.misses = 0
        self._fingerprints: dict[int, tuple[Settings, str]] = {}
        self._load()

    def _load(self) -> None:
        try:
            from hardenify.safeio import read_bytes

            data = json.loads(read_bytes(self.path, MAX_TOTAL_BYTES))
        except (OSError, ValueError, RecursionError):
            return  # absent, unreadable or not JSON: an empty cache
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
            self.entries = {k: v for k, v in data["entries"].items() if isinstance(v, dict)}

    def lookup(self, task: Task) -> FileOutcome | None:
        """The cached outcome of `task` when every input is unchanged, else None."""
        e = self.entries.get(entry_key(task))
        if e is None:
            return None
        try:
            from hardenify.runner import MAX_BYTES, decode
            from hardenify.safeio import read_bytes

            data = read_bytes(task.path, MAX_BYTES)
            if e.get("content") != content_hash(data) or e.get("fp") != fingerprint(task, self._fingerprints):
                return None
            for path, sig in e["reads"]:
                if not unchanged(path, sig):
                    return None
            text = decode(data)
            out = FileOutcome(filename=task.display, kind=task.kind, status="success", original=text)
            out.diagnostics = [_load_diag(d, task.display) for d in e["diagnostics"]]
            for start, length in e["secrets"]:
                out.redactor.add(text[int(start) : int(start) + int(length)])
        except Exception:  # a foreign or corrupt entry is a miss, whatever is wrong with it
            return None
        now = int(time.time())
        if not isinstance(e.get("seen"), int) or now - e["seen"] > _SEEN_REFRESH:
            e["seen"] = now
            self.dirty = True
        return out

    def store(self, task: Task, out: FileOutcome) -> None:
        """Keep a fresh outcome (only a successful check of a file on disk)."""
        if (
            task.mode != "check"
            or task.path == "-"
            or out.status != "success"
            or out.error
            or out.source_hash is None
            or out.reads is None
            or out.original is None
            or len(out.reads) > MAX_READS
        ):
            return
        secrets = _secret_offsets(out.original, out.redactor)
        if secrets is None:
            return
        self.entries[entry_key(task)] = {
            "content": out.source_hash,
            "fp": fingerprint(task, self._fingerprints),
            "reads": [[p, s] for p, s in out.reads],
            "secrets": secrets,
            "diagnostics": [_dump_diag(d, out.redactor, task.display) for d in out.diagnostics],
            "seen": int(time.time()),
        }
        self.dirty = True

    def save(self) -> None:
        """Write the entries atomically, pruned; a cache that cannot be written is only slower."""
        if not self.dirty:
            return
        now = int(time.time())
        live = [
            (k, v)
            for k, v in self.entries.items()
            if isinstance(v.get("seen"), int) and now - v["seen"] < MAX_AGE
        ]
        if len(live) > MAX_ENTRIES:
            live = sorted(live, key=lambda kv: kv[1]["seen"], reverse=True)[:MAX_ENTRIES]
        payload = json.dumps({"format": FORMAT, "version": __version__, "entries": dict(live)})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_atomic(self.path, payload.encode("utf-8", "surrogateescape"))
        except OSError:
            return
        self.dirty = False
        prune(self.root, keep=self.path)


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def prune(root: Path, keep: Path | None = None, limit: int = MAX_TOTAL_BYTES) -> None:
    """Delete the least recently written cache files until the directory holds at most `limit`
    bytes (and temporary files a killed run left behind)."""
    files: list[tuple[float, int, Path]] = []
    try:
        for d in root.iterdir():
            if not d.is_dir() or d.is_symlink() or not d.name.startswith("v"):
                continue
            for f in d.iterdir():
                st = f.lstat()
                if not stat.S_ISREG(st.st_mode):
                    continue
                if f.name.endswith(".tmp") and time.time() - st.st_mtime > 3600:
                    f.unlink()
                    continue
                files.append((st.st_mtime, st.st_size, f))
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    for _, size, f in sorted(files, key=lambda t: t[0]):
        if total <= limit:
            break
        if keep is not None and f == keep:
            continue
        try:
            f.unlink()
            total -= size
        except OSError:
            pass


def run_cached(
    tasks: Sequence[Task],
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: ResultCache | None = None,
) -> list[FileOutcome]:
    """`runner.run_all` for `check`, answering from the cache what it can: results in input order."""
    from dataclasses import replace

    from hardenify.runner import run_all

    cache = cache or ResultCache()
    outcomes: list[FileOutcome | None] = []
    todo: list[int] = []
    for i, t in enumerate(tasks):
        hit = cache.lookup(t) if t.path != "-" and t.mode == "check" else None
        outcomes.append(hit)
        if hit is None:
            todo.append(i)
    cache.hits, cache.misses = len(tasks) - len(todo), len(todo)
    if todo:
        fresh = run_all([replace(tasks[i], record_reads=True) for i in todo], jobs, progress)
        for i, o in zip(todo, fresh, strict=True):
            outcomes[i] = o
            cache.store(tasks[i], o)
    cache.save()
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(tasks)
    return done


__all__ = ["ResultCache", "cache_dir", "content_hash", "run_cached", "signature", "signatures"]
