"""HF614: a compose service pulls an image without a tag or with `:latest`."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, text_of
from hardenify.compose.service import interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.imageref import try_parse_ref
from hardenify.knowledge.images import official_name
from hardenify.rules import References, Rule

from .hf201_latest_tag import EXAMPLES

RULE = Rule(
    code="HF614",
    name="latest-or-untagged-image",
    severity=Severity.WARNING,
    summary="A compose service pulls an image without a tag or with `:latest` (and without a digest).",
    what="Reports `image:` values of services (and of `x-` blocks they merge) with no tag or the "
    "`latest` tag and no digest; `${VAR:-default}` is checked with its default, and references "
    "that depend on a variable without default are skipped. Services with `build:` are skipped: "
    "their `image:` names what the build produces.",
    why="`latest` is whatever was pushed last: `docker compose pull` can silently jump a major "
    "version of a database or a web server, the running version cannot be told from the file, and "
    "a rollback has nothing to go back to.",
    example="services:\n  cache:\n    image: redis\n  web:\n    image: nginx:latest",
    fix="No automatic fix (choosing the version is a human decision): write a version tag "
    "(`redis:7.4`), then pin its digest with `hardenify pin` (HF615).",
    references=References(hadolint=("DL3007",), checkov=("CKV_DOCKER_7",)),
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
        if entry is None or svc.get("build") is not None or id(entry.value) in seen:
            continue
        written = text_of(entry.value)
        resolved = interpolate(written) if written else None
        ref = try_parse_ref(resolved.strip().lower()) if resolved else None
        if ref is None or ref.digest is not None or (ref.tag is not None and ref.tag != "latest"):
            continue
        seen.add(id(entry.value))
        name = official_name(ref)
        suggest = EXAMPLES.get(name or "", f"{ref.familiar}:<version>")
        what = "has no tag (it means `:latest`)" if ref.tag is None else "uses `:latest`"
        start, end = node_span(cf, entry.value)
        msg = f"service `{svc.name}` image `{written}` {what}; pin a version such as `{suggest}`"
        yield Finding(start, end, msg, (svc.start, entry.start))
