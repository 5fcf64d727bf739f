"""An on-disk digest cache: one JSON file, written atomically, entries expire after a TTL.

A second `hardenify pin` over the same files should cost no network round trips, and an
interrupted or concurrent run must never leave a half-written cache behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hardenify.imageref import is_valid_digest

log = logging.getLogger("hardenify.registry")

CACHE_FILE = "registry-digests.json"
_FORMAT = 1


class DigestCache:
    """Maps a lookup key (`docker.io/library/python:3.12|linux/amd64`) to a digest.

    Entries older than `ttl` seconds are misses, except with `allow_stale=True` (offline
    mode prefers a possibly old but real digest to no answer).
    """

    def __init__(self, directory: Path, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.path = directory / CACHE_FILE
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, dict[str, Any]] | None = None
        self._dirty: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache %s: %s", self.path, exc)
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return {}
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return {}
        # Never trust the file: a hand-edited or corrupted entry must not end up in a Dockerfile.
        return {
            k: v
            for k, v in entries.items()
            if isinstance(v, dict)
            and isinstance(v.get("digest"), str)
            and is_valid_digest(v["digest"])
            and isinstance(v.get("time"), (int, float))
        }

    def get(self, key: str, *, allow_stale: bool = False) -> str | None:
        with self._lock:
            entry = self._load().get(key)
        if entry is None:
            return None
        if not allow_stale and self._clock() - float(entry["time"]) > self.ttl:
            return None
        digest = entry["digest"]
        assert isinstance(digest, str)
        return digest

    def put(self, key: str, digest: str) -> None:
        if not is_valid_digest(digest):
            raise ValueError(f"refusing to cache malformed digest {digest!r}")
        entry = {"digest": digest, "time": self._clock()}
        with self._lock:
            self._load()[key] = entry
            self._dirty[key] = entry

    def save(self) -> None:
        """Merge new entries into the file on disk and replace it atomically.

        Re-reading first keeps entries another process wrote since we loaded. Failure to
        write (read-only home, full disk) is logged, not raised: the cache is an optimisation.
        """
        with self._lock:
            if not self._dirty:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                merged = self._read()
                merged.update(self._dirty)
                payload = json.dumps({"format": _FORMAT, "entries": merged}, indent=1, sort_keys=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".registry-digests.", suffix=".tmp")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        f.write(payload)
                        f.flush()
                        os.fsync(f.fileno())
                    os.replace(tmp, self.path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
            except OSError as exc:
                log.warning("could not write the digest cache %s: %s", self.path, exc)
                return
            self._entries = merged
            self._dirty.clear()
