"""`hardenify pin` end to end against a fake registry (pytest-httpserver on localhost)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Response

from hardenify.cli import app

INDEX = "application/vnd.oci.image.index.v1+json"


def serve(server: HTTPServer, repo: str, tag: str, seed: str = "") -> str:
    """Serve repo:tag as a one-platform index; returns its digest. `seed` varies the body."""
    doc = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + hashlib.sha256(f"{repo}:{tag}:{seed}:amd64".encode()).hexdigest(),
                "size": 1,
                "platform": {"os": "linux", "architecture": "amd64"},
            }
        ],
        "annotations": {"seed": seed},
    }
    body = json.dumps(doc).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    for method in ("HEAD", "GET"):
        server.expect_request(f"/v2/{repo}/manifests/{tag}", method=method).respond_with_response(
            Response(body, headers={"Content-Type": INDEX, "Docker-Content-Digest": digest})
        )
    return digest


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the user's docker credentials or cache."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def host(httpserver: HTTPServer) -> str:
    return f"localhost:{httpserver.port}"


def run(*args: str, cwd: Path | None = None) -> Result:
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(app, ["pin", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def project(tmp_path: Path, host: str) -> Path:
    proj = tmp_path / "proj"
    (proj / "svc").mkdir(parents=True)
    (proj / "Dockerfile").write_text(
        f"ARG BASE={host}/library/python:3.12\nFROM ${{BASE}} AS build\n"
        f"FROM {host}/distroless/static:nonroot\nCOPY --from=build /app /app\n"
    )
    (proj / "svc" / "compose.yaml").write_text(
        f"services:\n  db:\n    image: {host}/library/postgres:16  # db\n"
    )
    for skipped in (".git", "node_modules"):
        (proj / skipped).mkdir()
        (proj / skipped / "Dockerfile").write_text(f"FROM {host}/library/never:1\n")
    return proj


def test_help_teaches_with_examples() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for needle in (
        "Examples:",
        "hardenify pin --check .",
        "--mirror",
        "--offline",
        "Exit codes",
        "credHelpers",
    ):
        assert needle in result.output


def test_pins_a_tree_in_order_and_skips_git_and_node_modules(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    py = serve(httpserver, "library/python", "3.12")
    static = serve(httpserver, "distroless/static", "nonroot")
    pg = serve(httpserver, "library/postgres", "16")
    proj = project(tmp_path, host)
    result = run(".", cwd=proj)
    assert result.exit_code == 0, result.output
    assert (proj / "Dockerfile").read_text() == (
        f"ARG BASE={host}/library/python:3.12@{py}\nFROM ${{BASE}} AS build\n"
        f"FROM {host}/distroless/static:nonroot@{static}\nCOPY --from=build /app /app\n"
    )
    assert (proj / "svc" / "compose.yaml").read_text() == (
        f"services:\n  db:\n    image: {host}/library/postgres:16@{pg}  # db\n"
    )
    assert result.stdout.splitlines() == [
        f"Dockerfile:1: pinned {host}/library/python:3.12 to {py}",
        f"Dockerfile:3: pinned {host}/distroless/static:nonroot to {static}",
        f"svc/compose.yaml:3: pinned {host}/library/postgres:16 to {pg}",
    ]
    assert "3 pinned, 0 updated (2 files scanned, 2 with changes)" in result.stderr
    assert (proj / ".git" / "Dockerfile").read_text() == f"FROM {host}/library/never:1\n"
    paths = {req.path for req, _ in httpserver.log}
    assert not any("never" in p for p in paths)


def test_warm_cache_second_run_makes_no_requests(httpserver: HTTPServer, host: str, tmp_path: Path) -> None:
    serve(httpserver, "library/python", "3.12")
    serve(httpserver, "distroless/static", "nonroot")
    serve(httpserver, "library/postgres", "16")
    proj = project(tmp_path, host)
    pristine = tmp_path / "pristine"
    shutil.copytree(proj, pristine)
    assert run(str(proj)).exit_code == 0
    cold = len(httpserver.log)
    assert cold == 3
    again = run(str(pristine))
    assert again.exit_code == 0
    assert len(httpserver.log) == cold
    assert (pristine / "Dockerfile").read_text() == (proj / "Dockerfile").read_text()


def test_diff_writes_nothing_exits_1_and_applies_with_git(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    serve(httpserver, "library/python", "3.12")
    serve(httpserver, "distroless/static", "nonroot")
    pg = serve(httpserver, "library/postgres", "16")
    proj = project(tmp_path, host)
    before = (proj / "Dockerfile").read_text()
    result = run("--diff", ".", cwd=proj)
    assert result.exit_code == 1
    assert (proj / "Dockerfile").read_text() == before
    patch = result.stdout
    assert patch.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "--- a/svc/compose.yaml\n+++ b/svc/compose.yaml\n" in patch
    assert f"+    image: {host}/library/postgres:16@{pg}  # db\n" in patch
    assert "would pin" in result.stderr and "would pin" not in patch
    if shutil.which("git"):
        subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=proj, check=True)
        assert f"postgres:16@{pg}" in (proj / "svc" / "compose.yaml").read_text()


def test_diff_marks_a_missing_final_newline(httpserver: HTTPServer, host: str, tmp_path: Path) -> None:
    d = serve(httpserver, "library/python", "3.12")
    f = tmp_path / "Dockerfile"
    f.write_text(f"FROM {host}/library/python:3.12")
    result = run("--diff", str(f), cwd=tmp_path)
    assert result.stdout.endswith(f"+FROM {host}/library/python:3.12@{d}\n\\ No newline at end of file\n")


def test_check_fails_on_unpinned_then_passes_then_catches_a_moved_tag(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    old = serve(httpserver, "library/python", "3.12", seed="v1")
    f = tmp_path / "Dockerfile"
    f.write_text(f"FROM {host}/library/python:3.12\n")
    unpinned = run("--check", str(f), cwd=tmp_path)
    assert unpinned.exit_code == 1
    assert f"Dockerfile:1: unpinned: {host}/library/python:3.12 (would pin to {old})" in unpinned.stdout
    assert f.read_text() == f"FROM {host}/library/python:3.12\n"  # --check never writes

    assert run(str(f), cwd=tmp_path).exit_code == 0
    assert run("--check", str(f), cwd=tmp_path).exit_code == 0

    httpserver.clear()
    new = serve(httpserver, "library/python", "3.12", seed="v2")
    stale = run("--check", "--cache-ttl", "0", str(f), cwd=tmp_path)
    assert stale.exit_code == 1
    assert (
        f"stale: {host}/library/python:3.12 is pinned to {old}, its tag now points to {new}" in stale.stdout
    )

    # Plain `pin` leaves a pinned image alone; --update moves it.
    assert run("--cache-ttl", "0", str(f), cwd=tmp_path).exit_code == 0
    assert f.read_text() == f"FROM {host}/library/python:3.12@{old}\n"
    updated = run("--update", "--cache-ttl", "0", str(f), cwd=tmp_path)
    assert updated.exit_code == 0
    assert f"updated {host}/library/python:3.12: {old} -> {new}" in updated.stdout
    assert f.read_text() == f"FROM {host}/library/python:3.12@{new}\n"


def test_per_image_errors_name_file_line_image_and_reason(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    ok = serve(httpserver, "library/python", "3.12")
    httpserver.expect_request("/v2/library/python/manifests/nope").respond_with_response(Response(status=404))
    f = tmp_path / "Dockerfile"
    f.write_text(f"ARG X\nFROM {host}/library/python:3.12\nFROM {host}/library/python:nope\nFROM $X\n")
    result = run(str(f), cwd=tmp_path)
    assert result.exit_code == 1
    assert (
        f.read_text()
        == f"ARG X\nFROM {host}/library/python:3.12@{ok}\nFROM {host}/library/python:nope\nFROM $X\n"
    )
    assert (
        f"Dockerfile:3: error: cannot resolve {host}/library/python:nope (FROM): "
        f"library/python:nope not found on {host} (unknown tag or repository) [not-found]"
    ) in result.stderr
    assert "Dockerfile:4: note: $X: FROM uses ARG X (line 1), which has no default" in result.stderr
    assert "1 could not be resolved" in result.stderr


def test_offline_with_an_empty_cache_reports_and_sends_nothing(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    serve(httpserver, "library/python", "3.12")
    f = tmp_path / "Dockerfile"
    f.write_text(f"FROM {host}/library/python:3.12\n")
    result = run("--offline", str(f), cwd=tmp_path)
    assert result.exit_code == 1
    assert "[offline]" in result.stderr
    assert len(httpserver.log) == 0
    assert f.read_text() == f"FROM {host}/library/python:3.12\n"


def test_mirror_and_platform_flags(httpserver: HTTPServer, host: str, tmp_path: Path) -> None:
    serve(httpserver, "hub/library/python", "3.12")
    f = tmp_path / "Dockerfile"
    f.write_text("FROM python:3.12\n")
    result = run("--mirror", f"docker.io={host}/hub", "--platform", "linux/amd64", str(f), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    amd64 = "sha256:" + hashlib.sha256(b"hub/library/python:3.12::amd64").hexdigest()
    assert f.read_text() == f"FROM python:3.12@{amd64}\n"
    assert [req.method for req, _ in httpserver.log] == ["GET"]


def test_writes_keep_mode_crlf_odd_bytes_and_symlinks(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    d = serve(httpserver, "library/python", "3.12")
    real = tmp_path / "real.Dockerfile"
    raw = f"# caf\xe9 latin-1 comment\r\nFROM {host}/library/python:3.12\r\n".encode("latin-1")
    real.write_bytes(raw)
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    result = run(str(link), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert real.read_bytes() == raw.replace(b"3.12\r\n", f"3.12@{d}\r\n".encode())
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mirror", "docker.io"], "REGISTRY=HOST"),
        (["--platform", "amd64"], "OS/ARCH"),
        (["--jobs", "0"], "jobs"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(*args, str(tmp_path))
    assert result.exit_code == 2
    assert message in result.output


def test_missing_path_and_bad_yaml(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope"))
    assert missing.exit_code == 2
    assert "nope: No such file or directory" in missing.stderr
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  web: [\n")
    result = run(str(bad), cwd=tmp_path)
    assert result.exit_code == 1
    assert "compose.yaml: not valid YAML" in result.stderr


def test_check_revalidates_a_fresh_cache_and_offline_stays_cache_only(
    httpserver: HTTPServer, host: str, tmp_path: Path
) -> None:
    """A moved tag is caught by --check at once, not after the cache's TTL (issue 18.6)."""
    old = serve(httpserver, "library/python", "3.12", seed="v1")
    f = tmp_path / "Dockerfile"
    f.write_text(f"FROM {host}/library/python:3.12\n")
    assert run(str(f), cwd=tmp_path).exit_code == 0  # pins and caches `old` (TTL 1 h)
    httpserver.clear()
    new = serve(httpserver, "library/python", "3.12", seed="v2")

    offline = run("--check", "--offline", str(f), cwd=tmp_path)
    assert offline.exit_code == 0, offline.output  # the cache alone: it still says `old`
    assert len(httpserver.log) == 0

    moved = run("--check", str(f), cwd=tmp_path)
    assert moved.exit_code == 1
    assert f"its tag now points to {new}" in moved.stdout
    # A HEAD found the move; the GET verified the new digest before it was reported or cached.
    assert [req.method for req, _ in httpserver.log] == ["HEAD", "GET"]
    assert f.read_text() == f"FROM {host}/library/python:3.12@{old}\n"

    again = run("--check", str(f), cwd=tmp_path)
    assert again.exit_code == 1
    assert [req.method for req, _ in httpserver.log][2:] == ["HEAD"]  # unchanged since: a HEAD only


