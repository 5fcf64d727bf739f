"""Compose files fixed with `--unsafe-fixes` still come up: a real compose engine (issue 15).

Debian's `docker-compose` (1.29, compose v1) brings up copies of compose files that mirror real
ones, after `hardenify fix --unsafe-fixes`, on the offline registry's engine. Every service must
reach running and healthy. The images are stand-ins built here from the offline registry's
bases and tagged `<official name>:hf-standin`, so hardenify applies the official image's facts;
they behave like the official images where the fixes matter:

- `dropper` (postgres, redis, mysql, mariadb): the entrypoint starts as root, creates and chowns
  its data and run directories, chmods them (FOWNER), drops privileges with `setpriv
  --init-groups` (SETUID/SETGID), reads `<NAME>_FILE` secrets like the docker-library
  `file_env`, and writes its data dir and run dir; its health probes answer as pg_isready,
  redis-cli and mysqladmin do;
- `web` (nginx, httpd): a root master binds :80 (NET_BIND_SERVICE), creates and chowns
  /var/cache/nginx/client_temp (CHOWN), writes its pid file (/var/run or apache2/logs), then
  switches to its worker user (SETGID/SETUID) and serves HTTP;
- `nonroot` (prometheus, grafana, memcached): a fixed non-root USER writing only its volume.

Compose v1 rejects `build.secrets` and `secrets: {environment: …}` (compose v2 syntax): for the
build-secret project the test checks the wiring hardenify wrote, builds with the `--secret` flag
compose v2 derives from it, and brings the service up from that image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ContainerError, HarnessError, build, docker_cli, layer_contains, wait_healthy

pytestmark = pytest.mark.e2e

COMPOSE = shutil.which("docker-compose") or "/usr/bin/docker-compose"
TAG = "hf-standin"
UP_TIMEOUT = 180.0
HEALTH_TIMEOUT = 120.0

DROPPER_DOCKERFILE = """\
FROM debian:bookworm-slim
ARG SVC_USER
ARG SVC_UID
ARG DATA
ARG RUNDIR
ARG REQUIRED=""
RUN groupadd -r -g "$SVC_UID" "$SVC_USER" && useradd -r -u "$SVC_UID" -g "$SVC_USER" "$SVC_USER" \\
 && mkdir -p "$DATA" "$RUNDIR" && chown "$SVC_USER:" "$DATA" "$RUNDIR"
ENV SVC_USER=$SVC_USER DATA=$DATA RUNDIR=$RUNDIR REQUIRED=$REQUIRED
COPY entrypoint.sh probe.sh /usr/local/bin/
RUN chmod 755 /usr/local/bin/entrypoint.sh /usr/local/bin/probe.sh \\
 && for p in pg_isready redis-cli mysqladmin healthcheck.sh; do ln -s probe.sh "/usr/local/bin/$p"; done
VOLUME $DATA
HEALTHCHECK --interval=1s --timeout=3s --retries=60 CMD ["probe.sh"]
ENTRYPOINT ["entrypoint.sh"]
CMD ["server"]
"""

DROPPER_ENTRYPOINT = """\
#!/bin/bash
set -eu
file_env() {
\tlocal var="$1" fvar="${1}_FILE"
\tif [ -n "${!fvar:-}" ]; then export "$var"="$(< "${!fvar}")"; fi
}
if [ "$(id -u)" = 0 ]; then
\tmkdir -p "$DATA" "$RUNDIR"
\tfind "$DATA" "$RUNDIR" \\! -user "$SVC_USER" -exec chown "$SVC_USER" '{}' +
\tchmod 700 "$DATA"
\tchmod 3775 "$RUNDIR"
\texec setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups "$0" "$@"
fi
for v in $REQUIRED; do
\tfile_env "$v"
\tif [ -z "${!v:-}" ]; then echo "error: $v (or ${v}_FILE) is required" >&2; exit 1; fi
done
echo "$$" > "$RUNDIR/server.pid"
date > "$DATA/last-start"
touch "$RUNDIR/ready"
trap 'rm -f "$RUNDIR/ready"; exit 0' TERM INT
while :; do sleep 5 & wait $!; done
"""

PROBE = """\
#!/bin/sh
test -f "$RUNDIR/ready" && test -O "$DATA/last-start" 2>/dev/null || test -f "$RUNDIR/ready"
"""

WEB_DOCKERFILE = """\
FROM python:3.12-slim-bookworm
ARG WORKER=nginx
ARG WORKER_UID=101
RUN if ! id "$WORKER" >/dev/null 2>&1; then groupadd -r -g "$WORKER_UID" "$WORKER" \\
 && useradd -r -u "$WORKER_UID" -g "$WORKER" "$WORKER"; fi
