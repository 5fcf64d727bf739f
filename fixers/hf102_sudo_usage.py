"""HF102: `sudo` in a RUN instruction."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.runs import RESERVED, run_scripts
from hardenify.dockerfile.shell import Command
from hardenify.dockerfile.users import looks_windows
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF102",
    name="sudo-usage",
    severity=Severity.ERROR,
    summary="A RUN instruction calls `sudo`.",
    what="Reports `sudo` used as a command in RUN (shell form, exec form, `sh -c` strings, heredoc "
    "scripts and ONBUILD RUN). Installing the sudo package or mentioning the word is not reported.",
    why="RUN already executes as the current USER, and switching users is USER's job. `sudo` in a "
    "build either does nothing (the build runs as root) or works only because the image grants "
    "password-less sudo to a non-root user, which lets anything running as that user become root "
    "and defeats the point of the USER. sudo also behaves unpredictably without a TTY and "
    "forwards signals poorly (use `gosu`/`su-exec` when an entrypoint must drop privileges).",
    example="FROM ubuntu:24.04\nUSER app\nRUN sudo apt-get update",
    fix="Run the privileged steps before switching to the non-root user (or wrap them in "
    "`USER root` ... `USER app`) and drop `sudo`; remove password-less sudo rules from the image.\n\n"
    "There is no automatic fix: dropping `sudo` is only equivalent when the RUN already runs as "
    "root, and `sudo -u other` or sudo's environment handling cannot be reproduced by editing the "
    "line.",
    references=References(hadolint=("DL3004",), trivy=("DS010",)),
)

WRAPPERS = frozenset({"env", "exec", "command", "nohup", "time", "xargs", "nice", "timeout", "stdbuf"})


def _sudo_word(cmd: Command) -> int | None:
    """Index of the word that runs `sudo` as a command, skipping assignments and wrappers."""
    words = cmd.words
    i = 0
    while i < len(words) and words[i].value in RESERVED and words[i].raw == words[i].value:
        i += 1
    while i < len(words):
        v = words[i].value
        if "=" in v and not v.startswith("=") and v.split("=", 1)[0].replace("_", "").isalnum():
            i += 1
            continue
        base = v.rsplit("/", 1)[-1]
        if base == "sudo":
            return i
        if base in WRAPPERS:
            i += 1
            while i < len(words) and words[i].value.startswith("-"):
                i += 1
            if base == "timeout" and i < len(words):
                i += 1  # the duration
            continue
        return None
    return None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    if looks_windows(df):
        return
    for ins in df.instructions:
        if ins.cmd not in ("RUN", "ONBUILD"):
            continue
        seen: set[int] = set()
        for script in run_scripts(ins):
            for cmd in script.commands():
                i = _sudo_word(cmd.command)
                if i is None:
                    continue
                w = cmd.all_words[i]
                start, end = script.span(w.start, w.end)
                if start in seen:
                    continue
                seen.add(start)
                if end <= start:
                    end = ins.content_end
                yield ctx.diagnostic(
                    RULE,
                    start,
                    end,
                    "do not use `sudo` in RUN: the build already runs as the current "
                    "USER; switch with `USER root` for privileged steps instead",
                )
