"""HF101: the final stage runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Dockerfile, Instruction, Stage, split_words, substitute
from hardenify.rules import References, Rule

from ._users import (
    all_commands,
    base_info,
    chain_instructions,
    command_words,
    drops_privileges,
    is_root_user,
    keyword_for,
    looks_windows,
    numeric_user,
    privileged_ports,
    root_image,
    stage_env,
    user_db,
    user_spec,
)

RULE = Rule(
    code="HF101",
    name="root-user",
    severity=Severity.ERROR,
    summary="The final stage runs as root: no USER, or the last USER is root/0.",
    what="Checks the image that ships (the last stage, including the stages it builds on with "
    "`FROM <stage>`) for a USER instruction that selects a non-root user. Bases that already "
    "default to a non-root user pass: distroless `:nonroot`, nginx-unprivileged, Chainguard, "
    "Bitnami, .NET chiseled, Red Hat UBI language images, jenkins/jenkins, grafana, memcached.",
    why="A process running as root in the container is root against the host kernel: a container "
    "escape, a kernel bug or a writable host mount becomes host root. Kubernetes' "
    "`runAsNonRoot` and most admission policies reject such images. CIS Docker Benchmark 4.1.",
    example='FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]',
    fix="""\
Adds a numeric `USER uid:gid` after the last RUN/COPY/ADD/WORKDIR of the final stage (so the
build itself is unchanged and application files stay root-owned, i.e. read-only to the app),
before CMD/ENTRYPOINT. Which user depends on what the image is known to contain:

- the last USER is root and an earlier USER set a non-root user: switch back to that user;
- the Dockerfile creates a user (`useradd`/`adduser`): use it;
- the base ships one: `node` → `1000:1000`, distroless → `65532:65532` (nonroot),
  .NET 8+ → `1654:1654` (app);
- `scratch`: `USER 65532:65532` (numeric ids need no /etc/passwd);
- Debian/Ubuntu-based images (debian, ubuntu, python, golang, ruby, php, rust,
  eclipse-temurin...) and RHEL/UBI/Fedora/Rocky/Alma: create a system user first with
  `groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-log-init
  --no-create-home --shell /usr/sbin/nologin app`;
- Alpine/BusyBox: `addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app`.

When the file creates a user without an explicit id, the fix writes `USER <name>`: that
trades the root finding for hadolint's info-level DL3066 (and HF105), on purpose, because
only that user is known to exist.

No fix is offered (the message says what to do) for unknown bases, minimal images without
shadow-utils (ubi-minimal, Amazon Linux) unless the file installs it, server images whose
entrypoint needs root (nginx, httpd, postgres, mysql, redis... and php `-apache`), images
that expose a port below 1024 (a non-root user cannot bind it, see HF103), images that drop
privileges or supervise services themselves (gosu, su-exec, supervisord, s6-overlay) and
stages with ONBUILD triggers (a USER would change the user the triggers run as in child
images).""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the application then runs without root. It can no longer write to "
    "root-owned paths (nothing is chown'ed: give it a writable directory or volume explicitly), "
    "bind ports below 1024 (see HF103), or install packages at start-up.",
    references=References(
        hadolint=("DL3002",), trivy=("DS002",), checkov=("CKV_DOCKER_3", "CKV_DOCKER_8"), cis=("4.1",)
    ),
)

BUILD_CMDS = frozenset({"RUN", "COPY", "ADD", "WORKDIR", "USER"})
NEW_UID = 10001
DEBIAN_CREATE = (
    "groupadd --system --gid {uid} {name} && useradd --system --uid {uid} --gid {name} "
    "--no-log-init --no-create-home --shell /usr/sbin/nologin {name}"
)
ALPINE_CREATE = "addgroup -S -g {uid} {name} && adduser -S -D -H -u {uid} -G {name} {name}"
HOW_TO = "create one, e.g. `RUN useradd --system --uid 10001 app`, then `USER 10001:10001` before CMD"


def is_root(user: str) -> bool:
    return is_root_user(user)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or looks_windows(df):
        return
    instructions = chain_instructions(df, stage)
    users = [i for i in instructions if i.cmd == "USER"]
    if users:
        last = users[-1]
        words = split_words(last.args)
        if not words:
            return
        user = substitute(words[0], stage_env(df, stage, last))
        if not user or not is_root(user):
            return
        fix, why = _plan(df, stage, instructions, last)
        msg = f"the final stage switches to root (`USER {words[0]}`)"
        if fix is None and why:
            msg += f"; {why}"
        yield ctx.at(RULE, last, msg, fix=fix)
        return
    base = base_info(root_image(df, stage))
    if base.nonroot_default or base.family == "windows":
        return
    fix, why = _plan(df, stage, instructions, None)
    msg = "the final stage has no USER, so it runs as root"
    if fix is None and why:
        msg += f"; {why}"
    yield ctx.at(RULE, stage.from_, msg, fix=fix)


