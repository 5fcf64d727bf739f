"""HF408: yum/dnf/microdnf/tdnf/zypper install without a cache clean (or without `-y`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.rules import References, Rule, lazy_regex

from . import _pkg

RULE = Rule(
    code="HF408",
    name="package-cache-not-cleaned",
    severity=Severity.WARNING,
    summary="An rpm-family or zypper install leaves its package cache in the layer (or lacks `-y`).",
    what="Checks `yum`, `dnf`, `microdnf`, `tdnf` and `zypper` in shell-form RUNs and `RUN <<EOF` "
    "scripts (Windows images are skipped). Two findings:\n\n"
    "1. An install-like command (`install`, `groupinstall`, `localinstall`, `reinstall`, `update`, "
    "`upgrade`; zypper `install`/`in`, `update`, `patch`, `dist-upgrade`, `source-install`) with no "
    "clean after it in the same RUN: `<pm> clean all` (yum and dnf count for each other), "
    "`zypper clean`/`zypper cc`, or `rm -rf /var/cache/{yum,dnf,libdnf5,tdnf,zypp}...`. A "
    "`--mount=type=cache`/`type=tmpfs` on the cache directory passes.\n"
    "2. `yum`/`dnf`/`microdnf`/`tdnf` install, update or remove without `-y`/`--assumeyes` (zypper: "
    "without `-y`/`--no-confirm`/`-n`/`--non-interactive`). An earlier RUN that writes `assumeyes=1` "
    "into the yum/dnf config passes. Folded into this rule because it concerns the same commands "
    "(hadolint splits it into DL3030/DL3038/DL3034); the fix is independent.",
    why="yum, dnf and zypper keep downloaded packages and repository metadata under /var/cache; "
    "left there they add tens to hundreds of megabytes to the layer, and a clean in a later RUN does not "
    "shrink the earlier layer. Without `-y` the build aborts at the `Is this ok [y/N]` prompt (microdnf "
    "too since RHEL/UBI 9, where it no longer assumes yes).",
    example="FROM rockylinux:9\nRUN dnf install -y httpd",
    fix="1. Append ` && <pm> clean all` (`zypper clean --all`) at the end of the RUN, with `sudo` when "
    "the install used it; on a multi-line RUN as a new continuation line in the RUN's style.\n"
    "2. Insert ` -y` right after the subcommand.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Safe: the clean runs after everything else in the RUN, so it cannot affect what was "
    "installed, and `&&` keeps a failing install failing; `-y` only answers the prompt a build cannot "
    "answer. Exception: `-y` for `microdnf` is unsafe, because microdnf before 3.6 (UBI/RHEL 8.0–8.3) "
    "rejects the option. No clean fix when the RUN ends in a way that cannot take ` && cmd` "
    "(trailing operator, `&`, `exit`).",
    references=References(
        hadolint=("DL3032", "DL3040", "DL3036", "DL3030", "DL3038", "DL3034"),
        trivy=("DS015", "DS019", "DS020", "DS027"),
    ),
)

RPM = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_RPM_INSTALL = frozenset(
    {
        "install",
        "in",
        "groupinstall",
        "localinstall",
        "reinstall",
        "rei",
        "update",
        "upgrade",
        "up",
        "distro-sync",
        "upgrade-minimal",
        "update-minimal",
    }
)
_RPM_PROMPTING = _RPM_INSTALL | {"remove", "erase", "rm", "downgrade", "autoremove", "groupremove"}
_GROUPS = frozenset({"group", "groups", "module"})
_ZYPPER_INSTALL = frozenset(
    {"install", "in", "update", "up", "patch", "dist-upgrade", "dup", "source-install", "si"}
)
_ZYPPER_PROMPTING = frozenset({"install", "in", "remove", "rm", "source-install", "si"})
_CACHE_DIRS = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/tdnf", "/var/cache/zypp")
_CONFIG_YES = lazy_regex(r"(?i)assumeyes\s*=\s*(?:1|true|yes)\b")


def _sub(cmd: _pkg.Cmd) -> tuple[int, str] | None:
    """(index, name) of the yum/dnf/zypper subcommand; `group install` reads as `groupinstall`."""
    opts = _pkg.ZYPPER_VALUE_OPTS if cmd.prog == "zypper" else _pkg.RPM_VALUE_OPTS
    i = _pkg.subcommand(cmd, opts)
    if i is None:
        return None
    name = cmd.words[i].value
    if name in _GROUPS and cmd.prog != "zypper":
        j = _pkg.subcommand(cmd, opts, start=i + 1)
        if j is not None:
            verb = cmd.words[j].value
            return j, ("group" + verb if name != "module" else verb)
    return i, name


def _installs(cmd: _pkg.Cmd) -> tuple[int, str] | None:
    if cmd.prog not in RPM and cmd.prog != "zypper":
        return None
    s = _sub(cmd)
    if s is None:
        return None
    names = _ZYPPER_INSTALL if cmd.prog == "zypper" else _RPM_INSTALL | {"groupinstall", "groupupdate"}
    return s if s[1] in names else None


def _cleans(cmd: _pkg.Cmd, pm: str) -> bool:
    if cmd.prog == "rm":
        return any(v.rstrip("/*").startswith(_CACHE_DIRS) for v in cmd.values)
    if pm == "zypper":
        if cmd.prog != "zypper":
            return False
        s = _sub(cmd)
        return s is not None and s[1] in ("clean", "cc")
    family = {"yum", "dnf"} if pm in ("yum", "dnf") else {pm}
    if cmd.prog not in family:
        return False
    s = _sub(cmd)
    return s is not None and s[1] == "clean" and "all" in cmd.values[s[0] :]


def _assumes_yes(cmd: _pkg.Cmd) -> bool:
    vals = cmd.values
    if cmd.prog == "zypper":
        return _pkg.has_long(vals, "--no-confirm", "--non-interactive") or bool(
            {"y", "n"} & set(_pkg.short_letters(vals, value_letters="cRrDt"))
        )
    return (
        _pkg.has_long(vals, "--assumeyes", "--assumeno")
        or "y" in _pkg.short_letters(vals, value_letters="cdexR")
        or any(re.match(r"(?i)assumeyes=(?:1|true|yes)", v) for v in _pkg.option_values(vals, "", "--setopt"))
    )


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer, run, cmds in _pkg.shell_runs(df):
        config_yes: bool | None = None
        # 2. missing -y
        for cmd in cmds:
            if cmd.prog not in ("yum", "dnf", "microdnf", "tdnf", "zypper"):
                continue
            s = _sub(cmd)
            if s is None:
                continue
            i, name = s
            prompting = _ZYPPER_PROMPTING if cmd.prog == "zypper" else _RPM_PROMPTING
            if name not in prompting and not (name.startswith("group") and name[5:] in prompting):
                continue
            if _assumes_yes(cmd):
                continue
            if config_yes is None:
                config_yes = bool(_CONFIG_YES().search(_pkg.earlier_run_text(df, outer)))
            if config_yes:
                continue
            start, end = cmd.span(i)
            edit = runedits.insert_after_word(cmd, i, " -y")
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{cmd.prog} {cmd.words[i].value}` without `-y`: the build aborts at the confirmation prompt",
                fix=None
                if edit is None
                else (unsafe_fix if cmd.prog == "microdnf" else safe_fix)("Add `-y`", edit),
            )
        # 1. missing clean, once per package manager
        if _pkg.cache_mounted(run, *_CACHE_DIRS):
            continue
        last_install: dict[str, _pkg.Cmd] = {}
        for cmd in cmds:
            if _installs(cmd) is not None:
                last_install[cmd.prog] = cmd
        for pm, cmd in last_install.items():
            if any(_cleans(c, pm) for c in cmds if c.order > cmd.order):
                continue
            s = _installs(cmd)
            assert s is not None
            i = s[0]
            clean = "zypper clean --all" if pm == "zypper" else f"{pm} clean all"
            prefix = "sudo " if cmd.sudo else ""
            edit = runedits.append_command(df, outer, run, prefix + clean)
            start, end = cmd.span(i)
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{pm} {cmd.words[i].value}` without `{clean}` later in the same RUN keeps the package "
                "cache in the layer",
                fix=safe_fix(f"Append `{clean}` to the RUN", edit) if edit is not None else None,
            )
