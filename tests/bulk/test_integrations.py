"""pre-commit hooks, the GitHub Action, and the contract multi-gitter and turbolift rely on."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hardenify.discovery import kind_for_name
from tests.bulk.conftest import REPO_ROOT, SAMPLES, MakeRepo, git, run_cli, snapshot

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
ACTION = REPO_ROOT / "action.yml"


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


# ------------------------------------------------------------------------------ pre-commit

# Names the hooks must run on (the brief's list, plus variants discovery knows), and names they must not.
HOOKED = [
    "Dockerfile",
    "svc/Dockerfile",
    "Dockerfile.prod",
    "Dockerfile-alpine",
    "api.Dockerfile",
    "deploy/web.dockerfile",
    "dockerfile",
    "Containerfile",
    "Containerfile.dev",
    "compose.yaml",
    "compose.yml",
    "compose.override.yaml",
    "docker-compose.yml",
    "docker-compose.prod.yaml",
    "docker-compose-ci.yml",
    ".dockerignore",
    "app/.dockerignore",
    "Dockerfile.dockerignore",
]
NOT_HOOKED = [
    "README.md",
    "Dockerfile.md",
    "docs/Dockerfile.j2",
    "Dockerfile.sh",
    "Dockerfile.orig",
    "composer.yml",
    "composer.json",
    "compose.json",
    "mydockerfile",
    "Makefile",
    "values.yaml",
]


def test_pre_commit_manifest_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in load_yaml(HOOKS)}
    assert set(hooks) == {"hardenify-check", "hardenify-fix"}
    assert hooks["hardenify-check"]["entry"].split()[:2] == ["hardenify", "check"]
    assert hooks["hardenify-fix"]["entry"].split()[:2] == ["hardenify", "fix"]
    for h in hooks.values():
        assert h["language"] == "python"
        assert "--force-exclude" in h["entry"].split()
    pc = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is not installed")
    assert [h["id"] for h in pc.load_manifest(str(HOOKS))] == ["hardenify-check", "hardenify-fix"]


@pytest.mark.parametrize("hook", ["hardenify-check", "hardenify-fix"])
def test_hook_file_patterns_agree_with_discovery(hook: str) -> None:
    h = next(h for h in load_yaml(HOOKS) if h["id"] == hook)
    files, exclude = re.compile(h["files"]), re.compile(h["exclude"])

    def selected(path: str) -> bool:  # pre-commit's rule: `files` matches and `exclude` does not
        return bool(files.search(path)) and not exclude.search(path)

    for path in HOOKED:
        assert selected(path), path
        assert kind_for_name(path.rsplit("/", 1)[-1]) is not None, path
    for path in NOT_HOOKED:
        assert not selected(path), path


def _project_snapshot(dest: Path) -> Path:
    """The project as it is on disk (tracked and new files, not ignored ones) as a fresh git repo.

    try-repo only sees committed and modified tracked files; a copy makes the test independent
    of what is committed yet.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, (p.decode() for p in listed)):
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


OFFLINE = re.compile(
    r"NewConnectionError|Temporary failure in name resolution|Could not find a version|"
    r"No matching distribution|ConnectTimeout|Network is unreachable|ProxyError",
    re.I,
)


def test_pre_commit_try_repo_runs_the_hooks(tmp_path: Path, make_repo: MakeRepo) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (it is in the test extra)")
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("the project is not a git checkout")
    project = _project_snapshot(tmp_path / "hardenify")
    target = make_repo("legacy-python", "target")
    home = tmp_path / "pre-commit-home"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(project), "--all-files"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    out = proc.stdout + proc.stderr
    log = home / "pre-commit.log"
    if proc.returncode == 3 and OFFLINE.search(out + (log.read_text() if log.exists() else "")):
        pytest.skip("pre-commit could not install hardenify's hook environment (no network to PyPI)")
    # Both hooks ran on the Dockerfile: check found findings, fix rewrote the file.
    assert proc.returncode == 1, out
    assert re.search(r"hardenify check\.+Failed", out), out
    assert re.search(r"hardenify fix\.+Failed", out) and "files were modified by this hook" in out, out
    assert "HF501" in out and "Found " in out
    oracle = tmp_path / "oracle"
    shutil.copytree(SAMPLES / "legacy-python", oracle)
    assert run_cli("fix", ".", cwd=oracle).returncode == 0
    assert (target / "Dockerfile").read_bytes() == (oracle / "Dockerfile").read_bytes()


# ------------------------------------------------------------------------------ GitHub Action


def _step(action: dict[str, Any], name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("name") == name)
    return step


