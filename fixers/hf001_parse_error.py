"""HF001: the file does not parse (as BuildKit would see it)."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF001",
    name="parse-error",
    severity=Severity.ERROR,
    summary="The Dockerfile has a syntax problem BuildKit rejects or misreads.",
    what="Reports unknown instructions, unterminated heredocs, a trailing line continuation, "
    "instructions before the first FROM, missing arguments and exec forms that are not valid JSON.",
    why="BuildKit either refuses the file or silently runs something other than what was written "
    "(an invalid JSON exec form runs through a shell). hardenify reports the line instead of crashing.",
    example='FORM python:3.12-slim\nCMD ["python", "app.py"',
    fix="Correct the syntax at the reported line.",
    references=References(hadolint=("DL1000",)),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    starts = df._line_starts
    for p in df.problems:
        row = min(max(p.line, 1), len(starts))
        start = starts[row - 1] if starts else 0
        yield ctx.diagnostic(RULE, start, start + len(df.line_text(row)) if starts else 0, p.message)
