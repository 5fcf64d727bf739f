"""The interactive wizard: one questionary prompt per question, detected values as defaults.

Secrets use a password prompt (nothing echoed) and go nowhere but memory. Every answer is
checked by the same coercion and validator as flags and `--data`, and a bad answer is asked
again with the validator's message, so the wizard cannot produce what a flag could not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hardenify.scaffold.questions import Asker
from hardenify.scaffold.templateset import Question


def make_asker() -> Asker:
    """An `Asker` backed by questionary (imported here: `hardenify check` never pays for it)."""
    import questionary

    def ask(q: Question, default: Any, choices: list[Any] | None, check: Callable[[Any], Any]) -> Any:
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

    return ask