ENV WORKER=$WORKER PIDFILE=/var/run/nginx.pid TEMPDIR=/var/cache/nginx/client_temp
COPY server.py /usr/local/bin/server.py
HEALTHCHECK --interval=1s --timeout=3s --retries=60 \\
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:80/', timeout=2)"]
CMD ["python3", "/usr/local/bin/server.py"]
"""

WEB_SERVER = """\
import http.server, os, pwd, socket, tempfile

worker = pwd.getpwnam(os.environ["WORKER"])
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", 80))  # as root: NET_BIND_SERVICE
sock.listen(16)
temp = os.environ.get("TEMPDIR")
if temp:
    os.makedirs(temp, exist_ok=True)
    os.chown(temp, worker.pw_uid, worker.pw_gid)  # CHOWN
pidfile = os.environ["PIDFILE"]
os.makedirs(os.path.dirname(pidfile), exist_ok=True)
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
os.setgroups([])
os.setgid(worker.pw_gid)  # SETGID
os.setuid(worker.pw_uid)  # SETUID


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if temp:
            with tempfile.NamedTemporaryFile(dir=temp):
                pass
        body = b"ok uid=%d\\n" % os.getuid()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("0.0.0.0", 80), Handler, bind_and_activate=False)
server.socket = sock
server.serve_forever()
"""

NONROOT_DOCKERFILE = """\
FROM python:3.12-slim-bookworm
ARG UID=65534
ARG DATA=/prometheus
RUN mkdir -p "$DATA" && chown "$UID" "$DATA"
ENV DATA=$DATA
USER $UID
VOLUME $DATA
HEALTHCHECK --interval=1s --timeout=3s --retries=60 CMD ["test", "-f", "/tmp/ready"]
CMD ["python3", "-c", "import os,time,pathlib; pathlib.Path(os.environ['DATA'],'wal').write_text('x'); \
pathlib.Path('/tmp/ready').touch(); time.sleep(10**6)"]
"""

# stand-in name → (kind, build args)
STANDINS: dict[str, tuple[str, dict[str, str]]] = {
    "postgres": (
        "dropper",
        {
            "SVC_USER": "postgres",
            "SVC_UID": "999",
            "DATA": "/var/lib/postgresql/data",
            "RUNDIR": "/var/run/postgresql",
            "REQUIRED": "POSTGRES_PASSWORD",
        },
    ),
    "redis": ("dropper", {"SVC_USER": "redis", "SVC_UID": "999", "DATA": "/data", "RUNDIR": "/data/run"}),
    "mysql": (
        "dropper",
        {
            "SVC_USER": "mysql",
            "SVC_UID": "999",
            "DATA": "/var/lib/mysql",
            "RUNDIR": "/var/run/mysqld",
            "REQUIRED": "MYSQL_ROOT_PASSWORD",
        },
    ),
    "mariadb": (
        "dropper",
        {
            "SVC_USER": "mysql",
            "SVC_UID": "999",
            "DATA": "/var/lib/mysql",
            "RUNDIR": "/run/mysqld",
            "REQUIRED": "MARIADB_ROOT_PASSWORD",
        },
    ),
    "nginx": ("web", {}),
    "httpd": ("web", {"WORKER": "www-data", "WORKER_UID": "33"}),
    "prom/prometheus": ("nonroot", {"UID": "65534", "DATA": "/prometheus"}),
    "grafana/grafana": ("nonroot", {"UID": "472", "DATA": "/var/lib/grafana"}),
    "memcached": ("nonroot", {"UID": "11211", "DATA": "/home/memcache"}),
}


def _fixture_files(kind: str) -> dict[str, str]:
    if kind == "dropper":
        return {"Dockerfile": DROPPER_DOCKERFILE, "entrypoint.sh": DROPPER_ENTRYPOINT, "probe.sh": PROBE}
    if kind == "web":
        return {"Dockerfile": WEB_DOCKERFILE, "server.py": WEB_SERVER}
    return {"Dockerfile": NONROOT_DOCKERFILE}


@pytest.fixture(scope="module")
def standins(docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Build the stand-in images and tag them `<name>:hf-standin`; untag them at the end."""
    if not os.path.exists(COMPOSE):
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    tags: dict[str, str] = {}
    try:
        for name, (kind, args) in STANDINS.items():
            ctx = tmp_path_factory.mktemp(f"standin-{kind}")
            for fname, content in _fixture_files(kind).items():
                (ctx / fname).write_text(content)
            image_id = build(ctx, tag=f"standin-{name.replace('/', '-')}", build_args=args)
            if name == "httpd":  # httpd keeps its pid in /usr/local/apache2/logs, and has no /var/cache
                dockerfile = (ctx / "Dockerfile").read_text() + (
                    "ENV PIDFILE=/usr/local/apache2/logs/httpd.pid TEMPDIR=\n"
                )
                (ctx / "Dockerfile").write_text(dockerfile)
                image_id = build(ctx, tag="standin-httpd", build_args=args)
            docker_cli("tag", image_id, f"{name}:{TAG}")
            tags[name] = f"{name}:{TAG}"
        yield tags
    finally:
        for ref in tags.values():
            docker_cli("rmi", ref, check=False)


