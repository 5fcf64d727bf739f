"""HF619: compose points a host name or DNS at the cloud metadata endpoint."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_map, is_scalar, is_seq, text_of
from hardenify.compose.service import interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF619",
    name="metadata-endpoint",
    severity=Severity.WARNING,
    summary="`extra_hosts` or `dns` points at the cloud instance-metadata endpoint.",
    what="Reports `extra_hosts:` entries (list `host:ip` / `host=ip` and mapping syntax) and "
    "`dns:` servers that are the instance-metadata addresses of the clouds: `169.254.169.254` "
    "(AWS, GCP, Azure, OpenStack...), `169.254.170.2` (ECS task metadata), `fd00:ec2::254` "
    "(AWS IPv6) and `100.100.100.200` (Alibaba Cloud).",
    why="The metadata service hands out the host's cloud credentials (IAM role keys, service "
    "account tokens) to whoever asks. Giving it a friendly name inside a container, or using it "
    "as the resolver, makes it the path of least resistance for any SSRF in the application, "
    "which then leaks credentials of the whole instance.",
    example="services:\n  app:\n    image: example/app:1\n    extra_hosts:\n"
    '      - "metadata:169.254.169.254"',
    fix="No automatic fix: remove the entry. A service that needs its cloud identity should get "
    "scoped credentials (IRSA, workload identity, ECS task roles) instead of the instance's.",
    references=References(),
    kinds=("compose",),
)

METADATA = frozenset(
    {"169.254.169.254", "169.254.170.2", "fd00:ec2::254", "[fd00:ec2::254]", "100.100.100.200"}
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _address(written: str) -> str:
    """The IP of an `extra_hosts` list item: `host:ip`, `host=ip` (IPv6 keeps its colons)."""
    if "=" in written:
        return written.split("=", 1)[1].strip()
    return written.split(":", 1)[1].strip() if ":" in written else ""


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        hosts = svc.get("extra_hosts")
        if hosts is not None:
            items = []
            if is_seq(hosts.value):
                items = [
                    (n, _address(interpolate(text_of(n) or "") or ""))
                    for n in hosts.value.value
                    if is_scalar(n)
                ]
            elif is_map(hosts.value):
                for key in cf.keys(hosts.value):
                    e = cf.lookup(hosts.value, key)
                    if e is not None and is_scalar(e.value):
                        items.append((e.value, (interpolate(text_of(e.value) or "") or "").strip()))
            for node, ip in items:
                if ip.strip("'\"") in METADATA:
                    start, end = node_span(cf, node)
                    msg = f"service `{svc.name}` maps a host name to the metadata endpoint `{ip}`"
                    yield Finding(start, end, msg, (svc.start, hosts.start))
        dns = svc.get("dns")
        if dns is not None:
            nodes = dns.value.value if is_seq(dns.value) else [dns.value]
            for node in nodes:
                ip = (interpolate(text_of(node) or "") or "").strip() if is_scalar(node) else ""
                if ip in METADATA:
                    start, end = node_span(cf, node)
                    msg = f"service `{svc.name}` uses the metadata endpoint `{ip}` as its DNS server"
                    yield Finding(start, end, msg, (svc.start, dns.start))
