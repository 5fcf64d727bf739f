"""HF101: the final stage runs as root."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
from hardenify.dockerfile import edits
from hardenify.dockerfile.buildcontext import context_dir, entry_scripts
from hardenify.dockerfile.droppers import root_start
from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    Stage,
    split_words,
    substitute,
)
from hardenify.dockerfile.runs import all_commands
from hardenify.dockerfile.stages import stage_env
from hardenify.dockerfile.users import (
    UserDb,
    base_image,
    command_words,
    infer_family,
    is_root_user,
    keyword_for,
    looks_windows,
    numeric_user,
    owned_paths,
    privileged_ports,
    user_db,
    user_spec,
    vars_in_scope,
    volumes,
)
from hardenify.knowledge import bases as base_facts
from hardenify.knowledge import programs
from hardenify.knowledge.images import DAEMON_IMAGES, Base, base_info, official_name_tag, version_at_least
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF101",
    name="root-user",
    severity=Severity.ERROR,
    summary="The final stage runs as root: no USER, or the last USER is root/0.",
    what="Checks the image that ships (the last stage, including the stages it builds on with "
    "`FROM <stage>`) for a USER instruction that selects a non-root user. Bases that already "
    "default to a non-root user pass: distroless `:nonroot`, nginx-unprivileged, Chainguard, "
    "Bitnami, .NET chiseled, Red Hat UBI language images, jenkins/jenkins, grafana, memcached, "
    "Kibana/Logstash, Elasticsearch 8+, Gitpod workspaces. Windows images (backtick escape, "
    "cmd/PowerShell SHELL or `# hadolint shell=powershell`, `C:` WORKDIRs, Chocolatey) are skipped.",
    why="A process running as root in the container is root against the host kernel: a container "
    "escape, a kernel bug or a writable host mount becomes host root. Kubernetes' "
    "`runAsNonRoot` and most admission policies reject such images. CIS Docker Benchmark 4.1.",
    example='FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]',
    fix="""\
Adds a `USER` after the last RUN/COPY/ADD/WORKDIR of the final stage (so the build itself is
unchanged and application files stay root-owned, i.e. read-only to the app), before
CMD/ENTRYPOINT. The user is one the image is known to contain, numeric whenever its ids are:

- the last USER is root and an earlier USER set a non-root user: switch back to that user;
- servers that bind port 80 and drop to a worker user themselves run as that user, with only
  the paths they write chown'ed to it:
  nginx (official image, or a file that builds it the same way) → `101:101` with
  `touch /var/run/nginx.pid && chown -R 101:101 /var/cache/nginx /var/log/nginx
  /var/run/nginx.pid` (images before 1.16 created `nginx` without a fixed id: `USER nginx`);
  Debian/Ubuntu's nginx packages → `33:33` (www-data) with /var/lib/nginx, /var/log/nginx and
  /run/nginx.pid; an nginx built into a prefix the file chowns to a user → that user;
  Alpine's nginx package (`apk add nginx`) → `USER nginx` (its uid is not fixed
  across Alpine versions) with `chown -R nginx:nginx /var/lib/nginx /var/log/nginx /run/nginx`;
  httpd → www-data (`33:33`, Alpine `82:82`) with `chown -R` of its logs/;
  php `-apache` (or a file that runs `apache2-foreground`) → `33:33` with
  `chown 33:33 /var/run/apache2 /var/lock/apache2 /var/log/apache2`;
- the Dockerfile creates a user (`useradd`/`adduser`): use it; ids it takes from build arguments
  stay variables (`USER ${APP_UID}:${APP_GID}`, when the ARGs are declared in the final stage),
  never their defaults, and never a root default (`${USER_ID:-0}`);
- the base ships one: `node` → `1000:1000`, distroless and Chainguard → `65532:65532`,
  .NET 8+ → `1654:1654`, Dev Containers images (`mcr.microsoft.com/devcontainers/*`) →
  `1000:1000`, Elasticsearch < 8 → `1000:0`, PhotoPrism → `1000:1000`; a build that runs
  jenkins/jenkins's tools (`jenkins-plugin-cli`) → `1000:1000`;
