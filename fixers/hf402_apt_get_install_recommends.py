"""HF402: `apt-get install` without `--no-install-recommends`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.fixers import _pkg
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF402",
    name="apt-get-install-recommends",
    severity=Severity.WARNING,
    summary="`apt-get install` also installs every recommended package.",
    what="Checks `apt-get install` and `apt install` in shell-form RUNs and `RUN <<EOF` scripts for "
    "`--no-install-recommends`. An explicit choice passes: `--install-recommends`, "
    "`-o APT::Install-Recommends=...`, or an earlier RUN in the stage (or a stage it is built FROM) "
    "that writes `APT::Install-Recommends \"false\"` into apt's config. Windows images are skipped.",
    why="Recommended packages are not dependencies: apt pulls them in by default, so a one-package "
    "install can add hundreds of megabytes and dozens of packages nobody asked for — each one more "
    "attack surface and more CVEs for the scanner to report (CIS Docker Benchmark 4.3: do not install "
    "unnecessary packages).",
    example="FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl",
    fix="Insert ` --no-install-recommends` after the subcommand (after `-y` when it directly follows): "
    "`apt-get install -y --no-install-recommends curl`.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: software sometimes relies on a package that is only recommended (for example "
    "`ca-certificates` for `curl https://...`, `gnupg` helpers, locales). Rebuild and test the image, "
    "and name such packages explicitly.",
    references=References(hadolint=("DL3015",), trivy=("DS029",), cis=("4.3",)),
)

_CONFIG_NO_RECOMMENDS = re.compile(r"(?i)install-recommends\W{0,4}(?:false|0|no|off)\b")


def decided(values: list[str]) -> bool:
    """Does the command choose about recommends explicitly?"""
    if _pkg.has_long(values, "--no-install-recommends", "--install-recommends"):
        return True
    return any(re.match(r"(?i)apt::install-recommends=", v) for v in _pkg.option_values(values, "-o", "--option"))


def _is_yes_flag(value: str) -> bool:
    if value in ("--yes", "--assume-yes"):
        return True
    return bool(re.fullmatch(r"-[a-zA-Z]*y[a-zA-Z]*", value)) or value == "-qq"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer, _run, cmds in _pkg.shell_runs(df):
        config: bool | None = None
        for cmd in cmds:
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
            edit = _pkg.insert_after_word(cmd, after, " --no-install-recommends")
            fix = unsafe_fix("Add `--no-install-recommends`", edit) if edit is not None else None
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{cmd.prog} {name}` without `--no-install-recommends` also installs recommended packages",
                fix=fix,
            )
