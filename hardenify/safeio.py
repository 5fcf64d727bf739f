"""Reading a file from a repository hardenify does not control, without hanging or exhausting memory.

Every file a scanned repository supplies (Dockerfiles, compose files, `.gitignore`,
`.dockerignore`, config files, the files `new` detects a stack from) is read through
`read_bytes`. A FIFO blocks `open()` forever, a device (or a symlink to `/dev/zero`) never
ends, and a socket cannot be read at all, so only regular files are opened: the kind is
checked with `stat` before opening, the open never blocks (`O_NONBLOCK`) nor takes a
terminal (`O_NOCTTY`), and `fstat` on the open descriptor closes the race where the path
is swapped for a FIFO in between. At most `limit` bytes are read, whatever `st_size` said.

Stdlib only: discovery imports this on every run.
"""

from __future__ import annotations

import os
import stat

DEFAULT_LIMIT = 8 * 1024 * 1024

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


# While the result cache (hardenify.cache) records one file's run, the paths of the other files
# that run reads or probes (a .dockerignore, build context files, a compose service's
# Dockerfile), so a cached result can be dropped when one of them changes. None: not recording.
touched: list[str] | None = None


def note(path: str | os.PathLike[str]) -> None:
    """Tell the result cache that the current file's result depends on `path` (read, listed or
    only probed for existence). Free when no cache is recording."""
    if touched is not None:
        touched.append(os.fspath(path))


class UnreadableFile(OSError):
    """A file hardenify will not read; `str()` is the reason the user sees.

    An OSError, so callers that already turn I/O failures into one line handle it too.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class NotRegularFile(UnreadableFile):
    """A FIFO, socket, device or directory where a file was expected."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.kind = kind


class FileTooLarge(UnreadableFile):
    def __init__(self, size: int | None, limit: int) -> None:
        if size is None:  # it grew while being read
            super().__init__(f"file too large (more than the limit of {limit} bytes)")
        else:
            super().__init__(f"file too large ({size} bytes; the limit is {limit})")
        self.size = size
        self.limit = limit


def file_kind(mode: int) -> str:
    """What a stat mode is, in the words the error messages use."""
    if stat.S_ISREG(mode):
        return "regular file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def check_regular(path: str | os.PathLike[str]) -> os.stat_result:
    """`stat` (following symlinks) and refuse anything but a regular file, without opening it."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(file_kind(st.st_mode))
    return st


def read_bytes(path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Raises `NotRegularFile`, `FileTooLarge` (both `UnreadableFile`, an OSError) or the
    OSError of `stat`/`open`/`read` (missing file, permission denied).
    """
    note(path)
    st = check_regular(path)
    if st.st_size > limit:
        raise FileTooLarge(st.st_size, limit)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
            raise NotRegularFile(file_kind(st.st_mode))
        if st.st_size > limit:
            raise FileTooLarge(st.st_size, limit)
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file that grew past the limit
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLarge(None, limit)
    return data


def read_text(path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT) -> str:
    """`read_bytes` decoded as UTF-8, undecodable bytes kept as surrogates (lossless)."""
    return read_bytes(path, limit).decode("utf-8", errors="surrogateescape")
