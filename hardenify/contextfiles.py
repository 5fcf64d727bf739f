"""Facts from the build context on disk that decide whether a fix keeps the image working.

`npm ci` needs a lockfile the COPYs bring in, an `.npmrc` is a credential file only when it
holds a credential, and a secret ENV the application reads at run time must be passed at run
time. The context is hostile input: only regular files strictly inside it are opened (symlinks
resolved, never leaving it; FIFOs and devices are never opened), at most `MAX_BYTES` of a file,
and a scan visits at most `MAX_FILES` files. Nothing here runs code. Every function answers
None (unknown) rather than guessing when the context cannot be read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from hardenify.safeio import note

MAX_BYTES = 256 * 1024
MAX_FILES = 2000
MAX_SCAN_BYTES = 16 * 1024 * 1024
# Directories that hold dependencies, build output or VCS data, not the application's code.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "vendor",
        "bower_components",
        ".venv",
        "venv",
        "__pycache__",
        "dist",
        "build",
        "target",
        ".next",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        "coverage",
    }
)
# Files worth searching for a variable name: code, scripts and config read at run time.
SOURCE_SUFFIXES = (
    ".js",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".jsx",
    ".py",
    ".rb",
    ".go",
    ".java",
    ".kt",
    ".scala",
    ".php",
    ".rs",
    ".cs",
    ".ex",
    ".exs",
    ".sh",
    ".bash",
    ".pl",
    ".lua",
    ".yml",
    ".yaml",
    ".json",
    ".toml",
    ".ini",
    ".conf",
    ".properties",
    ".erb",
    ".j2",
    ".tpl",
)


def context_root(filename: str) -> str | None:
    """The build context of the Dockerfile being checked (its directory), when `filename` is a
    regular file on disk; None for stdin and in-memory texts."""
    if not filename or filename == "-":
        return None
    try:
        st = os.stat(filename)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return os.path.realpath(os.path.dirname(os.path.abspath(filename)))


def inside(root: str, rel: str) -> str | None:
    """The real path of `rel` when it stays strictly inside `root`, else None."""
    rel = rel.strip()
    if not rel or "\x00" in rel or any(c in rel for c in "*?[$"):
        return None
    path = os.path.realpath(os.path.join(root, rel.lstrip("/")))
    base = root.rstrip(os.sep) + os.sep
    return path if path.startswith(base) else None


def is_file(root: str, rel: str) -> bool:
    """Is `rel` a regular file inside the context (whatever its size)?"""
    path = inside(root, rel)
    if path is None:
        return False
    note(path)
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_dir(root: str, rel: str) -> bool:
    path = (
        os.path.realpath(os.path.join(root, rel.strip().lstrip("/")))
        if rel.strip() not in ("", ".")
        else root
    )
    if path != root and not path.startswith(root.rstrip(os.sep) + os.sep):
        return False
    note(path)
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read(root: str, rel: str, limit: int = MAX_BYTES) -> str | None:
    """The text of a regular file inside the context, or None (absent, special, too large,
    outside the context, unreadable). Undecodable bytes become U+FFFD: this is for searching."""
    path = inside(root, rel)
    return None if path is None else _read_path(path, limit)


def _read_path(path: str, limit: int) -> str | None:
    data = read_regular(path, limit)
    if data is None or b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def read_regular(path: str, limit: int) -> bytes | None:
    """The bytes of `path` when it is a regular file of at most `limit` bytes, else None.

    Never follows a final symlink or opens a FIFO or device (lstat, then O_NOFOLLOW|O_NONBLOCK
    and fstat on what was opened), so a hostile context cannot block or redirect the read."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    )
    note(path)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        data = os.read(fd, limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if len(data) > limit else data


def source_files(root: str, under: str = ".") -> Iterator[tuple[str, str]]:
    """(context-relative path, text) of source files below `under`, bounded in count and bytes.

    Symlinks are not followed (a link to `/` must not make the scan leave the context), and
    dependency and build directories are skipped.
    """
    start = inside(root, under) if under not in ("", ".", "/") else root
    if start is None or not is_dir(root, os.path.relpath(start, root)):
        return
    seen = total = 0
    stack = [start]
    while stack and seen < MAX_FILES and total < MAX_SCAN_BYTES:
        d = stack.pop()
        note(d)  # a file added or removed here changes what the scan finds
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if seen >= MAX_FILES or total >= MAX_SCAN_BYTES:
                return
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name not in SKIP_DIRS:
                        stack.append(e.path)
                    continue
                if not e.is_file(follow_symlinks=False) or not e.name.endswith(SOURCE_SUFFIXES):
                    continue
            except OSError:
                continue
            seen += 1
            text = _read_path(e.path, MAX_BYTES)
            if text is None:
                continue
            total += len(text)
            yield os.path.relpath(e.path, root).replace(os.sep, "/"), text
