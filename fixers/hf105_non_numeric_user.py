"""HF105: the image's USER is a name, not a numeric UID."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Instruction, iter_words, split_words, substitute
from hardenify.dockerfile.stages import stage_env
from hardenify.dockerfile.users import (
    is_root_user,
    is_variable_id,
    looks_windows,
    numeric_group,
    numeric_user,
    vars_in_scope,
)
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF105",
    name="non-numeric-user",
    severity=Severity.STYLE,
    summary="The image's USER is a user name instead of a numeric `UID[:GID]`.",
    what="Checks the USER that the shipped image ends up with (the last USER of the final stage or "
    "of the stages it builds on) and reports it when the user part is a name (`USER app`, "
    "`USER app:app`). Numeric users (`USER 10001`, `USER 10001:app`), root (see HF101), "
    "variables that do not resolve and Windows images are not reported.",
    why="Kubernetes `runAsNonRoot: true` can only verify a numeric UID: with `USER app` the kubelet "
    "refuses to start the pod (`image has non-numeric user (app), cannot verify user is non-root`) "
    "unless `runAsUser` is set. A name is also resolved through the image's /etc/passwd at run "
    "time, so policy tools and the host cannot see which UID the process really gets.",
    example="FROM node:22-slim\nUSER node",
    fix="Replaces the name with the numeric ids when they are certain:\n\n"
    "- users the Dockerfile creates with an explicit id (`useradd -u 10001 app` → `10001`, "
    "plus `:gid` when the group id is explicit too);\n"
    "- well-known users of official images: `node` on `node` → `1000:1000`, `nonroot` on "
    "distroless → `65532:65532`, `app` on .NET 8+ → `1654:1654`, `nobody` on Debian/Ubuntu/"
    "Alpine-based images → `65534:65534`, `www-data` on Debian-based images → `33:33`.\n\n"
    "Ids the build takes from a variable (`ARG APP_UID=1000` … `useradd -u $APP_UID app`) stay "
    "variables (`USER ${APP_UID}:${APP_GID}`, an unsafe fix: the ARG must be declared in the final "
    "stage); they are never replaced by the ARG's default, which `--build-arg` can change. "
    "Nothing is fixed when the file changes users (`usermod`, `groupmod`, writing /etc/passwd), "
    "the id is not written down, or a variable's default is root.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Safe when the ids are literals in the file (unsafe when they come from build "
    "arguments and stay variables): the process gets the same UID, primary group and supplementary groups (a "
    "numeric UID is still looked up in /etc/passwd; a GID is only added when the user has no "
    "supplementary groups), so nothing changes at run time.",
    references=References(hadolint=("DL3066",)),
)


def _variable_ok(ctx: CheckContext, spec: str, last: Instruction) -> bool:
    """A variable spec is usable when its variables are in scope at the USER line and its default
    is not root (`${USER_ID:-0}` must never become `USER 0`)."""
    df = ctx.df
    stage = df.final_stage
    if stage is None or not vars_in_scope(df, stage, spec, last):
        return False
    resolved = substitute(spec, stage_env(df, stage, last))
    return bool(resolved) and "$" not in resolved and not is_root_user(resolved)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or looks_windows(df):
        return
    users = [i for i in stage.chain_instructions if i.cmd == "USER"]
    if not users:
        return
    last = users[-1]
    words = split_words(last.args)
    if not words:
        return
    raw = words[0]
    value = substitute(raw, stage_env(df, stage, last)) if "$" in raw else raw
    if not value or "$" in value:
        return
    name = value.split(":", 1)[0]
    if name.isdigit() or is_root_user(value):
        return
    group = value.split(":", 1)[1] if ":" in value else None
    fix = None
    spec = numeric_user(df, stage, name, last)
    spans = iter_words(last.args)
    if spec is not None and group is not None:
        gid = numeric_group(df, stage, group, last)
        uid, _, spec_gid = spec.partition(":")
        spec = f"{uid}:{gid}" if gid is not None and (not spec_gid or spec_gid == gid) else None
    if spec is not None and is_variable_id(spec) and not _variable_ok(ctx, spec, last):
        spec = None
    if spec is not None and spans:
        _, s, e = spans[0]
        # Only a word on one physical line, written without variables, is replaced.
        if "$" not in raw and last.arg_src(e, end=True) - last.arg_src(s) == e - s:
            edit = edits.replace_args(last, s, e, spec)
            if is_variable_id(spec):
                # The ids come from build arguments: the USER keeps them (a literal would be wrong
                # under `--build-arg`), and a reviewer looks because the variable's scope matters.
                fix = unsafe_fix(f"use `USER {spec}` (the ids the build takes from its arguments)", edit)
            else:
                fix = safe_fix(f"use `USER {spec}`", edit)
    msg = f"`USER {raw}` is a name: use a numeric UID:GID"
    if spec is not None:
        msg += f" (`{spec}`)"
    msg += " so that runAsNonRoot can verify it"
    yield ctx.at(RULE, last, msg, fix=fix)
