"""HF401: `apt-get install` (or another prompting apt command) without `-y`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.rules import References, Rule, lazy_regex

from . import _pkg

RULE = Rule(
    code="HF401",
    name="apt-get-missing-yes",
    severity=Severity.WARNING,
    summary="`apt-get install` (or `apt install`) runs without `-y`.",
    what="Checks every `apt-get`/`apt` command that can ask for confirmation (`install`, `upgrade`, "
    "`dist-upgrade`, `full-upgrade`, `build-dep`, `remove`, `purge`, `autoremove`, `reinstall`, "
    "`satisfy`) in shell-form RUNs and `RUN <<EOF` scripts, after `&&`, `;`, `|`, `sudo`, env "
    "prefixes and line continuations. `-y`, `--yes`, `--assume-yes`, `-qq`/`-q=2` (quiet level 2 "
    "implies yes), `-o APT::Get::Assume-Yes=true`, simulation flags, `yes |` in front, or an earlier "
    "RUN that writes `APT::Get::Assume-Yes` into apt's config all count as answered. `apt` "
    "(the interactive front end) is reported by this rule too, with a hint to prefer `apt-get`. "
    "Windows images are skipped.",
    why="A build has no terminal: when apt needs to install more than the named packages it asks "
    "`Do you want to continue? [Y/n]`, reads end-of-file and aborts. The build then breaks the day a "
    "dependency changes, not the day the line was written.",
    example="FROM debian:12-slim\nRUN apt-get update && apt-get install curl",
    fix="Insert ` -y` right after the subcommand: `apt-get install -y curl`.",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: `-y` only answers the prompt a non-interactive build cannot answer. It does not "
    "allow downgrades, held-package changes or essential-package removal (those need `--allow-*`).",
    references=References(hadolint=("DL3014",), trivy=("DS021",)),
)

PROMPTING = frozenset(
    {
        "install",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "build-dep",
        "remove",
        "purge",
        "autoremove",
        "autopurge",
        "reinstall",
        "satisfy",
    }
)
_CONFIG_YES = lazy_regex(r"(?i)assume-yes\W{0,4}(?:true|1|yes)\b")


def assumes_yes(values: list[str]) -> bool:
    """Do these apt options answer the confirmation prompt (or never show it)?"""
    if _pkg.has_long(
        values, "--yes", "--assume-yes", "--simulate", "--dry-run", "--just-print", "--no-act", "--recon"
    ):
        return True
    letters = _pkg.short_letters(values, value_letters="octa")
    if "y" in letters or "s" in letters or letters.count("q") >= 2:
        return True
    for q in _pkg.option_values(values, "-q", "--quiet"):
        if q.lstrip("=").isdigit() and int(q.lstrip("=")) >= 2:
            return True
    return any(
        re.match(r"(?i)apt::get::assume-yes=(?:true|1|yes)", v)
        for v in _pkg.option_values(values, "-o", "--option")
    )


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer, _run, cmds in _pkg.shell_runs(df):
        config_yes: bool | None = None
        for n, cmd in enumerate(cmds):
            sub = _pkg.apt_sub(cmd)
            if sub is None or sub[1] not in PROMPTING:
                continue
            if assumes_yes(cmd.values):
                continue
            if cmd.before == "|" and n > 0 and cmds[n - 1].prog == "yes":
                continue
            if config_yes is None:
                config_yes = bool(_CONFIG_YES().search(_pkg.earlier_run_text(df, outer)))
            if config_yes:
                continue
            i, name = sub
            start, end = cmd.span(i)
            label = f"{cmd.prog} {name}"
            msg = f"`{label}` without `-y`: the build aborts at the confirmation prompt"
            if cmd.prog == "apt":
                msg += " (`apt` is the interactive front end; prefer `apt-get` in Dockerfiles)"
            edit = runedits.insert_after_word(cmd, i, " -y")
            fix = safe_fix("Add `-y`", edit) if edit is not None else None
            yield ctx.diagnostic(RULE, start, end, msg, fix=fix)
