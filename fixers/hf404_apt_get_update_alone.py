"""HF404: `RUN apt-get update` without an install in the same RUN."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
from hardenify.dockerfile import edits, runs
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.shell import tokenize
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF404",
    name="apt-get-update-alone",
    severity=Severity.WARNING,
    summary="`apt-get update` runs in a RUN that installs nothing after it.",
    what="Checks RUNs (shell form, `RUN <<EOF` scripts, ONBUILD RUN) that run `apt-get update` or "
    "`apt update` with no install-like apt command (`install`, `upgrade`, `dist-upgrade`, "
    '`build-dep`, `source`, ...) after it in the same RUN — also inside `sh -c "..."`. A RUN that '
    "runs a script after the update (`bash /tmp/setup.sh`, `./install`, `curl ... | sh`) is not "
    "reported: the script may install. Windows images are skipped.",
    why="Docker caches each RUN. A lone `RUN apt-get update` layer is reused as long as its text is "
    "unchanged, so a later `RUN apt-get install ...` (changed or added months afterwards) installs "
    "from stale lists: outdated, vulnerable versions, or 404s for versions the mirror has dropped. "
    "Updating and installing in one RUN invalidates both together (CIS Docker Benchmark 4.7).",
    example="FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
    fix="When the next RUN of the stage installs with apt, move the update into it "
    "(`RUN apt-get update && apt-get install ...`, or `set -e; apt-get update; ...` after a leading "
    "`set -e;`) and delete the lone RUN; when that RUN already updates, just delete the lone RUN. "
    "Only offered when the lone RUN is exactly one update command with no RUN flags, nothing but "
    "metadata/file instructions (no USER, SHELL) lies between the two, and the next RUN is a shell-"
    "form `&&`/`|` chain (or starts with `set -e;`), so a failing update still fails the build.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the update now runs after the instructions in between (a COPY of a "
    "sources.list, an ENV proxy) and the layer split changes, so cache behaviour and — rarely — the "
    "resolved package versions change.",
    references=References(trivy=("DS017",), checkov=("CKV_DOCKER_5",), cis=("4.7",)),
)

# Instructions that may sit between the lone update and the install without blocking the merge.
_PASSTHROUGH = frozenset(
    {
        "ENV",
        "ARG",
        "LABEL",
        "WORKDIR",
        "COPY",
        "ADD",
        "EXPOSE",
        "VOLUME",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "CMD",
        "ENTRYPOINT",
        "MAINTAINER",
    }
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer, run, cmds in _pkg.shell_runs(df):
        updates = [c for c in cmds if _pkg.is_apt_update(c)]
        if not updates:
            continue
        first = updates[0]
        later = [c for c in cmds if c.order > first.order]
        if any(_pkg.consumes_lists(c) or _pkg.runs_script(c) for c in later):
            continue
        start, end = first.span(1)
        fix = _merge_fix(df, outer, run, cmds)
        yield ctx.diagnostic(
            RULE,
            start,
            end,
            f"`{first.prog} update` alone: a cached layer keeps stale package lists for later installs; "
            "update and install in the same RUN",
            fix=fix,
        )


def _merge_fix(df: Dockerfile, outer: Instruction, run: Instruction, cmds: list[_pkg.Cmd]) -> Fix | None:
    if outer is not run or run.flags or run.heredocs or len(cmds) != 1:
        return None
    lone = cmds[0].prefix + cmds[0].words
    if run.args.strip() != run.args[lone[0].start : lone[-1].end]:
        return None  # a comment or something else besides the command
    stage = _pkg.stage_of(df, outer)
    if stage is None:
        return None
    after = [x for x in stage.instructions if x.start > outer.start]
    target: Instruction | None = None
    for x in after:
        if x.cmd == "RUN":
            target = x
            break
        if x.cmd not in _PASSTHROUGH:
            return None
    if target is None or target.json is not None or target.heredocs or not _pkg.posix_shell(df, target):
        return None
    tcmds = _pkg.commands(target, target)
    if not any(_pkg.consumes_lists(c) for c in tcmds):
        return None
    if target.flags and not all(f.name in ("mount", "network", "security") for f in target.flags):
        return None
    delete = edits.delete(df, outer)
    for c in tcmds:
        if _pkg.is_apt_update(c):
            return unsafe_fix("Delete the lone update; the next RUN already updates", delete)
        if _pkg.uses_lists(c):
            break
    update = " ".join(w.raw for w in lone)
    raw = tokenize(target.args)
    if not raw:
        return None
    first = raw[0]
    prefix, words = runs.effective(first)
    if (
        words
        and words[0].value == "set"
        and not prefix
        and first.after == ";"
        and len(raw) > 1
        and _errexit([w.value for w in words[1:]])
    ):
        pos = target.arg_src(raw[1].words[0].start)
        insert = Edit(pos, pos, f"{update}; ")
    elif all(c.after in ("&&", "|", "") for c in raw):
        pos = target.arg_src(first.words[0].start)
        insert = Edit(pos, pos, f"{update} && ")
    else:
        return None
    return unsafe_fix("Move `apt-get update` into the RUN that installs", delete, insert)


def _errexit(values: list[str]) -> bool:
    """`set -e`, `set -eux`, `set -o errexit`."""
    return "e" in _pkg.short_letters(values, value_letters="o") or "errexit" in values
