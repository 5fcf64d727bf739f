"""HF418: packages installed without a version (off by default: a policy, and noisy)."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF418",
    name="package-version-not-pinned",
    severity=Severity.INFO,
    summary="Off by default: packages installed with apt-get, apk, pip, npm or gem without a version.",
    what="Per package manager, reports the packages an install names without a version: "
    "`apt-get install curl` (pin `curl=<version>`), `apk add curl` (`curl=<version>` or "
    "`curl~<version>`), `pip install requests` (any version specifier counts: `==`, `~=`, `>=`), "
    "`npm install left-pad` with package names (`left-pad@1.3.0`; a dist-tag such as `@latest` is "
    "not a version), and `gem install rails` (`-v` or `rails:<version>`). One finding per "
    "command lists its unpinned packages. Project installs from a lockfile or requirements file "
    "(`npm ci`, `pip install -r`), local paths, URLs, files and variables are not reported. The "
    "rule is off by default: enable it with `--select HF418` (or `extend-select`); `ALL` and "
    "`HF4` do not turn it on.",
    why="An unpinned package installs whatever the mirror has on the day of the build, so two "
    "builds of one commit can differ, and a bad release reaches the image unreviewed. The cost "
    "is maintenance: pins must be bumped (Debian removes superseded versions from its mirrors), "
    "which is why this is a policy to opt into (hadolint's DL3008 family fires in 108 of 300 "
    "real files) rather than a default.",
    example="FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    fix="No automatic fix: the version to pin depends on the mirror and the day. Pin each "
    "package, or install from a lockfile.",
    references=References(hadolint=("DL3008", "DL3018", "DL3013", "DL3016", "DL3028")),
    default_enabled=False,
)

_MANAGERS = frozenset({"apt", "apk", "pip", "npm", "gem"})
_HOW = {
    "apt": "`<name>=<version>`",
    "apk": "`<name>=<version>`",
    "pip": "`<name>==<version>`",
    "npm": "`<name>@<version>`",
    "gem": "`-v <version>`",
}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from ._installs import installs

    for _outer, _run, cmds in _pkg.shell_runs(ctx.df):
        for cmd in cmds:
            found = installs(cmd)
            if found is None or found.manager not in _MANAGERS or found.version_option:
                continue
            specs = [s for s in found.specs if not s.pinned]
            if not specs:
                continue
            names = ", ".join(f"`{s.word.value}`" for s in specs)
            start, end = cmd.span()
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"{names} installed with {found.manager} without a version: pin it ({_HOW[found.manager]})",
            )