def _plan(
    df: Dockerfile, stage: Stage, instructions: list[Instruction], root_user: Instruction | None
) -> tuple[Fix | None, str]:
    """The fix, or None and why there is none (phrased as advice)."""
    if any(i.cmd == "ONBUILD" for i in instructions):
        return None, "it has ONBUILD triggers, which would run as the new user in child images: " + HOW_TO
    dropper = drops_privileges(instructions)
    if dropper is not None:
        return None, (
            f"it starts as root and drops privileges with {dropper}; if the entrypoint does not need "
            "root, remove that and add a numeric USER"
        )
    ports = privileged_ports(instructions)
    if ports:
        return None, (
            f"it exposes port {ports[0]}, which a non-root user cannot bind (HF103): move the service "
            "to a port of 1024 or above, then add a numeric USER"
        )
    base = base_info(root_image(df, stage))
    env = stage_env(df, stage)
    db = user_db(instructions, env)

    # 1. Switch back to the non-root user an earlier USER selected.
    if root_user is not None:
        earlier = [i for i in instructions[: instructions.index(root_user)] if i.cmd == "USER"]
        for ins in reversed(earlier):
            words = split_words(ins.args)
            name = substitute(words[0], stage_env(df, stage, ins)) if words else ""
            if not name or "$" in name or is_root(name):
                continue
            uname = name.split(":")[0]
            spec = name if uname.isdigit() else (numeric_user(df, stage, uname, root_user) or name)
            return _user_fix(df, stage, root_user, spec, None, f"switch back to `USER {spec}`"), ""
    if base.no_fix is not None:
        return None, base.no_fix
    # 2. A user the Dockerfile creates.
    if db.users and not db.modified:
        created = list(db.users.values())[-1]
        spec = user_spec(db, created.name) or created.name
        return _user_fix(df, stage, root_user, spec, None, f"run as `USER {spec}` (created above)"), ""
    # 3. A user the base image ships.
    if base.user is not None:
        return _user_fix(
            df, stage, root_user, base.user, None, f"run as `USER {base.user}` ({base.user_name})"
        ), ""
    if base.family == "scratch":
        return _user_fix(df, stage, root_user, "65532:65532", None, "run as `USER 65532:65532`"), ""
    # 4. Create one.
    family = base.family
    if family == "rhel-minimal":
        if not _installs_shadow_utils(instructions):
            return None, f"`{base.image}` may lack useradd (shadow-utils): install it, then " + HOW_TO
        family = "rhel"
    if family not in ("debian", "rhel", "alpine"):
        return None, f"hardenify does not know how to add a user to `{base.image or stage.image}`: " + HOW_TO
    uid = NEW_UID
    taken_ids = {u.uid for u in db.users.values()} | set(db.groups.values())
    while str(uid) in taken_ids:
        uid += 1
    name = next(n for n in ("app", "appuser", "hardenify") if n not in db.users and n not in db.groups)
    template = ALPINE_CREATE if family == "alpine" else DEBIAN_CREATE
    create = template.format(uid=uid, name=name)
    spec = f"{uid}:{uid}"
    return _user_fix(df, stage, root_user, spec, create, f"create user `{name}` and run as `USER {spec}`"), ""


def _installs_shadow_utils(instructions: list[Instruction]) -> bool:
    for _script, cmd in all_commands(instructions):
        words = command_words(cmd)
        if words and words[0] in ("microdnf", "dnf", "yum", "tdnf") and "shadow-utils" in words:
            return True
    return False


def _user_fix(
    df: Dockerfile, stage: Stage, root_user: Instruction | None, spec: str, create: str | None, message: str
) -> Fix | None:
    run_kw = keyword_for(df, "RUN")
    user_kw = keyword_for(df, "USER")
    own = stage.instructions
    # Replace `USER root` in place when nothing after it in the final stage needs root.
    if root_user is not None and create is None and root_user in own:
        after = own[own.index(root_user) + 1 :]
        if not any(i.cmd in BUILD_CMDS for i in after):
            edit = _replace_first_word(root_user, spec)
            if edit is not None:
                return unsafe_fix(message, edit)
    anchor: Instruction = stage.from_
    for ins in own:
        if ins.cmd in BUILD_CMDS:
            anchor = ins
    # hadolint cannot parse an instruction right after a heredoc terminator: leave a blank line.
    lines = [""] if anchor.heredocs else []
    if create is not None:
        lines.append(f"{run_kw} {create}")
    lines.append(f"{user_kw} {spec}")
    return unsafe_fix(message, edits.insert_after(df, anchor, "\n".join(lines)))


def _replace_first_word(ins: Instruction, content: str) -> Edit | None:
    args = ins.args
    start = len(args) - len(args.lstrip(" \t"))
    end = start
    while end < len(args) and args[end] not in " \t":
        end += 1
    if end == start:
        return None
    s, e = ins.arg_src(start), ins.arg_src(end, end=True)
    if e - s != end - start:  # the word spans a line continuation
        return None
    return edits.replace_args(ins, start, end, content)

