"""HF402: `apt-get install` without `--no-install-recommends`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.runs import Cmd
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF402",
    name="apt-get-install-recommends",
    severity=Severity.WARNING,
    summary="`apt-get install` also installs every recommended package.",
    what="Checks `apt-get install` and `apt install` in shell-form RUNs and `RUN <<EOF` scripts for "
    "`--no-install-recommends`. An explicit choice passes: `--install-recommends`, "
    "`-o APT::Install-Recommends=...`, or an earlier RUN in the stage (or a stage it is built FROM) "
    'that writes `APT::Install-Recommends "false"` into apt\'s config. Windows images are skipped.',
    why="Recommended packages are not dependencies: apt pulls them in by default, so a one-package "
    "install can add hundreds of megabytes and dozens of packages nobody asked for — each one more "
    "attack surface and more CVEs for the scanner to report (CIS Docker Benchmark 4.3: do not install "
    "unnecessary packages).",
    example="FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl",
    fix="Insert ` --no-install-recommends` after the subcommand (after `-y` when it directly follows): "
    "`apt-get install -y --no-install-recommends curl`. `ca-certificates` is only recommended (by curl, "
    "wget, git...), so when the stage, or a stage built FROM it, later downloads over TLS (`curl https://…`, "
    "`git clone https://…`, an `https` apt source, a `$URL` given to curl/wget/git) and no RUN of the stage "
    "installs `ca-certificates` explicitly, the fix names it: "
    "`apt-get install -y --no-install-recommends ca-certificates curl`.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: software sometimes relies on a package that is only recommended (`gnupg` helpers, "
    "locales, `ca-certificates` for a download the fix cannot see, such as one inside a script). Rebuild and "
    "test the image, and name such packages explicitly.",
    references=References(hadolint=("DL3015",), trivy=("DS029",), cis=("4.3",)),
)

_CONFIG_NO_RECOMMENDS = re.compile(r"(?i)install-recommends\W{0,4}(?:false|0|no|off)\b")


def decided(values: list[str]) -> bool:
    """Does the command choose about recommends explicitly?"""
    if _pkg.has_long(values, "--no-install-recommends", "--install-recommends"):
        return True
    return any(
        re.match(r"(?i)apt::install-recommends=", v) for v in _pkg.option_values(values, "-o", "--option")
    )


def _is_yes_flag(value: str) -> bool:
    if value in ("--yes", "--assume-yes"):
        return True
    return bool(re.fullmatch(r"-[a-zA-Z]*y[a-zA-Z]*", value)) or value == "-qq"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    ca_added: set[int] = set()  # stages where this pass already names ca-certificates
    for outer, _run, cmds in _pkg.shell_runs(df):
        config: bool | None = None
        for k, cmd in enumerate(cmds):
            sub = _pkg.apt_sub(cmd)
            if sub is None or sub[1] != "install" or decided(cmd.values):
                continue
            if config is None:
                config = bool(_CONFIG_NO_RECOMMENDS.search(_pkg.earlier_run_text(df, outer)))
            if config:
                continue
            i, name = sub
            after = i
            if i + 1 < len(cmd.words) and _is_yes_flag(cmd.words[i + 1].value):
                after = i + 1
            start, end = cmd.span(i)
            text, message = " --no-install-recommends", "Add `--no-install-recommends`"
            if _needs_ca_certificates(df, outer, cmds, k, ca_added):
                text += " ca-certificates"
                message += (
                    " and install `ca-certificates` explicitly (it was only recommended, and the image "
                    "downloads over TLS later)"
                )
            edit = runedits.insert_after_word(cmd, after, text)
            fix = unsafe_fix(message, edit) if edit is not None else None
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{cmd.prog} {name}` without `--no-install-recommends` also installs recommended packages",
                fix=fix,
            )


def _needs_ca_certificates(
    df: Dockerfile, outer: Instruction, cmds: list[Cmd], k: int, added: set[int]
) -> bool:
    """Without recommends, is `ca-certificates` missing for a later TLS download? Records the
    stage in `added` so one fix per stage lineage names it."""
    stage = df.stage_of(outer)
    if stage is None or any(s.index in added for s in stage.chain):
        return False
    if _pkg.installs_in_lineage(df, outer, "ca-certificates") or not _pkg.tls_after(df, outer, cmds, k):
        return False
    added.add(stage.index)
    return True
