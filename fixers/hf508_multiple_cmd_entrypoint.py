"""HF508: several CMD, ENTRYPOINT or HEALTHCHECK instructions in one stage."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import edits
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF508",
    name="multiple-cmd-entrypoint",
    severity=Severity.WARNING,
    summary="A stage has several CMD, ENTRYPOINT or HEALTHCHECK instructions: only the last one counts.",
    what="Reports every CMD, ENTRYPOINT and HEALTHCHECK that a later instruction of the same "
    "kind in the same stage overrides (ONBUILD ones are not counted).",
    why="Only the last CMD, ENTRYPOINT and HEALTHCHECK of a stage end up in the image. The "
    "earlier ones look like they do something, which misleads reviewers and usually means "
    "an edit went to the wrong line.",
    example='FROM python:3.12-slim\nCMD ["python", "manage.py", "migrate"]\nCMD ["gunicorn", "app.wsgi"]',
    fix="Delete the overridden instructions (only the instruction: comments around it stay).",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: the image configuration is the same, since the deleted instructions were "
    "overridden (an ENTRYPOINT resets an inherited CMD with or without them).",
    references=References(
        hadolint=("DL4003", "DL4004", "DL3012"),
        trivy=("DS016", "DS007", "DS023"),
        buildkit=("MultipleInstructionsDisallowed",),
    ),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for stage in df.stages:
        for kind in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            found = [x for x in stage.instructions if x.cmd == kind]
            if len(found) < 2:
                continue
            last = found[-1]
            for ins in found[:-1]:
                yield ctx.at(
                    RULE,
                    ins,
                    f"this {kind} is overridden by the {kind} on line {last.line}: only the last one counts",
                    fix=safe_fix(f"delete the overridden {kind}", edits.delete(df, ins)),
                )
