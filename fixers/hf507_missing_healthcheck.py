"""HF507: a service image has no HEALTHCHECK."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Fix, FixAvailability, Severity
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.edits import keyword_like
from hardenify.dockerfile.model import Dockerfile, Instruction, Stage, is_windows_image
from hardenify.dockerfile.runedits import insert_line_before
from hardenify.dockerfile.shell import tokenize
from hardenify.knowledge.images import hub_official as official_name
from hardenify.knowledge.images import is_scratch, parse_image
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF507",
    name="missing-healthcheck",
    severity=Severity.INFO,
    summary="The final image runs a service but defines no HEALTHCHECK.",
    what="Reports the final stage when it looks like a long-running service (it EXPOSEs a port, "
    "its CMD/ENTRYPOINT runs a known server such as gunicorn, uvicorn, nginx, httpd, "
    "php-fpm, puma, `rails server`, `flask run`, `manage.py runserver`, or it is built on an "
    "official server image without overriding the command) and neither it nor a stage it is "
    "built FROM has a HEALTHCHECK (`HEALTHCHECK NONE` counts as a decision). Skipped: "
    "`scratch`, images with no CMD/ENTRYPOINT of their own on a non-server base, final stages "
    "named like a build stage (`build`, `builder`, `test`, `dev`, ...) and `.devcontainer` "
    "files. A HEALTHCHECK inherited from the base image cannot be seen: if the base has one, "
    "ignore this finding.",
    why="Without a health check the engine only knows whether the process is alive, not "
    "whether it serves: a deadlocked or still-starting app receives traffic, Compose "
    "`depends_on: condition: service_healthy` and Swarm rolling updates cannot wait for it "
    "(CIS Docker Benchmark 4.6). Kubernetes ignores HEALTHCHECK and uses probes instead.",
    example="FROM python:3.12-slim\nCOPY . /app\nEXPOSE 8000\n"
    'CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]',
    fix="When the final stage exposes exactly one TCP port and the image is known to contain a "
    "runtime that can probe it without extra packages, insert before CMD/ENTRYPOINT: for "
    "python images `HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD "
    '["python", "-c", "import socket; socket.create_connection((\'127.0.0.1\', PORT), '
    '2).close()"]`; for node images the same TCP probe with `node -e`; for distroless '
    "python3/nodejs images the same with their interpreter path. A TCP connect checks that "
    "the port accepts connections without guessing an HTTP path. curl/wget are never assumed, "
    "and scratch, other distroless images and Windows images get no fix.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: the container gets a health status. Compose, Swarm and `docker run "
    "--restart` tooling may then wait for, restart or replace containers the probe reports as "
    "unhealthy, e.g. an app that only listens on an interface other than 127.0.0.1 or takes "
    "longer than the start period to open its port.",
    references=References(trivy=("DS026",), checkov=("CKV_DOCKER_2",), cis=("4.6",)),
)

_SERVER_PROGRAMS = frozenset(
    {
        "nginx",
        "httpd",
        "apache2",
        "apache2-foreground",
        "apache2ctl",
        "apachectl",
        "caddy",
        "traefik",
        "haproxy",
        "envoy",
        "gunicorn",
        "uvicorn",
        "hypercorn",
        "daphne",
        "waitress-serve",
        "puma",
        "unicorn",
        "thin",
        "passenger",
        "php-fpm",
        "redis-server",
        "mongod",
        "postgres",
        "mysqld",
        "mariadbd",
        "memcached",
        "rabbitmq-server",
        "catalina.sh",
        "uwsgi",
    }
)
_PHP_FPM = re.compile(r"^php-fpm[0-9.]*$")
SERVER_IMAGES = frozenset(
    {
        "nginx",
        "httpd",
        "redis",
        "postgres",
        "mysql",
        "mariadb",
        "mongo",
        "rabbitmq",
        "memcached",
        "traefik",
        "caddy",
        "haproxy",
        "tomcat",
        "jetty",
        "elasticsearch",
        "kibana",
        "wordpress",
        "ghost",
        "drupal",
        "nextcloud",
        "registry",
        "influxdb",
        "couchdb",
        "cassandra",
        "neo4j",
        "solr",
        "sonarqube",
        "odoo",
        "joomla",
        "matomo",
        "redmine",
    }
)
_BUILDER_NAMES = re.compile(
    r"^(build|builder|build-.*|.*-build|.*-builder|compile|deps|dev|develop|test|tests|ci|lint)$", re.I
)
_INTERVALS = "--interval=30s --timeout=3s --start-period=10s --retries=3"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or ".devcontainer" in ctx.filename.replace("\\", "/"):
        return
    image = stages.root_image(df, stage)
    if is_scratch(image) or (stage.name and _BUILDER_NAMES.match(stage.name)):
        return
    chain = stages.chain_instructions(stage)
    if any(x.cmd == "HEALTHCHECK" for x in chain):
        return
    runs = [x for x in chain if x.cmd in ("CMD", "ENTRYPOINT")]
    official = official_name(image)
    server_base = official is not None and official[0] in SERVER_IMAGES
    exposes = [x for x in chain if x.cmd == "EXPOSE" and x.args.strip()]
    server_cmd = next((p for x in runs for p in _programs(x) if _is_server(p)), None)
    if not runs and not server_base:
        return
    if server_cmd is not None:
        reason = f"runs `{server_cmd}`"
    elif exposes:
        reason = f"EXPOSEs {' '.join(exposes[-1].words())}"
    elif server_base and not runs:
        reason = f"runs the {official[0] if official else 'server'} image's server"
    else:
        return
    yield ctx.at(
        RULE,
        stage.from_,
        f"the final image {reason} but has no HEALTHCHECK (one inherited from the base image "
        "cannot be seen here)",
        fix=_fix(df, stage, image, exposes),
    )


def _programs(ins: Instruction) -> list[str]:
    if ins.json is not None:
        argv = ins.json
        out = [argv[0]] if argv else []
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and argv[1].startswith("-"):
            out = [c.program() for c in tokenize(argv[2])]
        # `python -m gunicorn`, `python manage.py runserver`, `flask run`, `rails server`
        words = argv
    else:
        cmds = tokenize(ins.args)
        out = [c.program() for c in cmds]
        words = [w.value for c in cmds for w in c.words]
    out = [p.rsplit("/", 1)[-1] for p in out if p]
    low = [w.rsplit("/", 1)[-1].lower() for w in words]
    for n, w in enumerate(low):
        nxt = low[n + 1] if n + 1 < len(low) else ""
        if w == "-m" and nxt in ("gunicorn", "uvicorn", "hypercorn", "daphne", "flask", "http.server"):
            out.append(nxt)
        if w == "manage.py" and nxt == "runserver":
            out.append("manage.py runserver")
        if w in ("rails", "rackup") and nxt in ("server", "s", ""):
            out.append(f"{w} server" if w == "rails" else w)
        if w == "flask" and nxt == "run":
            out.append("flask run")
    return out


def _is_server(prog: str) -> bool:
    p = prog.lower()
    return (
        p in _SERVER_PROGRAMS
        or bool(_PHP_FPM.match(p))
        or p in ("manage.py runserver", "rails server", "rackup", "flask run", "http.server")
        or p in ("gunicorn", "uvicorn", "hypercorn", "daphne", "flask")
    )


def _single_port(df: Dockerfile, stage: Stage, exposes: list[Instruction]) -> int | None:
    specs: list[str] = []
    for x in exposes:
        specs.extend(x.words())
    if len(specs) != 1:
        return None
    spec = specs[0]
    if "$" in spec:
        resolved = stages.resolve(spec, stages.stage_env(df, stage))
        if resolved is None:
            return None
        spec = resolved
    port, _, proto = spec.partition("/")
    if proto and proto.lower() != "tcp":
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return int(port)


def _probe(image: str, port: int) -> list[str] | None:
    py = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2).close()"
    js = (
        f"const s=require('net').connect({port},'127.0.0.1');"
        "s.setTimeout(2000,()=>process.exit(1));"
        "s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1))"
    )
    official = official_name(image)
    if official is not None:
        name, _ = official
        if is_windows_image(image):
            return None
        if name in ("python", "pypy"):
            return ["python" if name == "python" else "pypy3", "-c", py]
        if name == "node":
            return ["node", "-e", js]
        return None
    ref = parse_image(image)
    if ref is None:
        return None
    if ref.registry == "gcr.io" and ref.path.startswith("distroless/python3"):
        return ["python3", "-c", py]
    if ref.registry == "gcr.io" and ref.path.startswith("distroless/nodejs"):
        return ["/nodejs/bin/node", "-e", js]
    return None


def _fix(df: Dockerfile, stage: Stage, image: str, exposes: list[Instruction]) -> Fix | None:
    if stages.stage_is_windows(df, stage):
        return None
    port = _single_port(df, stage, exposes)
    if port is None:
        return None
    argv = _probe(image, port)
    if argv is None:
        return None
    cmd_json = "[" + ", ".join(json.dumps(a) for a in argv) + "]"
    runs = [x for x in stage.instructions if x.cmd in ("CMD", "ENTRYPOINT")]
    like = runs[0].keyword if runs else stage.from_.keyword
    kw = keyword_like(like, "HEALTHCHECK")
    cmd_kw = keyword_like(like, "CMD")
    line = f"{kw} {_INTERVALS} {cmd_kw} {cmd_json}"
    if runs:
        edit = insert_line_before(df, runs[0], line)
    else:
        last = stage.instructions[-1] if stage.instructions else stage.from_
        edit = edits.insert_after(df, last, line)
    return unsafe_fix(f"add a TCP HEALTHCHECK on port {port}", edit)
