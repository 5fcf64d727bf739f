"""HF605: a compose service keeps Docker's default capabilities (no `cap_drop: [ALL]`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.fixers.hf604_dangerous_capability import capability
from hardenify.rules import References, Rule

if TYPE_CHECKING:  # compose helpers are imported where used: Dockerfile runs never load them
    from hardenify.compose.model import ComposeFile, Service
    from hardenify.fixers._compose import Finding

RULE = Rule(
    code="HF605",
    name="missing-cap-drop",
    severity=Severity.WARNING,
    summary="A compose service does not drop Linux capabilities (`cap_drop: [ALL]`).",
    what="Reports services whose `cap_drop` (own, merged from an anchor, or from a same-file "
    "`extends`) does not contain ALL. Privileged services are left to HF601; services extending "
    "another file are skipped (rules read one file).",
    why="Docker gives every container 14 capabilities by default (CHOWN, DAC_OVERRIDE, FOWNER, "
    "SETUID, SETGID, NET_RAW, MKNOD, SYS_CHROOT...). Most services need none of them, and each one "
    "is something an attacker in the container can use: NET_RAW for ARP/DNS spoofing on the bridge, "
    "SETUID/SETGID and DAC_OVERRIDE to defeat file permissions. Dropping ALL and adding back only "
    "what is needed (`cap_add`) is least privilege. CIS Docker Benchmark 5.3.",
    example="services:\n  api:\n    image: example/api:3.1",
    fix="Adds `cap_drop: [ALL]` to the service (or `ALL` to its existing `cap_drop` list, in the "
    "list's own flow or block style, where the list is written).",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Safe for images known to run as a non-root user that needs no capability: "
    "nginxinc/nginx-unprivileged, distroless `:nonroot`, chiseled .NET, Chainguard static, Bitnami "
    "images, memcached, Prometheus/Alertmanager/node-exporter, Grafana/Loki/Tempo, Jaeger, the "
    "OpenTelemetry collector, Kibana, Keycloak, unless `user:` makes them root. Unsafe otherwise: "
    "images that start as root to chown a volume and drop privileges (postgres, mysql, redis, "
    "mongo...) need CHOWN, SETUID and SETGID back (`cap_add`), and built images are unknown. Also "
    "unsafe when the list lives in an anchor other services share.",
    references=References(cis=("5.3",)),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.fixers._compose import model, report
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def runs_as_root_explicitly(svc: Service) -> bool:
    from hardenify.compose.model import text_of
    entry, _ = svc.find("user")
    user = (text_of(entry.value) or "") if entry is not None else ""
    return user.strip().split(":")[0] in ("root", "0")


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    from hardenify.compose.images import capability_free
    from hardenify.compose.model import is_seq, is_true, text_of
    from hardenify.fixers._compose import (
        Finding,
        change,
        expect,
        image,
        others_note,
        place_items,
        service_span,
        upper_list,
    )
    for svc in cf.services:
        priv = svc.get("privileged")
        if priv is not None and is_true(priv.value):
            continue
        entry, unknown = svc.find("cap_drop")
        if unknown:
            continue
        if entry is not None:
            if not is_seq(entry.value):
                continue
            if "ALL" in [capability(text_of(i) or "") for i in entry.value.value]:
                continue
        img = image(svc)
        known = img.key is not None and not img.builds and capability_free(img.key, img.tag)
        safe = known and not runs_as_root_explicitly(svc)
        start, end = service_span(svc)
        msg = f"service `{svc.name}` keeps Docker's default capabilities: add `cap_drop: [ALL]`"
        note = None if safe else "check which capabilities the service needs and add them back with `cap_add`"
        finding = Finding(start, end, msg, (), note=note)
        placed = place_items(cf, svc, "cap_drop", ["ALL"])
        if placed is not None:
            finding.change = change([placed], expect((*svc.path, "cap_drop"), lambda v: "ALL" in upper_list(v)))
            finding.safe = safe and not placed.others
            finding.fix_message = "Add `cap_drop: [ALL]`" + others_note(placed.others)
        yield finding
