"""HF403: `apt-get update` leaves /var/lib/apt/lists in a shipped layer."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF403",
    name="apt-lists-not-removed",
    severity=Severity.INFO,
    summary="A RUN runs `apt-get update` but does not `rm -rf /var/lib/apt/lists/*` afterwards.",
    what="Checks RUNs (shell form, `RUN <<EOF` scripts, ONBUILD RUN) that run `apt-get update` or "
    "`apt update` for a later `rm -rf /var/lib/apt/lists/...` (or `apt-get dist-clean`, or "
    "`find /var/lib/apt/lists ... -delete`) in the same RUN. Only stages whose layers ship are "
    "checked — the final stage and the stages it is built FROM — as hadolint does; a builder stage "
    "that is only a `COPY --from` source is skipped. A `--mount=type=cache` or `type=tmpfs` on "
    "/var/lib/apt or /var/lib/apt/lists keeps the lists out of the layer and passes. Windows images "
    "are skipped.",
    why="`apt-get update` downloads tens of megabytes of package indexes. Left in the layer they bloat "
    "every pull and go stale at once; a file deleted in a later RUN still ships in the earlier layer, "
    "so the cleanup has to happen in the same RUN.",
    example="FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    fix="Append `rm -rf /var/lib/apt/lists/*` at the end of the RUN: ` && rm -rf ...` on a one-line RUN, "
    "a new continuation line in the RUN's own style (leading `&&` or trailing `&& \\`, same "
    "indentation) on a multi-line RUN, ` && rm -rf ...` on the last command line of a heredoc script.",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe, and offered only when no later RUN in the stage (or in a stage built FROM it) "
    "reads the lists without running `apt-get update` first; otherwise the finding has no fix (see "
    "HF404 to merge the update into the install). hardenify cannot see inside scripts a later RUN "
    "calls: a script that runs `apt-get install` without updating would fail after the fix. No fix "
    "either when the RUN ends in a way that cannot take ` && cmd` (trailing operator, `&`, `exit`, a "
    "nested heredoc in a script).",
    references=References(hadolint=("DL3009",)),
)

CLEANUP = "rm -rf /var/lib/apt/lists/*"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    shipping = _pkg.shipping_stages(df)
    for outer, run, cmds in _pkg.shell_runs(df):
        if outer.stage not in shipping:
            continue
        if _pkg.cache_mounted(run, "/var/lib/apt/lists"):
            continue
        updates = [c for c in cmds if _pkg.is_apt_update(c)]
        if not updates:
            continue
        last = updates[-1]
        if any(_pkg.removes_lists(c) for c in cmds if c.order > last.order):
            continue
        start, end = last.span(1)
        fix = None
        if not _later_reader(df, outer):
            prefix = "sudo " if last.sudo else ""
            edit = runedits.append_command(df, outer, run, prefix + CLEANUP)
            if edit is not None:
                fix = safe_fix("Remove the apt lists at the end of the RUN", edit)
        yield ctx.diagnostic(
            RULE,
            start,
            end,
            f"`{last.prog} update` leaves the package lists in the layer: add `{CLEANUP}` at the end of "
            "this RUN",
            fix=fix,
        )


def _later_reader(df: Dockerfile, ins: Instruction) -> bool:
    """Does a later RUN (this stage or one built FROM it) read the lists without updating them?"""
    return any(_pkg.needs_lists_later(_pkg.commands(outer, run)) for outer, run in _pkg.runs_after(df, ins))
