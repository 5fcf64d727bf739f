"""A fault-injecting OCI registry: a real threaded HTTP(S) server on a loopback address.

Each repository path names one fault, so one server serves them all side by side:

    good/app        a valid one-platform index with its true Docker-Content-Digest
    lie/get         GET: a valid index whose Docker-Content-Digest is not its sha256
    lie/head        HEAD: Docker-Content-Digest of another manifest; GET: the true index
    html/login      200 text/html proxy login page (with a "digest" header of that page)
    html/as-index   the login page served as an OCI index
    garbage/json    valid JSON, right Content-Type, but not a manifest
    garbage/bytes   random bytes as an OCI index
    schema1/app     a Docker schema 1 signed manifest
    truncated/app   Content-Length promises more than is sent, then the connection closes
    drip/headers    the status line and headers, one byte at a time
    drip/body       prompt headers, then the body one byte at a time
    limit/429       429 Too Many Requests with Retry-After: 3600, always
    loop/401        401 with a Bearer challenge, always, whatever token comes back
    redirect/http   302 to plain http://127.0.0.1:<plain port>/v2/good/app/... (downgrade)
    redirect/loop   302 to itself, forever
    reset/request   the connection is reset (RST) instead of an answer
    reset/body      headers, part of the body, then a reset

Every loop on the server is bounded: drips stop after `drip_limit` seconds or when the
client goes away, and `stop()` ends them at once (waits use an Event, never a bare sleep).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.registry.fake_registry import INDEX, index_body, sha

HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Corporate proxy: sign in</title></head>"
    b"<body><form method=post action=/login><input name=user><input type=password name=pw>"
    b"</form></body></html>\n"
)
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
GOOD_BODY = index_body(("linux", "amd64", None))
FAULTS = (
    "lie/get",
    "lie/head",
    "html/login",
    "html/as-index",
    "garbage/json",
    "garbage/bytes",
    "schema1/app",
    "truncated/app",
    "drip/headers",
    "drip/body",
    "limit/429",
    "loop/401",
    "redirect/loop",
    "reset/request",
    "reset/body",
)
_MANIFEST = re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/?]+)$")


class FaultyRegistry:
    """Start with `start()`, stop with `stop()`; `log` holds (method, path) of every request."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        *,
        drip_interval: float = 0.25,
        drip_limit: float = 30.0,
        plain_port: int | None = None,
    ) -> None:
        self.log: list[tuple[str, str]] = []
        self.drip_interval = drip_interval
        self.drip_limit = drip_limit
        self.plain_port = plain_port  # where redirect/http points
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server((host, 0), _handler(self))
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    @property
    def host(self) -> str:
        addr, port = self._httpd.server_address[:2]
        return f"{addr!s}:{port}" if isinstance(addr, str) else f"{addr.decode()}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> FaultyRegistry:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.log.append((method, path))

    def requests(self, repo: str | None = None) -> list[tuple[str, str]]:
        with self._lock:
            return [(m, p) for m, p in self.log if repo is None or f"/v2/{repo}/" in p]

    def wait(self, seconds: float) -> bool:
        """Pause a drip; True when the server is stopping."""
        return self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Faults break connections on purpose; the client's side is what the tests check."""


