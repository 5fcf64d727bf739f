"""ruff and mypy stay clean: the project's own rules for its code, checked like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which("ruff"):
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return subprocess.run(["ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    r = _ruff("check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_clean() -> None:
    r = _ruff("format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_is_clean() -> None:
    """The core and the rules in one run: a rule's use of a core helper is type-checked."""
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "hardenify", "fixers"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named mypy" in r.stderr:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_mypy_override_hides_the_rules() -> None:
    """An override for `hardenify.fixers` turned every import of a rule helper into `Any`."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    overrides = config["tool"]["mypy"].get("overrides", [])
    modules = [m for o in overrides for m in ([o["module"]] if isinstance(o["module"], str) else o["module"])]
    assert not [m for m in modules if m.startswith("hardenify.fixers")], modules
