"""`fix --pin` and `bulk --pin` (issue 14 item 13): the fixer pins digests through the same
registry client, cache and edits as `hardenify pin`; an image the registry cannot answer
keeps its tag and is reported, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

from hardenify.cli import app
from tests.test_pin_cli import serve


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "cache"))


def run(cwd: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def _project(tmp_path: Path, host: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Dockerfile").write_text(
        f"# the app\nFROM {host}/library/python:3.12-slim\r\nRUN apt-get install curl\r\n"
        f'COPY --from={host}/library/missing:1 /x /x\r\nCMD ["python"]\r\n'
    )
    (proj / "compose.yaml").write_text(f"services:\n  db:\n    image: {host}/library/postgres:16  # db\n")
    return proj


def test_fix_pin_pins_after_fixing_and_reports_what_it_could_not(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    host = f"localhost:{httpserver.port}"
    py = serve(httpserver, "library/python", "3.12-slim")
    pg = serve(httpserver, "library/postgres", "16")
    proj = _project(tmp_path, host)
    res = run(proj, "fix", "--pin", ".")
    assert res.exit_code == 0, res.output
    df = (proj / "Dockerfile").read_bytes().decode()
    assert f"FROM {host}/library/python:3.12-slim@{py}\r\n" in df
    assert "apt-get install -y" in df or "apt-get -y install" in df  # the safe fix ran too (HF401)
    assert df.startswith("# the app\nFROM") and df.count("\r\n") == 4  # lossless around the edits
    assert f"COPY --from={host}/library/missing:1 /x /x" in df  # unresolvable: the tag stays
    assert f"Dockerfile:4: left unpinned: cannot resolve {host}/library/missing:1" in res.output
    compose = (proj / "compose.yaml").read_text()
    assert f"image: {host}/library/postgres:16@{pg}  # db\n" in compose
    # idempotent: a second run has nothing to pin and nothing to fix
    before = {p.name: p.read_bytes() for p in proj.iterdir()}
    again = run(proj, "fix", "--pin", "--diff", ".")
    assert {p.name: p.read_bytes() for p in proj.iterdir()} == before
    assert again.exit_code == 0, again.output


def test_fix_pin_diff_writes_nothing_and_shows_the_pin(tmp_path: Path, httpserver: HTTPServer) -> None:
    host = f"localhost:{httpserver.port}"
    py = serve(httpserver, "library/python", "3.12-slim")
    serve(httpserver, "library/postgres", "16")
    proj = _project(tmp_path, host)
    before = (proj / "Dockerfile").read_bytes()
    res = run(proj, "fix", "--pin", "--diff", ".")
    assert res.exit_code == 1
    assert (proj / "Dockerfile").read_bytes() == before
    assert f"+FROM {host}/library/python:3.12-slim@{py}" in res.output


def test_fix_without_pin_never_asks_a_registry(tmp_path: Path, httpserver: HTTPServer) -> None:
    proj = _project(tmp_path, f"localhost:{httpserver.port}")
    assert run(proj, "fix", ".").exit_code == 0
    assert "@sha256:" not in (proj / "Dockerfile").read_text()
    assert not httpserver.log


def test_fix_pin_with_an_unreachable_registry_keeps_tags_and_says_so(tmp_path: Path) -> None:
    proj = _project(tmp_path, "localhost:9")  # discard port: nothing listens
    res = run(proj, "fix", "--pin", ".")
    assert res.exit_code == 0, res.output
    assert "@sha256:" not in (proj / "Dockerfile").read_text()
    assert "left unpinned: cannot resolve localhost:9/library/python:3.12-slim" in res.output
    assert (
        "apt-get install -y" in (proj / "Dockerfile").read_text() or "-y" in (proj / "Dockerfile").read_text()
    )


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def test_bulk_pin_commits_pins_and_lists_unresolved_images_in_the_pr_body(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = T\n\temail = t@example.test\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    host = f"localhost:{httpserver.port}"
    py = serve(httpserver, "library/python", "3.12-slim")
    serve(httpserver, "library/postgres", "16")
    repo = _project(tmp_path, host)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    res = run(tmp_path, "bulk", "--pin", "--quiet", str(repo))
    assert res.exit_code == 0, res.output
    (branch,) = _git(repo, "branch", "--list", "hardenify/*", "--format=%(refname:short)").split()
    assert f"@{py}" in _git(repo, "show", f"{branch}:Dockerfile")
    body = (repo / ".git" / "hardenify" / "PR_BODY.md").read_text()
    assert "### Images left unpinned" in body and f"{host}/library/missing:1" in body
    assert "| safe | pinned `" in body  # each pin is an applied fix in the checklist
    # rerun: the branch already has the work
    again = run(tmp_path, "bulk", "--pin", "--quiet", str(repo))
    assert again.exit_code == 0 and "skipped" in again.output
