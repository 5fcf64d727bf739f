"""Benchmark `hardenify pin` lookups against the local offline registry (issue #8).

    python benchmarks/bench_pin.py [--jobs 8] [--repeat 5] [--latency-ms 40]

Pins one generated Dockerfile naming 40 distinct, real references, doing exactly what the
command does (scan → resolve → plan → apply): cold and serial (--jobs 1), cold and concurrent
(--jobs N), then warm (same cache, new resolver). Cold runs are repeated and the median is
reported. Prints lookups/s, the concurrent-vs-serial speed-up, and the requests and new
connections of each run, counted at the HTTP transport (and cross-checked against the
resolver's own count). The warm run must make 0 requests, or the script exits 1.

The 40 references: the 28 in /var/lib/offline-registry/digests.tsv (docker.io and gcr.io
names over TLS on 127.0.0.1:443) plus 12 of them under other registry names the offline
registry serves from the same storage: ghcr.io and quay.io (TLS, the same front) and
127.0.0.1:5000 (plain HTTP). A different registry name is a different lookup and cache
entry that resolves to the same digest; every digest is checked against digests.tsv, so a
fast but wrong run fails.

Missing tags are measured on their own line: failed lookups are deliberately never cached
(a tag pushed a minute later must be found), so a warm run asks again, one request each.

Two network conditions: the loopback registry as it is, and the same registry with a
simulated WAN round trip (--latency-ms) added to every request and to every new
connection's TCP connect and TLS handshake, which is what Docker Hub or GHCR costs.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hardenify.pinning import plan, scan_dockerfile
from hardenify.registry import RegistryConfig, Resolver

DIGESTS = Path("/var/lib/offline-registry/digests.tsv")
TOTAL = 40
ALIAS_HOSTS = ("ghcr.io", "quay.io", "127.0.0.1:5000")
MISSING_TAGS = (
    "python:3.99-nope",
    "node:0-nope",
    "gcr.io/distroless/static-debian12:nope",
    "ghcr.io/library/golang:0.1-nope",
    "alpine:3.20",
    "ubuntu:24.04",
)


@dataclass
class Run:
    name: str
    seconds: float
    lookups: int
    requests: int
    connections: int
    resolved: int
    failed: int
    from_cache: int

    @property
    def rate(self) -> float:
        return self.lookups / self.seconds if self.seconds > 0 else float("inf")


def read_truth() -> dict[str, str]:
    truth: dict[str, str] = {}
    for line in DIGESTS.read_text().splitlines():
        if line.strip():
            ref, digest = line.split()[:2]
            truth[ref] = digest
    return truth


def references(truth: dict[str, str], total: int = TOTAL) -> dict[str, str]:
    """`total` distinct real references → the digest each must resolve to.

    Every recorded reference, then every other recorded one (so docker.io and gcr.io images
    alike) under the alias hosts in turn, until there are `total`.
    """
    out = dict(truth)
    recorded = list(truth)
    for i, ref in enumerate(recorded[::2] + recorded[1::2]):
        if len(out) >= total:
            break
        _, path = ref.split("/", 1)
        out[f"{ALIAS_HOSTS[i % len(ALIAS_HOSTS)]}/{path}"] = truth[ref]
    if len(out) < total:
        raise SystemExit(f"only {len(out)} distinct references can be built from {DIGESTS}")
    return dict(list(out.items())[:total])


def counting_transport(config: RegistryConfig, delay: float) -> CountingTransport:
    """The client's own transport (shared TLS context, pool limits), counted; +delay per RTT."""
    from hardenify.registry.client import default_transport

    return CountingTransport(default_transport(config), delay)


