"""ruff and mypy stay clean: the project's own rules for its code, checked like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    if not shutil.which("ruff"):
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    r = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("target", ["hardenify", "fixers"])
def test_mypy_strict_is_clean(target: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", target], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if "No module named mypy" in r.stderr:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    assert r.returncode == 0, r.stdout + r.stderr
