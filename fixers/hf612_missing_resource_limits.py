"""HF612: a compose service has no memory, CPU or PIDs limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hardenify.compose.findings import Finding, model, report, service_span
from hardenify.compose.model import ComposeFile, Entry, Service, is_map, is_scalar, is_seq, text_of
from hardenify.compose.placement import Placed, change, others_note, place_keys, place_nested
from hardenify.compose.service import image
from hardenify.compose.verify import get
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.images import memory_limit
from hardenify.rules import References, Rule

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
Adds the missing limits. Memory and CPU go in the form the service already uses: under
`deploy.resources.limits` (`memory: 512M`, `cpus: "1.0"`), created at the deepest level that
exists, or as service-level `mem_limit: 512m`, `cpus: "1.0"` when the service already uses
service-level keys and has no `deploy.resources.limits`. The PIDs limit is always the
service-level `pids_limit: 256`, which compose v1 and v2 both accept (docker-compose 1.29
rejects `deploy.resources.limits.pids`).

Memory starts at 512M (2G for SQL Server, Elasticsearch, OpenSearch, Cassandra, ScyllaDB,
ClickHouse and SonarQube; 1G for Neo4j, Logstash, Kibana, Keycloak and Jenkins) and is never
below a heap or memory size the service configures: `-Xmx` (in `command`, `entrypoint` or any
environment value such as `JAVA_OPTS`, `ES_JAVA_OPTS`, `JAVA_TOOL_OPTIONS`), `--max-old-space-size`
(`NODE_OPTIONS`), redis `--maxmemory`, `--innodb-buffer-pool-size` and postgres `shared_buffers`.
The limit is then the configured size plus half again (at least 256 MiB more), rounded up to
whole MiB. When such a size comes from a variable (`-Xmx${HEAP}`), the memory limit is not
added and the finding says why; CPU and PIDs limits still are.""",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: the numbers are starting points, not measurements. A service that needs more "
    "memory is OOM-killed, more CPU is throttled, more processes or threads fails to fork: measure "
    "(`docker stats`) and adjust.",
    references=References(cis=("5.10", "5.11", "5.28")),
    kinds=("compose",),
)

