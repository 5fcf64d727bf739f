"""HF615: a compose service's image is not pinned by digest."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.edits import scalar_span
from hardenify.compose.findings import Finding, model, report
from hardenify.compose.model import ComposeFile, text_of
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.imageref import try_parse_ref
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF615",
    name="unpinned-service-image",
    severity=Severity.WARNING,
    summary="A compose `image:` is not pinned to a digest (`@sha256:…`).",
    what="Reports the `image:` of services without `build:` (written in the service or in the "
    "anchor it merges) that is written literally and has no digest: the references `hardenify pin` "
    "rewrites. References built from variables are skipped, as `pin` skips them (pin the value "
    "where the variable is set).",
    why="A tag is a moving pointer: the same `postgres:17` can be a different image tomorrow (a "
    "rebuild, a compromised publisher account, a registry mirror serving something else), so the "
    "deployment is neither reproducible nor verifiable. A digest names the exact bytes.",
    example="services:\n  db:\n    image: postgres:17",
    fix="Run `hardenify pin` (it resolves each tag against its registry and writes "
    "`postgres:17@sha256:…`, keeping the tag for readability and for `hardenify pin --update`). "
    "`hardenify fix` does not pin: it works offline.",
    references=References(),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    seen: set[int] = set()
    for svc in cf.services:
        entry = svc.get("image")
        if entry is None or svc.get("build") is not None:
            continue
        written = (text_of(entry.value) or "").strip()
        if not written or "$" in written or id(entry.value) in seen:
            continue
        ref = try_parse_ref(written.lower())
        if ref is None or ref.digest is not None:
            continue
        seen.add(id(entry.value))
        span = scalar_span(cf, entry.value)
        if span is None:
            continue
        start, end = span
        if entry.value.style in ("'", '"'):
            start, end = start + 1, end - 1  # the reference itself, as `hardenify pin` rewrites it
        msg = f"service `{svc.name}` image `{written}` is not pinned by digest: run `hardenify pin`"
        yield Finding(start, end, msg, (svc.start, entry.start))
