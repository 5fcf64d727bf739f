"""Integration: resolve against the REAL local registry (../shared/offline-registry).

The registry serves docker.io, gcr.io, … over TLS on 127.0.0.1:443 (via /etc/hosts, CA in the
system trust store) and plain HTTP on 127.0.0.1:5000. `digests.tsv` holds the true digest of
every reference; the digests change when the images are rebuilt, so they are always read,
never hard-coded. No container engine is needed, so these tests are not marked e2e; they
skip with a reason when the registry is absent, and never fall through to the internet.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.registry import ErrorKind, RegistryConfig, Resolver
from tests.registry import offline

STATE = offline.STATE
IMAGES = offline.IMAGES
SETUP_DIR = offline.SETUP_DIR
SETUP = SETUP_DIR / "setup.sh"
LOCK = Path("/tmp/hardenify-offline-registry-auth.lock")

_REASON = offline.unavailable()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")
recorded = offline.recorded


def short(ref: str) -> str:
    """`docker.io/library/python:3.12` → `python:3.12`, as people write it."""
    if ref.startswith("docker.io/library/"):
        return ref[len("docker.io/library/") :]
    return ref.removeprefix("docker.io/")


@pytest.fixture
def config(tmp_path: Path) -> RegistryConfig:
    return RegistryConfig(cache_dir=tmp_path / "cache", docker_config=tmp_path / "none.json", jobs=8)


def test_every_recorded_reference_resolves_to_its_digest_then_warm_cache_is_free(
    config: RegistryConfig,
) -> None:
    truth = recorded()
    refs = [short(r) for r in truth] + list(truth)  # both spellings: still one lookup each
    with Resolver(config) as cold:
        res = cold.resolve_many(refs)
        assert cold.requests == len(truth)
    for ref, digest in truth.items():
        assert res[ref].digest == digest, res[ref]
        assert res[short(ref)].digest == digest
    with Resolver(config) as warm:
        again = warm.resolve_many(refs)
        assert warm.requests == 0
    assert {k: v.digest for k, v in again.items()} == {k: v.digest for k, v in res.items()}


def test_platform_manifest_matches_images_json(config: RegistryConfig) -> None:
    images = json.loads(IMAGES.read_text())["images"]
    sample = [
        ref for ref in images if ref.startswith(("docker.io/library/python", "gcr.io/distroless/static"))
    ]
    assert sample
    with Resolver(config) as r:
        res = r.resolve_many(sample, platform="linux/amd64")
        arm = r.resolve(sample[0], platform="linux/arm64")
    for ref in sample:
        assert res[ref].digest == images[ref]["manifest"]
        assert res[ref].digest != images[ref]["digest"]  # not the index
    assert arm.error is not None and arm.error.kind is ErrorKind.PLATFORM


def test_plain_http_on_port_5000(config: RegistryConfig) -> None:
    truth = recorded()
    ref = "docker.io/library/python:3.12-slim"
    with Resolver(config) as r:
        res = r.resolve("127.0.0.1:5000/library/python:3.12-slim")
    assert res.digest == truth[ref]


def test_unknown_images_are_clean_not_found_errors(config: RegistryConfig) -> None:
    with Resolver(config) as r:
        res = r.resolve_many(["alpine:3.20", "python:3.11", "python:3.12-slim"])
    assert res["alpine:3.20"].error is not None and res["alpine:3.20"].error.kind is ErrorKind.NOT_FOUND
    assert res["python:3.11"].error is not None and res["python:3.11"].error.kind is ErrorKind.NOT_FOUND
    assert res["python:3.12-slim"].digest == recorded()["docker.io/library/python:3.12-slim"]


SAMPLE_DOCKERFILE = """\
# syntax-free on purpose: the offline registry has no docker/dockerfile frontend
ARG BASE=python:3.12-slim
FROM ${BASE} AS build
RUN --mount=type=bind,from=golang:1.23,source=/usr/local/go,target=/go \\
    echo building
