"""Compose findings: what HF6xx rules report, where, and how a fix becomes a Diagnostic.

- `Finding`: one problem with its span, the lines whose pragmas may silence it, and an optional
  `Change` (see `hardenify.compose.placement`).
- `report`: findings → diagnostics, honouring `# hardenify: ignore[HF6xx]` pragmas (an own-line
  comment directly above the service key or the offending key, or a trailing comment on that
  line) and offering a fix only when re-loading the result proved it (`hardenify.compose.verify`).
- spans (`key_span`, `node_span`, `service_span`, `entry_span`), `via` and `pragmas`: where a
  finding points, in the service's own text or the anchor it merges.
- `pulled_image_findings`: the per-image check that HF203 and HF204 share with compose files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from hardenify.compose.model import ComposeFile, Entry, Node, Service, is_scalar
from hardenify.compose.service import image
from hardenify.compose.verify import Change, verify
from hardenify.context import CheckContext
from hardenify.diagnostics import Applicability, Diagnostic, Fix
from hardenify.imageref import ImageRef
from hardenify.rules import Rule

NOT_VERIFIED = "no automatic fix: the edited file did not re-load to the expected result"


@dataclass
class Finding:
    """One problem, before pragmas and verification turn it into a Diagnostic."""

    start: int
    end: int
    message: str
    pragma_at: tuple[int, ...] = ()  # lines whose pragmas may silence it (besides `start`)
    change: Change | None = None
    safe: bool = False
    fix_message: str = ""
    note: str | None = None


def model(ctx: CheckContext) -> ComposeFile | None:
    """The parsed compose file, or None (another kind, or YAML the loader rejects)."""
    cf = ctx.compose
    if ctx.kind != "compose" or not isinstance(cf, ComposeFile) or cf.error is not None:
        return None
    return cf


def report(ctx: CheckContext, rule: Rule, findings: Iterable[Finding]) -> Iterator[Diagnostic]:
    """Diagnostics for the findings no pragma silences, each fix verified by re-loading."""
    cf = model(ctx)
    if cf is None:
        return
    kept = [f for f in findings if not cf.ignored(rule.code, f.start, *f.pragma_at)]
    changes: list[Change] = []
    seen: set[int] = set()  # by identity; a list scan here was quadratic in the services
    for f in kept:
        if f.change is not None and id(f.change) not in seen:
            seen.add(id(f.change))
            changes.append(f.change)
    verdicts = verify(cf, changes)
    ok = {id(c) for c, v in zip(changes, verdicts, strict=True) if v}
    for f in kept:
        fix = None
        note = f.note
        if f.change is not None:
            if id(f.change) in ok:
                applicability = Applicability.SAFE if f.safe else Applicability.UNSAFE
                fix = Fix(f.change.edits, applicability, f.fix_message)
            else:
                note = f"{note}; {NOT_VERIFIED}" if note else NOT_VERIFIED
        yield ctx.diagnostic(rule, f.start, f.end, f.message, fix=fix, note=note)


# ------------------------------------------------------------------------------ locations


def key_span(cf: ComposeFile, entry: Entry) -> tuple[int, int]:
    """From an entry's key to the end of that line (without its comment)."""
    return entry.start, max(_line_content_end(cf, entry.start), entry.start + 1)


def node_span(cf: ComposeFile, node: Node) -> tuple[int, int]:
    """A scalar's own characters, or the first line of a collection."""
    start = int(node.start_mark.index)
    if is_scalar(node) and not cf.text.count("\n", start, int(node.end_mark.index)):
        return start, max(int(node.end_mark.index), start + 1)
    return start, max(_line_content_end(cf, start), start + 1)


def service_span(svc: Service) -> tuple[int, int]:
    return svc.start, svc.key_end


def entry_span(cf: ComposeFile, svc: Service, entry: Entry) -> tuple[int, int]:
    """The offending key's line when the service owns it, else the service key (a merged
    entry's line is shared by every service that merges it)."""
    if entry.merged or entry.owner is not svc.node:
        return service_span(svc)
    return key_span(cf, entry)


def _line_content_end(cf: ComposeFile, offset: int) -> int:
    line = cf.text[offset : cf.line_end(offset)]
    m = re.search(r"\s+#", line)
    if m:
        line = line[: m.start()]
    return offset + len(line.rstrip())


def via(cf: ComposeFile, svc: Service, entry: Entry) -> str:
    """` (from <anchor> at line N)` when an entry is merged in rather than the service's own."""
    if not entry.merged and entry.owner is svc.node:
        return ""
    anchor = getattr(entry.owner, "anchor", None)
    where = f"&{anchor}" if anchor else "a merged mapping"
    return f" (set in {where} at line {cf.row(entry.start)})"


def pragmas(svc: Service, entry: Entry | None = None) -> tuple[int, ...]:
    return (svc.start,) if entry is None else (svc.start, entry.start)


# -------------------------------------------------------------------------------- images


def pulled_image_findings(
    ctx: CheckContext, rule: Rule, judge: Callable[[ImageRef, str], str | None]
) -> Iterator[Diagnostic]:
    """Report each pulled `image:` (services that `build:` are skipped) that `judge(ref,
    written)` has something to say about; its answer is the message after the service name."""
    cf = model(ctx)
    if cf is None:
        return
    found: list[Finding] = []
    for svc in cf.services:
        img = image(svc)
        if img.builds or img.ref is None or img.entry is None or img.written is None:
            continue
        what = judge(img.ref, img.written)
        if what is not None:
            start, end = node_span(cf, img.entry.value)
            found.append(Finding(start, end, f"service `{svc.name}`: {what}", (svc.start, img.entry.start)))
    yield from report(ctx, rule, found)
