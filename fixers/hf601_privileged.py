"""HF601: a compose service runs privileged."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.edits import remove_pair, replace_scalar
from hardenify.compose.findings import Finding, entry_span, model, pragmas, report, via
from hardenify.compose.model import ComposeFile, is_true
from hardenify.compose.placement import Placed, change, expect, others_note, reach
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF601",
    name="privileged",
    severity=Severity.ERROR,
    summary="A compose service sets `privileged: true`.",
    what="Reports services whose effective `privileged` is true, whether written in the service or "
    "merged in from an anchor (`<<: *defaults`).",
    why="A privileged container gets every capability, all host devices and no seccomp/AppArmor "
    "confinement: root in it is root on the host, and escaping takes one mount command. Almost "
    "nothing needs it: grant the one capability (`cap_add`) or device (`devices`) the service uses. "
    "CIS Docker Benchmark 5.4.",
    example="services:\n  app:\n    image: example/app:1.2\n    privileged: true",
    fix="Removes the `privileged: true` line (where it is written: the service or the anchor it "
    "merges). When it is a mapping's only key, or shares its line with other keys, it is set to "
    "`false` instead.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: a service that really uses a device or a capability stops working until it is "
    "granted explicitly (`devices:`, `cap_add:`). When the setting lives in an anchor that other "
    "services merge, they lose it too (the message names them).",
    references=References(cis=("5.4",)),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("privileged")
        if entry is None or not is_true(entry.value):
            continue
        start, end = entry_span(cf, svc, entry)
        others, outside = reach(cf, svc, entry.owner, "privileged")
        msg = f"service `{svc.name}` runs privileged{via(cf, svc, entry)}"
        finding = Finding(start, end, msg, pragmas(svc, entry))
        if not outside:
            edit = remove_pair(cf, entry.owner, entry.index) or replace_scalar(
                cf, entry.value, "false", literal=True
            )
            if edit is not None:
                placed = Placed(edit, cf.entry_paths(entry.owner, "privileged"), others)
                finding.change = change([placed], expect((*svc.path, "privileged"), lambda v: v is not True))
                finding.fix_message = "Remove `privileged: true`" + others_note(others)
        yield finding
