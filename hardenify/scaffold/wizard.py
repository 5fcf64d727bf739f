"""The interactive wizard of `hardenify new`: ask what detection could not settle, then a summary.

The flow, like `docker init` (a handful of questions) with copier's answers file behind it:

1. the *short path*: only the questions no flag, saved answer or detection settled (see
   `Resolver.asks`); on a detected project that is often none at all;
2. the *summary*: every answer, with where it came from, then a choice: write, change one
   answer (going back: the rest are kept, and anything the change unsettles is asked), go
   through every question (the *advanced* path, current values as defaults), or cancel.

Each pass re-runs the `Resolver` with the answers given so far, so questions that depend on
another (the bases of a stack, a command that names the port) follow a change. Secrets use a
password prompt (nothing echoed), show as "(hidden)" and go nowhere but memory. Every answer is
checked by the same coercion and validator as flags and `--data`, so the wizard cannot produce
what a flag could not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from hardenify.scaffold.questions import Answers, Resolver
from hardenify.scaffold.templateset import Question

WRITE, CHANGE, ADVANCED, CANCEL = "write", "change", "advanced", "cancel"
#: How the summary names where an answer came from.
_SOURCES = {
    "data": "from --data/--data-file",
    "saved": "saved answer",
    "detected": "detected",
    "default": "default",
    "wizard": "your answer",
}
_WIDTH = 48


class Cancelled(Exception):
    """The user chose to cancel on the summary screen: nothing is written."""


@dataclass(frozen=True)
class Row:
    """One line of the summary: an answer, how it reads, where it came from."""

    name: str
    shown: str
    source: str
    help: str
    changeable: bool  # a flag's answer is changed on the command line, not here

    def line(self, width: int = _WIDTH) -> str:
        return f"{self.name:<18} {self.shown:<{width}}  {self.source}"


class UI(Protocol):
    """What the wizard needs from a terminal; questionary's in `QuestionaryUI`, a script's in tests."""

    def ask(
        self, q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]
    ) -> Any: ...

    def summary(self, rows: list[Row]) -> str: ...

    def pick(self, rows: list[Row]) -> str | None: ...


def show(value: Any, secret: bool = False) -> str:
    """An answer as the summary prints it: terminal-safe (detected values are project text)."""
    from hardenify.reporters._common import printable

    if secret:
        return "(hidden)" if value else "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = printable(str(value))
    if text == "":
        return "(none)"
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def rows(resolver: Resolver, answers: Answers) -> list[Row]:
    """The summary of `answers`, in question order."""
    by_name = {q.name: q for q in resolver.templates.questions_for(answers.values.get("stack"))}
    out = []
    for name, value in answers.values.items():
        q = by_name.get(name)
        source = answers.sources.get(name, "default")
        label = f"from {resolver.flags[name]}" if source == "flag" and name in resolver.flags else None
        out.append(
            Row(
                name,
                show(value, name in answers.secrets),
                label or _SOURCES.get(source, source),
                q.help if q is not None else "",
                source not in ("flag", "data"),
            )
        )
    return out


def interview(resolver: Resolver, ui: UI, *, max_rounds: int = 1000) -> Answers:
    """Run the wizard until the user writes (returns the answers) or cancels (`Cancelled`).

    `max_rounds` bounds the loop, as every loop here is bounded; no person gets near it.
    """
    given: dict[str, Any] = {}
    accepted: dict[str, Any] = {}

    def ask(q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        value = ui.ask(q, default, choices, check)
        given[q.name] = value
        if value == default:
            accepted[q.name] = value
        else:
            accepted.pop(q.name, None)
        return value

    mode: dict[str, Any] = {}
    for _ in range(max_rounds):
        current = replace(
            resolver, given=dict(given), accepted=dict(accepted), ask=ask, interactive=True, **mode
        )
        answers = current.resolve()
        mode = {}
        summary = rows(current, answers)
        action = ui.summary(summary)
        if action == WRITE:
            return answers
        if action == CANCEL:
            raise Cancelled
        if action == ADVANCED:
            mode = {"ask_all": True}
        elif action == CHANGE:
            name = ui.pick([r for r in summary if r.changeable])
            if name is not None:  # asked again with its current value as the default
                mode = {"ask_only": frozenset({name})}
    raise Cancelled


class QuestionaryUI:
    """The wizard on a terminal, through questionary (a real TTY is needed: `new` checks)."""

    def __init__(self) -> None:
        import questionary

        self.q = questionary

    def ask(self, q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
        questionary = self.q

        def validate(text: str) -> bool | str:
            try:
                check(text)
            except ValueError as exc:
                return str(exc)
            return True

        message = f"{q.help} [{q.name}]"
        if q.type == "bool":
            answer: Any = questionary.confirm(message, default=bool(default)).unsafe_ask()
        elif q.type == "choice":
            names = [str(c) for c in choices or []]
            answer = questionary.select(
                message, choices=names, default=str(default) if str(default) in names else None
            ).unsafe_ask()
        elif q.type == "secret":
            answer = questionary.password(message + " (not saved)", validate=validate).unsafe_ask()
        else:
            answer = questionary.text(
                message, default="" if default is None else str(default), validate=validate
            ).unsafe_ask()
        return check(answer)

    def summary(self, rows: list[Row]) -> str:
        import click

        click.echo("\nSummary of the answers, and where each came from:")
        width = max((len(r.shown) for r in rows), default=0)
        for r in rows:
            click.echo("  " + r.line(width))
        choices = [
            self.q.Choice("Write the files", WRITE),
            self.q.Choice("Change an answer", CHANGE),
            self.q.Choice("Advanced: go through every question", ADVANCED),
            self.q.Choice("Cancel: write nothing", CANCEL),
        ]
        return str(self.q.select("What next? [summary]", choices=choices, default=choices[0]).unsafe_ask())

    def pick(self, rows: list[Row]) -> str | None:
        back = "« back to the summary"
        choices = [self.q.Choice(f"{r.name} = {r.shown}", r.name) for r in rows]
        choices.append(self.q.Choice(back, back))
        name = self.q.select(
            "Which answer? [change]",
            choices=choices,
            use_search_filter=True,  # type a name to narrow the list
            use_jk_keys=False,
            instruction="(arrow keys, or type part of a name)",
        ).unsafe_ask()
        return None if name == back else str(name)
