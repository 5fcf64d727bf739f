"""Reading the build context on disk: the scripts an image's ENTRYPOINT/CMD run.

Whether a `USER` line breaks an image often depends on its entrypoint script (`exec gosu
postgres "$@"`), which the Dockerfile only COPYs. The context is hostile input: a file is read
only when it is a regular file inside the context (symlinks resolved, never leaving it), at
most `MAX_BYTES` of it, and at most `MAX_FILES` files per Dockerfile. Nothing here runs.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass

from hardenify.contextfiles import inside, read_regular
from hardenify.dockerfile.droppers import effective_entry
from hardenify.dockerfile.model import Instruction, split_words, unquote
from hardenify.safeio import note

MAX_BYTES = 256 * 1024
MAX_FILES = 8
_SCRIPT_WORD = re.compile(r"(?<![\w$])(?:\.{0,2}/)?[\w./-]*[\w-]\.(?:sh|bash)\b")


def context_dir(filename: str) -> str | None:
    """The build context of the Dockerfile being checked: its directory, when `filename` names a
    file on disk (stdin and in-memory texts have none)."""
    if not filename or filename == "-":
        return None
    try:
        st = os.stat(filename)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return os.path.dirname(os.path.abspath(filename))


def read_context_file(context: str, rel: str) -> str | None:
    """The text of `rel` inside the build context, or None when it is not a regular file inside
    it (a FIFO, a device, a symlink out of the context), too large, binary, or unreadable."""
    path = inside(os.path.realpath(context), rel)
    if path is None:
        return None
    data = read_regular(path, MAX_BYTES)
    return None if data is None else _script_text(data)


def _script_text(data: bytes) -> str | None:
    """The text of a context file, or None when it is not UTF-8 text: the rule the CLI applies to
    the files it reads (`runner.decode`: no UTF-16 BOM, no NUL in the first 8 KiB), kept here so
    the analysis layer does not import the CLI runner."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="surrogateescape")


@dataclass(frozen=True)
class Copied:
    """A COPY/ADD from the context: `src` (context-relative) to `dest` (absolute, in the image)."""

    src: str
    dest: str
    into_dir: bool  # dest is a directory the source goes into (trailing `/` or several sources)


def context_copies(instructions: list[Instruction]) -> list[Copied]:
    """COPY/ADD instructions that take files from the build context, in build order."""
    out: list[Copied] = []
    cwd = "/"
    for ins in instructions:
        if ins.cmd == "WORKDIR":
            words = split_words(ins.args)
            if words:
                cwd = posixpath.normpath(posixpath.join(cwd, unquote(words[0])))
            continue
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs:
            continue
        words = list(ins.json) if ins.json is not None else [unquote(w) for w in split_words(ins.args)]
        words = [w for w in words if not w.startswith("--")]
        if len(words) < 2:
            continue
        *srcs, dest = words
        into_dir = dest.endswith("/") or len(srcs) > 1
        dest = posixpath.normpath(posixpath.join(cwd, dest))
        out.extend(Copied(s, dest, into_dir) for s in srcs if "://" not in s and not s.startswith("git@"))
    return out


def _source_of(word: str, copies: list[Copied], context: str, workdir: str) -> str | None:
    """The context path an image path (or a bare program name found on PATH) was copied from."""
    bare = "/" not in word
    target = word if word.startswith("/") else posixpath.normpath(posixpath.join(workdir, word))
    for c in reversed(copies):
        src = c.src.rstrip("/") or "."
        note(os.path.join(context, src.lstrip("/")))
        is_dir = os.path.isdir(os.path.join(context, src.lstrip("/")))
        if is_dir:
            if bare:
                continue
            if target.startswith(c.dest.rstrip("/") + "/"):
                return posixpath.join(src, target[len(c.dest.rstrip("/")) + 1 :])
            continue
        placed = posixpath.join(c.dest, posixpath.basename(src)) if c.into_dir else c.dest
        if (bare and posixpath.basename(placed) == word) or (not bare and placed == target):
            return src
        if not bare and not c.into_dir and posixpath.join(c.dest, posixpath.basename(src)) == target:
            return src  # `COPY x.sh /usr/local/bin` onto an existing directory
    return None


def entry_scripts(
    instructions: list[Instruction], context: str | None, workdir: str = "/"
) -> list[tuple[str, str]]:
    """(path in the image, text) of the scripts the ENTRYPOINT/CMD run and the scripts those call,
    read from the build context; empty without a context."""
    if context is None:
        return []
    copies = context_copies(instructions)
    if not copies:
        return []
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    todo = [w for w in effective_entry(instructions) if w and not w.startswith("-") and "$" not in w]
    while todo and len(seen) < MAX_FILES:
        word = todo.pop(0)
        if word in seen:
            continue
        seen.add(word)
        src = _source_of(word, copies, context, workdir)
        if src is None:
            continue
        text = read_context_file(context, src)
        if text is None:
            continue
        out.append((word, text))
        todo.extend(m.group(0) for m in _SCRIPT_WORD.finditer(text) if m.group(0) not in seen)
    return out
