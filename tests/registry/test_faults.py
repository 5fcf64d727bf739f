"""The resolver against a registry that lies, drips, loops and resets (tests/registry/faulty.py).

For every fault: no digest comes back, nothing is cached, the message names the image and
says what was wrong, and the lookup ends within its timeout (asserted loosely, by joining
the lookup's thread with a generous bound, never by micro-timing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from hardenify.registry import ErrorKind, RegistryConfig, Resolution, Resolver
from tests.registry.fake_registry import sha
from tests.registry.faulty import GOOD_BODY, FaultyRegistry

TIMEOUT = 3.0
SLACK = 5.0  # loaded CI machines; a hang is minutes, not seconds

# fault → (error kind, words the message must contain)
EXPECTED: dict[str, tuple[ErrorKind, tuple[str, ...]]] = {
    "lie/get": (ErrorKind.BAD_DIGEST, ("does not match its Docker-Content-Digest",)),
    "html/login": (ErrorKind.PROTOCOL, ("'text/html'", "HTML page", "refusing to pin")),
    "html/as-index": (ErrorKind.PROTOCOL, ("not valid JSON",)),
    "garbage/json": (ErrorKind.PROTOCOL, ("malformed manifest", "without a manifests list")),
    "garbage/bytes": (ErrorKind.PROTOCOL, ("not valid JSON",)),
    "schema1/app": (ErrorKind.PROTOCOL, ("schema 1",)),
    "truncated/app": (ErrorKind.NETWORK, ("connection to", "failed")),
    "drip/headers": (ErrorKind.TIMEOUT, ("timed out after 3s", "whole lookup")),
    "drip/body": (ErrorKind.TIMEOUT, ("timed out after 3s",)),
    "limit/429": (ErrorKind.RATE_LIMITED, ("HTTP 429", "'3600'", "giving up")),
    "loop/401": (ErrorKind.DENIED, ("denied",)),
    "redirect/loop": (ErrorKind.PROTOCOL, ("redirected more than 5 times",)),
    "reset/request": (ErrorKind.NETWORK, ("connection to", "failed")),
    "reset/body": (ErrorKind.NETWORK, ("connection to", "failed")),
}


def bounded(fn: Callable[[], Resolution], limit: float) -> tuple[Resolution, float]:
    """Run `fn` in a thread; fail the test (instead of hanging it) if it is not done in `limit`."""
    out: list[Resolution] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"lookup still running after {limit:g}s"
    assert out, "the lookup raised instead of returning a Resolution"
    return out[0], time.monotonic() - started


@pytest.mark.parametrize("repo", sorted(EXPECTED))
def test_each_fault_is_refused_clearly_within_the_timeout_and_never_cached(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver], repo: str
) -> None:
    kind, words = EXPECTED[repo]
    ref = f"{faulty.host}/{repo}:1"
    r = make_resolver(timeout=TIMEOUT)
    res, elapsed = bounded(lambda: r.resolve(ref), TIMEOUT + SLACK)
    assert res.digest is None
    assert res.error is not None, res
    assert res.error.kind is kind, res.error.message
    assert f"{repo}:1" in res.error.message  # names the image
    for word in words:
        assert word in res.error.message
    assert "Traceback" not in res.error.message
    assert r.cache is not None and r.cache.get(ref, allow_stale=True) is None
    assert not r.cache.path.exists() or ref not in r.cache.path.read_text()
    assert elapsed < TIMEOUT + SLACK


def test_a_one_byte_a_tick_server_cannot_hold_the_lookup_past_its_deadline(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    """Per-read timeouts never fire on a drip (each byte arrives in time); the deadline does."""
    faulty.drip_interval = 0.5
    r = make_resolver(timeout=2.0, use_cache=False)
    for repo in ("drip/headers", "drip/body"):
        ref = f"{faulty.host}/{repo}:1"
        res, elapsed = bounded(lambda: r.resolve(ref), 2.0 + SLACK)  # noqa: B023 (joined at once)
        assert res.error is not None and res.error.kind is ErrorKind.TIMEOUT
        assert elapsed < 2.0 + SLACK


def test_huge_retry_after_is_not_waited_and_retries_are_bounded(
    faulty: FaultyRegistry, make_config: Callable[..., RegistryConfig]
) -> None:
    waits: list[float] = []
    cfg = make_config(timeout=30.0, retry_after_cap=2.0, max_retries=2)
    with Resolver(cfg, sleep=waits.append) as r:
        res = r.resolve(f"{faulty.host}/limit/429:1")
    assert res.error is not None and res.error.kind is ErrorKind.RATE_LIMITED
    assert waits == [2.0, 2.0]  # Retry-After: 3600 was cut to the cap
    assert len(faulty.requests("limit/429")) == 3


def test_a_401_loop_ends_after_one_token(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    res = make_resolver().resolve(f"{faulty.host}/loop/401:1")
    assert res.error is not None and res.error.kind is ErrorKind.DENIED
    assert faulty.requests("loop/401") == [("GET", "/v2/loop/401/manifests/1")] * 2
    assert [p for _, p in faulty.log if p.startswith("/token")] != []
    assert len(faulty.log) <= 4


def test_a_redirect_from_https_to_http_is_never_followed(
    faulty: FaultyRegistry, faulty_tls: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    r = make_resolver()
    good = r.resolve(f"{faulty_tls.host}/good/app:1")  # the TLS fixture itself works
    assert good.digest == sha(GOOD_BODY)
    res = r.resolve(f"{faulty_tls.host}/redirect/http:1")
    assert res.error is not None and res.error.kind is ErrorKind.PROTOCOL
    assert "redirected for redirect/http:1 to plain-HTTP 127.0.0.1" in res.error.message
    assert "from https to http" in res.error.message
    assert faulty.log == []  # the plain-HTTP target was never asked
    assert r.cache is not None and r.cache.get(f"{faulty_tls.host}/redirect/http:1") is None


def test_a_lying_head_is_caught_by_the_verifying_get(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    """HEAD names another digest than the manifest served: refused, the verified entry kept."""
    ref = f"{faulty.host}/lie/head:1"
    old = sha(b"the digest verified last week")
    r = make_resolver(revalidate=True)
    assert r.cache is not None
    r.cache.put(ref, old)
    res = r.resolve(ref)
    assert res.error is not None and res.error.kind is ErrorKind.BAD_DIGEST
    assert "HEAD Docker-Content-Digest" in res.error.message and "lie/head:1" in res.error.message
    assert faulty.requests("lie/head") == [
        ("HEAD", "/v2/lie/head/manifests/1"),
        ("GET", "/v2/lie/head/manifests/1"),
    ]
    assert r.cache.get(ref, allow_stale=True) == old


def test_without_a_known_digest_the_head_is_not_even_asked(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    res = make_resolver().resolve(f"{faulty.host}/lie/head:1")
    assert res.digest == sha(GOOD_BODY)
    assert faulty.requests("lie/head") == [("GET", "/v2/lie/head/manifests/1")]


def test_revalidation_costs_one_head_when_the_tag_has_not_moved(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    ref = f"{faulty.host}/good/app:1"
    r = make_resolver(revalidate=True)
    assert r.cache is not None
    r.cache.put(ref, sha(GOOD_BODY))
    res = r.resolve(ref)
    assert res.digest == sha(GOOD_BODY) and res.source == "registry"
    assert faulty.requests("good/app") == [("HEAD", "/v2/good/app/manifests/1")]


def test_revalidation_verifies_a_moved_tag_with_a_get(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    ref = f"{faulty.host}/good/app:1"
    r = make_resolver(revalidate=True)
    assert r.cache is not None
    r.cache.put(ref, sha(b"where the tag pointed before"))
    res = r.resolve(ref)
    assert res.digest == sha(GOOD_BODY)
    assert [m for m, _ in faulty.requests("good/app")] == ["HEAD", "GET"]
    assert r.cache.get(ref) == sha(GOOD_BODY)


def test_a_fault_on_one_image_leaves_the_others_resolved(
    faulty: FaultyRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    refs = [f"{faulty.host}/{repo}:1" for repo in ("good/app", "html/login", "reset/request", "lie/get")]
    res, _ = bounded(lambda: make_resolver(jobs=4).resolve_many(refs)[refs[0]], TIMEOUT + SLACK)
    assert res.digest == sha(GOOD_BODY)


def test_the_transports_the_client_builds_carry_the_deadline(
    make_config: Callable[..., RegistryConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline reaches sockets through httpx internals; if an httpx upgrade moves them,
    this fails instead of silently letting a drip outlast --timeout again."""
    from hardenify.registry.client import RegistryClient, default_transport
    from hardenify.registry.deadline import DeadlineBackend

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # proxy transports too
    client = RegistryClient(make_config())
    http = client._client()
    transports = [http._transport, *(t for t in http._mounts.values() if t is not None)]
    assert len(transports) >= 2
    for t in [*transports, default_transport(make_config())]:
        assert isinstance(t._pool._network_backend, DeadlineBackend)  # type: ignore[attr-defined]
    client.close()