def _handler(registry: FaultyRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._dispatch("HEAD")

        def do_GET(self) -> None:
            self._dispatch("GET")

        # ------------------------------------------------------------ helpers

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"", *, head: bool) -> None:
            self.send_response(status)
            headers.setdefault("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _reset(self) -> None:
            """Close with an RST: SO_LINGER on with a zero timeout."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _drip(self, data: bytes) -> None:
            started = time.monotonic()
            for i in range(len(data)):
                if time.monotonic() - started > registry.drip_limit:
                    break
                try:
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                except OSError:
                    break  # the client gave up: the fault did its job
                if registry.wait(registry.drip_interval):
                    break
            self.close_connection = True

        # ------------------------------------------------------------ faults

        def _dispatch(self, method: str) -> None:
            registry.record(method, self.path)
            head = method == "HEAD"
            if self.path.startswith("/token"):
                self._send(
                    200, {"Content-Type": "application/json"}, b'{"token":"faulty-token-5e3"}', head=head
                )
                return
            m = _MANIFEST.match(self.path)
            if m is None:
                self._send(404, {"Content-Type": "application/json"}, b'{"errors":[]}', head=head)
                return
            repo, ref = m["repo"], m["ref"]
            good = {"Content-Type": INDEX, "Docker-Content-Digest": sha(GOOD_BODY)}
            if repo == "good/app":
                self._send(200, good, GOOD_BODY, head=head)
            elif repo == "lie/get":
                self._send(
                    200, {"Content-Type": INDEX, "Docker-Content-Digest": sha(b"x")}, GOOD_BODY, head=head
                )
            elif repo == "lie/head":
                if head:
                    self._send(
                        200,
                        {"Content-Type": INDEX, "Docker-Content-Digest": sha(b"other")},
                        GOOD_BODY,
                        head=True,
                    )
                else:
                    self._send(200, {"Content-Type": INDEX}, GOOD_BODY, head=False)
            elif repo == "html/login":
                hdrs = {"Content-Type": "text/html; charset=utf-8", "Docker-Content-Digest": sha(HTML)}
                self._send(200, hdrs, HTML, head=head)
            elif repo == "html/as-index":
                self._send(200, {"Content-Type": INDEX}, HTML, head=head)
            elif repo == "garbage/json":
                body = b'{"hello": "world", "schemaVersion": 2}'
                self._send(200, {"Content-Type": INDEX}, body, head=head)
            elif repo == "garbage/bytes":
                self._send(200, {"Content-Type": INDEX}, os.urandom(512), head=head)
            elif repo == "schema1/app":
                body = json.dumps(
                    {"schemaVersion": 1, "name": "schema1/app", "tag": ref, "fsLayers": []}
                ).encode()
                self._send(
                    200, {"Content-Type": SCHEMA1, "Docker-Content-Digest": sha(body)}, body, head=head
                )
            elif repo == "truncated/app":
                self._send(200, {**good, "Content-Length": str(len(GOOD_BODY) + 1000)}, b"", head=True)
                if not head:
                    self.wfile.write(GOOD_BODY[: len(GOOD_BODY) // 2])
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif repo == "drip/headers":
                lines = [f"HTTP/1.1 200 OK\r\nContent-Type: {INDEX}\r\n"]
                lines.append(f"Docker-Content-Digest: {sha(GOOD_BODY)}\r\n")
                lines.append(f"Content-Length: {len(GOOD_BODY)}\r\n\r\n")
                self._drip("".join(lines).encode() + (b"" if head else GOOD_BODY))
            elif repo == "drip/body":
                self.send_response(200)
                for k, v in {**good, "Content-Length": str(len(GOOD_BODY))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.flush()
                if not head:
                    self._drip(GOOD_BODY)
            elif repo == "limit/429":
                self._send(
                    429, {"Retry-After": "3600", "Content-Type": "text/plain"}, b"slow down\n", head=head
                )
            elif repo == "loop/401":
                realm = f"{registry.scheme}://{registry.host}/token"
                challenge = f'Bearer realm="{realm}",service="faulty",scope="repository:{repo}:pull"'
                self._send(
                    401, {"WWW-Authenticate": challenge, "Content-Type": "application/json"}, b"{}", head=head
                )
            elif repo == "redirect/http":
                target = f"http://127.0.0.1:{registry.plain_port}/v2/good/app/manifests/{ref}"
                self._send(302, {"Location": target}, head=head)
            elif repo == "redirect/loop":
                self._send(302, {"Location": self.path}, head=head)
            elif repo == "reset/request":
                self._reset()
            elif repo == "reset/body":
                self.send_response(200)
                for k, v in {**good, "Content-Length": str(len(GOOD_BODY))}.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(GOOD_BODY[:20])
                    self.wfile.flush()
                self._reset()
            else:
                body = b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}'
                self._send(404, {"Content-Type": "application/json"}, body, head=head)

    return Handler


def tls_pair(directory: Path, ip: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA and a certificate for `ip`: (server context, client context trusting it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hardenify faulty registry")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = directory / "faulty-cert.pem"
    key_pem = directory / "faulty-key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_pem, key_pem)
    client = ssl.create_default_context(cafile=str(cert_pem))
    return server, client
