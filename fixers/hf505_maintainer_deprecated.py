"""HF505: the deprecated MAINTAINER instruction."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, Fix, FixAvailability, Severity
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.edits import keyword_like
from hardenify.dockerfile.model import Dockerfile, Instruction, env_pairs, unquote
from hardenify.dockerfile.runedits import inner_comment_lines
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF505",
    name="maintainer-deprecated",
    severity=Severity.STYLE,
    summary="MAINTAINER is deprecated: use `LABEL org.opencontainers.image.authors=…`.",
    what="Reports every MAINTAINER instruction.",
    why="MAINTAINER has been deprecated since Docker 1.13: it only fills the legacy `Author` "
    "field, which OCI tooling and registries do not show. The OCI annotation "
    "`org.opencontainers.image.authors` is the standard place for the contact, next to the "
    "other `org.opencontainers.image.*` labels.",
    example="FROM debian:bookworm-slim\nMAINTAINER Jane Doe <jane@example.com>",
    fix='Replace it with `LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"` '
    "(keyword case kept: `maintainer` → `label`; quotes, `$` and the escape character are "
    "escaped so the label holds exactly the MAINTAINER text, surrounding quotes removed). "
    "When the stage already has an `org.opencontainers.image.authors` label, MAINTAINER is "
    "just deleted.",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: the build does the same; the image gets the label instead of the "
    "deprecated `Author` field (`docker inspect -f '{{.Author}}'` becomes empty).",
    references=References(
        hadolint=("DL4000",),
        trivy=("DS022",),
        checkov=("CKV_DOCKER_6",),
        buildkit=("MaintainerDeprecated",),
    ),
)

LABEL_KEY = "org.opencontainers.image.authors"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in df.instructions:
        if ins.cmd != "MAINTAINER":
            continue
        value = ins.args.strip(" \t")
        if not value:
            continue  # HF001 reports the missing argument
        yield ctx.at(
            RULE,
            ins,
            f"MAINTAINER is deprecated: use `LABEL {LABEL_KEY}=…`",
            fix=_fix(df, ins, value),
        )


def _has_authors_label(df: Dockerfile, ins: Instruction) -> bool:
    stage = stages.stage_of(df, ins)
    if stage is None:
        return False
    for x in stage.instructions:
        if x.cmd == "LABEL":
            for key, _, _, _ in env_pairs(x):
                if unquote(key) == LABEL_KEY:
                    return True
    return False


def quote_label(value: str, escape: str) -> str:
    """A double-quoted LABEL value that BuildKit reads back as exactly `value`."""
    out = []
    for ch in value:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


def _fix(df: Dockerfile, ins: Instruction, value: str) -> Fix | None:
    if ins.multiline and inner_comment_lines(df, ins):
        return None
    if _has_authors_label(df, ins):
        return safe_fix(f"delete MAINTAINER (the stage already has `{LABEL_KEY}`)", edits.delete(df, ins))
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" and value[0] not in value[1:-1]:
        value = value[1:-1]
    if "\n" in value or "\r" in value:
        return None
    kw = keyword_like(ins.keyword, "LABEL")
    new = f"{kw} {LABEL_KEY}={quote_label(value, df.escape)}"
    return safe_fix(f"replace MAINTAINER with `LABEL {LABEL_KEY}`", edits.replace_instruction(df, ins, new))
