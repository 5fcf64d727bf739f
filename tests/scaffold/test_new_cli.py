"""`hardenify new` at the edges of the wizard: no TTY, closed stdin, help that points somewhere
real, and overwrites that are all or nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from ruamel.yaml import YAML

GENERATED = ("Dockerfile", ".dockerignore", "compose.yaml", "README.Docker.md")
ANSWERS = ".hardenify-answers.yml"


def run(args: list[str], *, stdin: str) -> subprocess.CompletedProcess[str]:
    """`python -m hardenify new ARGS` with stdin `/dev/null` or closed (`<&-`), no TTY anywhere."""
    env = {k: v for k, v in os.environ.items() if k != "HARDENIFY_DEBUG"}
    if stdin == "closed":
        cmd = ["sh", "-c", 'exec "$0" -m hardenify new "$@" <&-', sys.executable, *args]
    else:
        cmd = [sys.executable, "-m", "hardenify", "new", *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize("stdin", ["closed", "devnull"])
def test_no_stdin_on_a_detected_project_behaves_like_defaults(
    sample_copy: Callable[[str], Path], stdin: str
) -> None:
    project = sample_copy("python-app")
    result = run(["--no-pin", str(project)], stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "isatty" not in result.stderr
    for name in GENERATED:
        assert (project / name).is_file(), name
    assert "EXPOSE 8000" in (project / "Dockerfile").read_text()


@pytest.mark.parametrize("stdin", ["closed", "devnull"])
def test_no_stdin_in_an_empty_directory_says_pass_stack(tmp_path: Path, stdin: str) -> None:
    result = run([str(tmp_path)], stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hardenify: error: could not detect the stack; pass --stack (one of: dotnet")
    assert list(tmp_path.iterdir()) == []


def test_no_stdin_with_unsettled_answers_is_one_line_naming_the_flags(tmp_path: Path) -> None:
    result = run(["--stack", "go", str(tmp_path)], stdin="closed")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "detection could not settle port: --port (or --data port=VALUE)" in result.stderr
    assert "command: --command (or --data command=VALUE)" in result.stderr
    assert "--help-questions" in result.stderr and "internal error" not in result.stderr


def test_defaults_in_an_empty_directory_also_say_pass_stack(
    new: Callable[..., Result], tmp_path: Path
) -> None:
    result = new("--defaults", "--no-pin", str(tmp_path))
    assert result.exit_code == 2
    assert "could not detect the stack; pass --stack" in result.output and "bases" not in result.output


def test_messages_point_to_options_that_exist(new: Callable[..., Result], tmp_path: Path) -> None:
    result = new("--defaults", "--no-pin", "--stack", "go", "-d", "nosuch=1", str(tmp_path))
    assert (
        result.exit_code == 2 and "--help-questions" in result.output and "--list-questions" in result.output
    )
    helped = new("--help-questions", "--stack", "go", str(tmp_path))
    assert helped.exit_code == 0, helped.output
    assert "No such option" not in helped.output
    assert "port (int, asked unless settled): Port the service listens on" in helped.output
    assert "    answer with: --port, --data port=…" in helped.output
    assert "memory (str, advanced)" in helped.output
    assert "choices: debian-slim, distroless, alpine, chainguard" in helped.output  # go's bases
    assert not (tmp_path / "Dockerfile").exists()


def test_list_questions_renders_choices(new: Callable[..., Result], tmp_path: Path) -> None:
    listed = new("--list-questions", str(tmp_path))
    assert listed.exit_code == 0, listed.output
    assert "{{" not in listed.output
    assert "choices: dotnet, go, java, node, php, python, ruby, rust, static" in listed.output
    with_stack = new("--list-questions", "--stack", "python", str(tmp_path))
    assert "python_deps" in with_stack.output and "choices: debian-slim, distroless" in with_stack.output
    assert "{{" not in with_stack.output


def test_help_teaches_what_is_asked_detected_and_saved(new: Callable[..., Result]) -> None:
    text = " ".join(new("--help").output.split())
    for phrase in (
        "What is detected:",
        "What is asked (on a TTY): only what detection could not settle",
        "summary of every answer",
        "Answering without a TTY",
        "--data-file answers.yml",
        ".hardenify-answers.yml",
        "`--update` re-renders with them",
        "--help-questions",
    ):
        assert phrase in text, phrase


@pytest.fixture
def on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """The overwrite question is asked on a TTY; --defaults keeps the wizard itself out of it."""
    monkeypatch.setattr("hardenify.commands.new._tty", lambda: True)


@pytest.mark.usefixtures("on_a_tty")
def test_declining_the_overwrite_writes_nothing_and_saves_no_answers(
    new: Callable[..., Result], sample_copy: Callable[[str], Path]
) -> None:
    project = sample_copy("node-app")
    (project / "Dockerfile").write_text("FROM node:22\nCMD node server.js\n")
    (project / "compose.yaml").write_text("services: {}\n")
    result = new("--defaults", "--no-pin", str(project), input="n\n")
    assert result.exit_code == 1
    assert result.output.count("Overwrite") == 1  # one question for the whole set
    assert "Overwrite 2 existing file(s): Dockerfile, compose.yaml?" in result.output
    assert "nothing written (answers not saved)" in result.output
    assert (project / "Dockerfile").read_text() == "FROM node:22\nCMD node server.js\n"
    assert (project / "compose.yaml").read_text() == "services: {}\n"
    assert not (project / ".dockerignore").exists() and not (project / ANSWERS).exists()

    accepted = new("--defaults", "--no-pin", str(project), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert 'ENTRYPOINT ["node", "server.js"]' in (project / "Dockerfile").read_text()
    assert "services: {}" not in (project / "compose.yaml").read_text()
    rendered = YAML(typ="safe").load(project / ANSWERS)["rendered"]
    for name in GENERATED:  # the answers file describes exactly what is on disk
        assert rendered[name] == (project / name).read_text(), name
