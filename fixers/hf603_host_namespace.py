"""HF603: a compose service shares a host namespace (network, PID, IPC, UTS, user)."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, entry_span, model, pragmas, report, via
from hardenify.compose.model import ComposeFile, text_of
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF603",
    name="host-namespace",
    severity=Severity.ERROR,
    summary="A compose service shares a host namespace (`network_mode`, `pid`, `ipc`, `uts` or "
    "`userns_mode` set to `host`).",
    what="Reports `network_mode: host`, `pid: host`, `ipc: host`, `uts: host` and `userns_mode: host`, "
    "written in the service or merged in from an anchor.",
    why="Namespaces are what isolates a container. With the host's network namespace it binds host "
    "ports, reaches services listening on localhost and bypasses published-port rules; with the "
    "host's PID namespace it sees (and with enough privileges signals or ptraces) every host "
    "process; the IPC namespace exposes host shared memory; the UTS namespace lets it change the "
    "host name; `userns_mode: host` turns off user-namespace remapping, so container root is host "
    "root again. CIS Docker Benchmark 5.9, 5.15, 5.16, 5.20 and 5.30.",
    example="services:\n  monitor:\n    image: example/monitor:2\n    network_mode: host\n    pid: host",
    fix="No automatic fix: publish the ports the service needs (`ports:`), share a namespace with one "
    "service instead of the host (`network_mode: service:<name>`, `pid: service:<name>`), or run "
    "the tool on the host.",
    references=References(cis=("5.9", "5.15", "5.16", "5.20", "5.30")),
    kinds=("compose",),
)

KEYS = {
    "network_mode": "the host's network namespace (CIS 5.9)",
    "pid": "the host's PID namespace (CIS 5.15)",
    "ipc": "the host's IPC namespace (CIS 5.16)",
    "uts": "the host's UTS namespace (CIS 5.20)",
    "userns_mode": "the host's user namespace (CIS 5.30)",
}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        for key, what in KEYS.items():
            entry = svc.get(key)
            if entry is None or (text_of(entry.value) or "").strip().lower() != "host":
                continue
            start, end = entry_span(cf, svc, entry)
            msg = f"service `{svc.name}` shares {what} with `{key}: host`{via(cf, svc, entry)}"
            yield Finding(start, end, msg, pragmas(svc, entry))