# --------------------------------------------------------------------------------------- projects

APP_DOCKERFILE = """\
FROM python:3.12-slim-bookworm AS builder
WORKDIR /src
COPY app.py .

FROM python:3.12-slim-bookworm AS runtime
WORKDIR /app
COPY --from=builder /src/app.py .
USER 10001:10001
HEALTHCHECK --interval=1s --timeout=3s --retries=60 CMD ["test", "-f", "/tmp/ready"]
CMD ["python3", "app.py"]
"""
APP_PY = """\
import os, pathlib, time
heap = os.environ.get("JAVA_OPTS", "")
pathlib.Path("/tmp/ready").write_text(heap)
time.sleep(10**6)
"""

PROJECTS: dict[str, str] = {
    "postgres-web": """\
services:
  db:
    image: postgres:hf-standin
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: change-me-in-prod-8f2a
    volumes:
      - db-data:/var/lib/postgresql/data
  web:
    image: nginx:hf-standin
    ports:
      - "127.0.0.1:18080:80"
    depends_on:
      - db
volumes:
  db-data:
""",
    "postgres-file-secret": """\
services:
  db:
    image: postgres:hf-standin
    restart: unless-stopped
    environment:
      POSTGRES_DB: app
      POSTGRES_PASSWORD: "Zr7-k2Lq-88vX-pp01"
    volumes:
      - pgdata:/var/lib/postgresql/data
volumes:
  pgdata:
""",
    "redis-worker": """\
version: "3.8"
services:
  redis:
    image: redis:hf-standin
    command: redis-server --maxmemory 800mb
  worker:
    build:
      context: .
      target: runtime
    environment:
      - JAVA_OPTS=-Xmx300m
    depends_on: [redis]
""",
    "mysql-app": """\
services:
  mysql:
    image: mysql:hf-standin
    environment:
      MYSQL_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD:-rootpw}
      MYSQL_DATABASE: app
    volumes:
      - ./data/mysql:/var/lib/mysql
  app:
    build: .
    depends_on:
      - mysql
""",
    "mariadb-nginx": """\
services:
  mariadb:
    image: mariadb:hf-standin
    environment:
      - MARIADB_ROOT_PASSWORD=${DB_ROOT_PASSWORD:-example}
    volumes:
      - mariadb:/var/lib/mysql
  proxy:
    image: nginx:hf-standin
    depends_on: [mariadb]
volumes:
  mariadb: {}
""",
    "nginx-static": """\
version: '3'
services:
  nginx:
    image: nginx:hf-standin
    container_name: hf-e2e-static-nginx
    restart: always
""",
    "httpd": """\
services:
  apache:
    image: httpd:hf-standin
    restart: on-failure
""",
    "monitoring": """\
services:
  prometheus:
    image: prom/prometheus:hf-standin
    volumes:
      - prometheus_data:/prometheus
  grafana:
    image: grafana/grafana:hf-standin
    volumes:
      - grafana_data:/var/lib/grafana
    depends_on: [prometheus]
  memcached:
    image: memcached:hf-standin
volumes:
  prometheus_data:
  grafana_data:
""",
    "build-target": """\
services:
  api:
    build:
      context: .
      dockerfile: Dockerfile
      target: runtime
    environment:
      JAVA_OPTS: "-Xms256m -Xmx700m"
  cache:
    image: redis:hf-standin
""",
    "anchors": """\
x-db: &db
  image: postgres:hf-standin
  environment:
    POSTGRES_PASSWORD: ${PGPASS:-local-only}
services:
  primary:
    <<: *db
  replica:
    <<: *db
  web:
    image: nginx:hf-standin
""",
}
BUILT = {"redis-worker", "mysql-app", "build-target"}


