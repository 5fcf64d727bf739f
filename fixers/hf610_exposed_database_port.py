"""HF610: a database or cache port is published on every host interface."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hardenify.compose.edits import insert_keys, replace_scalar
from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, Node, is_flow, is_map, is_scalar, is_seq, text_of
from hardenify.compose.placement import Placed, change, expect, others_note, reach
from hardenify.compose.service import image, interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.images import DATABASE_PORTS, database
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF610",
    name="exposed-database-port",
    severity=Severity.WARNING,
    summary="A database or cache port is published on all host interfaces (no host IP, `0.0.0.0` or `::`).",
    what="Reports `ports:` entries without a specific host IP (short `[IP:][HOST:]CONTAINER[/proto]` "
    "and long `target`/`host_ip` syntax) of services running a database, cache or broker image "
    "(postgres, mysql, mariadb, mongo, redis, valkey, memcached, elasticsearch, opensearch, "
    "cassandra, rabbitmq, couchdb, neo4j, influxdb, clickhouse, SQL Server, Oracle, cockroach, "
    "etcd, zookeeper...), and entries of any service whose container port is one of their "
    "well-known ports (5432, 3306, 27017, 6379, 11211, 9200, 9042, 5672, 15672...).",
    why="Docker publishes ports in front of the host firewall (it writes its own iptables rules), so "
    "`5432:5432` puts the database on every network the host is on, often with a default or weak "
    "password: exposed Redis, MongoDB and Elasticsearch instances are among the most common "
    "breaches. Other containers of the project reach it by service name without any published "
    "port. CIS Docker Benchmark 5.13.",
    example='services:\n  db:\n    image: postgres:17\n    ports:\n      - "5432:5432"',
    fix='Binds the port to the loopback interface: `"127.0.0.1:5432:5432"` (a port without host '
    "part becomes `127.0.0.1::5432`, `0.0.0.0:` becomes `127.0.0.1:`, `[::]:` becomes `[::1]:`), or "
    "adds `host_ip: 127.0.0.1` to the long syntax, keeping the entry's quoting. Better still: remove "
    "the published port if only other containers use it.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: clients on other hosts (or on the host through a non-loopback address) can no "
    "longer connect; containers on the project's networks are unaffected.",
    references=References(cis=("5.13",)),
    kinds=("compose",),
)

ANY_HOST = ("", "0.0.0.0", "::", "[::]")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def split_port(spec: str) -> tuple[str, str, str]:
    """(host IP, host port, container port) as Docker's ParsePortSpec splits a short spec."""
    s = spec.strip()
    if s.startswith("["):
        end = s.find("]")
        if end > 0 and s[end + 1 : end + 2] == ":":
            ip = s[: end + 1]
            rest = s[end + 2 :].split(":")
            if len(rest) == 1:
                return ip, "", rest[0]
            return ip, ":".join(rest[:-1]), rest[-1]
    parts = s.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def container_ports(spec: str) -> list[int]:
    """`5432/tcp` → [5432]; `5432-5434` → [5432, 5433, 5434] (at most 1000)."""
    m = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*(?:/\w+)?\s*", spec)
    if not m:
        return []
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    return list(range(lo, min(hi, lo + 999) + 1))


def _what(db: str | None, ports: list[int]) -> str | None:
    if db is not None:
        return db
    for p in ports:
        if p in DATABASE_PORTS:
            return DATABASE_PORTS[p]
    return None


def _masked(spec: str) -> str:
    """Variables replaced by a colon-free stand-in, so `${PORT:-5432}` does not split."""
    return re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "VAR", spec)


def loopback(written: str) -> str | None:
    """The short spec bound to the loopback interface, or None when it cannot be rewritten."""
    s = written.strip()
    ip, _, _ = split_port(_masked(s))
    if ip in ("0.0.0.0", "[::]"):
        new_ip = "127.0.0.1" if ip == "0.0.0.0" else "[::1]"
        return new_ip + s[len(ip) :]
    if ip:
        return None
    return f"127.0.0.1:{s}" if ":" in _masked(s) else f"127.0.0.1::{s}"


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("ports")
        if entry is None or not is_seq(entry.value):
            continue
        img = image(svc)
        db = database(img.key) if img.key is not None and not img.builds else None
        others, outside = reach(cf, svc, entry.owner, "ports")
        paths = cf.entry_paths(entry.owner, "ports")
        for index, item in enumerate(entry.value.value):
            found = _exposed(cf, item)
            if found is None:
                continue
            ports, shown = found
            what = _what(db, ports)
            if what is None:
                continue
            start, end = node_span(cf, item)
            msg = f"service `{svc.name}` publishes {what} port `{shown}` on all host interfaces"
            finding = Finding(start, end, msg, (svc.start, entry.start))
            if not outside:
                edit = _rebind(cf, item, is_flow(entry.value))
                if edit is not None:
                    placed = Placed(edit, paths, others)
                    finding.change = change([placed], expect((*svc.path, "ports", index), _bound))
                    finding.fix_message = "Bind it to 127.0.0.1" + others_note(others)
            yield finding


def _exposed(cf: ComposeFile, item: Node) -> tuple[list[int], str] | None:
    """Container ports of an entry published on every interface, and how it is written."""
    if is_scalar(item):
        written = text_of(item) or ""
        ip, _, container = split_port(_masked(written))
        if container == "VAR":  # the container port is a variable: use its default, if any
            last = re.findall(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", written)[-1]
            container = interpolate(last) or ""
        if ip not in ANY_HOST:
            return None
        return container_ports(container), written.strip()
    if is_map(item):
        target = cf.lookup(item, "target")
        host_ip = cf.lookup(item, "host_ip")
        if target is None:
            return None
        ip = (text_of(host_ip.value) or "").strip() if host_ip is not None else ""
        if ip not in ANY_HOST:
            return None
        t = text_of(target.value) or ""
        return container_ports(interpolate(t) or ""), f"target: {t}"
    return None


def _rebind(cf: ComposeFile, item: Node, flow: bool) -> Any:
    if is_scalar(item):
        new = loopback(text_of(item) or "")
        return replace_scalar(cf, item, new, flow=flow) if new is not None else None
    host_ip = cf.own(item, "host_ip")
    if host_ip is not None:
        return replace_scalar(cf, host_ip.value, "127.0.0.1", flow=is_flow(item))
    if cf.lookup(item, "host_ip") is not None:
        return None  # merged in from an anchor
    return insert_keys(cf, item, [("host_ip", "127.0.0.1")])


def _bound(value: Any) -> bool:
    if isinstance(value, dict):
        return str(value.get("host_ip", "")) in ("127.0.0.1", "::1")
    return isinstance(value, str) and value.strip().startswith(("127.0.0.1:", "[::1]:"))
