"""HF405: `apk add` without `--no-cache`."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF405",
    name="apk-no-cache",
    severity=Severity.INFO,
    summary="`apk add` runs without `--no-cache`.",
    what="Checks `apk add` in shell-form RUNs and `RUN <<EOF` scripts (after `&&`, `;`, `|`, `sudo`, "
    "env prefixes, continuations) for `--no-cache`. A `--mount=type=cache` or `type=tmpfs` on "
    "/var/cache/apk or /etc/apk/cache passes: the cache is then meant to be kept out of the layer. "
    "`apk add --no-network` (installs from what is already there, as the docker-library images do "
    "for their run-time `.rundeps`) downloads nothing and passes. "
    "Like hadolint, it still fires when the RUN also runs `apk update` or removes /var/cache/apk "
    "afterwards: `--no-cache` replaces both. Windows images are skipped.",
    why="Without `--no-cache`, apk stores the package index (`apk update`/`--update`) under "
    "/var/cache/apk and it ships in the layer: a few megabytes of stale metadata in every image.",
    example="FROM alpine:3.20\nRUN apk add --update curl",
    fix="Insert ` --no-cache` right after `add`: `apk add --no-cache --update curl`. An existing "
    "`apk update` or `rm -rf /var/cache/apk/*` is left in place (harmless; remove it by hand).",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: `--no-cache` fetches the index to a temporary location and installs the same "
    "packages; it only keeps the index out of the image.",
    references=References(hadolint=("DL3019",), trivy=("DS025",)),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for _outer, run, cmds in _pkg.shell_runs(df):
        if _pkg.cache_mounted(run, "/var/cache/apk", "/etc/apk/cache"):
            continue
        for cmd in cmds:
            if cmd.prog not in ("apk", "xx-apk"):
                continue
            i = _pkg.subcommand(cmd, _pkg.APK_VALUE_OPTS)
            if (
                i is None
                or cmd.words[i].value != "add"
                or _pkg.has_long(cmd.values, "--no-cache", "--no-network")
            ):
                continue
            start, end = cmd.span(i)
            edit = runedits.insert_after_word(cmd, i, " --no-cache")
            fix = safe_fix("Add `--no-cache`", edit) if edit is not None else None
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                "`apk add` without `--no-cache` keeps the package index in the layer",
                fix=fix,
            )
