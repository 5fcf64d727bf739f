"""The wizard on a real pseudo-terminal (pexpect): prompts, detected defaults, files, no secrets saved."""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from hardenify.scaffold.templateset import builtin_dir

pexpect = pytest.importorskip("pexpect")

SECRET = "wizard-s3cr3t-value-42"
CLEAR = "\x15"  # Ctrl-U: clear the pre-filled default before typing


def test_wizard_answers_land_in_the_files_and_the_secret_nowhere(
    sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    project = sample_copy("python-app")
    org = tmp_path / "org"
    shutil.copytree(builtin_dir() / "python", org / "python")
    (org / "questions.yaml").write_text(
        "version: 1\nquestions:\n  deploy_token:\n    type: secret\n    help: Deploy token for this run\n"
    )
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1", COLUMNS="120", LINES="40")
    child = pexpect.spawn(
        sys.executable,
        ["-c", "from hardenify.cli import main; main()", "new", "--template-dir", str(org), str(project)],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    child.expect("detected: pyproject.toml")
    replies = {
        "[port]": CLEAR + "8123\r",
        "[name]": CLEAR + "wizard-app\r",
        "[pin]": "n",
        "[syntax_directive]": "n",
        "[redis]": "y",
        "[deploy_token]": SECRET + "\r",
    }
    prompts = [
        "[" + n + "]"
        for n in (
            "stack",
            "name",
            "base",
            "version",
            "python_deps",
            "python_path",
            "port",
            "command",
            "health_path",
            "uid",
            "env",
            "secrets",
            "build_secrets",
            "postgres",
            "redis",
            "bind",
            "memory",
            "cpus",
            "pids",
            "pin",
            "syntax_directive",
            "deploy_token",
        )
    ]
    for prompt in prompts:  # in order: a redraw of an answered prompt is consumed by the next expect
        child.expect_exact(prompt)
        child.send(replies.get(prompt, "\r"))
    child.expect(pexpect.EOF)
    child.close()
    output = transcript.getvalue()
    assert child.exitstatus == 0, output[-2000:]
    assert SECRET not in output  # the password prompt does not echo
    assert "8000" in output and "python -m app" in output  # detected values were offered as defaults

    saved = YAML(typ="safe").load(project / ".hardenify-answers.yml")
    answers = saved["answers"]
    assert (answers["port"], answers["name"], answers["pin"], answers["redis"]) == (
        8123,
        "wizard-app",
        False,
        True,
    )
    assert (
        answers["secrets"] == "API_TOKEN" and answers["command"] == "python -m app"
    )  # detected defaults kept
    assert "deploy_token" not in answers
    df = (project / "Dockerfile").read_text()
    assert "EXPOSE 8123" in df and "# syntax=" not in df
    compose = YAML(typ="safe").load(project / "compose.yaml")
    assert set(compose["services"]) == {"wizard-app", "redis"}
    for path in project.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
