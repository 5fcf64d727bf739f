"""Turn detection, flags, `--data`, saved answers and the wizard into one set of valid answers.

For each question, in order, the first source that has a value wins:

1. an explicit answer (a flag such as `--port`, `--data port=8080`, `--data-file`);
2. an answer given in the wizard (kept while the user goes back and changes others);
3. the wizard's prompt, for the questions it asks (see `Resolver.asks`), with the default below;
4. the default: the answers file's answer (a re-run or `--update`; never a secret), else the
   detected value, else the question's `default`.

A `required` question whose default came from neither the project (detection) nor the answers
file is *unsettled*: the short wizard asks it, and without a TTY it needs a flag or
`--defaults`. Anything still missing is an `AnswerError` that names the flags to use (exit 2):
a build in CI must never wait for a prompt or silently guess a port.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hardenify.scaffold import sandbox
from hardenify.scaffold.detect import Detection
from hardenify.scaffold.templateset import Question, TemplateSet
from hardenify.scaffold.validators import validate

_TRUE = frozenset({"y", "yes", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "false", "off", "0"})
_SINGLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
_REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

#: Asks one question; returns the validated answer. The wizard provides it on a TTY.
Asker = Callable[[Question, Any, "list[Any] | None", "Callable[[Any], Any]"], Any]

#: Sources that settle a question: the short wizard does not ask it, and no TTY is needed.
SETTLED = frozenset({"flag", "data", "wizard", "saved", "detected"})


class AnswerError(Exception):
    """An answer is invalid or missing; the message says which flag or --data key to use."""


@dataclass
class Answers:
    """Validated answers in question order; `secrets` names those that must never be saved."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # flag, data, saved, wizard, detected, default
    secrets: set[str] = field(default_factory=set)

    def public(self) -> dict[str, Any]:
        """The answers that may be written to disk: everything but secrets."""
        return {k: v for k, v in self.values.items() if k not in self.secrets}

    @property
    def stack(self) -> str:
        return str(self.values["stack"])


def _env() -> Any:
    from jinja2 import StrictUndefined

    # Sandboxed: an organisation's questions.yaml is data, and its expressions must not be able
    # to reach Python internals.
    return sandbox.environment(undefined=StrictUndefined)


def evaluate(expr: Any, context: Mapping[str, Any], env: Any = None, where: str = "") -> Any:
    """A literal stays as it is; `"{{ expr }}"` yields the expression's value (a list, an int…);
    any other string with Jinja markup is rendered to a string.

    Only for the template set's own strings (questions.yaml, stack.yaml): a value that came
    from the project (a detected fact, a saved answer) goes through `interpolate` instead.
    """
    if not isinstance(expr, str) or ("{{" not in expr and "{%" not in expr):
        return expr
    env = env or _env()
    try:
        m = _SINGLE_EXPR.match(expr)
        if m and "}}" not in m.group(1):
            return env.compile_expression(m.group(1).strip(), undefined_to_none=False)(**context)
        return env.from_string(expr).render(**context)
    except Exception as exc:  # any failure of template code is the template's, said in one line
        raise AnswerError(sandbox.describe(exc, where or "questions.yaml")) from None


def interpolate(value: Any, context: Mapping[str, Any]) -> Any:
    """A detected value with `{{ name }}` references to answers ("--port {{ port }}"), filled in.

    Detected values hold text from the project being scaffolded (a package.json start script,
    a directory name), which is hostile input: it is never handed to Jinja. Only a bare
    `{{ identifier }}` naming a known answer is replaced, in one pass; everything else stays
    as it was, braces included.
    """
    if not isinstance(value, str) or "{{" not in value:
        return value

    def ref(m: re.Match[str]) -> str:
        name = m.group(1)
        known = name in context and isinstance(context[name], (str, int, float, bool))
        return str(context[name]) if known else m.group(0)

    return _REF.sub(ref, value)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        v = value.strip().lower()
        return v not in _FALSE and v not in ("", "none")
    return bool(value)


