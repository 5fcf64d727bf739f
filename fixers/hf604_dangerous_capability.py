"""HF604: a compose service adds a dangerous Linux capability."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_seq, text_of
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF604",
    name="dangerous-capability",
    severity=Severity.ERROR,
    summary="A compose service adds a capability that breaks container isolation (`cap_add: [SYS_ADMIN]`...).",
    what="Reports `cap_add` entries (with or without the `CAP_` prefix, any case) that are known "
    "escape or host-control primitives: ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, SYS_BOOT, "
    "SYS_TIME, DAC_READ_SEARCH, NET_ADMIN, MAC_ADMIN, MAC_OVERRIDE, BPF, PERFMON, SYSLOG, "
    "LINUX_IMMUTABLE. Capabilities Docker grants by default (CHOWN, NET_BIND_SERVICE...) or that "
    "only affect the container itself are not reported.",
    why="SYS_ADMIN allows mounting filesystems and is the classic route out of a container (cgroup "
    "release_agent); SYS_MODULE loads kernel modules; SYS_PTRACE with a shared PID namespace reads "
    "other processes' memory; DAC_READ_SEARCH opened the 'shocker' escape; NET_ADMIN reconfigures "
    "networking and firewall rules; BPF/PERFMON load kernel programs; SYS_TIME changes the host "
    "clock. CIS Docker Benchmark 5.3.",
    example="services:\n  vpn:\n    image: example/vpn:1\n    cap_add:\n      - NET_ADMIN\n      - SYS_ADMIN",
    fix="No automatic fix: check what the service really does with the capability. Prefer a "
    "narrower one, a device (`devices:`) or doing the privileged part on the host; keep "
    "`cap_drop: [ALL]` (HF605) so only what is listed remains.",
    references=References(cis=("5.3",)),
    kinds=("compose",),
)

DANGEROUS = {
    "ALL": "every capability",
    "SYS_ADMIN": "mounts, namespaces and the classic container escapes",
    "SYS_MODULE": "loading kernel modules",
    "SYS_RAWIO": "raw I/O on host devices and memory",
    "SYS_PTRACE": "tracing and reading other processes",
    "SYS_BOOT": "rebooting the host",
    "SYS_TIME": "setting the host clock",
    "DAC_READ_SEARCH": "reading any host file by handle (the 'shocker' escape)",
    "NET_ADMIN": "reconfiguring network interfaces, routes and firewall rules",
    "MAC_ADMIN": "changing the MAC (AppArmor/SELinux) policy",
    "MAC_OVERRIDE": "bypassing the MAC (AppArmor/SELinux) policy",
    "BPF": "loading eBPF programs into the kernel",
    "PERFMON": "kernel performance monitoring and eBPF tracing",
    "SYSLOG": "reading kernel logs and addresses",
    "LINUX_IMMUTABLE": "changing immutable file attributes",
}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def capability(name: str) -> str:
    """`cap_sys_admin` → `SYS_ADMIN`."""
    cap = name.strip().upper()
    return cap[4:] if cap.startswith("CAP_") else cap


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("cap_add")
        if entry is None or not is_seq(entry.value):
            continue
        for item in entry.value.value:
            cap = capability(text_of(item) or "")
            if cap not in DANGEROUS:
                continue
            start, end = node_span(cf, item)
            msg = f"service `{svc.name}` adds capability {cap} ({DANGEROUS[cap]})"
            yield Finding(start, end, msg, (svc.start, entry.start))
