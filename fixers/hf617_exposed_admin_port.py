"""HF617: SSH, the Docker API or an admin/debug port is published on every host interface."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_seq
from hardenify.compose.service import image
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

from .hf610_exposed_database_port import _exposed as exposed  # HF610's reading of `ports:`

RULE = Rule(
    code="HF617",
    name="exposed-admin-port",
    severity=Severity.ERROR,
    summary="SSH, the Docker API or an admin or debug port is published on all host interfaces.",
    what="Reports `ports:` entries without a specific host IP (short and long syntax, as HF610 "
    "reads them) whose container port is SSH (22), the Docker Engine API (2375, 2376), etcd "
    "(2379, 2380), Consul (8500), the kubelet (10250, 10255), the Kubernetes API (6443), "
    "Redis Commander (8081 on `rediscommander/redis-commander`), Adminer and phpMyAdmin (on their "
    "images), Java debug (JDWP 5005), Node.js inspector (9229), Go's Delve (2345), debugpy (5678), "
    "Xdebug (9003), or the Docker registry / Portainer / Traefik dashboards on their images. "
    "Database ports are HF610's.",
    why="Docker publishes ports in front of the host firewall, so these ports are reachable from "
    "every network the host is on. Each one is remote code execution or full control for whoever "
    "reaches it: the Docker API without TLS is root on the host, a debugger port runs any code in "
    "the process, and admin consoles often ship with default credentials. CIS Docker Benchmark "
    "5.8 (only needed ports) and 5.13.",
    example='services:\n  app:\n    image: example/app:1\n    ports:\n      - "9229:9229"\n'
    "  adminer:\n    image: adminer:4\n    ports:\n      - 8080:8080",
    fix='No automatic fix: bind it to the loopback interface (`"127.0.0.1:9229:9229"`) for local '
    "debugging, or remove it and reach the service through an SSH tunnel or `docker exec`.",
    references=References(cis=("5.8", "5.13")),
    kinds=("compose",),
)

# Container ports that mean the same whatever image listens on them.
PORTS: dict[int, str] = {
    22: "SSH",
    2375: "the Docker Engine API (plain HTTP)",
    2376: "the Docker Engine API",
    2379: "the etcd client API",
    2380: "the etcd peer API",
    8500: "the Consul HTTP API",
    10250: "the kubelet API",
    10255: "the kubelet read-only API",
    6443: "the Kubernetes API",
    5005: "a Java debugger (JDWP)",
    9229: "the Node.js inspector",
    2345: "the Delve debugger",
    5678: "the debugpy debugger",
    9003: "the Xdebug debugger",
}
# Images whose web port is an admin console (key as `image_key` gives it).
ADMIN_IMAGES: dict[str, str] = {
    "adminer": "the Adminer database console",
    "phpmyadmin": "the phpMyAdmin database console",
    "phpmyadmin/phpmyadmin": "the phpMyAdmin database console",
    "dpage/pgadmin4": "the pgAdmin database console",
    "rediscommander/redis-commander": "the Redis Commander console",
    "mongo-express": "the mongo-express database console",
    "portainer/portainer": "the Portainer Docker console",
    "portainer/portainer-ce": "the Portainer Docker console",
    "portainer/portainer-ee": "the Portainer Docker console",
    "portainer/agent": "the Portainer agent (Docker API access)",
}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("ports")
        if entry is None or not is_seq(entry.value):
            continue
        img = image(svc)
        console = ADMIN_IMAGES.get(img.key or "") if not img.builds else None
        for item in entry.value.value:
            found = exposed(cf, item)
            if found is None:
                continue
            ports, shown = found
            what = next((PORTS[p] for p in ports if p in PORTS), None) or (console if ports else None)
            if what is None:
                continue
            start, end = node_span(cf, item)
            msg = f"service `{svc.name}` publishes {what} (`{shown}`) on all host interfaces"
            yield Finding(start, end, msg, (svc.start, entry.start))
