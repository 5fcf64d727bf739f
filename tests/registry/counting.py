"""Count what reaches the network: HTTP requests at the transport, and socket connects."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest


class CountingTransport(httpx.BaseTransport):
    """Wraps a real transport; counts requests, new TCP connections and TLS handshakes."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests = 0
        self.connections = 0
        self.handshakes = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests += 1
        request.extensions["trace"] = self._trace
        return self.inner.handle_request(request)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        with self._lock:
            if event == "connection.connect_tcp.started":
                self.connections += 1
            elif event == "connection.start_tls.complete":
                self.handshakes += 1

    def close(self) -> None:
        self.inner.close()


class TransportRequests:
    """Every request through any httpx.HTTPTransport in this process (the CLI builds its own)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._lock = threading.Lock()
        real = httpx.HTTPTransport.handle_request

        def counted(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            with self._lock:
                self.count += 1
            return real(transport, request)

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", counted)


@contextmanager
def refuse_connections() -> Iterator[list[str]]:
    """Inside the block every outgoing socket connect fails and is recorded."""
    attempts: list[str] = []
    with pytest.MonkeyPatch.context() as mp:

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            attempts.append(f"create_connection{address}")
            raise ConnectionRefusedError("network I/O is not allowed here")

        def connect(sock: socket.socket, address: Any) -> None:
            attempts.append(f"connect{address}")
            raise ConnectionRefusedError("network I/O is not allowed here")

        mp.setattr(socket, "create_connection", create_connection)
        mp.setattr(socket.socket, "connect", connect)
        yield attempts
