"""The wizard on a real pseudo-terminal (pexpect): the short path, the advanced path, going back,
a re-run with saved answers, and secrets that are never echoed or saved.

Each test spawns `python -m hardenify new` with a fixed terminal size and TERM (questionary
needs a real pty), answers by prompt, and bounds every expect with a timeout.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hardenify.scaffold import templateset
from hardenify.scaffold.detect import detect
from hardenify.scaffold.questions import Resolver
from hardenify.scaffold.templateset import Question, builtin_dir

pexpect = pytest.importorskip("pexpect")

SECRET = "wizard-s3cr3t-value-42"
CLEAR = "\x15"  # Ctrl-U: clear the pre-filled default before typing
DOWN = "\x1b[B"
ENTER = "\r"
TIMEOUT = 30  # seconds for any one prompt to appear; the whole run is a few seconds


def advanced_order(
    project: Path, replies: dict[str, str], tdir: Path | None = None, **explicit: Any
) -> list[str]:
    """The questions the advanced path asks for `project`, in order, given the typed `replies`.

    Worked out by the same Resolver the wizard runs (other questions may be added to the
    template set: the test must not hard-code the list). Bool replies are "y"/"n".
    """

    def ask(q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        order.append(q.name)
        reply = replies.get(q.name)
        if reply is None:
            return default
        return check(reply.replace(CLEAR, "").replace(ENTER, "") if q.type != "bool" else reply == "y")

    order: list[str] = []
    Resolver(
        templateset.load(tdir), detect(project), explicit=explicit, interactive=True, ask=ask, ask_all=True
    ).resolve()
    return order


class Session:
    """One `hardenify new` under a pty, with the transcript kept for assertions."""

    def __init__(self, *args: str) -> None:
        # Wide enough that no prompt wraps: a wrapped line splits `[name]` with escape codes.
        env = dict(
            os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1", COLUMNS="250", LINES="50"
        )
        env.pop("HARDENIFY_DEBUG", None)
        self.child: Any = pexpect.spawn(
            sys.executable,
            ["-m", "hardenify", "new", *args],
            env=env,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(50, 250),
        )
        self.transcript = io.StringIO()
        self.child.logfile_read = self.transcript

    def expect(self, text: str) -> None:
        self.child.expect_exact(text, timeout=TIMEOUT)

    def answer(self, prompt: str, keys: str = ENTER) -> None:
        self.expect(prompt)
        self.child.send(keys)

    def summary(self, action: str) -> str:
        """Wait for the summary, pick `action` (write, change, advanced, cancel); return its text."""
        start = len(self.transcript.getvalue())
        self.expect("[summary]")
        moves = {"write": 0, "change": 1, "advanced": 2, "cancel": 3}[action]
        self.child.send(DOWN * moves + ENTER)
        return self.transcript.getvalue()[start:]

    def finish(self) -> tuple[int, str]:
        self.child.expect(pexpect.EOF, timeout=TIMEOUT)
        self.child.close()
        return self.child.exitstatus, self.transcript.getvalue()

    def asked(self) -> list[str]:
        """The question names prompted for, in order of first prompt (each ends with `[name]`)."""
        text = self.transcript.getvalue()
        names = {m for m in re.findall(r"\[([a-z_0-9]+)\]", text) if m not in ("summary", "change")}
        return sorted(names, key=lambda n: text.index(f"[{n}]"))


def saved_answers(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = YAML(typ="safe").load(project / ".hardenify-answers.yml")["answers"]
    return answers


def summary_line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(name + " "))


def test_short_path_asks_nothing_detection_settled(sample_copy: Callable[[str], Path]) -> None:
    project = sample_copy("python-app")
    s = Session("--no-pin", str(project))
    s.expect("detected: pyproject.toml")
    text = s.summary("write")
    status, out = s.finish()
    assert status == 0, out[-2000:]
    assert s.asked() == []  # stack, port and command were detected: straight to the summary
    # The summary shows every answer with its source, asked or not.
    assert "detected" in summary_line(text, "port") and "8000" in summary_line(text, "port")
    assert "python -m app" in summary_line(text, "command")
    assert "from --pin/--no-pin" in summary_line(text, "pin")
    assert "default" in summary_line(text, "memory")
    assert (project / "Dockerfile").is_file() and saved_answers(project)["port"] == 8000


def test_short_path_in_an_empty_directory_asks_only_what_it_cannot_know(tmp_path: Path) -> None:
    project = tmp_path / "svc"
    s = Session("--no-pin", str(project))
    s.answer("[stack]", DOWN + ENTER)  # dotnet, go, …: go
    s.answer("[port]", CLEAR + "9090" + ENTER)
    s.answer("[command]")  # the go stack's default start command
    text = s.summary("write")
    status, out = s.finish()
    assert status == 0, out[-2000:]
    assert s.asked() == ["stack", "port", "command"]  # was 21 prompts before the summary existed
    assert "your answer" in summary_line(text, "port")
    assert "EXPOSE 9090" in (project / "Dockerfile").read_text()
    assert saved_answers(project)["stack"] == "go"


def test_going_back_changes_one_answer_and_keeps_the_rest(sample_copy: Callable[[str], Path]) -> None:
    project = sample_copy("python-app")
    s = Session("--no-pin", str(project))
    s.summary("change")
    s.answer("[change]", "port =" + ENTER)  # type to narrow the list to one answer
    s.answer("[port]", CLEAR + "8123" + ENTER)
    again = s.summary("change")
    assert "8123" in summary_line(again, "port") and "your answer" in summary_line(again, "port")
    s.answer("[change]", "redis =" + ENTER)
    s.answer("[redis]", "y")
    final = s.summary("write")
    status, out = s.finish()
    assert status == 0, out[-2000:]
    assert "8123" in summary_line(final, "port") and "yes" in summary_line(final, "redis")
    assert s.asked() == ["port", "redis"]
    answers = saved_answers(project)
    assert (answers["port"], answers["redis"], answers["command"]) == (8123, True, "python -m app")
    compose = YAML(typ="safe").load(project / "compose.yaml")
    assert set(compose["services"]) == {"python-app", "redis"}


def test_change_an_answer_can_return_to_the_summary_unchanged(sample_copy: Callable[[str], Path]) -> None:
    project = sample_copy("python-app")
    s = Session("--no-pin", str(project))
    s.summary("change")
    s.answer("[change]", "« back" + ENTER)
    s.summary("cancel")
    status, out = s.finish()
    assert status == 1 and "cancelled; nothing written" in out
    assert s.asked() == []
    assert not (project / "Dockerfile").exists() and not (project / ".hardenify-answers.yml").exists()


def test_advanced_path_asks_everything_and_the_secret_lands_nowhere(
    sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    project = sample_copy("python-app")
    org = tmp_path / "org"
    shutil.copytree(builtin_dir() / "python", org / "python")
    (org / "questions.yaml").write_text(
        "version: 1\nquestions:\n  deploy_token:\n    type: secret\n    help: Deploy token for this run\n"
    )
    s = Session("--template-dir", str(org), str(project))
    s.answer("[deploy_token]", SECRET + ENTER)  # a secret is never settled: the short path asks it
    first = s.summary("advanced")
    assert "(hidden)" in summary_line(first, "deploy_token")
    replies = {
        "port": CLEAR + "8123" + ENTER,
        "name": CLEAR + "wizard-app" + ENTER,
        "pin": "n",
        "syntax_directive": "n",
        "redis": "y",
        "deploy_token": SECRET + ENTER,
    }
    order = advanced_order(project, replies, org)
    assert order[:2] == ["stack", "name"] and {"port", "command", "pin", "memory"} <= set(order)
    for name in order:
        s.answer(f"[{name}]", replies.get(name, ENTER))  # in order: each prompt is awaited first
    s.summary("write")
    status, out = s.finish()
    assert status == 0, out[-2000:]
    assert SECRET not in out  # the password prompt does not echo, the summary hides it
    assert "8000" in out and "python -m app" in out  # detected values were offered as defaults
    answers = saved_answers(project)
    assert (answers["port"], answers["name"], answers["pin"], answers["redis"]) == (
        8123,
        "wizard-app",
        False,
        True,
    )
    assert answers["secrets"] == "API_TOKEN" and answers["command"] == "python -m app"
    assert "deploy_token" not in answers
    df = (project / "Dockerfile").read_text()
    assert "EXPOSE 8123" in df and "# syntax=" not in df
    for path in project.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


def test_a_rerun_offers_the_saved_answers_as_defaults(sample_copy: Callable[[str], Path]) -> None:
    project = sample_copy("python-app")
    first = Session("--no-pin", str(project))
    first.summary("change")
    first.answer("[change]", "port =" + ENTER)
    first.answer("[port]", CLEAR + "8123" + ENTER)
    first.summary("write")
    assert first.finish()[0] == 0
    written = (project / "Dockerfile").read_text()

    again = Session("--no-pin", str(project))
    again.expect("are the defaults")
    text = again.summary("advanced")
    assert "8123" in summary_line(text, "port") and "saved answer" in summary_line(text, "port")
    for name in advanced_order(project, {}, pin=False):
        if name == "port":
            again.expect("[port]")
            again.expect("8123")  # the saved answer is the prompt's default
            again.child.send(ENTER)
        else:
            again.answer(f"[{name}]")
    again.summary("write")
    status, out = again.finish()
    assert status == 0, out[-2000:]
    assert "unchanged        Dockerfile" in out  # the same answers: the same files
    assert (project / "Dockerfile").read_text() == written and saved_answers(project)["port"] == 8123
