"""HF621: a compose file breaks the Compose Specification, so `docker compose` refuses it."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, report
from hardenify.compose.model import ComposeFile
from hardenify.compose.schema import problems
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF621",
    name="compose-schema-invalid",
    severity=Severity.ERROR,
    summary="A compose file breaks the Compose Specification (unknown key, wrong type, duplicate entry).",
    what="Validates each document against the Compose Specification's JSON schema (shipped with "
    "hardenify, the one `docker compose` uses): unknown top-level or service keys, values of the "
    "wrong type, values outside an allowed set. Also reports what the schema cannot express: an "
    "`environment:` or `labels:` list that sets one name twice, and a service that mounts one "
    "secret or config at the same target twice. Keys repeated within one mapping are HF600's. "
    "Messages name keys and paths, never values.",
    why="`docker compose` validates the file before doing anything and refuses it with a schema "
    "error, so nothing in it is deployed; where it does not refuse (a name set twice with two "
    "values), one value silently wins and the file no longer says what runs.",
    example="services:\n  web:\n    image: nginx:1.27\n    environment:\n      - MODE=a\n      - MODE=b\n"
    "    restart_policy: always",
    fix="Remove the repeated entry, correct the key's spelling (`restart:`, not `restart_policy:`) "
    "or its type as the message says.",
    references=References(),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for p in problems(cf):
        yield Finding(p.start, p.end, p.message)