def coerce(q: Question, value: Any, choices: list[Any] | None = None) -> Any:
    """Convert a raw value (a flag, a --data string, YAML) to the question's type and validate it."""
    if q.type == "int":
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a whole number")
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
    elif q.type == "bool":
        if not isinstance(value, bool):
            s = str(value).strip().lower()
            if s in _TRUE:
                value = True
            elif s in _FALSE:
                value = False
            else:
                raise ValueError(f"{value!r} is not yes/no (true/false)")
    elif q.type == "choice":
        value = str(value).strip()
        if choices is not None and value not in [str(c) for c in choices]:
            raise ValueError(f"{value!r} is not one of: {', '.join(str(c) for c in choices)}")
    else:
        value = "" if value is None else str(value)
    return validate(q.validator, value)


def base_info(stack_info: Mapping[str, Any], base: str | None) -> dict[str, Any]:
    """The chosen base's entry of stack.yaml, with the optional keys filled in."""
    raw = dict((stack_info.get("bases") or {}).get(base or "", {}) or {})
    raw.setdefault("version", None)
    raw.setdefault("interpreter", {})
    raw.setdefault("user", "none")
    raw.setdefault("about", "")
    return raw


def _template_strings(ctx: Mapping[str, Any]) -> set[str]:
    """The string values of the stack's and base's info: template text, not project data."""
    return {
        v
        for info in (ctx.get("stack_info"), ctx.get("base_info"))
        if info
        for v in info.values()
        if isinstance(v, str)
    }