FAULTS = {
    # fault → what the one-line error must say (besides naming the image)
    "lie/get": "does not match its Docker-Content-Digest",
    "html/login": "HTML page",
    "garbage/bytes": "not valid JSON",
    "schema1/app": "schema 1",
    "truncated/app": "failed",
    "drip/headers": "timed out after 3s",
    "drip/body": "timed out after 3s",
    "limit/429": "HTTP 429",
    "loop/401": "denied",
    "redirect/loop": "redirected more than 5 times",
    "reset/request": "failed",
}


@pytest.mark.parametrize("repo", sorted(FAULTS))
def test_pin_writes_and_caches_nothing_from_a_faulty_registry(repo: str, tmp_path: Path) -> None:
    import threading
    import time

    from tests.registry.faulty import FaultyRegistry

    server = FaultyRegistry().start()
    try:
        good, bad = f"{server.host}/good/app:1", f"{server.host}/{repo}:1"
        f = tmp_path / "Dockerfile"
        text = f"FROM {bad}\nFROM {good}\n"
        f.write_text(text)
        results: list[Result] = []
        started = time.monotonic()
        worker = threading.Thread(
            target=lambda: results.append(run("--timeout", "3", str(f), cwd=tmp_path)), daemon=True
        )
        worker.start()
        worker.join(3 + 10)
        assert not worker.is_alive(), "pin hung"
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    result = results[0]
    assert result.exit_code == 1
    err = result.stderr
    line = next(x for x in err.splitlines() if "cannot resolve" in x)
    assert line.startswith(f"Dockerfile:1: error: cannot resolve {bad} (FROM): ")
    assert FAULTS[repo] in line and "Traceback" not in result.output
    # The good image on the same host is pinned; the faulty one is left as it was.
    written = f.read_text()
    assert written.startswith(f"FROM {bad}\nFROM {good}@sha256:")
    cache = (tmp_path / "cache" / "registry-digests.json").read_text()
    assert bad not in cache and good in cache
    assert elapsed < 3 + 10
