"""HF618: a compose service gets a host device that breaks isolation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_map, is_scalar, is_seq, text_of
from hardenify.compose.service import interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF618",
    name="dangerous-device",
    severity=Severity.ERROR,
    summary="A compose service is given a host device that exposes memory, disks or the kernel.",
    what="Reports `devices:` entries (short `host[:container[:perms]]` and long `source:` syntax) "
    "whose host path is physical or kernel memory (`/dev/mem`, `/dev/kmem`, `/dev/port`), a disk or "
    "partition (`/dev/sd*`, `/dev/nvme*`, `/dev/vd*`, `/dev/xvd*`, `/dev/hd*`, `/dev/mmcblk*`, "
    "`/dev/dm-*`, `/dev/mapper/*`, `/dev/loop*`), `/dev/fuse`, `/dev/kvm`, or a device-mapper or "
    "loop control node. GPUs, serial ports, sound and video devices are not reported.",
    why="A container that can read `/dev/mem` or a raw disk reads the host's memory and every file "
    "on that disk, whatever the mount namespaces say; writing to them is host root. `/dev/fuse` "
    "and the loop/device-mapper controls let the container mount file systems, a common step of "
    "container escapes. CIS Docker Benchmark 5.17.",
    example="services:\n  agent:\n    image: example/agent:1\n    devices:\n      - /dev/sda:/dev/sda",
    fix="No automatic fix: give the service the one file or volume it needs instead of the device, "
    "or run the workload in a VM.",
    references=References(cis=("5.17",)),
    kinds=("compose",),
)

_DANGEROUS = re.compile(
    r"^/dev/(?:mem|kmem|port|fuse|kvm|loop-control|loop\d+|mapper/.+|dm-\d+|"
    r"sd[a-z]+\d*|hd[a-z]+\d*|vd[a-z]+\d*|xvd[a-z]+\d*|nvme\d+(?:n\d+)?(?:p\d+)?|mmcblk\d+(?:p\d+)?|"
    r"disk/.+)$"
)


def dangerous(path: str) -> bool:
    return _DANGEROUS.match(path.strip()) is not None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("devices")
        if entry is None or not is_seq(entry.value):
            continue
        for item in entry.value.value:
            source = None
            if is_scalar(item):
                source = (text_of(item) or "").split(":", 1)[0]
            elif is_map(item):
                src = cf.lookup(item, "source")
                source = text_of(src.value) if src is not None else None
            host = interpolate(source) if source else None
            if host and dangerous(host):
                start, end = node_span(cf, item)
                yield Finding(
                    start,
                    end,
                    f"service `{svc.name}` is given the host device `{host}`",
                    (svc.start, entry.start),
                )
