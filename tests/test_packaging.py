"""The wheel is what users install: fixers/ and templates/ must ship inside it as hardenify.*."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{r.stdout}\n{r.stderr}")
    (whl,) = out.glob("hardenify-*.whl")
    return whl


def test_wheel_layout(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert "hardenify" in tops
    assert "fixers" not in tops and "templates" not in tops, "no bare top-level fixers/templates modules"
    assert "hardenify/fixers/hf101_root_user.py" in names
    assert "hardenify/templates/__init__.py" in names
    assert "hardenify/cli.py" in names


def test_wheel_installs_in_fresh_venv_and_checks_a_sample(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.fail(f"pip install of the wheel failed:\n{r.stdout}\n{r.stderr}")
    exe = env_dir / "bin" / "hardenify"
    sample = ROOT / "samples" / "legacy-python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    r = subprocess.run(
        [str(exe), "check", "--output-format", "concise", str(sample)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 1, r.stderr
    assert "HF101" in r.stdout
    # the installed package is the wheel's, not the checkout's
    r = subprocess.run(
        [str(py), "-c", "import hardenify.fixers, hardenify.templates; print(hardenify.fixers.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert str(env_dir) in r.stdout
