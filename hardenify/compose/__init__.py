"""Compose files: a lossless model over ruamel.yaml's round-trip node graph, span edits that
write like the file does, and re-load verification of every fix.

Importing this package does not import ruamel (only `parse` does), so rule modules can use it
without slowing down `hardenify check` on Dockerfiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from hardenify.compose.model import ComposeFile, Entry, Service, parse
from hardenify.safeio import read_bytes

__all__ = ["MAX_SIBLING_BYTES", "ComposeFile", "Entry", "Service", "load", "parse", "sibling_reader"]

MAX_SIBLING_BYTES = 1024 * 1024


def load(text: str, *, filename: str | None = None, base_dir: str | None = None) -> ComposeFile:
    """Parse a compose file for the rules. Files beside it (a service's Dockerfile) can be read
    through `ComposeFile.reader` when `base_dir` is given, or when `filename` names an existing
    file (its directory is then the base); otherwise (stdin, tests) rules see no other file."""
    if base_dir is None and filename and filename != "-":
        try:
            if os.path.isfile(filename):
                base_dir = os.path.dirname(os.path.abspath(filename))
        except (OSError, ValueError):
            base_dir = None
    return parse(text, sibling_reader(base_dir) if base_dir else None)


# Texts that replace files on disk for the compose rules: the Dockerfiles this fix run rewrote.
_OVERLAY: ContextVar[Mapping[Path, str] | None] = ContextVar("compose_overlay", default=None)


@contextmanager
def overlay(texts: Mapping[Path, str]) -> Iterator[None]:
    """Within the block, `sibling_reader` returns these texts for these resolved paths, so a
    compose file is fixed against the Dockerfiles as the same run leaves them (HF616)."""
    token = _OVERLAY.set(texts)
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def sibling_reader(base_dir: str) -> Callable[[str], str | None]:
    """A reader of files inside `base_dir`'s tree only: relative paths, no escape through `..`
    or symlinks, regular files of at most MAX_SIBLING_BYTES; None when a file cannot be read."""
    root = Path(base_dir).resolve()
    cache: dict[str, str | None] = {}

    def read(rel: str) -> str | None:
        if rel not in cache:
            cache[rel] = _read(root, rel)
        return cache[rel]

    return read


def _read(root: Path, rel: str) -> str | None:
    if not rel or "\x00" in rel or "$" in rel or os.path.isabs(rel) or rel.startswith(("~", "\\")):
        return None
    try:
        path = (root / rel).resolve()
        if path != root and root not in path.parents:
            return None
        texts = _OVERLAY.get()
        if texts is not None and path in texts:
            return texts[path]
        data = read_bytes(path, MAX_SIBLING_BYTES)  # regular files only: never a FIFO or device
    except (OSError, ValueError, RuntimeError):
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="surrogateescape")
