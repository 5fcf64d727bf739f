"""HF201: an image without a tag, or with `:latest`."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.imageref import ImageRef
from hardenify.knowledge.images import official_name
from hardenify.rules import References, Rule

from .hf202_unpinned_image import image_uses

RULE = Rule(
    code="HF201",
    name="latest-tag",
    severity=Severity.WARNING,
    summary="An image is used without a tag or with `:latest` (and without a digest).",
    what="Reports `FROM`, `COPY --from=<image>` and `RUN --mount=...,from=<image>` references that "
    "have no tag (which means `:latest`) or the `latest` tag, unless a digest pins them. Stage "
    "names, stage indexes and `scratch` are not images. References built from ARGs are checked "
    "with the ARG defaults substituted (and reported on the ARG default when it is the whole "
    "reference); an ARG without a default is left to HF202.",
    why="`latest` is whatever was pushed last: a rebuild can silently jump a major version of the "
    "OS or runtime, break the build or the application, and nobody can tell which version an "
    "image was built from. It also defeats vulnerability tracking and rollbacks.",
    example="FROM python\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /etc/nginx/",
    fix="Pin a specific version tag (`python:3.12-slim`, `ubuntu:24.04`) and, ideally, its digest "
    "(`hardenify pin`, see HF202).\n\nThere is no automatic fix: choosing the version is a human "
    "decision (the newest one may not be compatible with the application).",
    references=References(hadolint=("DL3006", "DL3007"), trivy=("DS001",), checkov=("CKV_DOCKER_7",)),
)

# Example pins shown in messages for well-known official images.
EXAMPLES = {
    "python": "python:3.12-slim",
    "node": "node:22-slim",
    "ubuntu": "ubuntu:24.04",
    "debian": "debian:bookworm-slim",
    "alpine": "alpine:3.20",
    "golang": "golang:1.23",
    "nginx": "nginx:1.27",
    "ruby": "ruby:3.3-slim",
    "php": "php:8.3-fpm",
    "rust": "rust:1.82-slim",
    "openjdk": "eclipse-temurin:21-jre",
    "eclipse-temurin": "eclipse-temurin:21-jre",
    "busybox": "busybox:1.36",
    "centos": "quay.io/centos/centos:stream9",
    "fedora": "fedora:41",
    "redis": "redis:7.4",
    "postgres": "postgres:17",
    "mysql": "mysql:8.4",
    "httpd": "httpd:2.4",
    "maven": "maven:3.9-eclipse-temurin-21",
}


def _suggest(ref: ImageRef) -> str:
    name = official_name(ref)
    if name is not None and name in EXAMPLES:
        return EXAMPLES[name]
    return f"{ref.familiar}:<version>"


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    seen: set[int] = set()
    for use in image_uses(df):
        ref = use.ref
        if ref is None or ref.digest is not None or use.start in seen:
            continue
        if ref.tag is not None and ref.tag != "latest":
            continue
        seen.add(use.start)
        shown = use.resolved.strip()
        if ref.tag is None:
            what = f"`{shown}` has no tag (it means `:latest`)"
        else:
            what = f"`{shown}` uses `:latest`"
        if use.arg:
            what = f"`ARG {use.arg}` default {what}"
        yield ctx.diagnostic(
            RULE,
            use.start,
            use.end,
            f"{what}, which moves between builds; pin a version such as `{_suggest(ref)}`",
        )