class CountingTransport(httpx.BaseTransport):
    """Counts requests and new TCP connections; with `delay`, sleeps one RTT per round trip."""

    def __init__(self, inner: httpx.BaseTransport, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.requests = 0
        self.connections = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests += 1
        request.extensions["trace"] = self._trace
        if self.delay:
            time.sleep(self.delay)
        return self.inner.handle_request(request)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.started":
            with self._lock:
                self.connections += 1
        if self.delay and event in ("connection.connect_tcp.started", "connection.start_tls.started"):
            time.sleep(self.delay)  # SYN/SYN-ACK, then the TLS 1.3 handshake: one RTT each

    def close(self) -> None:
        self.inner.close()


def pin_once(text: str, cache: Path, jobs: int, expected: dict[str, str], name: str, latency: float) -> Run:
    config = RegistryConfig(cache_dir=cache, jobs=jobs, docker_config=cache / "no-docker-config.json")
    transport = counting_transport(config, latency)
    started = time.perf_counter()
    with Resolver(config, transport=transport) as resolver:
        sc = scan_dockerfile(text)
        results = resolver.resolve_many(sc.lookups())
        pinned = plan(sc, results).apply(text)
        requests = resolver.requests
    seconds = time.perf_counter() - started
    if requests != transport.requests:
        raise SystemExit(
            f"{name}: the resolver counted {requests} requests, the transport saw {transport.requests}"
        )
    ok = [r for r in results.values() if r.ok]
    for ref, res in results.items():
        want = expected.get(ref)
        if want is not None and res.digest != want:
            raise SystemExit(f"{name}: {ref} resolved to {res.digest or res.error}, registry says {want}")
        if want is None and res.ok:
            raise SystemExit(f"{name}: {ref} should not exist but resolved to {res.digest}")
    if pinned.count("@sha256:") != len(ok):
        raise SystemExit(f"{name}: {len(ok)} references resolved but {pinned.count('@sha256:')} were pinned")
    cached = sum(1 for r in results.values() if r.source == "cache")
    return Run(
        name,
        seconds,
        len(results),
        transport.requests,
        transport.connections,
        len(ok),
        len(results) - len(ok),
        cached,
    )


@contextmanager
def cache_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hardenify-bench-") as tmp:
        yield Path(tmp)


def median_run(runs: list[Run]) -> Run:
    runs = sorted(runs, key=lambda r: r.seconds)
    return runs[len(runs) // 2]


def measure(
    text: str, expected: dict[str, str], jobs: int, repeat: int, latency: float
) -> tuple[Run, Run, Run]:
    """Median cold serial and cold concurrent runs (interleaved, so drifting machine load hits
    both alike), then warm runs over one primed cache."""
    serial: list[Run] = []
    concurrent: list[Run] = []
    for _ in range(repeat):
        for n, runs, name in (
            (1, serial, "cold, serial (--jobs 1)"),
            (jobs, concurrent, f"cold, concurrent (--jobs {jobs})"),
        ):
            with cache_dir() as tmp:
                runs.append(pin_once(text, tmp, n, expected, name, latency))
    with cache_dir() as tmp:
        pin_once(text, tmp, jobs, expected, "prime", latency)
        warm_runs = [pin_once(text, tmp, jobs, expected, "warm cache", latency) for _ in range(repeat)]
    warm = median_run(warm_runs)
    warm.requests = max(r.requests for r in warm_runs)  # the worst run is the one that counts
    warm.connections = max(r.connections for r in warm_runs)
    warm.from_cache = min(r.from_cache for r in warm_runs)
    return median_run(serial), median_run(concurrent), warm


def table(title: str, runs: list[Run]) -> None:
    print(f"\n[{title}]")
    print(f"{'run':34} {'seconds':>8} {'lookups/s':>10} {'requests':>9} {'conns':>6} {'ok':>4} {'404':>4}")
    for r in runs:
        print(
            f"{r.name:34} {r.seconds:8.3f} {r.rate:10.1f} {r.requests:9d} {r.connections:6d} "
            f"{r.resolved:4d} {r.failed:4d}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=8, help="concurrent lookups for the concurrent runs")
    ap.add_argument("--repeat", type=int, default=5, help="runs per mode (the median is reported)")
    ap.add_argument("--latency-ms", type=float, default=40.0, help="simulated WAN round trip (0: skip)")
    args = ap.parse_args(argv)

    if not DIGESTS.is_file():
        print(f"skipped: {DIGESTS} not found (set up ../shared/offline-registry first)", file=sys.stderr)
        return 0
    for host in ("registry-1.docker.io", *(h for h in ALIAS_HOSTS if not h[0].isdigit())):
        if socket.gethostbyname(host) != "127.0.0.1":
            print(f"skipped: {host} is not the local registry; not benchmarking the internet")
            return 0
    truth = read_truth()
    expected = references(truth)
    text = "".join(f"FROM {ref}\n" for ref in expected)
    missing_text = "".join(f"FROM {ref}\n" for ref in MISSING_TAGS)
    hosts = sorted({ref.split("/", 1)[0] for ref in expected})
    print(f"{len(expected)} distinct real references on {len(hosts)} registry names ({', '.join(hosts)})")

    failures: list[str] = []
    latencies = [0.0] + ([args.latency_ms / 1000] if args.latency_ms > 0 else [])
    for latency in latencies:
        where = "loopback" if latency == 0 else f"+{latency * 1000:.0f} ms per round trip"
        serial, concurrent, warm = measure(text, expected, args.jobs, args.repeat, latency)
        table(f"{where}: {TOTAL} real references", [serial, concurrent, warm])
        print(f"concurrent vs serial: {serial.seconds / concurrent.seconds:.2f}x")
        print(
            f"warm run requests: {warm.requests} (must be 0); "
            f"{warm.from_cache}/{len(expected)} answered from the cache"
        )
        if warm.requests != 0 or warm.from_cache != len(expected):
            failures.append(f"{where}: the warm run made {warm.requests} requests")
        m_cold, _, m_warm = measure(missing_text, {}, args.jobs, max(1, args.repeat // 2), latency)
        print(
            f"missing tags, not cached by design: {len(MISSING_TAGS)} lookups, "
            f"{m_cold.requests} requests cold, {m_warm.requests} warm"
        )
        if m_warm.requests != len(MISSING_TAGS):
            failures.append(f"{where}: {len(MISSING_TAGS)} missing tags made {m_warm.requests} warm requests")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