def _hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _compose(
    project: str, *args: str, cwd: Path, timeout: float = UP_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COMPOSE_DOCKER_CLI_BUILD="0", DOCKER_BUILDKIT="0", COMPOSE_HTTP_TIMEOUT="120")
    try:
        return subprocess.run(
            [COMPOSE, "--no-ansi", "-p", project, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"docker-compose {' '.join(args)} timed out after {timeout:.0f}s") from exc


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "docker-compose.yml").write_text(PROJECTS[name])
    if name in BUILT:
        (root / "Dockerfile").write_text(APP_DOCKERFILE)
        (root / "app.py").write_text(APP_PY)
    if name == "postgres-file-secret":  # HF611 moves the value only to a file that already holds it
        (root / "secrets").mkdir()
        secret = root / "secrets" / "db_postgres_password.txt"
        secret.write_text("Zr7-k2Lq-88vX-pp01\n")
        secret.chmod(0o600)
        if os.geteuid() == 0:  # as HF611's note says: owned by the uid postgres reads it as
            os.chown(secret, 999, 999)
        else:  # cannot give it away: readable by everyone on this (test) host instead
            secret.chmod(0o644)
    return root


def _fix_once(root: Path) -> str:
    res = _hardenify("fix", "--unsafe-fixes", ".", cwd=root)
    assert res.returncode == 0, res.stderr
    again = _hardenify("fix", "--unsafe-fixes", "--diff", ".", cwd=root)
    assert again.returncode == 0, f"a second fix run changes files again:\n{again.stdout}"
    return res.stderr


def _fixed_services(text: str) -> dict[str, dict[str, Any]]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(text)
    return {str(k): v for k, v in data["services"].items()}


