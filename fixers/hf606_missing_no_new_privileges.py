"""HF606: a compose service lets its processes gain privileges (no `no-new-privileges:true`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report, service_span
from hardenify.compose.model import ComposeFile, is_seq, is_true, text_of
from hardenify.compose.placement import change, expect, others_note, place_items
from hardenify.compose.service import image
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.images import nnp_safe
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF606",
    name="missing-no-new-privileges",
    severity=Severity.WARNING,
    summary="A compose service does not set `security_opt: [no-new-privileges:true]`.",
    what="Reports services whose `security_opt` (own, merged, or from a same-file `extends`) does "
    "not contain `no-new-privileges` (`:true`, `=true` or bare), and services that set it to "
    "false. Privileged services are left to HF601.",
    why="Without it, a process in the container can gain privileges by executing a setuid or "
    "file-capability binary (su, sudo, a planted setuid shell): the step from a compromised "
    "non-root process to root inside the container, and from there to the host's kernel attack "
    "surface. The flag sets the kernel's `no_new_privs` bit, which is inherited and cannot be "
    "undone. CIS Docker Benchmark 5.25 (5.26 in v1.7+).",
    example="services:\n  web:\n    image: nginx:1.27",
    fix="Adds `security_opt: [no-new-privileges:true]` to the service, or appends "
    "`no-new-privileges:true` to its existing `security_opt` list in the list's own style, where "
    "the list is written. An explicit `no-new-privileges:false` is reported without a fix.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Safe for images known not to exec setuid/setcap binaries: everything HF605 lists, "
    "plus servers that switch users with setuid() themselves (gosu/su-exec entrypoints of postgres, "
    "mysql, mariadb, mongo, redis, rabbitmq...; nginx and httpd workers; traefik, caddy, haproxy, "
    "registry), which `no_new_privs` does not affect. Unsafe otherwise (sudo or su inside the "
    "service stops working; built images are unknown), and when the list lives in an anchor other "
    "services share.",
    references=References(cis=("5.25",)),
    kinds=("compose",),
)

_NNP = re.compile(r"\s*no-new-privileges\s*(?:[:=]\s*(?P<value>\w+))?\s*", re.IGNORECASE)
OPTION = "no-new-privileges:true"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _has_nnp(value: object) -> bool:
    if not isinstance(value, list):
        return False
    for item in value:
        m = _NNP.fullmatch(str(item))
        if m and (m.group("value") or "true").lower() == "true":
            return True
    return False


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        priv = svc.get("privileged")
        if priv is not None and is_true(priv.value):
            continue
        entry, unknown = svc.find("security_opt")
        if unknown:
            continue
        if entry is not None:
            if not is_seq(entry.value):
                continue
            disabled = None
            enabled = False
            for item in entry.value.value:
                m = _NNP.fullmatch(text_of(item) or "")
                if m and (m.group("value") or "true").lower() == "true":
                    enabled = True
                elif m:
                    disabled = item
            if enabled:
                continue
            if disabled is not None:
                start, end = node_span(cf, disabled)
                yield Finding(
                    start,
                    end,
                    f"service `{svc.name}` explicitly allows gaining privileges "
                    f"(`{(text_of(disabled) or '').strip()}`)",
                    (svc.start, entry.start),
                )
                continue
        img = image(svc)
        safe = img.key is not None and not img.builds and nnp_safe(img.key, img.tag)
        start, end = service_span(svc)
        msg = f"service `{svc.name}` does not set `no-new-privileges:true` in `security_opt`"
        note = (
            None
            if safe
            else "setuid binaries (sudo, su) stop granting privileges; check the service does not rely on them"
        )
        finding = Finding(start, end, msg, (), note=note)
        placed = place_items(cf, svc, "security_opt", [OPTION])
        if placed is not None:
            finding.change = change([placed], expect((*svc.path, "security_opt"), _has_nnp))
            finding.safe = safe and not placed.others
            finding.fix_message = f"Add `{OPTION}` to `security_opt`" + others_note(placed.others)
        yield finding
