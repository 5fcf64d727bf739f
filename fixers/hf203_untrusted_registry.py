"""HF203: an image comes from a registry outside `trusted-registries` (when that list is set)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.imageref import DOCKER_HUB, ImageRef
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF203",
    name="untrusted-registry",
    severity=Severity.WARNING,
    summary="An image is pulled from a registry outside the `trusted-registries` option.",
    what="When `[tool.hardenify.options] trusted-registries` is set, reports every `FROM`, "
    "`COPY --from=<image>`, `RUN --mount=...,from=<image>` and compose `image:` whose registry is "
    "not in the list. An entry is a registry host (`registry.corp.example`, `docker.io`), a host "
    "and path prefix (`ghcr.io/my-org`: matches `ghcr.io/my-org/app`, not `ghcr.io/my-org-evil`) "
    "or a glob (`*.corp.example`). Docker Hub is `docker.io` whatever alias is written "
    "(`index.docker.io`, `registry-1.docker.io`, no registry at all). Stage names, `scratch`, "
    "references whose ARG has no default, and compose services that `build:` their image are "
    "not pulls and are skipped. Without the option the rule reports nothing.",
    why="A base image runs with the build's and the container's privileges: whoever controls "
    "the registry controls the image. Organisations mirror and scan approved images in their own "
    "registry; a pull from elsewhere bypasses that scanning, the licence review and the "
    "availability guarantees (CIS Docker Benchmark 4.2, 'use trusted base images').",
    example='# [tool.hardenify.options] trusted-registries = ["registry.corp.example"]\n'
    "FROM python:3.12-slim\n"
    "COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/uv",
    fix="No automatic fix: move the image to a trusted registry (mirror it, or use the "
    "organisation's copy), then pin it (`hardenify pin --mirror docker.io=registry.corp.example/hub`).",
    references=References(hadolint=("DL3026",)),
    kinds=("dockerfile", "compose"),
)

OPTION = "trusted-registries"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


def trusted_patterns(options: object) -> tuple[str, ...] | None:
    """The option's entries, normalised; None when it is not set (the rule is then off)."""
    value = options.get(OPTION) if isinstance(options, dict) else None
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value if isinstance(value, Iterable) else ():
        if isinstance(item, str) and item.strip():
            entry = item.strip().lower().rstrip("/")
            entry = entry.removeprefix("https://").removeprefix("http://")
            host, sep, rest = entry.partition("/")
            out.append((DOCKER_HUB if host in _HUB_ALIASES else host) + sep + rest)
    return tuple(out)


def is_trusted(ref: ImageRef, patterns: Sequence[str]) -> bool:
    """Does one entry admit the reference: host, host/path prefix at a `/`, or glob?"""
    registry = ref.registry.lower()
    full = f"{registry}/{ref.path.lower()}"
    for p in patterns:
        if p == registry or full.startswith(p + "/") or full == p:
            return True
        if any(c in p for c in "*?[") and (fnmatch.fnmatchcase(registry, p) or fnmatch.fnmatchcase(full, p)):
            return True
    return False


def _why(ref: ImageRef, shown: str) -> str:
    registry = "Docker Hub (docker.io)" if ref.registry == DOCKER_HUB else f"`{ref.registry}`"
    return f"`{shown}` comes from {registry}, which is not in `{OPTION}`"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    patterns = trusted_patterns(dict(ctx.options))
    if patterns is None:
        return
    if ctx.kind == "compose":
        yield from _compose(ctx, patterns)
        return
    from .hf202_unpinned_image import image_uses

    seen: set[int] = set()
    for use in image_uses(ctx.df):
        ref = use.ref
        if ref is None or use.start in seen or use.missing or ref.path == "library/scratch":
            continue
        seen.add(use.start)
        if not is_trusted(ref, patterns):
            yield ctx.diagnostic(RULE, use.start, use.end, _why(ref, use.resolved.strip()))


def _compose(ctx: CheckContext, patterns: Sequence[str]) -> Iterator[Diagnostic]:
    from hardenify.compose.findings import pulled_image_findings

    yield from pulled_image_findings(
        ctx, RULE, lambda ref, written: None if is_trusted(ref, patterns) else _why(ref, written)
    )