@dataclass
class Resolver:
    """Resolves the questions of one template set for one project."""

    templates: TemplateSet
    detection: Detection
    explicit: Mapping[str, Any] = field(default_factory=dict)
    saved: Mapping[str, Any] = field(default_factory=dict)
    interactive: bool = False
    use_defaults: bool = False
    ask: Asker | None = None
    flags: Mapping[str, str] = field(default_factory=dict)  # question → its CLI flag, for messages
    given: Mapping[str, Any] = field(default_factory=dict)  # answers already given in the wizard
    # Of `given`, those that took the default offered: they follow a changed default (the
    # command of another stack), where a typed answer stays.
    accepted: Mapping[str, Any] = field(default_factory=dict)
    ask_all: bool = False  # the wizard's "advanced" pass: every question, current values as defaults
    ask_only: frozenset[str] | None = None  # the wizard's "change an answer": just these
    _facts: dict[Any, dict[str, Any]] = field(default_factory=dict, repr=False)

    def context(self, answers: Answers) -> dict[str, Any]:
        """What question expressions see: detected facts, the stack's and base's info, answers so far."""
        stack = answers.values.get("stack")
        known = isinstance(stack, str) and stack in self.templates.stacks
        info = dict(self.templates.stacks[str(stack)].info) if known else {}
        if stack not in self._facts:
            facts = self.detection.for_stack(stack) if stack else dict(self.detection.facts)
            facts["stack"] = self.detection.stack
            self._facts[stack] = facts
        facts = self._facts[stack]
        return {
            **answers.values,
            "detected": facts,
            "stacks": sorted(self.templates.stacks),
            "stack_info": info,
            "base_info": base_info(info, answers.values.get("base")) if info else {},
        }

    def resolve(self) -> Answers:
        answers = Answers()
        missing: list[Question] = []
        env = _env()
        unknown = set(self.explicit) - {
            q.name for s in [None, *self.templates.stacks] for q in self.templates.questions_for(s)
        }
        if unknown:
            raise AnswerError(
                f"unknown answer(s): {', '.join(sorted(unknown))} (`hardenify new --list-questions` "
                "names them all; `--help-questions` explains each)"
            )
        i = 0
        while True:
            questions = self.templates.questions_for(answers.values.get("stack"))
            if i >= len(questions):
                break
            q = questions[i]
            i += 1
            ctx = self.context(answers)
            if q.when is not None and not truthy(evaluate(q.when, ctx, env, f"question {q.name!r} when")):
                continue
            choices = self.choices(q, ctx, env)
            if q.secret:
                answers.secrets.add(q.name)
            value, source = self._answer(q, ctx, choices, env)
            if source == "missing" and q.name == "stack":
                # Nothing else can be worked out without a stack: say so, alone and first.
                raise AnswerError(
                    f"could not detect the stack; pass --stack (one of: {', '.join(map(str, choices or []))})"
                )
            if source == "missing":
                missing.append(q)
                # Carry on with the default so the questions that depend on this one can still
                # be evaluated, and one error lists everything that is missing.
                default, _ = self._default(q, ctx, choices, env)
                if default is not None:
                    answers.values[q.name] = default
                continue
            if value is None:
                continue
            answers.values[q.name] = value
            answers.sources[q.name] = source
        if missing:
            raise AnswerError(self._missing_message(missing))
        return answers

    def choices(self, q: Question, ctx: Mapping[str, Any], env: Any = None) -> list[Any] | None:
        """A choice question's choices in `ctx` (None for other types)."""
        if q.type != "choice":
            return None
        choices = evaluate(q.choices, ctx, env, f"question {q.name!r} choices")
        if isinstance(choices, str):
            choices = [c.strip() for c in choices.split(",") if c.strip()]
        return list(choices)

    def _valid(self, q: Question, source: Mapping[str, Any], choices: list[Any] | None) -> tuple[bool, Any]:
        """(True, value) when `source` answers `q` with a value the current template accepts."""
        if q.name not in source:
            return False, None
        try:
            return True, coerce(q, source[q.name], choices)
        except ValueError:
            return False, None  # e.g. a base of another stack, or a newer template's rules

    def _default(
        self, q: Question, ctx: Mapping[str, Any], choices: list[Any] | None, env: Any
    ) -> tuple[Any, str]:
        if not q.secret:
            ok, value = self._valid(q, self.saved, choices)
            if ok:
                return value, "saved"
        facts = ctx["detected"]
        if q.detected is not None and facts.get(q.detected) is not None and not q.secret:
            try:
                # Detected values may refer to earlier answers ("--port {{ port }}").
                return coerce(q, interpolate(facts[q.detected], ctx), choices), "detected"
            except ValueError:
                pass  # a detected value that does not validate is no default at all
        if q.default is None:
            return None, "default"
        raw = evaluate(q.default, ctx, env, f"question {q.name!r} default")
        if isinstance(raw, str) and "{{" in raw and raw in _template_strings(ctx):
            # A stack.yaml value that refers to answers ("/usr/local/bin/{{ binary }}"). Only
            # the template set's own strings are evaluated twice, never an answer's text.
            raw = evaluate(raw, ctx, env, f"question {q.name!r} default")
        if raw is None or (isinstance(raw, str) and raw == "" and q.type in ("int", "choice")):
            return None, "default"
        try:
            return coerce(q, raw, choices), "default"
        except ValueError as exc:
            raise AnswerError(f"the template's default for {q.name!r} is invalid: {exc}") from None

    def asks(self, q: Question, source: str) -> bool:
        """Whether the wizard prompts for `q`, whose best value so far came from `source`.

        The short path asks only what nothing settled: a secret (never saved, never detected)
        or a required answer that neither the project nor the answers file gave. Everything
        else is on the summary screen, where any answer can be changed.
        """
        if not self.interactive or self.ask is None:
            return False
        if self.ask_all or (self.ask_only is not None and q.name in self.ask_only):
            return True
        return (q.secret or q.required) and source not in SETTLED

    def _answer(
        self,
        q: Question,
        ctx: Mapping[str, Any],
        choices: list[Any] | None,
        env: Any,
    ) -> tuple[Any, str]:
        if q.name in self.explicit:
            try:
                return coerce(q, self.explicit[q.name], choices), "flag" if q.name in self.flags else "data"
            except ValueError as exc:
                raise AnswerError(f"{self._how(q)}: {exc}") from None
        given, value = self._valid(q, self.given, choices)
        if given and q.name in self.accepted:
            fresh = self._default(q, ctx, choices, env)
            given = fresh[0] == self.accepted[q.name]
        default, source = (value, "wizard") if given else self._default(q, ctx, choices, env)
        if self.asks(q, source) and self.ask is not None:
            return self.ask(q, default, choices, lambda v: coerce(q, v, choices)), "wizard"
        if default is None:
            return (None, "default") if not q.required else (None, "missing")
        if source in SETTLED or self.use_defaults or not q.required:
            return default, source
        return None, "missing"

    def _how(self, q: Question) -> str:
        flag = self.flags.get(q.name)
        data = f"--data {q.name}=VALUE"
        return f"{flag} (or {data})" if flag else data

    def _missing_message(self, missing: list[Question]) -> str:
        """One line: what detection could not settle, and how to answer it without a TTY."""
        what = "; ".join(f"{q.name}: {self._how(q)}" for q in missing)
        return (
            f"no TTY to ask on, and detection could not settle {what}. Pass them, use --data-file FILE, "
            "or --defaults to accept the template's defaults (`hardenify new --help-questions` explains each)"
        )