- `scratch` (and hello-world): `USER 65532:65532` (numeric ids need no /etc/passwd);
- otherwise create a system user, when the distribution family is known from the base image
  table (Debian/Ubuntu and the official images built on them, RHEL/Fedora/Rocky/Alma/Oracle
  Linux, Alpine, tiangolo/*, Azure Functions...), else from the package manager the build runs
  (apt-get/apt → Debian, apk → Alpine, yum/dnf → RHEL, microdnf → minimal RHEL), else from the
  tag (`-alpine`, `-bookworm`, `-ubuntu`...):
  Debian/RHEL `groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app
  --no-log-init --no-create-home --shell /usr/sbin/nologin app`, Alpine
  `addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app`.

Exposing a port below 1024 does not block the fix for those servers and for application
runtimes (node, python, gunicorn, uvicorn, java, dotnet, ruby, traefik... or a program the build
compiles with `go install`): since Docker 20.10 the engine sets
`net.ipv4.ip_unprivileged_port_start=0` in containers, so a non-root process may bind port 80.
Kubernetes does not by default: set that sysctl in the pod's securityContext, or move the
service to a port of 1024 or above. Any other image that exposes such a port gets no fix.

When only a user name is known (a user created without an explicit id, a service user of an
old image tag), the fix writes `USER <name>`: that trades the root finding for hadolint's
info-level DL3066 (and HF105), on purpose, because only that user is known to exist.

A VOLUME the image declares gets a visible note: a bind mount there must be writable by the user.

No fix is offered, and the message says "left for a human" and why, for:
- images that start as root and switch user themselves: the ENTRYPOINT/CMD, the scripts they run
  (read from the build context: regular files inside it only, at most 256 KiB each) or the
  build's installs use gosu, su-exec, setpriv, chpst, s6-setuidgid, runuser, su, s6-overlay
  (`/init`), supervisord, runit, systemd or sshd, and images built FROM official servers whose
  entrypoint does (postgres, mysql, redis, mongo...), or run network tools needing root
  (iptables, openvpn, pptp, kismet, wg-quick...): harden those in compose/Kubernetes
  (`cap_drop`, `no-new-privileges`), not with USER;
- base images: a final stage with ONBUILD triggers, or with no CMD/ENTRYPOINT of its own (nor
  from the stages of the file it builds on) on an OS or language image, whose inherited CMD is a
  shell or REPL: images built FROM it run `apt-get`/`pip install` as root after FROM. An
  inherited CMD counts as an application only for known service images (nginx, httpd, php
  Apache/FPM, the official servers, tiangolo's, images whose tools identify them);
- unknown bases with nothing to infer a family from, minimal images without shadow-utils
  (ubi-minimal, Amazon Linux) unless the file installs it, docker-in-docker, cron, bpftrace, and
  images that install netfilter/virtualisation tools.

A trailing `ONBUILD USER <non-root>` satisfies the rule.""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the application then runs without root. It can no longer write to "
    "root-owned paths (only the paths named above are chown'ed: give it a writable directory or "
    "volume explicitly) or install packages at start-up. Ports below 1024 work under "
    "Docker 20.10+ only; on Kubernetes set `net.ipv4.ip_unprivileged_port_start=0` (a safe "
    "sysctl) or use a port of 1024 or above.",
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
LOW_PORTS = "port {port} then needs Docker 20.10+ (unprivileged ports from 0; not Kubernetes' default)"
CRON_PACKAGES = frozenset({"cron", "cronie", "dcron", "cronie-anacron"})


@dataclass(frozen=True)
class Plan:
    """A user to switch to and the RUN (if any) that must come before the USER line."""

    spec: str
    prepare: str | None
    message: str
    note: str | None = None


def is_root(user: str) -> bool:
    return is_root_user(user)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or looks_windows(df):
        return
    instructions = list(stage.chain_instructions)
    if _onbuild_user_nonroot(df, stage):
        return
    context = context_dir(ctx.disk_path)
    users = [i for i in instructions if i.cmd == "USER"]
    if users:
        last = users[-1]
        words = split_words(last.args)
        if not words:
            return
        user = substitute(words[0], stage_env(df, stage, last))
        if not user or not is_root(user):
            return
        plan = _plan(df, stage, instructions, last, context)
        msg = f"the final stage switches to root (`USER {words[0]}`)"
        yield _finding(ctx, df, stage, last, plan, msg, last)
        return
    base = base_info(base_image(stage))
    if base.nonroot_default or base.family == "windows":
        return
    plan = _plan(df, stage, instructions, None, context)
    yield _finding(ctx, df, stage, stage.from_, plan, "the final stage has no USER, so it runs as root", None)


def _finding(
    ctx: CheckContext,
    df: Dockerfile,
    stage: Stage,
    at: Instruction,
    plan: Plan | str,
    msg: str,
    root_user: Instruction | None,
) -> Diagnostic:
    """The finding with its fix, or with why there is none ("left for a human: ...")."""
    if isinstance(plan, str):
        return ctx.at(RULE, at, f"{msg}; left for a human: {plan}")
    fix = _user_fix(df, stage, root_user, plan.spec, plan.prepare, plan.message)
    if fix is None:
        return ctx.at(RULE, at, f"{msg}; left for a human: cannot place a USER line here safely")
    return ctx.at(RULE, at, msg, fix=fix, note=plan.note)


def _onbuild_user_nonroot(df: Dockerfile, stage: Stage) -> bool:
    """Whether the stage's last ONBUILD instruction is `ONBUILD USER <non-root>`: a base image
    whose triggers run as root in the child's build, after which the child runs as that user."""
    onbuild = [i for i in stage.instructions if i.cmd == "ONBUILD"]
    if not onbuild:
        return False
    sub = onbuild[-1].sub
    if sub is None or sub.cmd != "USER":
        return False
    words = split_words(sub.args)
    if not words:
        return False
    user = substitute(words[0], stage_env(df, stage, onbuild[-1]))
    return bool(user) and not is_root(user)


# Official images whose own CMD runs a service, so that a final stage without CMD/ENTRYPOINT of
# its own built on them is still a runnable image (not a base): the daemon images, the php
# Apache/FPM variants and a few servers whose CMD starts them (docker-library Dockerfiles).
SERVICE_IMAGES = frozenset({*DAEMON_IMAGES, "haproxy", "traefik", "caddy", "solr", "sonarqube", "kibana"})


def _base_image_reason(df: Dockerfile, stage: Stage, instructions: list[Instruction]) -> str | None:
    """Why the final stage is a base for other images rather than an image that runs, if it is.

    ONBUILD triggers only make sense in a base. A stage with no CMD/ENTRYPOINT of its own (nor
    from the stages it builds on) inherits the base image's: for an OS or language image that is a
    shell or a REPL (`bash`, `python3`, `node`), so the image is meant to be built FROM, and the
    children run `apt-get`/`pip install` as root after FROM. Only a known service image (nginx,
    postgres, php-apache...) makes an inherited CMD a runnable image; an unknown image does not
    tell, so it counts as a base.
    """
    if any(i.cmd == "ONBUILD" for i in stage.instructions):
        return (
            "the image has ONBUILD triggers, so it is a base for other images: a USER here would run "
            "their build steps (package installs) as non-root; set USER in the images built on it"
        )
    if any(i.cmd in ("CMD", "ENTRYPOINT") for i in instructions):
        return None
    image = base_image(stage)
    if base_info(image).no_fix is not None or _image_by_tools(instructions) is not None:
        return None  # an image known to run a service (jenkins, linuxserver, docker...)
    if image.lower().startswith(("tiangolo/", "docker.io/tiangolo/")):
        return None  # tiangolo's images run the app in /app with their own CMD (start.sh)
    name, tag = official_name_tag(image)
    if name in SERVICE_IMAGES or (name == "php" and ("apache" in tag or "fpm" in tag)):
        return None
    return (
        f"the final stage has no CMD/ENTRYPOINT of its own (it inherits `{image}`'s), so it is a base "
        "for other images (which install packages as root after FROM): set USER in the images built on it"
    )


def _plan(
    df: Dockerfile,
    stage: Stage,
    instructions: list[Instruction],
    root_user: Instruction | None,
    context: str | None = None,
) -> Plan | str:
    """The user to run as, or why there is none (phrased as advice)."""
    base_reason = _base_image_reason(df, stage, instructions)
    if base_reason is not None:
        return base_reason
    # Images that start as root and switch user themselves (gosu, supervisord, s6, sshd...).
    started = root_start(instructions, entry_scripts(instructions, context, _final_workdir(df, stage)))
    if started is not None:
        return started.reason()
    needs_root = _needs_root(instructions)
    if needs_root is not None:
        return needs_root
    plan = _plan_any(df, stage, instructions, root_user)
    if isinstance(plan, str):
        return plan
    return _checked(df, stage, instructions, plan)


def _plan_any(
    df: Dockerfile, stage: Stage, instructions: list[Instruction], root_user: Instruction | None
) -> Plan | str:
    # Switch back to the non-root user an earlier USER selected.
    if root_user is not None:
        earlier = [i for i in instructions[: instructions.index(root_user)] if i.cmd == "USER"]
        for ins in reversed(earlier):
            words = split_words(ins.args)
            if not words:
                continue
            env = stage_env(df, stage, ins)
            name = substitute(words[0], env)
            if not name or is_root(name):
                continue
            if "$" in words[0]:
                # Keep the variable (a build argument may change it); only when it is still in
                # scope where the USER goes and is not root by default.
                if name and "$" not in name and vars_in_scope(df, stage, words[0], root_user):
                    return Plan(words[0], None, f"switch back to `USER {words[0]}`")
                continue
            uname = name.split(":")[0]
            spec = name if uname.isdigit() else (numeric_user(df, stage, uname, root_user) or name)
            return Plan(spec, None, f"switch back to `USER {spec}`")
    image = base_image(stage)
    base = base_info(image)
    env = stage_env(df, stage)
    db = user_db(instructions, env)
    # Servers hardenify knows how to run unprivileged (nginx, httpd, php -apache).
    server = _server(image, base, instructions, db, env)
    if server is not None:
        return server
    ports = privileged_ports(instructions)
    runtime = _app_runtime(instructions)
    if ports and runtime is None:
        return (
            f"it exposes port {ports[0]}, which a non-root user cannot bind (HF103): move the service "
            "to a port of 1024 or above, then add a numeric USER"
        )
    plan = _plan_user(df, stage, instructions, image, base, db)
    if isinstance(plan, Plan) and ports:
        plan = Plan(
            plan.spec, plan.prepare, f"{plan.message}; {runtime} on {LOW_PORTS.format(port=ports[0])}"
        )
    return plan


def _final_workdir(df: Dockerfile, stage: Stage) -> str:
    """The WORKDIR the final stage's CMD runs in (literal paths only; "/" otherwise)."""
    import posixpath

    cwd = "/"
    for ins in stage.chain_instructions:
        if ins.cmd == "WORKDIR":
            words = split_words(ins.args)
            if words and "$" not in words[0]:
                cwd = posixpath.normpath(posixpath.join(cwd, words[0].strip("\"'")))
    return cwd


def _checked(df: Dockerfile, stage: Stage, instructions: list[Instruction], plan: Plan) -> Plan | str:
    """The last word on a plan: never a root USER, never a RUN where there is no shell, variables
    only while in scope, and a note when the image declares volumes a bind mount may cover."""
    env = stage_env(df, stage)
    resolved = substitute(plan.spec, env) if "$" in plan.spec else plan.spec
    if not resolved or is_root(resolved) or is_root(plan.spec):
        return (
            f"the only user in sight (`{plan.spec}`) is root by default: give it a non-root default "
            "(e.g. `ARG APP_UID=10001`) and add a numeric USER"
        )
    if "$" in plan.spec and not vars_in_scope(df, stage, plan.spec, None):
        return (
            f"the user's id comes from a variable (`{plan.spec}`) that is not declared in the final "
            "stage: declare the ARG there, then add `USER " + plan.spec + "`"
        )
    if plan.prepare is not None and not base_facts.has_shell(base_image(stage)):
        return f"`{base_image(stage)}` has no shell to create a user in: add `USER {base_facts.NONROOT_UID}`"
    vols = volumes(instructions, env)
    if vols:
        note = (
            f"the image declares VOLUME {', '.join(vols)}: a bind mount or existing volume there must be "
            f"writable by `{plan.spec}` (chown it, or run with `--user`)"
        )
        return Plan(plan.spec, plan.prepare, f"{plan.message}; {note}", note)
    return plan


def _plan_user(
    df: Dockerfile, stage: Stage, instructions: list[Instruction], image: str, base: Base, db: UserDb
) -> Plan | str:
    """An existing non-root user, or one to create, for an image with no special needs."""
    if base.no_fix is not None:
        return base.no_fix
    # A user the Dockerfile creates.
    if db.users and not db.modified:
        created = list(db.users.values())[-1]
        created_spec = user_spec(db, created.name) or created.name
        return Plan(created_spec, None, f"run as `USER {created_spec}` (`{created.name}`, created above)")
    # A user the base image ships (or, for an unknown base, the image its tools identify).
    if base.user is not None:
        return Plan(base.user, None, f"run as `USER {base.user}` ({base.user_name})")
    if base.family == "scratch":
        return Plan("65532:65532", None, "run as `USER 65532:65532`")
    if base.family == "unknown":
        signed = _image_by_tools(instructions)
        if signed is not None:
            user, why = signed
            if user is None:
                return why
            return Plan(user, None, f"run as `USER {user}` ({why})")
    # Create one, in the distribution family of the base.
    family, how = infer_family(base, instructions)
    if family == "rhel-minimal":
        if not _installs_shadow_utils(instructions):
            return f"`{base.image}` may lack useradd (shadow-utils): install it, then " + HOW_TO
        family = "rhel"
    if family not in ("debian", "rhel", "alpine"):
        return f"hardenify does not know how to add a user to `{base.image or stage.image}`: " + HOW_TO
    uid = NEW_UID
    taken_ids = {u.uid for u in db.users.values()} | set(db.groups.values())
    while str(uid) in taken_ids:
        uid += 1
    name = _free_name(db, uid)
    template = ALPINE_CREATE if family == "alpine" else DEBIAN_CREATE
    spec = f"{uid}:{uid}"
    because = f" ({_FAMILY_NAMES[family]}, from {how})" if how else ""
    return Plan(
        spec, template.format(uid=uid, name=name), f"create user `{name}` and run as `USER {spec}`{because}"
    )


def _free_name(db: UserDb, uid: int) -> str:
    """A user and group name the build does not use yet: `app`, `appuser`, `hardenify`, else
    `app<uid>`, else a numbered one (bounded by the number of names the build creates)."""
    taken = set(db.users) | set(db.groups)
    for name in ("app", "appuser", "hardenify", f"app{uid}"):
        if name not in taken:
            return name
    n = 0
    while f"app{uid}-{n}" in taken:
        n += 1
    return f"app{uid}-{n}"


_FAMILY_NAMES = {"debian": "Debian/Ubuntu", "alpine": "Alpine", "rhel": "RHEL-like"}


# Application runtimes with no reason to be root but the port: since Docker 20.10 any process
# may bind a port below 1024 in its container (net.ipv4.ip_unprivileged_port_start=0).
APP_RUNTIMES = frozenset(
    {
        "node",
        "nodejs",
        "npm",
        "yarn",
        "pnpm",
        "deno",
        "bun",
        "python",
        "python3",
        "gunicorn",
        "uvicorn",
        "hypercorn",
        "daphne",
        "waitress-serve",
        "flask",
        "java",
        "dotnet",
        "ruby",
        "puma",
        "rails",
        "bundle",
        "traefik",
        "caddy",
    }
)
_LAUNCHERS = frozenset({"tini", "dumb-init", "tini-static", "--", "-g", "exec"})


def _app_runtime(instructions: list[Instruction]) -> str | None:
    """The application runtime the image's process is (`node`, `gunicorn`...), or a program the
    build compiles itself (`go install .../webdav`), if it is one."""
    built = {
        w.split("@")[0].rstrip("/").rsplit("/", 1)[-1]
        for _script, cmd in all_commands(instructions)
        for w in command_words(cmd)[2:]
        if command_words(cmd)[:2] == ["go", "install"] and not w.startswith("-")
    }
    for word in _entry_words(instructions):
        if word in _LAUNCHERS:
            continue
        return word if word in APP_RUNTIMES or word in built else None
    return None


# Tools that only one image family ships: a build that runs them builds on that image, whose
# service user is known (jenkins/jenkins: `jenkins` 1000:1000; rabbitmq: `rabbitmq`).
IMAGE_TOOLS = (
    (
        re.compile(r"jenkins-plugin-cli|install-plugins\.sh|/usr/share/jenkins/ref\b"),
        "1000:1000",
        "`jenkins`: the build runs jenkins/jenkins's tools, so it builds on that image",
    ),
    (
        re.compile(r"\brabbitmq-plugins\b"),
        None,
        "the build runs `rabbitmq-plugins`, so it builds on a RabbitMQ image, whose entrypoint drops "
        "privileges itself (gosu): harden it in compose/Kubernetes instead",
    ),
)


def _image_by_tools(instructions: list[Instruction]) -> tuple[str | None, str] | None:
    """(user, why) when the build runs tools that identify its unknown base image (user None:
    that image must start as root)."""
    text = "\n".join(i.args for i in instructions if i.cmd in ("RUN", "COPY", "ADD"))
    for pattern, user, why in IMAGE_TOOLS:
        if pattern.search(text):
            return user, why
    return None


def _entry_words(instructions: list[Instruction]) -> list[str]:
    """Basenames of the words of the effective ENTRYPOINT and CMD."""
    out: list[str] = []
    for cmd in ("ENTRYPOINT", "CMD"):
        last = next((i for i in reversed(instructions) if i.cmd == cmd), None)
        if last is not None:
            words = last.json if last.json is not None else split_words(last.args)
            out.extend(w.rsplit("/", 1)[-1] for w in words)
    return out


def _needs_root(instructions: list[Instruction]) -> str | None:
    """Why the image's main process must be root (docker-in-docker, cron, bpftrace), if it must."""
    for word in _entry_words(instructions):
        if word in programs.ROOT_PROGRAMS:
            return programs.ROOT_PROGRAMS[word]
    for _script, cmd in all_commands(instructions):
        words = command_words(cmd)
        if (
            len(words) > 2
            and words[0] in ("apt-get", "apt", "apk", "yum", "dnf", "microdnf")
            and ("install" in words or "add" in words)
        ):
            if CRON_PACKAGES.intersection(words):
                return programs.ROOT_PROGRAMS["cron"]
    return None


def _server(
    image: str, base: Base, instructions: list[Instruction], db: UserDb, env: dict[str, str | None]
) -> Plan | str | None:
    """nginx, httpd and php's Apache variant bind port 80 and drop to a worker user themselves.

    Since Docker 20.10 `net.ipv4.ip_unprivileged_port_start=0` lets a non-root process bind any
    port in the container, so they run unprivileged once the few paths they write are theirs.
    """
    name, tag = official_name_tag(image)
    entry = _entry_words(instructions)
    if name == "nginx" or ("nginx" in entry and "nginx" in db.users and _nginx_logs(instructions)):
        return _nginx(name, tag, instructions, db)
    if "nginx" in entry:
        built = _nginx_prefix_owner(instructions, env)
        spec = user_spec(db, built) or base.known_users.get(built) if built else None
        if spec is not None:
            return Plan(
                spec,
                None,
                f"run nginx as `{built}` (`USER {spec}`), which owns its install prefix; "
                f"{LOW_PORTS.format(port=80)}",
            )
    if (
        "nginx" in entry
        and _installs(instructions, DEBIAN_NGINX)
        and infer_family(base, instructions)[0] == "debian"
    ):
        # Debian/Ubuntu's package: `user www-data`, pid /run/nginx.pid, temp files in /var/lib/nginx.
        prepare = "touch /run/nginx.pid && mkdir -p /var/lib/nginx && chown -R 33:33 /var/lib/nginx /var/log/nginx /run/nginx.pid"
        return Plan(
            "33:33",
            prepare,
            "run nginx as `www-data` (`USER 33:33`) with its temp files, logs and pid "
            f"file writable; {LOW_PORTS.format(port=80)}",
        )
    if (
        "nginx" in entry
        and _installs(instructions, ALPINE_NGINX, managers=("apk",))
        and infer_family(base, instructions)[0] == "alpine"
    ):
        # Alpine's package: `user nginx` (no fixed uid), temp files in /var/lib/nginx, logs in
        # /var/log/nginx; the pid file is /run/nginx/nginx.pid from 3.4 and /run/nginx.pid
        # before. Both pid locations are made writable, so the fix holds for either layout.
        dirs = "/var/lib/nginx /var/log/nginx /run/nginx"
        prepare = f"mkdir -p {dirs} && touch /run/nginx.pid && chown -R nginx:nginx {dirs} /run/nginx.pid"
        return Plan(
            "nginx",
            prepare,
            "run nginx as the `nginx` user of Alpine's package (`USER nginx`: its id is not fixed "
            f"across Alpine versions) with its temp files, logs and pid directory writable; "
            f"{LOW_PORTS.format(port=80)}",
        )
    if name == "httpd" or "httpd-foreground" in entry:
        return _httpd(name, tag, base, db, env)
    if (name == "php" and "apache" in tag) or (
        "apache2-foreground" in entry and infer_family(base, instructions)[0] == "debian"
    ):
        dirs = "/var/run/apache2 /var/lock/apache2 /var/log/apache2"
        return Plan(
            "33:33",
            f"chown 33:33 {dirs}",
            "run Apache as `www-data` (`USER 33:33`) with its run, "
            f"lock and log directories writable; {LOW_PORTS.format(port=80)}",
        )
    return None


DEBIAN_NGINX = frozenset({"nginx", "nginx-full", "nginx-extras", "nginx-light", "nginx-core"})
ALPINE_NGINX = frozenset({"nginx"})
_INSTALL_VERB = {"apt-get": "install", "apt": "install", "apk": "add"}


def _installs(
    instructions: list[Instruction], packages: frozenset[str], managers: tuple[str, ...] = ("apt-get", "apt")
) -> bool:
    """Whether an install by one of `managers` (apt-get/apt install, apk add) in the build
    (not in ONBUILD triggers) names one of `packages`."""
    own = [i for i in instructions if i.cmd != "ONBUILD"]
    for _script, cmd in all_commands(own):
        words = command_words(cmd)
        if (
            words
            and words[0] in managers
            and _INSTALL_VERB[words[0]] in words
            and packages.intersection(words)
        ):
            return True
    return False


def _nginx_prefix_owner(instructions: list[Instruction], env: dict[str, str | None]) -> str | None:
    """The user an nginx built from source (`./configure --prefix=P`) gets all of P from
    (`chown -R www-data P`): pid file, temp and log paths default to P, so that user can run it."""
    text = " ".join(i.args for i in instructions if i.cmd == "RUN")
    m = re.search(r"--prefix=(\S+)", text)
    if m is None or "--pid-path=" in text or "--http-client-body-temp-path=" in text:
        return None
    prefix = m.group(1).rstrip("/")
    owners = {o.owner for o in owned_paths(instructions, env) if o.recursive and o.path.rstrip("/") == prefix}
    owners = {o for o in owners if o and not is_root(o) and "$" not in o}
    return owners.pop() if len(owners) == 1 else None


def _nginx_logs(instructions: list[Instruction]) -> bool:
    """Whether a file that builds nginx logs where the official image does (/var/log/nginx)."""
    return any("/var/log/nginx" in i.args for i in instructions)


def _nginx(name: str | None, tag: str, instructions: list[Instruction], db: UserDb) -> Plan | str:
    """The official image (or a file that builds it like the official one) with its `nginx` user:
    101:101 since 1.16; older tags created it without a fixed id, so the name is used."""
    if any(i.cmd in ("COPY", "ADD") and "/etc/nginx/templates" in i.args for i in instructions):
        return (
            "the nginx entrypoint renders /etc/nginx/templates into /etc/nginx/conf.d, which must "
            "stay root-owned: use `nginxinc/nginx-unprivileged`"
        )
    if name == "nginx":
        spec = "101:101" if version_at_least(tag, (1, 16)) else "nginx"
    else:
        spec = user_spec(db, "nginx") or "nginx"
    owner = spec if spec[0].isdigit() else f"{spec}:{spec}"
    # /var/run is a symlink to /run, which chown -R does not follow: give nginx its pid file only.
    prepare = (
        f"touch /var/run/nginx.pid && chown -R {owner} /var/cache/nginx /var/log/nginx /var/run/nginx.pid"
    )
    if name != "nginx":
        prepare = "mkdir -p /var/cache/nginx && " + prepare
    return Plan(
        spec,
        prepare,
        f"run nginx as `nginx` (`USER {spec}`) with its cache, logs and pid "
        f"file writable; {LOW_PORTS.format(port=80)}",
    )


def _httpd(
    name: str | None, tag: str, base: Base, db: UserDb, env: dict[str, str | None]
) -> Plan | str | None:
    """The official httpd image (or a file that builds it) with `User www-data` in httpd.conf."""
    if name == "httpd":
        if not version_at_least(tag, (2, 4)):
            return "httpd images before 2.4 run their workers as `daemon`: " + HOW_TO
        spec: str | None = "82:82" if "alpine" in tag else "33:33"
        logs = "/usr/local/apache2/logs"
    else:
        prefix = env.get("HTTPD_PREFIX")
        spec = user_spec(db, "www-data") or base.known_users.get("www-data")
        logs = f"{prefix}/logs" if prefix and "$" not in prefix else ""
    if spec is None or not logs:
        return None
    return Plan(
        spec,
        f"chown -R {spec} {logs}",
        f"run httpd as `www-data` (`USER {spec}`) with its logs/ writable; {LOW_PORTS.format(port=80)}",
    )


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
