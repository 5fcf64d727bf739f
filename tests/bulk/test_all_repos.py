"""The all-repos autofixer, run fully offline: local "remotes", the json_file source, local pushes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.bulk.treefix import FixOptions
from hardenify.cli import app
from tests.bulk.conftest import SAMPLES, git
from tests.bulk.test_bulk import FLEET

pytest.importorskip(
    "all_repos", reason="all-repos is not installed (pip install all-repos; it is in the test extra)"
)

BROKEN = {"zz-binary": b"FROM scratch\n\x00\x00", "zz-unparsable": b"FROM python:3.12-slim\nFROMM typo\n"}


def sections(log: str) -> dict[str, str]:
    """all-repos prints `***<clone path>` before each repository's output."""
    out: dict[str, str] = {}
    name = None
    for line in log.splitlines():
        m = re.match(r"\*\*\*clones/(\S+)$", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name is not None:
            out[name] += line + "\n"
    return out


def all_repos(*args: str, cwd: Path) -> str:
    """Run an all-repos entry point; stdout and stderr interleaved as written (tracebacks in place)."""
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Twenty bare "remote" repositories, a repos.json naming them, and an all-repos config."""
    work, remotes = tmp_path / "work", tmp_path / "remotes"
    work.mkdir()
    remotes.mkdir()
    names = [*FLEET, "copy-of-python", "zz-binary", "zz-unparsable", "zz-clean"]
    for name in names:
        src = work / name
        sample = {
            "copy-of-python": "legacy-python",
            "zz-binary": "legacy-apt",
            "zz-unparsable": "legacy-apt",
            "zz-clean": "python-app",
        }.get(name, name)
        shutil.copytree(SAMPLES / sample, src)
        if name in BROKEN:
            (src / "Dockerfile").write_bytes(BROKEN[name])
        if name == "zz-clean":
            (src / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")  # a Dockerfile with no safe fix
        git(src, "init", "-q", "-b", "main")
        git(src, "add", "-A")
        git(src, "commit", "-q", "-m", "import")
        subprocess.run(["git", "clone", "-q", "--bare", str(src), str(remotes / f"{name}.git")], check=True)
    (tmp_path / "repos.json").write_text(json.dumps({n: str(remotes / f"{n}.git") for n in names}))
    write_config(tmp_path, "all_repos.push.readonly")
    return tmp_path


def write_config(root: Path, push: str) -> None:
    cfg = root / "all-repos.json"
    cfg.write_text(
        json.dumps(
            {
                "output_dir": "clones",
                "source": "all_repos.source.json_file",
                "source_settings": {"filename": str(root / "repos.json")},
                "push": push,
                "push_settings": {},
            }
        )
    )
    cfg.chmod(0o600)


def remote_heads(root: Path) -> dict[str, str]:
    return {p.stem: git(p, "rev-parse", "main").strip() for p in sorted((root / "remotes").iterdir())}


def test_all_repos_autofixer_commits_skips_errors_and_is_idempotent(fleet: Path) -> None:
    assert len(list((fleet / "remotes").iterdir())) == 20
    clone = ["-c", "from all_repos.clone import main; raise SystemExit(main())", "-C", "all-repos.json"]
    fixer = ["-m", "hardenify.integrations.all_repos", "-C", "all-repos.json"]
    all_repos(*clone, cwd=fleet)

    # The oracle: which clones would plain `hardenify fix` change?
    changes = {}
    for p in sorted((fleet / "clones").iterdir()):
        if p.name in BROKEN:
            continue
        res = CliRunner().invoke(app, ["fix", "--diff", "-q", str(p)])
        assert res.exit_code in (0, 1), (p.name, res.output)
        changes[p.name] = res.exit_code == 1
    has_files = {n for n in changes if any((fleet / "clones" / n).rglob("Dockerfile"))}

    # 1. read-only push: everything up to the commit happens in temporary clones; nothing leaves.
    before = remote_heads(fleet)
    log = sections(all_repos(*fixer, cwd=fleet))
    assert set(log) == has_files | set(BROKEN)  # repositories without a Dockerfile are not even visited
    branch = f"all-repos_autofix_{FixOptions().branch_name()}"
    for name, out in log.items():
        if name in BROKEN:
            assert "***Errored" in out and "cannot be fixed, nothing committed" in out, out
            assert "$ git commit" not in out
        elif changes[name]:
            assert f"-b {branch}" in out and "$ git commit" in out and "hardenify: fixed " in out, (name, out)
            assert "## Harden container builds with hardenify" in out  # the PR body, in the log
        else:
            assert "$ git commit" not in out and "hardenify: nothing to fix" in out, (name, out)
    assert log["zz-binary"].count("binary file") >= 1
    assert "does not parse" in log["zz-unparsable"]
    assert remote_heads(fleet) == before

    # 2. merge_to_master: the fix lands on each remote's main through the autofix branch.
    write_config(fleet, "all_repos.push.merge_to_master")
    all_repos(*fixer, cwd=fleet)
    after = remote_heads(fleet)
    for name, head in after.items():
        remote = fleet / "remotes" / f"{name}.git"
        if changes.get(name):
            assert head != before[name], name
            subjects = git(remote, "log", "--format=%s", "main").splitlines()
            assert subjects[0] == f"Merge branch '{branch}'"
            assert subjects[1] == "hardenify: harden container builds"
            fixed = CliRunner().invoke(app, ["fix", "-q", str(fleet / "work" / name)])
            assert fixed.exit_code == 0
            assert (
                git(remote, "show", "main:Dockerfile") == (fleet / "work" / name / "Dockerfile").read_text()
            )
        else:
            assert head == before[name], name  # skipped or errored: untouched

    # 3. a second run (after updating the clones) commits nothing anywhere.
    all_repos(*clone, cwd=fleet)
    log = sections(all_repos(*fixer, cwd=fleet))
    assert remote_heads(fleet) == after
    assert not any("$ git commit" in out for out in log.values())
