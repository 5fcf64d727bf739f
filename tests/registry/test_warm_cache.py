"""Issue #8: a second `hardenify pin` run with a warm cache does no network I/O.

Requests are counted at the transport (every httpx.HTTPTransport in the process, which is
what the command's own client sends through), and during the warm run every socket connect
is refused and recorded, so "no network I/O" is checked twice and never taken from the
resolver's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Response

from hardenify.commands.pin import command
from tests.registry import offline
from tests.registry.counting import TransportRequests, refuse_connections

INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the user's docker credentials or digest cache."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "default-cache"))


def serve(server: HTTPServer, repo: str, tag: str) -> str:
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": INDEX, "manifests": [], "tag": f"{repo}:{tag}"}
    ).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    for method in ("HEAD", "GET"):
        server.expect_request(f"/v2/{repo}/manifests/{tag}", method=method).respond_with_response(
            Response(body, headers={"Content-Type": INDEX, "Docker-Content-Digest": digest})
        )
    return digest


def pin(project: Path, cache: Path, *extra: str) -> str:
    result = CliRunner().invoke(command, [str(project), "--cache-dir", str(cache), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def project(root: Path, refs: list[str]) -> Path:
    root.mkdir()
    (root / "Dockerfile").write_text("".join(f"FROM {ref} AS s{i}\n" for i, ref in enumerate(refs)))
    services = "".join(f"  s{i}:\n    image: {ref}\n" for i, ref in enumerate(refs[:3]))
    (root / "compose.yaml").write_text(f"services:\n{services}")
    return root


def test_second_run_with_a_warm_cache_makes_no_requests_fake_registry(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    host = f"localhost:{httpserver.port}"
    digests = {f"{host}/team/app{i}:{i}": serve(httpserver, f"team/app{i}", str(i)) for i in range(6)}
    cold_proj = project(tmp_path / "cold", list(digests))
    warm_proj = tmp_path / "warm"
    shutil.copytree(cold_proj, warm_proj)
    cache = tmp_path / "cache"
    sent = TransportRequests(monkeypatch)

    pin(cold_proj, cache, "--jobs", "4")
    assert sent.count == len(digests) == len(httpserver.log)

    with refuse_connections() as attempts:
        pin(warm_proj, cache, "--jobs", "4")
    assert attempts == []
    assert sent.count == len(digests), "the warm run sent requests"
    assert len(httpserver.log) == len(digests)
    for name in ("Dockerfile", "compose.yaml"):
        assert (warm_proj / name).read_text() == (cold_proj / name).read_text()
    text = (warm_proj / "Dockerfile").read_text()
    for ref, digest in digests.items():
        assert f"{ref}@{digest}" in text


def test_missing_tags_are_asked_again_so_a_later_push_is_found(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """404s are not cached (deliberately): the warm run asks again, and finds a tag pushed since."""
    host = f"localhost:{httpserver.port}"
    found = serve(httpserver, "team/app", "1")
    unknown = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}
    httpserver.expect_oneshot_request("/v2/team/app/manifests/2", method="GET").respond_with_json(
        unknown, status=404
    )
    proj = project(tmp_path / "p", [f"{host}/team/app:1", f"{host}/team/app:2"])
    pristine = tmp_path / "pristine"
    shutil.copytree(proj, pristine)
    cache = tmp_path / "cache"
    sent = TransportRequests(monkeypatch)
    result = CliRunner().invoke(command, [str(proj), "--cache-dir", str(cache)])
    assert result.exit_code == 1 and "team/app:2" in result.output
    assert sent.count == 2
    pushed = serve(httpserver, "team/app", "2")
    pin(pristine, cache)
    assert sent.count == 3  # only the tag that was missing; team/app:1 came from the cache
    text = (pristine / "Dockerfile").read_text()
    assert f"team/app:1@{found}" in text and f"team/app:2@{pushed}" in text


_LIVE = offline.unavailable()


@pytest.mark.skipif(_LIVE is not None, reason=_LIVE or "")
def test_second_run_with_a_warm_cache_makes_no_requests_live_registry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """40 distinct real references (docker.io, gcr.io, ghcr.io, quay.io, 127.0.0.1:5000)."""
    refs = offline.distinct_references(40)
    cold_proj = project(tmp_path / "cold", list(refs))
    warm_proj = tmp_path / "warm"
    shutil.copytree(cold_proj, warm_proj)
    cache = tmp_path / "cache"
    sent = TransportRequests(monkeypatch)

    pin(cold_proj, cache, "--jobs", "8")
    cold = sent.count
    assert cold >= len(refs)  # one HEAD each (plus 401s and tokens in --auth token mode)
    pinned = dict(re.findall(r"FROM (\S+)@(sha256:[0-9a-f]{64})", (cold_proj / "Dockerfile").read_text()))
    assert pinned == refs

    with refuse_connections() as attempts:
        pin(warm_proj, cache, "--jobs", "8")
    assert attempts == []
    assert sent.count == cold, f"the warm run sent {sent.count - cold} requests"
    assert (warm_proj / "Dockerfile").read_text() == (cold_proj / "Dockerfile").read_text()
