"""`hardenify check` must not pay for the scaffold's dependencies (jinja2, libcst, questionary)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from click.testing import CliRunner
from hardenify.cli import app
result = CliRunner().invoke(app, ["check", sys.argv[1]])
heavy = sorted(m for m in ("jinja2", "libcst", "questionary", "prompt_toolkit") if m in sys.modules)
print(result.exit_code, ",".join(heavy) or "-")
"""


def test_check_imports_no_scaffold_dependency(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text('FROM python:3.12-slim\nUSER 10001\nCMD ["python"]\n')
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(df)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] in ("0", "1")  # it really ran the check
    assert out[1] == "-", f"hardenify check imported {out[1]}"


def test_importing_the_scaffold_package_is_free() -> None:
    code = "import sys, hardenify.scaffold, hardenify.commands.new; print(any(m in sys.modules for m in ('jinja2', 'libcst', 'questionary')))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
