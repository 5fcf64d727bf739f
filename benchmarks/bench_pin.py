"""Benchmark `hardenify pin` lookups against the local offline registry.

    python benchmarks/bench_pin.py [--jobs 8] [--repeat 3] [--latency-ms 40]

Pins one generated Dockerfile naming 40 distinct references (scan → resolve → plan →
apply, exactly what the command does) three ways: cold and serial (--jobs 1), cold and
concurrent, then warm (same cache). Prints lookups/s, the serial-vs-concurrent speed-up and
the request count of every run.

Two network conditions: the loopback registry as it is (a round trip costs ~2 ms, so a
TLS handshake — ~30 ms with truststore, which reloads the system CA bundle per connection —
dominates and concurrency, which needs more connections, cannot win), and the same registry
behind a simulated WAN round trip of --latency-ms per request, which is what talking to
Docker Hub or GHCR looks like and where concurrent lookups pay off.

Warm runs: every real reference comes from the cache. Failed lookups (the 404s below) are
deliberately never cached — a tag pushed a minute later must be found — so the warm run's
requests are all for the missing tags (one HEAD each; plus the 401 and token requests when
the registry runs with `--auth token`). The script checks that every real reference was
answered from the cache.

The 40 references (the registry holds ~28 real tags, see /var/lib/offline-registry/digests.tsv):
  * every reference in digests.tsv (docker.io and gcr.io names over TLS on 127.0.0.1:443);
  * the first six of those again under 127.0.0.1:5000 (plain HTTP to the same storage: a
    different registry name, so a distinct lookup);
  * tags that do not exist (404s) until there are 40: real lookups that cost a round trip.
Every resolved digest is checked against digests.tsv, so a fast but wrong run fails.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hardenify.pinning import plan, scan_dockerfile
from hardenify.registry import RegistryConfig, Resolver

if TYPE_CHECKING:
    import httpx

DIGESTS = Path("/var/lib/offline-registry/digests.tsv")
TOTAL = 40
MISSING_TAGS = [
    "python:3.99-nope",
    "node:0-nope",
    "golang:0.1-nope",
    "debian:nope",
    "gcr.io/distroless/static-debian12:nope",
    "nginxinc/nginx-unprivileged:0-nope",
    "rust:0-nope",
    "ruby:0-nope",
    "php:0-nope",
    "alpine:3.20",
    "ubuntu:24.04",
    "busybox:1.36",
]


@dataclass
class Run:
    name: str
    seconds: float
    requests: int
    resolved: int
    failed: int
    from_cache: int = 0

    @property
    def rate(self) -> float:
        return TOTAL / self.seconds if self.seconds > 0 else float("inf")


def references(truth: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """40 distinct references and the digest each real one must resolve to."""
    expected: dict[str, str] = dict(truth)
    refs = list(truth)
    for ref in list(truth)[:6]:
        if ref.startswith("docker.io/"):
            plain = "127.0.0.1:5000/" + ref[len("docker.io/") :]
        else:
            plain = "127.0.0.1:5000/" + ref.split("/", 1)[1]
        refs.append(plain)
        expected[plain] = truth[ref]
    for missing in MISSING_TAGS:
        if len(refs) >= TOTAL:
            break
        refs.append(missing)
    return refs[:TOTAL], expected


def latency_transport(delay: float) -> httpx.BaseTransport:
    """The real transport (TLS via the OS trust store) plus a fixed delay per request."""
    import ssl

    import httpx
    import truststore

    inner = httpx.HTTPTransport(
        verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT), limits=httpx.Limits(max_connections=64)
    )

    class Delayed(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            time.sleep(delay)
            return inner.handle_request(request)

        def close(self) -> None:
            inner.close()

    return Delayed()


def pin_once(text: str, cache: Path, jobs: int, expected: dict[str, str], name: str, latency: float) -> Run:
    config = RegistryConfig(cache_dir=cache, jobs=jobs, docker_config=cache / "no-docker-config.json")
    transport = latency_transport(latency) if latency > 0 else None
    started = time.perf_counter()
    with Resolver(config, transport=transport) as resolver:
        sc = scan_dockerfile(text)
        results = resolver.resolve_many(sc.lookups())
        pinned = plan(sc, results).apply(text)
        requests = resolver.requests
    seconds = time.perf_counter() - started
    ok = [r for r in results.values() if r.ok]
    for ref, res in results.items():
        want = expected.get(ref)
        if want is not None and res.digest != want:
            raise SystemExit(f"{name}: {ref} resolved to {res.digest}, registry says {want}")
        if want is None and res.ok:
            raise SystemExit(f"{name}: {ref} should not exist but resolved to {res.digest}")
    assert pinned.count("@sha256:") == len(ok)
    cached = sum(1 for r in results.values() if r.source == "cache")
    return Run(name, seconds, requests, len(ok), len(results) - len(ok), cached)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=8, help="concurrent lookups for the concurrent runs")
    ap.add_argument("--repeat", type=int, default=3, help="cold runs per mode (the median is reported)")
    ap.add_argument("--latency-ms", type=float, default=40.0, help="simulated WAN round trip (0: skip)")
    args = ap.parse_args(argv)

    if not DIGESTS.is_file():
        print(f"skipped: {DIGESTS} not found (set up ../shared/offline-registry first)", file=sys.stderr)
        return 0
    if socket.gethostbyname("registry-1.docker.io") != "127.0.0.1":
        print("skipped: registry-1.docker.io is not the local registry; not benchmarking the internet")
        return 0
    truth = {}
    for line in DIGESTS.read_text().splitlines():
        if line.strip():
            ref, digest = line.split()[:2]
            truth[ref] = digest
    refs, expected = references(truth)
    assert len(set(refs)) == TOTAL, "references must be distinct"
    text = "".join(f"FROM {ref}\n" for ref in refs)
    real = sum(1 for r in refs if r in expected)
    print(f"{TOTAL} distinct references: {real} real, {TOTAL - real} missing tags (404)")

    missing = TOTAL - real
    ok = True
    latencies = [0.0] + ([args.latency_ms / 1000] if args.latency_ms > 0 else [])
    for latency in latencies:
        where = "loopback" if latency == 0 else f"+{latency * 1000:.0f} ms per request"
        serial, concurrent, warm = measure(text, expected, args.jobs, args.repeat, latency)
        print(f"\n[{where}]")
        print(f"{'run':34} {'seconds':>8} {'lookups/s':>10} {'requests':>9} {'ok':>4} {'404':>4}")
        for r in (serial, concurrent, warm):
            print(
                f"{r.name:34} {r.seconds:8.3f} {r.rate:10.1f} {r.requests:9d} {r.resolved:4d} {r.failed:4d}"
            )
        print(f"concurrent vs serial: {serial.seconds / concurrent.seconds:.2f}x")
        print(
            f"warm run requests: {warm.requests}, all for the {missing} missing tags "
            f"({warm.from_cache}/{real} real references answered from the cache)"
        )
        ok = ok and warm.from_cache == real
    if not ok:
        print("FAIL: a warm run looked up a cached reference", file=sys.stderr)
        return 1
    return 0


def measure(
    text: str, expected: dict[str, str], jobs: int, repeat: int, latency: float
) -> tuple[Run, Run, Run]:
    def cold(n: int, name: str) -> Run:
        runs = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="hardenify-bench-") as tmp:
                runs.append(pin_once(text, Path(tmp), n, expected, name, latency))
        runs.sort(key=lambda r: r.seconds)
        return runs[len(runs) // 2]

    serial = cold(1, "cold, serial (--jobs 1)")
    concurrent = cold(jobs, f"cold, concurrent (--jobs {jobs})")
    with tempfile.TemporaryDirectory(prefix="hardenify-bench-") as tmp:
        pin_once(text, Path(tmp), jobs, expected, "prime", latency)
        warm_runs = [pin_once(text, Path(tmp), jobs, expected, "warm", latency) for _ in range(repeat)]
    warm = Run(
        "warm cache",
        statistics.median(r.seconds for r in warm_runs),
        max(r.requests for r in warm_runs),
        warm_runs[0].resolved,
        warm_runs[0].failed,
        min(r.from_cache for r in warm_runs),
    )
    return serial, concurrent, warm


if __name__ == "__main__":
    sys.exit(main())
