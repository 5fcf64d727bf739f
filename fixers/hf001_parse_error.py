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
    "instructions before the first FROM, missing arguments and exec forms that are not valid JSON; "
    "whatever else BuildKit's own parser rejects (`ENV A=1 B`: \"can't find = in B\"), with its "
    "message; and what BuildKit's Dockerfile frontend refuses after parsing: unknown flags "
    "(`COPY --chmodx`), unknown mount types and keys (`RUN --mount=type=secrets`), network modes, "
    "HEALTHCHECK durations and retries that do not parse, EXPOSE protocols other than tcp/udp/sctp, "
    "and `FROM image AS` without a name.",
    why="BuildKit either refuses the file or silently runs something other than what was written "
    "(an invalid JSON exec form runs through a shell). hardenify reports the line instead of crashing.",
    example='FORM python:3.12-slim\nCMD ["python", "app.py"',
    fix="Correct the syntax at the reported line.",
    references=References(hadolint=("DL1000",)),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.dockerfile.frontend import problems
    from hardenify.engine import buildkit_error

    df = ctx.df
    starts = df._line_starts
    for p in df.problems:
        row = min(max(p.line, 1), len(starts))
        start = starts[row - 1] if starts else 0
        yield ctx.diagnostic(RULE, start, start + len(df.line_text(row)) if starts else 0, p.message)
    if not df.problems:  # the model's problems already cover what the parser would say
        bk = buildkit_error(ctx.text)
        if bk is not None:
            start, end = _culprit(ctx, bk)
            yield ctx.diagnostic(RULE, start, end, f"BuildKit: {bk}")
    for fp in problems(df):
        yield ctx.diagnostic(RULE, fp.start, fp.end, fp.message)


def _culprit(ctx: CheckContext, message: str) -> tuple[int, int]:
    """The span of the instruction BuildKit's parser refuses: its errors name no line, so each
    instruction is parsed alone (after a stand-in FROM) until one fails with the same message."""
    from hardenify.engine import buildkit_error

    df = ctx.df
    text = ctx.text
    first = df.instructions[0].start if df.instructions else 0
    prefix = text[:first]  # directives (escape=) and comments before the first instruction
    for ins in df.instructions:
        alone = prefix + ("" if ins.cmd == "FROM" else "FROM scratch\n") + text[ins.start : ins.end] + "\n"
        if buildkit_error(alone) == message:
            return ins.start, ins.end
    return 0, len(df.line_text(1)) if df._line_starts else 0
