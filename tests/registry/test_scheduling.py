"""How concurrent lookups are scheduled: one probe per host, then workers stick to a host.

Sticking to a host reuses its kept-alive connection; handing lookups out in input order made
every worker open a connection (a TLS handshake) on every host, and concurrent runs slower
than serial ones on loopback (issue #8).
"""

from __future__ import annotations

import random
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from hardenify.imageref import ImageRef, parse_ref
from hardenify.registry import RegistryConfig, Resolver
from hardenify.registry.client import default_transport
from hardenify.registry.resolver import _HostQueues
from tests.registry import offline
from tests.registry.fake_registry import FakeRegistry, index_body

Item = tuple[str, ImageRef]


def items(host: str, n: int) -> list[Item]:
    return [(f"{host}/r{i}:1", parse_ref(f"{host}/r{i}:1")) for i in range(n)]


def take_in_thread(q: _HostQueues, current: str | None) -> tuple[threading.Thread, list[object]]:
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(q.take(current)), daemon=True)
    t.start()
    return t, got


def test_a_host_is_probed_alone_then_opens_to_every_worker() -> None:
    a, b = items("a.example", 3), items("b.example", 2)
    q = _HostQueues({"a.example": a, "b.example": b})
    assert q.take(None) == ("a.example", a[0])
    assert q.take(None) == ("b.example", b[0])
    waiting, got = take_in_thread(q, None)  # only probes in flight: this worker must wait
    waiting.join(0.2)
    assert waiting.is_alive() and got == []
    q.done("a.example")  # a's probe answered: a is open to everyone, b still is not
    waiting.join(2)
    assert got == [("a.example", a[1])]


def test_a_worker_stays_on_its_host_then_moves_to_the_busiest() -> None:
    a, b, c = items("a.example", 3), items("b.example", 6), items("c.example", 2)
    q = _HostQueues({"a.example": a, "b.example": b, "c.example": c})
    for host in ("a.example", "b.example", "c.example"):
        q.take(None)
        q.done(host)
    # A worker on c keeps c while c has work, though b has more left.
    assert q.take("c.example") == ("c.example", c[1])
    q.done("c.example")
    # c is dry: move to the host with the most lookups left per worker (b: 5/1, a: 2/1).
    assert q.take("c.example") == ("b.example", b[1])
    # A new worker: a 2 left / 1 and b 4 left / 2 tie; the earlier host in input order wins.
    assert q.take(None) == ("a.example", a[1])
    # a: 1 left / 2, b: 4 left / 2.
    assert q.take(None) == ("b.example", b[2])


def test_every_lookup_is_handed_out_once_and_no_host_is_used_before_its_probe_answered() -> None:
    by_host = {f"h{h}.example": items(f"h{h}.example", n) for h, n in enumerate((1, 7, 30, 12))}
    q = _HostQueues(by_host)
    taken: list[Item] = []
    probed: set[str] = set()
    probes: dict[str, Item] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        host: str | None = None
        while (nxt := q.take(host)) is not None:
            host, item = nxt
            with lock:
                taken.append(item)
                if host not in probes:
                    probes[host] = item
                elif host not in probed:
                    errors.append(f"{item[0]} was handed out before {host}'s probe answered")
            time.sleep(random.uniform(0, 0.003))
            with lock:
                if probes[host] == item:
                    probed.add(host)
            q.done(host)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(k for k, _ in taken) == sorted(k for v in by_host.values() for k, _ in v)


def test_a_lookup_that_crashes_does_not_strand_the_workers_waiting_for_its_host(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver], monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        registry.manifest(f"team/app{i}", "1")
    refs = [f"{registry.host}/team/app{i}:1" for i in range(6)]
    real = Resolver._lookup

    def crash_on_probe(self: Resolver, client: object, key: str, ref: ImageRef, plat: object) -> object:
        if key.endswith("app0:1"):
            time.sleep(0.1)  # the other workers are waiting for this probe by now
            raise RuntimeError("boom")
        return real(self, client, key, ref, plat)  # type: ignore[arg-type]

    monkeypatch.setattr(Resolver, "_lookup", crash_on_probe)
    r = make_resolver(jobs=4, use_cache=False)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            r.resolve_many(refs)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "workers hung waiting for a crashed probe"
    assert isinstance(outcome[0], RuntimeError)


def test_workers_share_one_token_per_repository(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    """Three tags of one repository looked up at once fetch its token once, not three times."""
    token = "tok-shared-7a1e"
    realm = httpserver.url_for("/token")
    httpserver.expect_request("/token").respond_with_json({"token": token})
    refs = []
    for repo in ("team/a", "team/b", "team/c"):
        for tag in ("1", "2", "3"):
            registry.manifest(
                repo,
                tag,
                body=index_body(("linux", "amd64", f"{repo}{tag}")),
                headers={"Authorization": f"Bearer {token}"},
            )
            refs.append(f"{registry.host}/{repo}:{tag}")
    httpserver.expect_request(re.compile(r"/v2/team/./manifests/\d")).respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="s"'})
    )
    r = make_resolver(jobs=8, use_cache=False)
    res = r.resolve_many(refs)
    assert all(v.ok for v in res.values()), res
    scopes = Counter(req.args.get("scope") for req, _ in httpserver.log if req.path == "/token")
    assert scopes == Counter({f"repository:{repo}:pull": 1 for repo in ("team/a", "team/b", "team/c")})


# ------------------------------------------------------------------ live registry, slow

_LIVE = offline.unavailable()


class _Delayed(httpx.BaseTransport):
    """One simulated WAN round trip per request, TCP connect and TLS handshake; counts how
    many requests are in flight at once."""

    def __init__(self, inner: httpx.BaseTransport, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self._lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions["trace"] = self._trace
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return self.inner.handle_request(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _trace(self, event: str, info: object) -> None:
        if event in ("connection.connect_tcp.started", "connection.start_tls.started"):
            time.sleep(self.delay)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.e2e
@pytest.mark.skipif(_LIVE is not None, reason=_LIVE or "")
def test_cold_lookups_overlap_over_a_slow_network() -> None:
    """40 distinct references with 40 ms round trips and --jobs 8: the lookups really run side
    by side (what makes a cold run faster than serial; the speed itself is measured by
    benchmarks/bench_pin.py, not asserted here) and every digest is the registry's."""
    refs = offline.distinct_references(40)
    with tempfile.TemporaryDirectory() as tmp:
        config = RegistryConfig(cache_dir=tmp, docker_config=Path(tmp) / "none.json", jobs=8)
        transport = _Delayed(default_transport(config), 0.04)
        with Resolver(config, transport=transport) as r:
            res = r.resolve_many(list(refs))
    assert {k: v.digest for k, v in res.items()} == refs
    assert transport.most_in_flight >= 4, transport.most_in_flight
