"""The process-wide TLS context: built once, shared by every client and thread, CA store loaded once.

Per-connection CA loading (truststore's OpenSSL backend reloads the system bundle on every
`wrap_socket`, ~30 ms) made concurrent lookups slower than serial ones (issue #8).
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hardenify.registry import RegistryConfig, Resolver, tls
from hardenify.registry.client import RegistryClient, default_transport
from tests.registry import offline
from tests.registry.counting import CountingTransport

_LIVE = offline.unavailable()
live = pytest.mark.skipif(_LIVE is not None, reason=_LIVE or "")
openssl_only = pytest.mark.skipif(
    sys.platform in ("darwin", "win32"),
    reason="macOS and Windows verify through truststore's platform verifier",
)


@pytest.fixture
def fresh_context(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Forget the process's context for this test; returns the list of threads that built one."""
    monkeypatch.setattr(tls, "_context", None)
    builds: list[int] = []
    real = tls._build

    def slow_build() -> ssl.SSLContext:
        builds.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which a racing thread could build a second one
        return real()

    monkeypatch.setattr(tls, "_build", slow_build)
    return builds


def test_one_context_per_process_for_concurrent_clients(
    fresh_context: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    verify_args: list[Any] = []
    real_client = httpx.Client

    def spy(*args: Any, **kwargs: Any) -> httpx.Client:
        verify_args.append(kwargs.get("verify"))
        return real_client(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", spy)
    config = RegistryConfig(cache_dir=tmp_path, docker_config=tmp_path / "none.json")
    clients = [RegistryClient(config) for _ in range(8)]
    start = threading.Barrier(len(clients))

    def open_client(c: RegistryClient) -> None:
        start.wait()
        c._client()

    threads = [threading.Thread(target=open_client, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    assert len(fresh_context) == 1
    assert len(verify_args) == len(clients)
    shared = tls.ssl_context()
    assert all(v is shared for v in verify_args)
    assert default_transport(config)._pool._ssl_context is shared  # what tests and benchmarks wrap


def test_the_context_verifies_certificates_and_host_names() -> None:
    ctx = tls.ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True


def test_repeated_alpn_setting_leaves_a_shared_context_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpcore sets ALPN before every connection; other threads copy it in SSL_new meanwhile."""
    calls: list[tuple[str, ...]] = []
    real = ssl.SSLContext.set_alpn_protocols

    def counting(self: ssl.SSLContext, protocols: Any) -> None:
        calls.append(tuple(protocols))
        real(self, protocols)

    monkeypatch.setattr(ssl.SSLContext, "set_alpn_protocols", counting)
    for ctx in (tls.openssl_context(), tls.truststore_context()):
        calls.clear()
        for _ in range(3):
            ctx.set_alpn_protocols(["http/1.1"])
        assert calls == [("http/1.1",)]
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        assert calls == [("http/1.1",), ("h2", "http/1.1")]


@openssl_only
def test_system_trust_falls_back_to_the_known_bundles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As truststore does when OpenSSL's compiled-in paths are empty (a Python built elsewhere)."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text(ssl.DER_cert_to_PEM_cert(_any_system_ca()))
    empty = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", "", "SSL_CERT_DIR", "")  # type: ignore[arg-type]
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: empty)
    monkeypatch.setattr(tls, "CA_FILE_CANDIDATES", (str(tmp_path / "absent.pem"), str(bundle)))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.load_system_trust(ctx)
    assert ctx.cert_store_stats()["x509_ca"] == 1


def _any_system_ca() -> bytes:
    ctx = ssl.create_default_context()
    certs = ctx.get_ca_certs(binary_form=True)
    if not certs:
        pytest.skip("no CA certificates in the system store")
    return bytes(certs[0])


@live
@openssl_only
def test_many_connections_from_many_threads_load_the_ca_store_once(
    fresh_context: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loads: list[str] = []
    for name in ("set_default_verify_paths", "load_verify_locations", "load_default_certs"):
        real = getattr(ssl.SSLContext, name)

        def counting(
            self: ssl.SSLContext, *args: Any, _real: Any = real, _name: str = name, **kw: Any
        ) -> Any:
            loads.append(_name)
            return _real(self, *args, **kw)

        monkeypatch.setattr(ssl.SSLContext, name, counting)
    refs = offline.distinct_references(40)
    transports: list[CountingTransport] = []
    results: list[dict[str, str | None]] = []
    lock = threading.Lock()

    def resolve(i: int) -> None:
        config = RegistryConfig(cache_dir=tmp_path / str(i), docker_config=tmp_path / "none.json", jobs=8)
        transport = CountingTransport(default_transport(config))
        with Resolver(config, transport=transport) as r:
            res = r.resolve_many(list(refs))
        with lock:
            transports.append(transport)
            results.append({k: v.digest for k, v in res.items()})

    threads = [threading.Thread(target=resolve, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [refs] * 3
    handshakes = sum(t.handshakes for t in transports)
    assert handshakes >= 3 * 4  # three resolvers, four TLS host names each
    assert len(fresh_context) == 1
    assert loads == ["set_default_verify_paths"] or loads == ["load_verify_locations"], loads
