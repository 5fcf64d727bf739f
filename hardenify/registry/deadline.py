"""One deadline per lookup, enforced down to every socket read.

httpx's timeouts are per operation: a server that drips one byte a second never trips a
3-second read timeout, so `--timeout 3` once held a lookup for 200 s. The client starts a
`Deadline` for each lookup and makes it current for the thread doing the lookup (sync httpx
does its I/O in the calling thread); `DeadlineBackend` wraps httpcore's network backend so
that connect, TLS handshake, every read and every write get at most the time left, and
fail as a timeout once none is. Between body chunks the client checks the deadline too,
so a transport this module could not wrap still cannot drip a body forever.

This module is imported only by the client, when the first request is made.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore

_current = threading.local()


class Deadline:
    """A point on the monotonic clock by which a lookup must be done."""

    def __init__(self, seconds: float, what: str = "") -> None:
        self.seconds = seconds
        self.what = what  # the image being looked up, for messages
        self.end = time.monotonic() + seconds
        self.requests = 0  # sent under this deadline so far

    def remaining(self) -> float:
        return self.end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    @contextlib.contextmanager
    def active(self) -> Iterator[Deadline]:
        """Make this the deadline of every socket operation this thread does inside the block."""
        outer = getattr(_current, "deadline", None)
        _current.deadline = self
        try:
            yield self
        finally:
            _current.deadline = outer


def current() -> Deadline | None:
    deadline = getattr(_current, "deadline", None)
    return deadline if isinstance(deadline, Deadline) else None


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` cut to the time left on this thread's deadline; raise `expired` when none is."""
    deadline = current()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        raise expired(f"the {deadline.seconds:g}s deadline for this lookup has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps a backend (normally httpcore's SyncBackend) so its streams obey the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        left = _clamp(seconds, httpcore.PoolTimeout)
        self.inner.sleep(seconds if left is None else left)


def install(transports: Iterable[object]) -> int:
    """Wrap the network backend of every httpx transport given; returns how many were wrapped.

    httpx has no public hook for this: the backend sits on the transport's httpcore pool
    (`_pool._network_backend`, shared by plain, HTTP-proxy and SOCKS pools). A transport of
    another shape (a test double) is left alone; the client's between-chunk checks remain.
    """
    wrapped = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, DeadlineBackend):
            wrapped += 1
        elif isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
            wrapped += 1
    return wrapped
