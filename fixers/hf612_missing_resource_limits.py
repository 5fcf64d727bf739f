"""HF612: a compose service has no memory, CPU or PIDs limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.rules import References, Rule

if TYPE_CHECKING:  # compose helpers are imported where used: Dockerfile runs never load them
    from hardenify.compose.model import ComposeFile, Entry, Service
    from hardenify.fixers._compose import Finding

RULE = Rule(
    code="HF612",
    name="missing-resource-limits",
    severity=Severity.INFO,
    summary="A compose service has no memory, CPU or PIDs limit.",
    what="Reports services missing any of: a memory limit (`mem_limit` or "
    "`deploy.resources.limits.memory`), a CPU limit (`cpus` or `deploy.resources.limits.cpus`) and a "
    "PIDs limit (`pids_limit` or `deploy.resources.limits.pids`); own, merged from an anchor, or from "
    "a same-file `extends`. The message lists what is missing.",
    why="Without limits one container can take all the host's memory (the kernel's OOM killer then "
    "picks any process, other containers included), all its CPU, or all its PIDs (a fork bomb "
    "stops every container and the host's daemons from starting processes). Limits turn a bug "
    "or a denial-of-service into a restart of one service. CIS Docker Benchmark 5.10, 5.11 and 5.28.",
    example="services:\n  worker:\n    image: example/worker:4",
    fix="""\
Adds the missing limits, in the form the service already uses: under `deploy.resources.limits`
(`memory: 512M`, `cpus: "1.0"`, `pids: 256`), created at the deepest level that exists, or as
service-level `mem_limit: 512m`, `cpus: "1.0"`, `pids_limit: 256` when the service already uses
those keys and has no `deploy.resources.limits`. Memory starts at 2G for SQL Server,
Elasticsearch, OpenSearch, Cassandra, ScyllaDB, ClickHouse and SonarQube and 1G for Neo4j,
Logstash, Kibana, Keycloak and Jenkins. All of them are valid compose-spec keys that `docker
compose` applies without swarm.""",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: the numbers are starting points, not measurements. A service that needs more "
    "memory is OOM-killed, more CPU is throttled, more processes or threads fails to fork: measure "
    "(`docker stats`) and adjust.",
    references=References(cis=("5.10", "5.11", "5.28")),
    kinds=("compose",),
)

CPUS = "1.0"
PIDS = 256
SERVICE_LEVEL = ("mem_limit", "cpus", "pids_limit", "memswap_limit", "mem_reservation", "cpu_shares", "cpu_quota")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.fixers._compose import model, report
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _deploy_limit(cf: ComposeFile, svc: Service, key: str) -> tuple[Entry | None, bool]:
    from hardenify.compose.model import is_map
    node: Any = None
    deploy, unknown = svc.find("deploy")
    if unknown:
        return None, True
    node = deploy.value if deploy is not None else None
    for part in ("resources", "limits", key):
        if not is_map(node):
            return None, False
        entry = cf.lookup(node, part)
        if entry is None:
            return None, False
        node = entry.value
        if part == key:
            return entry, False
    return None, False


def limits(cf: ComposeFile, svc: Service) -> tuple[dict[str, bool], bool]:
    """Which of memory/cpus/pids are limited, and whether that is unknown (external extends)."""
    have: dict[str, bool] = {}
    for label, service_key, deploy_key in (("memory", "mem_limit", "memory"), ("cpus", "cpus", "cpus"),
                                           ("pids", "pids_limit", "pids")):
        own, unknown = svc.find(service_key)
        dep, unknown2 = _deploy_limit(cf, svc, deploy_key)
        if unknown or unknown2:
            return have, True
        have[label] = own is not None or dep is not None
    return have, False


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    from hardenify.compose.verify import get
    from hardenify.fixers._compose import (
        Finding,
        change,
        image,
        others_note,
        place_keys,
        place_nested,
        service_span,
    )
    from hardenify.knowledge.images import memory_limit
    for svc in cf.services:
        have, unknown = limits(cf, svc)
        if unknown or all(have.values()):
            continue
        missing = [k for k, v in have.items() if not v]
        img = image(svc)
        memory = memory_limit(None if img.builds else img.key)
        start, end = service_span(svc)
        msg = f"service `{svc.name}` has no {', '.join(missing)} limit" + ("s" if len(missing) > 1 else "")
        finding = Finding(start, end, msg)
        service_level = any(svc.find(k)[0] is not None for k in SERVICE_LEVEL) and all(
            _deploy_limit(cf, svc, k)[0] is None for k in ("memory", "cpus", "pids")
        )
        limits_node = _has_limits_mapping(cf, svc)
        if service_level and not limits_node:
            values = {"memory": ("mem_limit", memory.lower()), "cpus": ("cpus", CPUS), "pids": ("pids_limit", PIDS)}
            placed = place_keys(cf, svc, [values[m] for m in missing])
        else:
            values = {"memory": ("memory", memory), "cpus": ("cpus", CPUS), "pids": ("pids", PIDS)}
            placed = place_nested(cf, svc, ("deploy", "resources", "limits"), [values[m] for m in missing])
        if placed is not None:

            def landed(new: ComposeFile, svc: Service = svc) -> bool:
                again = new.service(svc.name, svc.doc)
                if again is None or get(new.data(), svc.path) is None:
                    return False
                got, _ = limits(new, again)
                return all(got.values())

            finding.change = change([placed], landed)
            finding.fix_message = "Add " + ", ".join(f"{k}: {v}" for k, v in (values[m] for m in missing)) + (
                others_note(placed.others)
            )
        yield finding


def _has_limits_mapping(cf: ComposeFile, svc: Service) -> bool:
    from hardenify.compose.model import is_map
    deploy, _ = svc.find("deploy")
    if deploy is None or not is_map(deploy.value):
        return False
    res = cf.lookup(deploy.value, "resources")
    return res is not None and is_map(res.value) and cf.lookup(res.value, "limits") is not None
