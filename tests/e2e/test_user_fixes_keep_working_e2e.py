"""HF101/HF105/HF413 fixes keep legacy images working (issue 14 items 1-4 and 10), proven by building.

Each project under `tests/e2e/projects/` mirrors a real pattern. A copy is built with `--network=none`
(with its build args), run, fixed with `hardenify fix --unsafe-fixes`, built and run again; the command
probe must print the same answer. Where hardenify declined, `hardenify check` must say why, and the
Dockerfile must be unchanged. Where it added a USER, the fixed image runs as non-root.

The offline world has no gosu or supervisord packages (no network in builds), so the projects carry small
stand-ins that really drop privileges with `setpriv` (util-linux, always in Debian).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.helpers import build, docker_cli, image_user, is_root_user

pytestmark = pytest.mark.e2e

PROJECTS = Path(__file__).resolve().parent / "projects"


@dataclass(frozen=True)
class Case:
    project: str
    probe: str  # what the image prints, before and after
    declined: tuple[str, ...] = ()  # phrases `check` must print when the fix is declined
    build_args: dict[str, str] = field(default_factory=dict)
    adds_user: bool = False  # the fixed image must run as non-root


CASES = [
    Case(
        "gosu-entrypoint",
        "postgres wrote data",
        declined=("left for a human: needs root because the entrypoint script", "gosu"),
    ),
    Case("supervisord", "program runs as app", declined=("left for a human: needs root", "supervisord")),
    Case("onbuild-base", "base runs as 0", declined=("left for a human", "ONBUILD")),
    Case("distroless-split", "hello from go", adds_user=True),
    Case(
        "arg-uid", "uid 1001 wrote /data", build_args={"APP_UID": "1001", "APP_GID": "1001"}, adds_user=True
    ),
    Case("split-ca-certs", "company CA loaded: true", adds_user=True),
]


def _hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _probe(image: str) -> str:
    proc = docker_cli("run", "--rm", "--network=none", image, check=False, timeout=120)
    assert proc.returncode == 0, f"{image} exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout.strip()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.project)
def test_fixed_image_builds_runs_and_answers_the_same(docker: str, tmp_path: Path, case: Case) -> None:
    work = tmp_path / case.project
    shutil.copytree(PROJECTS / case.project, work, symlinks=True)
    before_image = build(work, tag=f"{case.project}-before", build_args=case.build_args)
    before = _probe(before_image)
    assert before == case.probe

    original = (work / "Dockerfile").read_text()
    fix = _hardenify("fix", "--unsafe-fixes", "--select", "HF101,HF105,HF413", "Dockerfile", cwd=work)
    assert fix.returncode in (0, 1), fix.stderr
    fixed_text = (work / "Dockerfile").read_text()

    if case.declined:
        assert fixed_text == original, fixed_text
        check = _hardenify("check", "--select", "HF101", "Dockerfile", cwd=work)
        for phrase in case.declined:
            assert phrase in check.stdout, check.stdout
        return

    assert fixed_text != original
    after_image = build(work, tag=f"{case.project}-after", build_args=case.build_args)
    assert _probe(after_image) == before
    if case.adds_user:
        user = image_user(after_image)
        assert user and not is_root_user(user), user
    assert "USER 0" not in fixed_text and "USER root" not in fixed_text