def _bring_up(project: str, root: Path) -> list[str]:
    """`docker-compose up -d`, then wait (bounded) until every service's container is running and
    healthy; returns the container ids."""
    up = _compose(project, "up", "-d", cwd=root)
    assert up.returncode == 0, f"docker-compose up failed:\n{up.stderr[-3000:]}"
    ps = _compose(project, "ps", "-q", cwd=root)
    ids = [line for line in ps.stdout.split() if line]
    services = _compose(project, "config", "--services", cwd=root).stdout.split()
    assert len(ids) == len(services), (services, ps.stdout)
    for cid in ids:
        wait_healthy(cid, HEALTH_TIMEOUT)
    return ids


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_fixed_compose_file_comes_up(name: str, standins: dict[str, str], tmp_path: Path) -> None:
    root = _project(tmp_path, name)
    _fix_once(root)
    fixed = (root / "docker-compose.yml").read_text()
    assert fixed != PROJECTS[name], "the fix changed nothing"
    assert "pids_limit" in fixed and "pids:" not in fixed  # compose v1 rejects deploy.resources.limits.pids
    project = f"hfe2e{os.getpid()}{name.replace('-', '')}"
    try:
        ids = _bring_up(project, root)
        services = _fixed_services(fixed)
        dropped = 0
        for cid in ids:
            svc = docker_cli(
                "inspect", cid, "--format", '{{index .Config.Labels "com.docker.compose.service"}}'
            )
            want = services[svc.stdout.strip()]
            info = docker_cli(
                "inspect", cid, "--format", "{{json .HostConfig.CapDrop}}|{{.HostConfig.ReadonlyRootfs}}"
            )
            cap_drop, read_only = info.stdout.strip().split("|")
            assert ("ALL" in cap_drop) == ("ALL" in [str(c).upper() for c in want.get("cap_drop") or []])
            assert (read_only == "true") == (want.get("read_only") is True)
            dropped += "ALL" in cap_drop
        assert dropped >= 1, f"no service of {name} runs with cap_drop: [ALL]"
    except ContainerError as exc:
        logs = _compose(project, "logs", "--no-color", "--tail", "40", cwd=root).stdout
        pytest.fail(
            f"{name}: a service did not come up after the fix\n{exc}\n--- fixed file ---\n{fixed}\n{logs}"
        )
    finally:
        _compose(project, "down", "-v", "--remove-orphans", "--rmi", "local", cwd=root, timeout=120)


def test_hardening_is_applied_and_declines_say_why(standins: dict[str, str], tmp_path: Path) -> None:
    """postgres keeps what its entrypoint needs; the built worker runs with nothing added back;
    read_only/tmpfs, no-new-privileges, limits and the file secret all reach the engine."""
    root = _project(tmp_path, "postgres-file-secret")
    _fix_once(root)
    fixed = (root / "docker-compose.yml").read_text()
    assert (
        'POSTGRES_PASSWORD_FILE: "/run/secrets/db_postgres_password"' in fixed
    )  # the value keeps its quotes
    assert "Zr7-k2Lq" not in fixed
    project = f"hfe2e{os.getpid()}inspect"
    try:
        (cid,) = _bring_up(project, root)
        info = (
            docker_cli(
                "inspect",
                cid,
                "--format",
                "{{json .HostConfig.CapDrop}}|{{json .HostConfig.CapAdd}}|{{.HostConfig.ReadonlyRootfs}}|"
                "{{json .HostConfig.Tmpfs}}|{{json .HostConfig.SecurityOpt}}|{{.HostConfig.Memory}}|{{.HostConfig.PidsLimit}}",
            )
            .stdout.strip()
            .split("|")
        )
        assert "ALL" in info[0]
        assert all(c in info[1] for c in ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"))
        assert info[2] == "true" and "/var/run/postgresql" in info[3]
        assert "no-new-privileges" in info[4] and int(info[5]) > 0 and int(info[6]) > 0
        uid = docker_cli(
            "exec", cid, "sh", "-c", "stat -c %u /var/lib/postgresql/data/last-start"
        ).stdout.strip()
        assert uid == "999"  # written after dropping privileges with setpriv
    finally:
        _compose(project, "down", "-v", "--remove-orphans", cwd=root, timeout=120)

    # unknown images: no cap_drop, no read_only, and the output says why
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "docker-compose.yml").write_text("services:\n  tool:\n    image: example/tool:1\n")
    res = _hardenify("fix", "--unsafe-fixes", ".", cwd=unknown)
    after = (unknown / "docker-compose.yml").read_text()
    assert "cap_drop" not in after and "read_only" not in after
    assert "HF605 left for a human: hardenify does not know which capabilities" in res.stderr
    assert "HF608 left for a human: hardenify does not know which paths" in res.stderr