CPUS = "1.0"
PIDS = 256
SERVICE_LEVEL = (
    "mem_limit",
    "cpus",
    "pids_limit",
    "memswap_limit",
    "mem_reservation",
    "cpu_shares",
    "cpu_quota",
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _deploy_limit(cf: ComposeFile, svc: Service, key: str) -> tuple[Entry | None, bool]:
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
    for label, service_key, deploy_key in (
        ("memory", "mem_limit", "memory"),
        ("cpus", "cpus", "cpus"),
        ("pids", "pids_limit", "pids"),
    ):
        own, unknown = svc.find(service_key)
        dep, unknown2 = _deploy_limit(cf, svc, deploy_key)
        if unknown or unknown2:
            return have, True
        have[label] = own is not None or dep is not None
    return have, False


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = r"(\d+(?:\.\d+)?|\$\{?\w+[^}\s]*\}?)\s*([kKmMgGtT]?)[bB]?"
# (pattern, unit when the number has none): the heap or memory sizes a service configures
_HEAPS = (
    (re.compile(r"-Xmx" + _SIZE), ""),
    (re.compile(r"--max[-_]old[-_]space[-_]size[= ]" + _SIZE), "m"),
    (re.compile(r"--maxmemory[= ]+" + _SIZE), ""),
    (re.compile(r"--innodb[-_]buffer[-_]pool[-_]size[= ]" + _SIZE), ""),
    (re.compile(r"shared_buffers\s*=\s*" + _SIZE), "k"),
)


def configured_memory(cf: ComposeFile, svc: Service) -> tuple[int, str] | None:
    """The largest heap/memory size the service configures, in bytes, with the text that set it;
    (-1, text) when it comes from a variable."""
    best: tuple[int, str] | None = None
    for text in _config_texts(cf, svc):
        for pattern, default_unit in _HEAPS:
            for m in pattern.finditer(text):
                number, unit = m.group(1), m.group(2).lower()
                if not number[0].isdigit():
                    return -1, m.group(0)
                size = int(float(number) * _UNITS[unit or default_unit])
                if best is None or size > best[0]:
                    best = (size, m.group(0))
    return best


def _config_texts(cf: ComposeFile, svc: Service) -> list[str]:
    out: list[str] = []
    for key in ("command", "entrypoint", "environment"):
        entry, _ = svc.find(key)
        if entry is None:
            continue
        node = entry.value
        if is_scalar(node):
            out.append(text_of(node) or "")
        elif is_seq(node):
            out.append(" ".join(text_of(i) or "" for i in node.value if is_scalar(i)))
        elif is_map(node):
            for name in cf.keys(node):
                e = cf.lookup(node, name)
                if e is not None and is_scalar(e.value):
                    out.append(text_of(e.value) or "")
    return out


def memory_floor(default: str, configured: int) -> str:
    """The default limit, or the configured size plus half (at least 256 MiB), in MiB."""
    m = re.fullmatch(r"(\d+)([MG])", default)
    base = int(m.group(1)) << (20 if m.group(2) == "M" else 30) if m else 512 << 20
    need = configured + max(configured // 2, 256 << 20)
    if need <= base:
        return default
    mib = -(-need // (1 << 20))
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        have, unknown = limits(cf, svc)
        if unknown or all(have.values()):
            continue
        missing = [k for k, v in have.items() if not v]
        img = image(svc)
        start, end = service_span(svc)
        msg = f"service `{svc.name}` has no {', '.join(missing)} limit" + ("s" if len(missing) > 1 else "")
        heap = configured_memory(cf, svc) if "memory" in missing else None
        note = None
        memory = memory_limit(None if img.builds else img.key)
        if heap is not None and heap[0] < 0:
            missing = [k for k in missing if k != "memory"]
            note = f"no memory limit added: the service sizes its memory with `{heap[1]}`, set at run time"
        elif heap is not None:
            memory = memory_floor(memory, heap[0])
            if memory != memory_limit(None if img.builds else img.key):
                note = f"the memory limit leaves room for the configured `{heap[1]}`"
        finding = Finding(start, end, msg, note=note)
        service_level = any(svc.find(k)[0] is not None for k in SERVICE_LEVEL) and all(
            _deploy_limit(cf, svc, k)[0] is None for k in ("memory", "cpus", "pids")
        )
        limits_node = _has_limits_mapping(cf, svc)
        nested = [m for m in missing if m != "pids"]
        if service_level and not limits_node:
            values = {
                "memory": ("mem_limit", memory.lower()),
                "cpus": ("cpus", CPUS),
                "pids": ("pids_limit", PIDS),
            }
            placed_keys = place_keys(cf, svc, [values[m] for m in missing]) if missing else None
            placed: list[Placed | None] = [placed_keys] if missing else []
        else:
            values = {"memory": ("memory", memory), "cpus": ("cpus", CPUS), "pids": ("pids_limit", PIDS)}
            placed = []
            if "pids" in missing:
                placed.append(place_keys(cf, svc, [values["pids"]]))
            if nested:
                placed.append(
                    place_nested(cf, svc, ("deploy", "resources", "limits"), [values[m] for m in nested])
                )
        if placed and all(p is not None for p in placed):
            ok = [p for p in placed if p is not None]
            want = list(missing)

            def landed(new: ComposeFile, svc: Service = svc, want: list[str] = want) -> bool:
                again = new.service(svc.name, svc.doc)
                if again is None or get(new.data(), svc.path) is None:
                    return False
                got, _ = limits(new, again)
                return all(got.get(k) for k in want)

            # a nested deploy: mapping inserted at the same point as pids_limit goes after it
            finding.change = change(ok[::-1] if len(ok) == 2 else ok, landed)
            others = sorted({o for p in ok for o in p.others})
            finding.fix_message = (
                "Add "
                + ", ".join(f"{k}: {v}" for k, v in (values[m] for m in missing))
                + (others_note(others))
            )
        yield finding


def _has_limits_mapping(cf: ComposeFile, svc: Service) -> bool:
    deploy, _ = svc.find("deploy")
    if deploy is None or not is_map(deploy.value):
        return False
    res = cf.lookup(deploy.value, "resources")
    return res is not None and is_map(res.value) and cf.lookup(res.value, "limits") is not None
