"""HF506: WORKDIR with a relative path and no absolute WORKDIR before it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile import stages
from hardenify.dockerfile.model import unquote
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF506",
    name="relative-workdir",
    severity=Severity.WARNING,
    summary="WORKDIR is relative and no absolute WORKDIR was set before it in the stage.",
    what="Reports a WORKDIR whose path does not start with `/`, `$` or a drive (`C:\\`, `C:/`; "
    "on Windows images also `C:` and `\\`) when no earlier WORKDIR of the stage, or of a stage it is "
    "built FROM, set an absolute path. Only the first relative WORKDIR of a stage is reported: "
    "the next ones are relative to it.",
    why="A relative WORKDIR is resolved against the working directory of the base image, which "
    "the Dockerfile does not show and which changes when the base image does: files end up in "
    "a different place and CMD paths break without any change to the Dockerfile.",
    example="FROM node:22-bookworm-slim\nWORKDIR app\nCOPY . .",
    fix="Use an absolute path (`WORKDIR /app`). No automatic fix: the base image's directory is not known.",
    references=References(
        hadolint=("DL3000",), trivy=("DS009",), checkov=("CKV_DOCKER_10",), buildkit=("WorkdirRelativePath",)
    ),
)

_WIN_ABS = re.compile(r"^(?:[A-Za-z]:|[\\/])")
# A drive letter is only meaningful on Windows, but no Linux Dockerfile means a directory "C:".
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    windows = df.is_windows
    for stage in df.stages:
        absolute_seen = False
        own = {id(x) for x in stage.instructions}
        for ins in stages.chain_instructions(stage):
            if ins.cmd != "WORKDIR":
                continue
            raw = ins.args.strip(" \t")
            path = unquote(raw)
            if not path:
                continue
            if path.startswith(("/", "$")) or _DRIVE.match(path) or (windows and _WIN_ABS.match(path)):
                absolute_seen = True
                continue
            if not absolute_seen and id(ins) in own:
                yield ctx.at(
                    RULE,
                    ins,
                    f"WORKDIR {raw} is relative to the base image's working directory: use an absolute path",
                )
            # later relative WORKDIRs build on this one: report the first only
            absolute_seen = True
