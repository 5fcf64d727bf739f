"""`fix --diff` on a CRLF file is a patch `git apply` takes (issue 14 item 12): written to a pipe,
each CRLF line keeps its CR; the coloured terminal view still strips it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.cli import app
from hardenify.reporters.diff import unified_diff
from tests.reporters.test_diff import fixed_outcome

CRLF = 'FROM python:3.12-slim\r\nARG PIP_TOKEN\r\nADD app.py /app/\r\nCMD ["python", "/app/app.py"]\r\n'


def test_patch_keeps_cr_and_view_does_not() -> None:
    o = fixed_outcome("FROM a\r\nUSER root\r\nRUN x\r\n", "FROM a\r\nUSER app\r\nRUN x\r\n")
    assert unified_diff(o, keep_cr=True).endswith(
        "@@ -1,3 +1,3 @@\n FROM a\r\n-USER root\r\n+USER app\r\n RUN x\r\n"
    )
    assert "\r" not in unified_diff(o, color=True)


def test_ending_only_change_stays_marked_in_a_patch() -> None:
    o = fixed_outcome("FROM a\r\nRUN x\r\n", "FROM a\r\nRUN x\n")
    assert unified_diff(o, keep_cr=True).endswith(" FROM a\r\n-RUN x  [CRLF]\n+RUN x  [LF]\n")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_fix_diff_of_a_crlf_file_applies_with_git_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_bytes(CRLF.encode())
    (tmp_path / "app.py").write_text("print('ok')\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = CliRunner().invoke(app, ["fix", "--diff", "--unsafe-fixes", "Dockerfile"])
    assert result.exit_code == 1 and b"+COPY app.py /app/\r\n" in result.stdout_bytes, result.stdout
    subprocess.run(["git", "apply", "-"], input=result.stdout_bytes, cwd=tmp_path, check=True)
    applied = (tmp_path / "Dockerfile").read_bytes()
    (tmp_path / "Dockerfile").write_bytes(CRLF.encode())
    assert CliRunner().invoke(app, ["fix", "--unsafe-fixes", "Dockerfile"]).exit_code in (
        0,
        1,
    )
    assert applied == (tmp_path / "Dockerfile").read_bytes()
    assert b"COPY app.py /app/\r\n" in applied