def test_build_secret_wired_in_one_run_with_the_users_variable(docker: str, tmp_path: Path) -> None:
    """Issue 14 item 11: the Dockerfile fix and the compose wiring (HF616) land in one run, with
    the user's variable (NPM_TOKEN), and a build with that wiring works and leaks nothing."""
    token = "npm_Tok3nValue4e2eOnly9"
    root = tmp_path / "build-secret"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM node:22-bookworm-slim\nARG NPM_TOKEN\nWORKDIR /app\nCOPY package.json .\n"
        'RUN test -n "$NPM_TOKEN" && echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > /dev/null\n'
        'HEALTHCHECK --interval=1s --timeout=3s --retries=30 CMD ["node", "-e", "0"]\n'
        'CMD ["node", "-e", "setInterval(() => {}, 1000)"]\n'
    )
    (root / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
    (root / "docker-compose.yml").write_text("services:\n  app:\n    build: .\n")
    _fix_once(root)
    fixed = (root / "docker-compose.yml").read_text()
    assert "      secrets:\n        - npm_token\n" in fixed
    assert "secrets:\n  npm_token:\n    environment: NPM_TOKEN\n" in fixed
    dockerfile = (root / "Dockerfile").read_text()
    assert "--mount=type=secret,id=npm_token" in dockerfile and "ARG NPM_TOKEN" not in dockerfile
    # what compose v2 does with that wiring: --secret id=npm_token,env=NPM_TOKEN
    image_id = build(root, tag="build-secret", secrets={"npm_token": token})
    assert not layer_contains(image_id, token)
    docker_cli("tag", image_id, f"hf-e2e-build-secret:{TAG}")
    v1 = root / "v1"
    v1.mkdir()
    v1_file = fixed.split("\nsecrets:\n")[0].replace(
        "    build:\n      context: .\n      secrets:\n        - npm_token\n",
        f"    image: hf-e2e-build-secret:{TAG}\n",
    )
    (v1 / "docker-compose.yml").write_text(v1_file + "\n")
    project = f"hfe2e{os.getpid()}buildsecret"
    try:
        _bring_up(project, v1)
    finally:
        _compose(project, "down", "-v", "--remove-orphans", cwd=v1, timeout=120)
        docker_cli("rmi", f"hf-e2e-build-secret:{TAG}", check=False)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("image", "hardening"),
    [
        ("postgres", "    cap_drop: [ALL]\n    environment: {POSTGRES_PASSWORD: pw}\n"),
        ("nginx", "    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE, SETGID, SETUID]\n"),
        ("nginx", "    read_only: true\n    tmpfs: [/tmp]\n"),
    ],
    ids=["gosu-like-without-cap_add", "nginx-without-chown", "nginx-read-only-tmp-only"],
)
def test_stand_ins_break_the_way_the_old_fixes_broke_them(
    image: str, hardening: str, standins: dict[str, str], tmp_path: Path
) -> None:
    """Control: what the fixer wrote before issue 15 stops the stand-ins, as it stops the real
    images, so the tests above measure the facts the fixes now carry. (Not NET_BIND_SERVICE:
    Docker 20.10+ sets net.ipv4.ip_unprivileged_port_start=0 in a container's own network
    namespace, so :80 binds without it; the fixes keep it for host networking and older engines.)"""
    (tmp_path / "docker-compose.yml").write_text(f"services:\n  s:\n    image: {image}:{TAG}\n{hardening}")
    project = f"hfe2e{os.getpid()}control{image}{len(hardening)}"
    try:
        with pytest.raises(ContainerError):
            _bring_up(project, tmp_path)
    finally:
        _compose(project, "down", "-v", "--remove-orphans", cwd=tmp_path, timeout=120)
