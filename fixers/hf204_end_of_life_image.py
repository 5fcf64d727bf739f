"""HF204: an image is built on a runtime or distribution release that is past its end of life."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
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
    fix="The message names the nearest release of the same line that is still supported (for "
    "Node.js the next even, LTS major; for Ubuntu the next LTS). The unsafe fix writes it into the "
    "tag, keeping the variant: `python:3.8-slim` → `python:3.10-slim`, `debian:buster-slim` → "
    "`debian:bookworm-slim`, `node:16-alpine` → `node:20-alpine`.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: a new release of a runtime or distribution can change how the application "
    "builds and behaves, so a reviewer must build and test it (`hardenify fix --prove` does the "
    "building). The fix declines, saying why, when the reference is pinned by digest (swap and "
    "re-pin by hand), comes from an ARG or a variable, or names a second release in its tag "
    "(`python:3.8-slim-buster`, `golang:1.15-alpine3.12`: which combination exists is a guess), "
    "and in compose files. It does not ask a registry whether the new tag exists; `fix --pin` or "
    "`hardenify pin` reports a tag that does not.",
    references=References(cis=("4.3",)),
    kinds=("dockerfile", "compose"),
)


def _nearest(verdict: object, today: dt.date) -> object | None:
    """The nearest supported release of the verdict's line (a `Cycle`), or None."""
    from hardenify.knowledge.eol import Verdict, supported

    assert isinstance(verdict, Verdict)
    c = verdict.cycle
    newer = [s for s in supported(c.product, today) if _newer(s.cycle, c.cycle)]
    if c.product == "nodejs":  # even majors are the LTS line
        newer = [s for s in newer if s.cycle.isdigit() and int(s.cycle) % 2 == 0] or newer
    if c.product == "ubuntu":  # LTS: an even year's .04
        newer = [s for s in newer if s.cycle.endswith(".04") and int(s.cycle[:2]) % 2 == 0] or newer
    return min(newer, key=lambda s: _key(s.cycle)) if newer else None


def _message(shown: str, today: dt.date, verdict: object) -> str:
    from hardenify.knowledge.eol import Cycle, Verdict

    assert isinstance(verdict, Verdict)
    c = verdict.cycle
    nearest = _nearest(verdict, today)
    hint = ""
    if isinstance(nearest, Cycle):
        hint = f"; the nearest supported release is {nearest.cycle}" + (
            f" ({nearest.codename})" if nearest.codename else ""
        )
    return f"`{shown}` is built on {verdict.what}, end of life since {c.eol.isoformat()}{hint}"


_LEADING_VERSION = re.compile(r"^\d+(?:\.\d+)*")
_SECOND_RELEASE = re.compile(
    r"(?:^|-)(?:stretch|buster|bullseye|bookworm|trixie|jessie|wheezy|alpine\d|focal|jammy|noble|bionic)"
)


def _bumped_tag(tag: str, verdict: object, nearest: object) -> str:
    """The tag with the release swapped and the variant kept, or "" when that is not sound."""
    from hardenify.knowledge.eol import Cycle, Verdict

    assert isinstance(verdict, Verdict) and isinstance(nearest, Cycle)
    c = verdict.cycle
    low = tag.lower()
    if low.startswith(c.cycle.lower()) and (m := _LEADING_VERSION.match(tag)):
        head, rest = m.group(0), tag[m.end() :]
        if not (head == c.cycle or head.startswith(c.cycle + ".")):
            return ""
        new_head = nearest.cycle
    elif c.codename and low.startswith(c.codename.lower()):
        head, rest = tag[: len(c.codename)], tag[len(c.codename) :]
        if not nearest.codename:
            return ""
        new_head = nearest.codename
    else:
        return ""  # the release is not at the front of the tag: not a tag this fix can rewrite
    if rest and not rest.startswith(("-", "_")):
        return ""
    if _SECOND_RELEASE.search(rest.lower()):
        return ""
    return new_head + rest


def _fix_or_reason(text: str, use: object, verdict: object, today: dt.date) -> tuple[object | None, str]:
    """An unsafe fix moving the tag to the nearest supported release, or why there is none."""
    from hardenify.knowledge.eol import Cycle

    from .hf202_unpinned_image import ImageUse

    assert isinstance(use, ImageUse) and use.ref is not None
    nearest = _nearest(verdict, today)
    if not isinstance(nearest, Cycle):
        return None, "no newer supported release of this line is known"
    if use.arg is not None or "$" in use.raw:
        return None, "the reference comes from a build argument: change its value by hand"
    if use.ref.digest:
        return None, "pinned by digest: swap the tag by hand and re-pin with `hardenify pin`"
    tag = use.ref.tag or ""
    new_tag = _bumped_tag(tag, verdict, nearest)
    if not new_tag:
        return None, f"the tag `{tag}` names another release too, or a form this fix does not rewrite"
    raw = use.raw
    at = raw.rfind(":" + tag)
    if at < 0 or at + 1 + len(tag) != len(raw) or text[use.end - len(raw) : use.end] != raw:
        return None, "the reference is not written as `image:tag`"
    new_raw = raw[: at + 1] + new_tag
    edit = Edit(use.end - len(tag), use.end, new_tag)
    return unsafe_fix(f"Move to `{new_raw}`, the nearest supported release: build and test it", edit), ""


def _key(cycle: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cycle.split(".") if p.isdigit())


def _newer(a: str, b: str) -> bool:
    return _key(a) > _key(b)


def _today() -> dt.date:
    """The check's clock (tests set it)."""
    return dt.date.today()


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.knowledge.eol import end_of_life

    today = _today()
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
            fix, why = _fix_or_reason(ctx.text, use, verdict, today)
            if fix is None:
                yield ctx.diagnostic(RULE, use.start, use.end, msg, note=f"No automatic fix: {why}.")
            else:
                assert isinstance(fix, Fix)
                yield ctx.diagnostic(RULE, use.start, use.end, msg, fix=fix)


def _compose(ctx: CheckContext, today: dt.date) -> Iterator[Diagnostic]:
    from hardenify.compose.findings import pulled_image_findings
    from hardenify.knowledge.eol import end_of_life

    def judge(ref: ImageRef, written: str) -> str | None:
        verdict = end_of_life(ref, today)
        return None if verdict is None else _message(written, today, verdict)

    yield from pulled_image_findings(ctx, RULE, judge)
