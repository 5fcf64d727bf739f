"""HF607: a compose service turns off seccomp, AppArmor, SELinux or masked paths."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_seq, text_of
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF607",
    name="unconfined-profile",
    severity=Severity.ERROR,
    summary="A compose service disables a kernel confinement layer (`seccomp:unconfined`, "
    "`apparmor:unconfined`, `label:disable`, `systempaths=unconfined`).",
    what="Reports `security_opt` entries that switch off the default seccomp filter, the AppArmor "
    "profile, SELinux labelling, or the masking of `/proc` and `/sys` paths (`:` or `=` as "
    "separator, any case).",
    why="Docker's default seccomp profile blocks about 50 dangerous system calls (keyctl, bpf, "
    "mount, unshare...) and its AppArmor/SELinux profiles stop writes to `/proc` and `/sys` and "
    "mounts: these layers are what keeps many kernel bugs from becoming container escapes. "
    "`systempaths=unconfined` unmasks `/proc/kcore`, `/proc/sysrq-trigger` and similar. CIS Docker "
    "Benchmark 5.21 (seccomp), 5.1 (AppArmor) and 5.2 (SELinux).",
    example="services:\n  app:\n    image: example/app:1\n    security_opt:\n      - seccomp:unconfined",
    fix="No automatic fix: find the system call or path the service needs and allow only that, with "
    "a custom seccomp profile (`seccomp:./profile.json`) or AppArmor profile.",
    references=References(cis=("5.21", "5.1", "5.2")),
    kinds=("compose",),
)

_UNCONFINED = re.compile(
    r"\s*(?:(?P<what>seccomp|apparmor)\s*[:=]\s*unconfined|label\s*[:=]\s*disable|systempaths\s*=\s*unconfined)\s*",
    re.IGNORECASE,
)
WHAT = {
    "seccomp": "the seccomp filter (CIS 5.21)",
    "apparmor": "the AppArmor profile (CIS 5.1)",
    "label": "SELinux labelling (CIS 5.2)",
    "systempaths": "the masking of /proc and /sys paths",
}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("security_opt")
        if entry is None or not is_seq(entry.value):
            continue
        for item in entry.value.value:
            value = text_of(item) or ""
            m = _UNCONFINED.fullmatch(value)
            if not m:
                continue
            kind = (m.group("what") or value.strip().split(":")[0].split("=")[0]).lower()
            start, end = node_span(cf, item)
            msg = f"service `{svc.name}` turns off {WHAT.get(kind, kind)} with `{value.strip()}`"
            yield Finding(start, end, msg, (svc.start, entry.start))
