"""The wizard's logic without a terminal: a scripted UI drives `interview` (the pty tests are in
test_wizard.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hardenify.scaffold import templateset
from hardenify.scaffold.detect import detect
from hardenify.scaffold.questions import Resolver
from hardenify.scaffold.templateset import Question
from hardenify.scaffold.wizard import ADVANCED, CANCEL, CHANGE, WRITE, Cancelled, Row, interview, show


class Script:
    """A UI that answers from a script and records what it was shown."""

    def __init__(self, answers: dict[str, list[Any]], actions: list[str], picks: list[str | None]) -> None:
        self.answers = answers
        self.actions = actions
        self.picks = picks
        self.asked: list[str] = []
        self.defaults: dict[str, Any] = {}
        self.summaries: list[dict[str, Row]] = []

    def ask(self, q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        self.asked.append(q.name)
        self.defaults[q.name] = default
        queue = self.answers.get(q.name)
        return check(queue.pop(0) if queue else default)

    def summary(self, rows: list[Row]) -> str:
        self.summaries.append({r.name: r for r in rows})
        return self.actions.pop(0)

    def pick(self, rows: list[Row]) -> str | None:
        assert all(r.changeable for r in rows)
        return self.picks.pop(0)


def test_changing_the_stack_asks_what_the_new_stack_leaves_unsettled(
    tset: templateset.TemplateSet, tmp_path: Path
) -> None:
    ui = Script({"stack": ["python", "go"], "port": ["9000"]}, [CHANGE, WRITE], ["stack"])
    answers = interview(Resolver(tset, detect(tmp_path)), ui)
    # First pass: the three unsettled questions; after the change: the stack again, then the
    # command, whose accepted python default no longer applies; the typed port is kept.
    assert ui.asked == ["stack", "port", "command", "stack", "command"]
    assert answers.values["stack"] == "go" and answers.values["port"] == 9000
    assert answers.values["command"].startswith("/usr/local/bin/")  # go's default, not python's
    assert answers.values["base"] in tset.stacks["go"].bases  # python's choice did not stick
    assert ui.summaries[0]["port"].source == "your answer"


def test_advanced_asks_every_question_with_current_values_as_defaults(
    tset: templateset.TemplateSet, sample_copy: Callable[[str], Path]
) -> None:
    ui = Script({"memory": ["1G"]}, [ADVANCED, WRITE], [])
    answers = interview(Resolver(tset, detect(sample_copy("python-app")), explicit={"pin": False}), ui)
    assert "memory" in ui.asked and "bind" in ui.asked and "pin" not in ui.asked  # a flag is not asked
    assert ui.defaults["port"] == 8000 and ui.defaults["command"] == "python -m app"
    assert answers.values["memory"] == "1G" and answers.sources["memory"] == "wizard"
    assert ui.summaries[0]["pin"].source == "from --data/--data-file"  # no flag table given here
    assert not ui.summaries[0]["pin"].changeable


def test_going_back_without_a_pick_and_cancelling(
    tset: templateset.TemplateSet, sample_copy: Callable[[str], Path]
) -> None:
    ui = Script({}, [CHANGE, CANCEL], [None])
    with pytest.raises(Cancelled):
        interview(Resolver(tset, detect(sample_copy("python-app"))), ui)
    assert ui.asked == [] and len(ui.summaries) == 2


def test_the_loop_is_bounded(tset: templateset.TemplateSet, sample_copy: Callable[[str], Path]) -> None:
    ui = Script({}, [CHANGE] * 5, [None] * 5)
    with pytest.raises(Cancelled):
        interview(Resolver(tset, detect(sample_copy("python-app"))), ui, max_rounds=5)


def test_secrets_are_asked_hidden_in_the_summary_and_not_asked_twice(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "questions.yaml").write_text("questions:\n  token:\n    type: secret\n    help: A token\n")
    t = templateset.load(org)
    ui = Script({"token": ["s3cr3t"]}, [CHANGE, WRITE], ["port"])
    answers = interview(Resolver(t, detect(tmp_path), explicit={"stack": "go", "port": 80}), ui)
    assert ui.asked.count("token") == 1  # the second pass keeps the answer given in memory
    assert ui.summaries[0]["token"].shown == "(hidden)"
    assert answers.values["token"] == "s3cr3t" and "token" not in answers.public()


def test_the_summary_shows_project_text_safely() -> None:
    assert show("run\x1b[2Jnow") == "run␛[2Jnow"
    assert show("") == "(none)" and show(True) == "yes" and show("x" * 100).endswith("…")
    assert show("hunter2", secret=True) == "(hidden)"
