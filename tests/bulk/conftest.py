"""Fixtures for the fleet tests: isolated git, and repositories made from the bundled samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
HARDENIFY = [sys.executable, "-m", "hardenify.cli"]

MakeRepo = Callable[..., Path]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config leaks in; a fixed identity and default branch instead."""
    home = tmp_path_factory.mktemp("gitconfig")
    cfg = home / "gitconfig"
    cfg.write_text(
        "[user]\n\tname = Fleet Tester\n\temail = fleet@example.test\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.delenv(var, raising=False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_count(repo: Path, ref: str = "--all") -> int:
    return int(git(repo, "rev-list", "--count", ref).strip())


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below root (but .git) and its bytes: to prove a run changed nothing."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """make_repo(sample, name=None, parent=tmp_path): a git repository with one commit of the sample."""

    def make(sample: str, name: str | None = None, parent: Path | None = None) -> Path:
        dest = (parent or tmp_path) / (name or sample)
        shutil.copytree(SAMPLES / sample, dest)
        git(dest, "init", "-q", "-b", "main")
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", f"import {sample}")
        return dest

    return make


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [*HARDENIFY, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
