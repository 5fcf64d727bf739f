"""Resolver behaviour around the network: cache, offline mode, dedupe, concurrency, config."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hardenify.imageref import parse_ref
from hardenify.registry import (
    DigestCache,
    ErrorKind,
    Platform,
    RegistryConfig,
    Resolver,
    lookup_key,
    parse_mirror,
)
from hardenify.registry.cache import CACHE_FILE
from tests.registry.fake_registry import INDEX, FakeRegistry, index_body, sha


def test_warm_cache_makes_zero_requests(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver], tmp_path: Path
) -> None:
    a = registry.manifest("library/a", "1")
    b = registry.manifest("library/b", "2", body=index_body(("linux", "arm64", "v8")))
    refs = [f"{registry.host}/library/a:1", f"{registry.host}/library/b:2"]
    cold = make_resolver()
    first = cold.resolve_many(refs)
    assert cold.requests == 2
    assert [r.source for r in first.values()] == ["registry", "registry"]

    warm = make_resolver()
    second = warm.resolve_many(refs)
    assert warm.requests == 0
    assert [r.digest for r in second.values()] == [a, b]
    assert [r.source for r in second.values()] == ["cache", "cache"]
    assert len(registry.requests()) == 2
    # The cache file is plain JSON keyed by the canonical reference.
    data = json.loads((tmp_path / "cache" / CACHE_FILE).read_text())
    assert data["entries"][f"{registry.host}/library/a:1"]["digest"] == a


def test_expired_entries_are_looked_up_again(
    registry: FakeRegistry, make_config: Callable[..., RegistryConfig]
) -> None:
    digest = registry.manifest("library/a", "1")
    now = [1000.0]
    cfg = make_config(cache_ttl=60)
    Resolver(cfg, clock=lambda: now[0]).resolve(f"{registry.host}/library/a:1")
    now[0] += 30
    fresh = Resolver(cfg, clock=lambda: now[0])
    assert fresh.resolve(f"{registry.host}/library/a:1").digest == digest and fresh.requests == 0
    now[0] += 60
    expired = Resolver(cfg, clock=lambda: now[0])
    assert expired.resolve(f"{registry.host}/library/a:1").source == "registry"
    assert expired.requests == 1


def test_offline_uses_only_the_cache_and_reports_misses(
    registry: FakeRegistry, make_config: Callable[..., RegistryConfig]
) -> None:
    digest = registry.manifest("library/a", "1")
    now = [0.0]
    Resolver(make_config(), clock=lambda: now[0]).resolve(f"{registry.host}/library/a:1")
    before = len(registry.requests())
    now[0] += 10 * 86400  # long expired: offline still prefers a real digest to none
    offline = Resolver(make_config(offline=True), clock=lambda: now[0])
    res = offline.resolve_many([f"{registry.host}/library/a:1", f"{registry.host}/library/never:1"])
    hit, miss = res.values()
    assert hit.digest == digest and hit.source == "cache"
    assert miss.error is not None and miss.error.kind is ErrorKind.OFFLINE
    assert "offline" in miss.error.message
    assert offline.requests == 0 and len(registry.requests()) == before


def test_each_distinct_reference_is_looked_up_once(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    registry.manifest("library/python", "3.12")
    r = make_resolver(mirrors={"docker.io": registry.host}, use_cache=False)
    spellings = ["python:3.12", "docker.io/library/python:3.12", "python:3.12", "library/python:3.12"]
    res = r.resolve_many(spellings)
    assert list(res) == ["python:3.12", "docker.io/library/python:3.12", "library/python:3.12"]
    assert all(v.ok for v in res.values())
    assert res["library/python:3.12"].ref == "library/python:3.12"
    r.resolve_many(["python:3.12"])  # memoised for the rest of the run
    assert r.requests == 1


def test_lookups_run_concurrently_within_the_job_limit(make_resolver: Callable[..., Resolver]) -> None:
    active, peak = [0], [0]
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)
        with lock:
            active[0] -= 1
        body = index_body(("linux", request.path, None))
        return Response(body, status=200, headers={"Content-Type": INDEX, "Docker-Content-Digest": sha(body)})

    # pytest-httpserver is single-threaded by default; run a threaded one for this test.
    threaded = HTTPServer(threaded=True)
    threaded.start()
    try:
        for i in range(12):
            threaded.expect_request(f"/v2/library/img{i}/manifests/1").respond_with_handler(handler)
        r = make_resolver(jobs=4, use_cache=False)
        refs = [f"localhost:{threaded.port}/library/img{i}:1" for i in range(12)]
        started = time.monotonic()
        res = r.resolve_many(refs)
        elapsed = time.monotonic() - started
    finally:
        threaded.clear()
        threaded.stop()
    assert all(
        v.digest == sha(index_body(("linux", f"/v2/library/img{i}/manifests/1", None)))
        for i, v in enumerate(res.values())
    )
    assert 2 <= peak[0] <= 4
    assert elapsed < 12 * 0.15  # faster than one after the other


def test_invalid_references_and_bare_digests_need_no_request(make_resolver: Callable[..., Resolver]) -> None:
    good = "sha256:" + "a" * 64
    r = make_resolver()
    res = r.resolve_many(["Not A Ref", f"python@{good}", "python@sha512:" + "b" * 128])
    bad, bare, other = res.values()
    assert bad.error is not None and bad.error.kind is ErrorKind.INVALID_REFERENCE
    assert bare.digest == good and bare.source == "reference"
    assert other.error is not None and other.error.kind is ErrorKind.BAD_DIGEST
    assert r.requests == 0


def test_a_digest_in_a_tagged_reference_is_ignored_so_updates_see_the_tag(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    digest = registry.manifest("library/a", "1")
    old = "sha256:" + "0" * 64
    res = make_resolver().resolve(f"{registry.host}/library/a:1@{old}")
    assert res.digest == digest


def test_bad_platform_is_a_usage_error(make_resolver: Callable[..., Resolver]) -> None:
    with pytest.raises(ValueError, match="OS/ARCH"):
        make_resolver().resolve_many(["python:3"], platform="amd64")


def test_importing_the_package_does_not_import_httpx() -> None:
    code = (
        "import sys, hardenify.registry, hardenify.pinning, hardenify.commands.pin\n"
        "bad = [m for m in ('httpx', 'truststore', 'ruamel.yaml', 'platformdirs') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------------------- cache


def test_cache_writes_are_atomic_and_merge_with_other_writers(tmp_path: Path) -> None:
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    a = DigestCache(tmp_path, ttl=60)
    b = DigestCache(tmp_path, ttl=60)
    a.put("x/a:1", d1)
    b.put("x/b:1", d2)
    a.save()
    b.save()  # must not drop a's entry
    fresh = DigestCache(tmp_path, ttl=60)
    assert fresh.get("x/a:1") == d1 and fresh.get("x/b:1") == d2
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]  # no temp files left behind


def test_corrupt_or_tampered_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text("{ not json")
    assert DigestCache(tmp_path, ttl=60).get("x") is None
    entries = {
        "ok": {"digest": "sha256:" + "c" * 64, "time": time.time()},
        "evil": {"digest": "sha256:../../etc/passwd", "time": time.time()},
    }
    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": 1, "entries": entries}))
    cache = DigestCache(tmp_path, ttl=60)
    assert cache.get("ok") == "sha256:" + "c" * 64
    assert cache.get("evil") is None
    with pytest.raises(ValueError):
        cache.put("k", "sha256:nope")


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "env"))
    assert RegistryConfig().resolved_cache_dir() == tmp_path / "env"
    assert RegistryConfig(cache_dir=tmp_path / "param").resolved_cache_dir() == tmp_path / "param"
    monkeypatch.delenv("HARDENIFY_CACHE_DIR")
    assert "hardenify" in str(RegistryConfig().resolved_cache_dir())


def test_unwritable_cache_does_not_fail_the_run(
    registry: FakeRegistry, make_config: Callable[..., RegistryConfig], tmp_path: Path
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    digest = registry.manifest("library/a", "1")
    r = Resolver(make_config(cache_dir=blocker / "cache"))
    assert r.resolve(f"{registry.host}/library/a:1").digest == digest


# --------------------------------------------------------------------------------- config


def test_endpoints_docker_hub_mirrors_and_plain_http() -> None:
    cfg = RegistryConfig(
        mirrors={"https://index.docker.io/v1/": "harbor.corp:443/hub/"}, insecure_registries=["reg.lan:5000"]
    )
    hub = cfg.endpoint(parse_ref("python:3.12"))
    assert (hub.host, hub.repository, hub.scheme, hub.auth_key) == (
        "harbor.corp:443",
        "hub/library/python",
        "https",
        "harbor.corp:443",
    )
    plain = RegistryConfig().endpoint(parse_ref("python"))
    assert plain.manifest_url("latest") == "https://registry-1.docker.io/v2/library/python/manifests/latest"
    assert plain.auth_key == "docker.io"
    assert cfg.endpoint(parse_ref("reg.lan:5000/a/b:1")).scheme == "http"
    assert cfg.endpoint(parse_ref("reg.lan:5001/a/b:1")).scheme == "https"  # a different port is not listed
    assert cfg.endpoint(parse_ref("localhost:5000/a:1")).scheme == "http"
    assert cfg.endpoint(parse_ref("127.0.0.1:5000/a:1")).scheme == "http"
    assert cfg.endpoint(parse_ref("gcr.io/distroless/static")).scheme == "https"


def test_parse_mirror_and_platform() -> None:
    assert parse_mirror("docker.io=harbor.corp:443") == ("docker.io", "harbor.corp:443")
    assert parse_mirror("registry-1.docker.io=https://m.example/hub/") == ("docker.io", "m.example/hub")
    for bad in ("docker.io", "=host", "docker.io=", "a=b c"):
        with pytest.raises(ValueError, match="REGISTRY=HOST"):
            parse_mirror(bad)
    assert str(Platform.parse("Linux/ARM64/v8")) == "linux/arm64/v8"
    assert Platform.parse("linux/aarch64").normalized() == Platform.parse("linux/arm64/v8").normalized()
    with pytest.raises(ValueError):
        Platform.parse("linux")


def test_lookup_key_normalises_spellings() -> None:
    keys = {lookup_key(parse_ref(s)) for s in ("python", "library/python:latest", "docker.io/library/python")}
    assert keys == {"docker.io/library/python:latest"}
    assert (
        lookup_key(parse_ref("python:3"), Platform.parse("linux/amd64"))
        == "docker.io/library/python:3|linux/amd64"
    )
