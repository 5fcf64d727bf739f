"""HF204: an image is built on a runtime or distribution release that is past its end of life."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.imageref import ImageRef
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF204",
    name="end-of-life-image",
    severity=Severity.WARNING,
    summary="An image is built on a runtime or distribution release past its end of life.",
    what="Reads the release from the tag of `FROM`, `COPY --from` and `RUN --mount=from=` images "
    "(ARG defaults substituted) and of compose `image:` values: Python, Node.js, Go, Ruby, PHP and "
    ".NET from their official images' tags (`python:3.8-slim`, `node:16-alpine`, "
    "`mcr.microsoft.com/dotnet/aspnet:6.0`), Debian, Ubuntu and Alpine from their own images "
    "(`debian:buster-slim`, `ubuntu:18.04`, `alpine:3.14`) and from the distribution named in "
    "another image's tag (`python:3.12-slim-buster`, `golang:1.22-alpine3.16`). It reports a "
    "release whose end-of-life date, from the table in `hardenify/knowledge/eol.json` (with its "
    "source per product), is today or earlier. Tags without a version (`latest`, `lts`, `slim`) "
    "and releases the table does not know are not reported. No network access: the table is "
    "refreshed by `scripts/refresh_eol.py` and committed.",
    why="An end-of-life release gets no security fixes: every vulnerability found after that "
    "date stays in the image for good, and its official image is no longer rebuilt, so even the "
    "OS packages under it stop being patched. Scanners then report findings nobody can fix "
    "without moving to a supported release.",
    example="FROM python:3.8-slim\nFROM node:16-alpine AS web",
    fix="No automatic fix: moving to a new release of a runtime can change the application's "
    "behaviour, so the choice and the testing are a human's. The message names the nearest "
    "release of the same line that is still supported.",
    references=References(cis=("4.3",)),
    kinds=("dockerfile", "compose"),
)


def _message(shown: str, today: dt.date, verdict: object) -> str:
    from hardenify.knowledge.eol import Verdict, supported

    assert isinstance(verdict, Verdict)
    c = verdict.cycle
    newer = [s for s in supported(c.product, today) if _newer(s.cycle, c.cycle)]
    if c.product == "nodejs":  # even majors are the LTS line
        newer = [s for s in newer if s.cycle.isdigit() and int(s.cycle) % 2 == 0] or newer
    hint = ""
    if newer:
        nearest = min(newer, key=lambda s: _key(s.cycle))
        hint = f"; the nearest supported release is {nearest.cycle}" + (
            f" ({nearest.codename})" if nearest.codename else ""
        )
    return f"`{shown}` is built on {verdict.what}, end of life since {c.eol.isoformat()}{hint}"


def _key(cycle: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cycle.split(".") if p.isdigit())


def _newer(a: str, b: str) -> bool:
    return _key(a) > _key(b)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.knowledge.eol import end_of_life

    today = dt.date.today()
    if ctx.kind == "compose":
        yield from _compose(ctx, today)
        return
    from .hf202_unpinned_image import image_uses

    seen: set[int] = set()
    for use in image_uses(ctx.df):
        if use.ref is None or use.start in seen or use.missing:
            continue
        seen.add(use.start)
        verdict = end_of_life(use.ref, today)
        if verdict is not None:
            msg = _message(use.resolved.strip(), today, verdict)
            yield ctx.diagnostic(RULE, use.start, use.end, msg)


def _compose(ctx: CheckContext, today: dt.date) -> Iterator[Diagnostic]:
    from hardenify.fixers._compose import pulled_image_findings
    from hardenify.knowledge.eol import end_of_life

    def judge(ref: ImageRef, written: str) -> str | None:
        verdict = end_of_life(ref, today)
        return None if verdict is None else _message(written, today, verdict)

    yield from pulled_image_findings(ctx, RULE, judge)
