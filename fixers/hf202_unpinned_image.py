"""HF202: a base image (FROM, COPY --from, RUN --mount from=) is not pinned by digest.

Also home of `image_uses()`, the walker over every image reference a Dockerfile pulls, which
HF201 shares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile.model import Dockerfile, Instruction, iter_words, substitute
from hardenify.dockerfile.stages import stage_env
from hardenify.imageref import ImageRef, try_parse_ref
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF202",
    name="unpinned-image",
    severity=Severity.WARNING,
    summary="An image is referenced by tag only, not pinned by digest (`@sha256:...`).",
    what="Reports every image the build pulls without a digest: `FROM`, `COPY --from=<image>` and "
    "`RUN --mount=...,from=<image>`. Stage names, stage indexes and `scratch` are not images. "
    "When the reference comes from an ARG (`FROM ${BASE}`), the finding is placed on the ARG's "
    "default, which is where the digest belongs; an ARG without a default is reported on the FROM "
    "as impossible to pin.",
    why="A tag is a movable pointer: the same Dockerfile builds on different bytes from one day to "
    "the next, a compromised or mistaken push to the tag flows straight into your image, and "
    "builds are not reproducible. A digest names exactly one image; an update bot (Renovate, "
    "Dependabot) then moves it deliberately, with a reviewable diff. OpenSSF Scorecard "
    "'Pinned-Dependencies' and SLSA build-reproducibility expect it.",
    example="FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv",
    fix="`hardenify pin` (or `hardenify fix --pin`) resolves each tag through the registry and "
    "writes `python:3.12-slim@sha256:<digest>`, keeping the tag for readability. "
    "`hardenify check` never contacts a registry, so the rule itself reports only.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Pinning is safe: the digest is the image the tag points to when it is resolved. "
    "From then on the image only changes when the digest is updated.",
    references=References(),
)


class ImageUse(NamedTuple):
    """One image reference the build pulls."""

    ins: Instruction
    kind: str  # "from" | "copy" | "mount"
    raw: str  # as written
    resolved: str  # ARG defaults substituted
    ref: ImageRef | None  # None when the reference cannot be resolved or parsed
    start: int  # file span of the reference (or of the ARG default it comes from)
    end: int
    arg: str | None = None  # the ARG whose default is the whole reference
    missing: str | None = None  # an ARG the reference uses that has no default


# BuildKit's automatic platform ARGs: always set, never defaulted in the file.
PLATFORM_ARGS = frozenset(
    f"{p}{s}" for p in ("TARGET", "BUILD") for s in ("PLATFORM", "OS", "ARCH", "VARIANT")
)
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _arg_default_span(df: Dockerfile, name: str) -> tuple[int, int] | None:
    """File span of the default of the last global `ARG name=...` (before the first FROM)."""
    found = None
    for ins in df.instructions:
        if ins.cmd == "FROM":
            break
        if ins.cmd != "ARG":
            continue
        for raw, s, e in iter_words(ins.args):
            key, sep, _ = raw.partition("=")
            if key == name and sep:
                vs = s + len(key) + 1
                found = (ins.arg_src(vs), ins.arg_src(e, end=True))
    return found


def image_uses(df: Dockerfile) -> Iterator[ImageUse]:
    """Every image pulled by FROM, COPY --from and RUN --mount from= (stages are skipped)."""
    gargs = df.global_args
    names: set[str] = set()
    for stage in df.stages:
        ins = stage.from_
        spans = iter_words(ins.args)
        if spans:
            raw, s, e = spans[0]
            yield _use(df, ins, "from", raw, gargs, names, ins.arg_src(s), ins.arg_src(e, end=True))
        for sub in stage.instructions:
            target = sub.sub if sub.cmd == "ONBUILD" and sub.sub is not None else sub
            env: dict[str, str | None] | None = None
            for flag in target.flags:
                value: str | None = None
                kind = ""
                if flag.name == "from" and target.cmd == "COPY":
                    value, kind = flag.value, "copy"
                elif flag.name == "mount" and target.cmd == "RUN":
                    value, kind = flag.options().get("from"), "mount"
                if not value:
                    continue
                if env is None:
                    env = stage_env(df, stage, sub)
                yield _use(
                    df,
                    sub,
                    kind,
                    value,
                    env,
                    names | {str(i) for i in range(stage.index)},
                    flag.start,
                    flag.end,
                )
        if stage.name:
            names.add(stage.name.lower())


def _use(
    df: Dockerfile,
    ins: Instruction,
    kind: str,
    raw: str,
    env: dict[str, str | None],
    stages: set[str],
    start: int,
    end: int,
) -> ImageUse:
    missing = None
    arg = None
    if "$" in raw:
        for name in _VAR.findall(raw):
            if name in PLATFORM_ARGS:
                return ImageUse(ins, kind, raw, raw, None, start, end)
            if env.get(name) is None and not re.search(r"\$\{" + name + r":?-", raw):
                missing = name
                break
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", raw)
        if m and missing is None and kind == "from":
            span = _arg_default_span(df, m.group(1))
            if span is not None:
                arg = m.group(1)
                start, end = span
        resolved = substitute(raw, env)
    else:
        resolved = raw
    low = resolved.strip().lower()
    ref = None
    if missing is None and low and low != "scratch" and low not in stages:
        ref = try_parse_ref(resolved.strip())
    return ImageUse(ins, kind, raw, resolved, ref, start, end, arg, missing)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    seen: set[int] = set()
    for use in image_uses(df):
        if use.start in seen:
            continue
        if use.missing is not None:
            if use.kind == "from":
                seen.add(use.start)
                whole = re.fullmatch(r"\$\{?" + use.missing + r"\}?", use.raw) is not None
                hint = f" (`ARG {use.missing}=image:tag@sha256:...`)" if whole else ""
                yield ctx.diagnostic(
                    RULE,
                    use.start,
                    use.end,
                    f"cannot pin `{use.raw}`: ARG {use.missing} has no default; give it one{hint}",
                )
            continue
        ref = use.ref
        if ref is None or ref.digest is not None:
            continue
        seen.add(use.start)
        shown = use.resolved.strip()
        where = f"`ARG {use.arg}` default `{shown}`" if use.arg else f"`{shown}`"
        yield ctx.diagnostic(
            RULE,
            use.start,
            use.end,
            f"{where} is not pinned by digest: run `hardenify pin` to add `@sha256:...`",
        )
