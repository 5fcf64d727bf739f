"""Answer resolution: sources and their precedence, `when`, defaults from detection, org overlays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hardenify.scaffold import templateset
from hardenify.scaffold.detect import detect
from hardenify.scaffold.questions import AnswerError, Resolver, evaluate
from hardenify.scaffold.templateset import Question, TemplateError


def test_detected_defaults_follow_later_answers(tset: templateset.TemplateSet, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    answers = Resolver(tset, detect(tmp_path), explicit={"port": 9001}, use_defaults=True).resolve()
    assert answers.values["command"] == "python -m uvicorn main:app --host 0.0.0.0 --port 9001"
    assert answers.sources["command"] == "detected" and answers.sources["port"] == "data"


def test_when_drops_questions_that_do_not_apply(tset: templateset.TemplateSet, tmp_path: Path) -> None:
    det = detect(tmp_path)
    distroless = Resolver(
        tset, det, explicit={"stack": "python", "base": "distroless"}, use_defaults=True
    ).resolve()
    assert "version" not in distroless.values  # distroless python fixes the version (3.11)
    slim = Resolver(tset, det, explicit={"stack": "python"}, use_defaults=True).resolve()
    assert slim.values["version"] == "3.12"
    static = Resolver(tset, det, explicit={"stack": "static"}, use_defaults=True).resolve()
    assert "command" not in static.values and static.values["uid"] == 101
    assert "python_deps" not in static.values  # stack questions belong to their stack


def test_saved_answers_win_over_defaults_but_not_over_flags(
    tset: templateset.TemplateSet, tmp_path: Path
) -> None:
    saved = {"stack": "node", "port": 4000, "name": "web", "base": "no-such-base"}
    answers = Resolver(
        tset, detect(tmp_path), explicit={"name": "api"}, saved=saved, use_defaults=True
    ).resolve()
    assert (answers.values["port"], answers.sources["port"]) == (4000, "saved")
    assert answers.values["name"] == "api"
    assert (answers.values["base"], answers.sources["base"]) == (
        "debian-slim",
        "default",
    )  # invalid now: default


def test_the_wizard_gets_detected_defaults_and_validates(
    tset: templateset.TemplateSet, sample_copy: Callable[[str], Path]
) -> None:
    seen: dict[str, Any] = {}

    def ask(q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        seen[q.name] = (default, choices)
        if q.name == "port":
            with pytest.raises(ValueError):
                check("0")
            return check("8181")
        return default

    det = detect(sample_copy("python-app"))
    answers = Resolver(tset, det, interactive=True, ask=ask, ask_all=True).resolve()
    assert seen["stack"][0] == "python" and "rust" in seen["stack"][1]
    assert seen["port"][0] == 8000 and seen["secrets"][0] == "API_TOKEN"
    assert answers.values["port"] == 8181 and answers.sources["port"] == "wizard"


def _recorder(asked: list[str]) -> Callable[..., Any]:
    def ask(q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        asked.append(q.name)
        return check({"stack": "go", "port": "9000"}.get(q.name, default))

    return ask


def test_the_short_path_asks_only_what_nothing_settled(
    tset: templateset.TemplateSet, sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    asked: list[str] = []
    detected = Resolver(tset, detect(sample_copy("python-app")), interactive=True, ask=_recorder(asked))
    answers = detected.resolve()
    assert asked == []  # stack, port and command are detected
    assert answers.sources["port"] == "detected" and answers.sources["memory"] == "default"

    empty = Resolver(tset, detect(tmp_path), interactive=True, ask=_recorder(asked)).resolve()
    assert asked == ["stack", "port", "command"]  # 21 questions were asked before
    assert (empty.values["stack"], empty.values["port"]) == ("go", 9000)
    assert empty.sources["base"] == "default"

    asked.clear()
    given = Resolver(
        tset, detect(tmp_path), explicit={"stack": "go", "port": 80}, interactive=True, ask=_recorder(asked)
    ).resolve()
    assert asked == ["command"] and given.sources["port"] == "data"


def test_saved_answers_settle_questions_and_the_wizard_can_change_them(
    tset: templateset.TemplateSet, tmp_path: Path
) -> None:
    asked: list[str] = []
    saved = {"stack": "go", "port": 7000, "command": "/usr/local/bin/app"}
    r = Resolver(tset, detect(tmp_path), saved=saved, interactive=True, ask=_recorder(asked))
    answers = r.resolve()
    assert asked == [] and (answers.values["port"], answers.sources["port"]) == (7000, "saved")
    changed = Resolver(
        tset,
        detect(tmp_path),
        saved=saved,
        interactive=True,
        ask=_recorder(asked),
        ask_only=frozenset({"port"}),
    ).resolve()
    assert asked == ["port"] and (changed.values["port"], changed.sources["port"]) == (9000, "wizard")
    kept = Resolver(tset, detect(tmp_path), saved=saved, given={"port": 7100}).resolve()
    assert (kept.values["port"], kept.sources["port"]) == (7100, "wizard")  # an earlier pass's answer


def test_without_a_tty_what_detection_settled_is_enough(
    tset: templateset.TemplateSet, sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    answers = Resolver(tset, detect(sample_copy("python-app"))).resolve()
    assert (answers.values["port"], answers.sources["command"]) == (8000, "detected")
    with pytest.raises(AnswerError) as missing:
        Resolver(tset, detect(tmp_path), explicit={"stack": "python"}, flags={"port": "--port"}).resolve()
    message = str(missing.value)
    assert "\n" not in message and "detection could not settle port: --port (or --data port=VALUE)" in message
    assert "--help-questions" in message
    with pytest.raises(AnswerError, match=r"^could not detect the stack; pass --stack \(one of: dotnet, go"):
        Resolver(tset, detect(tmp_path), use_defaults=True).resolve()


def test_org_overlay_changes_removes_and_adds_questions(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "questions.yaml").write_text(
        "version: 7\nquestions:\n  redis: null\n  pids:\n    default: 64\n"
        "  team:\n    type: choice\n    help: Owning team\n    choices: [payments, search]\n    default: search\n"
    )
    t = templateset.load(org)
    names = [q.name for q in t.questions]
    assert "redis" not in names and names[-1] == "team"
    assert t.version == "1+org.7"
    answers = Resolver(t, detect(tmp_path), explicit={"stack": "go"}, use_defaults=True).resolve()
    assert (answers.values["pids"], answers.values["team"]) == (64, "search")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("questions:\n  x:\n    type: float\n", "has type 'float'"),
        ("questions:\n  x:\n    type: choice\n", "needs `choices`"),
        ("questions:\n  x:\n    validator: nope\n", "unknown validator"),
        ("questions:\n  x:\n    colour: red\n", "unknown keys"),
        ("questions:\n  s:\n    type: secret\n    default: hunter2\n", "cannot have a default"),
    ],
)
def test_broken_org_questions_are_reported(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "questions.yaml").write_text(text)
    with pytest.raises(TemplateError, match=message):
        templateset.load(tmp_path)


def test_expressions_are_sandboxed() -> None:
    assert evaluate("{{ [1, 2] }}", {}) == [1, 2]
    assert evaluate("port {{ p }}", {"p": 3}) == "port 3"
    assert evaluate(8080, {}) == 8080
    with pytest.raises(AnswerError):
        evaluate("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