def test_action_is_a_composite_with_the_documented_inputs() -> None:
    action = load_yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "args", "sarif", "version"}
    assert action["inputs"]["paths"]["default"] == "."
    assert action["inputs"]["sarif"]["default"] == "" and action["inputs"]["version"]["default"] == ""
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    for s in steps:
        if "run" in s:
            assert s["shell"] == "bash"
            # Inputs only through env: `${{ inputs.x }}` inside a script is a shell injection.
            assert "${{" not in s["run"], s["name"]
    check = _step(action, "hardenify check")
    assert "--output-format github" in check["run"]
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"
    sarif = _step(action, "Write SARIF")
    assert sarif["if"] == "inputs.sarif != ''" and "--output-format sarif" in sarif["run"]
    assert "--exit-zero" in sarif["run"]


def _run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_action_scripts_annotate_write_sarif_and_resist_injection(tmp_path: Path) -> None:
    action = load_yaml(ACTION)
    runner_temp = tmp_path / "runner"
    bindir = runner_temp / "hardenify-venv" / "bin"
    bindir.mkdir(parents=True)
    shim = bindir / "hardenify"  # stands for the venv the install step makes
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m hardenify.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    workspace = tmp_path / "ws"
    shutil.copytree(SAMPLES / "legacy-python", workspace / "svc")
    output = tmp_path / "github_output"
    output.touch()
    env = {
        **os.environ,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "INPUT_PATHS": "svc\n",
        "INPUT_ARGS": "--ignore HF507",
        "INPUT_SARIF": "reports/hardenify.sarif",
    }

    sarif = _run_step(_step(action, "Write SARIF")["run"], env, workspace)
    assert sarif.returncode == 0, sarif.stderr
    doc = json.loads((workspace / "reports" / "hardenify.sarif").read_text())
    assert doc["version"] == "2.1.0"
    rule_ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert "HF101" in rule_ids and "HF507" not in rule_ids

    check = _run_step(_step(action, "hardenify check")["run"], env, workspace)
    assert check.returncode == 1, check.stderr
    annotations = [ln for ln in check.stdout.splitlines() if ln.startswith("::")]
    assert annotations and all(
        re.match(r"::(error|warning|notice) file=svc/Dockerfile,line=\d+", a) for a in annotations
    )
    assert not any("HF507" in a for a in annotations)
    assert output.read_text().strip() == "exit-code=1"

    hostile = {**env, "INPUT_PATHS": "svc $(touch pwned) `touch pwned2`", "INPUT_ARGS": "; touch pwned3"}
    bad = _run_step(_step(action, "hardenify check")["run"], hostile, workspace)
    assert bad.returncode == 2  # the odd words are paths / an option hardenify rejects, never shell code
    assert not list(workspace.glob("pwned*"))


# ------------------------------------------------------------------- multi-gitter, turbolift


def test_fix_exits_0_and_a_second_run_changes_nothing(make_repo: MakeRepo) -> None:
    """What multi-gitter and turbolift see: `hardenify fix .` in the clone's root."""
    for sample in ("legacy-python", "legacy-compose", "legacy-secret", "python-app"):
        repo = make_repo(sample)
        first = run_cli("fix", ".", cwd=repo)
        assert first.returncode == 0, first.stderr
        changed = git(repo, "status", "--porcelain")
        assert bool(changed) == (sample in ("legacy-python", "legacy-compose")), sample
        after_first = snapshot(repo)
        second = run_cli("fix", ".", cwd=repo)
        assert second.returncode == 0
        assert snapshot(repo) == after_first and git(repo, "status", "--porcelain") == changed
        assert "Fixed" not in second.stderr


def test_turbolift_recipe_stages_the_created_dockerignore(make_repo: MakeRepo) -> None:
    recipe = (REPO_ROOT / "docs" / "fleet.md").read_text()
    m = re.search(r"turbolift foreach -- sh -c '([^']+)'", recipe)
    assert m, "docs/fleet.md has the --unsafe-fixes turbolift recipe"
    repo = make_repo("legacy-python")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["sh", "-c", m.group(1)], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    # turbolift commits with `git commit --all`: everything must now be tracked.
    git(repo, "commit", "-q", "--all", "-m", "turbolift")
    assert git(repo, "status", "--porcelain") == ""
    assert ".dockerignore" in git(repo, "show", "--name-only", "--format=", "HEAD").split()
    again = subprocess.run(
        ["sh", "-c", m.group(1)], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert again.returncode == 0 and git(repo, "status", "--porcelain") == ""