FROM gcr.io/distroless/python3-debian12:nonroot
COPY --from=build /app /app
COPY --from=node:22-slim /usr/bin/node /usr/bin/node
"""

SAMPLE_COMPOSE = """\
services:
  web:
    image: nginxinc/nginx-unprivileged:1.27  # front
  db:
    image: "debian:bookworm-slim"
"""


def _pin_samples(tmp_path: Path, *extra: str) -> tuple[Path, Path, str]:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Dockerfile").write_text(SAMPLE_DOCKERFILE)
    (proj / "compose.yaml").write_text(SAMPLE_COMPOSE)
    from hardenify.commands.pin import command

    result = CliRunner().invoke(command, [str(proj), "--cache-dir", str(tmp_path / "cache"), *extra])
    assert result.exit_code == 0, result.output
    return proj / "Dockerfile", proj / "compose.yaml", result.output


def _assert_pins_match_registry(*files: Path) -> int:
    truth = {short(k): v for k, v in recorded().items()}
    found = 0
    for f in files:
        for ref, digest in re.findall(r"([\w./:-]+)@(sha256:[0-9a-f]{64})", f.read_text()):
            assert truth[ref] == digest, f"{f.name}: {ref}"
            found += 1
    return found


def test_cli_pins_sample_files_to_the_registry_digests(tmp_path: Path) -> None:
    dockerfile, compose, _ = _pin_samples(tmp_path)
    assert _assert_pins_match_registry(dockerfile, compose) == 6
    text = compose.read_text()
    assert "image: nginxinc/nginx-unprivileged:1.27@sha256:" in text and "# front" in text
    # The gate now passes: nothing unpinned, nothing stale.
    from hardenify.commands.pin import command

    check = CliRunner().invoke(
        command, [str(tmp_path / "proj"), "--check", "--cache-dir", str(tmp_path / "c2")]
    )
    assert check.exit_code == 0, check.output


# ----------------------------------------------------------------------------- token mode


def _auth_mode() -> str:
    try:
        return (STATE / "auth-mode").read_text().strip()
    except OSError:
        return "unknown"


def _setup(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SETUP), "--auth", mode], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def token_mode() -> Iterator[None]:
    """Switch the registry to anonymous-Bearer mode; ALWAYS switch back to `none`."""
    if not SETUP.is_file():
        pytest.skip(f"{SETUP} not found; cannot switch auth modes")
    if os.geteuid() != 0:
        pytest.skip("switching the offline registry's auth mode needs root")
    # Two test runs at once must not switch the shared registry under each other.
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            proc = _setup("token")
            if proc.returncode != 0 or _auth_mode() != "token":
                pytest.skip(f"setup.sh --auth token failed: {proc.stderr.strip()[-300:]}")
            yield
        finally:
            back = _setup("none")
            assert back.returncode == 0, f"could not restore --auth none: {back.stderr[-500:]}"


def test_token_mode_anonymous_bearer_dance(token_mode: None, config: RegistryConfig) -> None:
    import ssl

    import httpx
    import truststore

    # Prove the mode switch: without a token the registry now says 401 with a challenge.
    ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe = httpx.head("https://registry-1.docker.io/v2/library/python/manifests/3.12-slim", verify=ctx)
    assert probe.status_code == 401
    assert probe.headers["www-authenticate"].startswith('Bearer realm="https://auth.docker.io/token"')

    truth = recorded()
    with Resolver(config) as r:
        res = r.resolve_many(list(truth))
        requests = r.requests
    for ref, digest in truth.items():
        assert res[ref].digest == digest, res[ref]
    # One HEAD per image plus the token requests (and one 401 per host that had to challenge).
    assert requests > len(truth)


def test_token_mode_cli(token_mode: None, tmp_path: Path) -> None:
    dockerfile, compose, _ = _pin_samples(tmp_path)
    assert _assert_pins_match_registry(dockerfile, compose) == 6
