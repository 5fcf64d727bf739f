"""HF502: ADD downloads a remote file without an integrity check."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import Instruction
from hardenify.rules import References, Rule

from .hf501_add_instead_of_copy import add_sources

RULE = Rule(
    code="HF502",
    name="add-remote-url",
    severity=Severity.WARNING,
    summary="ADD fetches a URL without `--checksum`: the download is not verified.",
    what="Reports ADD (also `ONBUILD ADD`) with an `http://` or `https://` source (after "
    "ARG/ENV defaults are substituted) and no `--checksum=sha256:…` flag. Git sources are not "
    "reported here.",
    why="The file is whatever the server returns at build time. A moved release, a compromised "
    "download host or (for `http://`) anyone on the network path changes the image without any "
    "change to the Dockerfile, and the build cache hides when it happened.",
    example="FROM debian:bookworm-slim\n"
    "ADD https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64 /usr/local/bin/gosu",
    fix="Pin the content: `ADD --checksum=sha256:<digest> https://… /dest` (Dockerfile syntax "
    "1.6+; add `# syntax=docker/dockerfile:1` on older builders), or download with `RUN curl "
    '-fsSLo FILE URL && echo "<sha256>  FILE" | sha256sum -c -`. No automatic fix: the '
    "digest must come from a trusted source, not from downloading the file now.",
    references=References(checkov=("CKV_DOCKER_4",), cis=("4.9", "4.11")),
)


def _targets(ins_list: list[Instruction]) -> Iterator[Instruction]:
    for ins in ins_list:
        if ins.cmd == "ADD":
            yield ins
        elif ins.cmd == "ONBUILD" and ins.sub is not None and ins.sub.cmd == "ADD":
            yield ins.sub


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in _targets(df.instructions):
        if ins.flag("checksum") is not None:
            continue
        urls = [value for _, value, kind in add_sources(df, ins) if kind == "url"]
        for url in urls:
            try:
                parts = urlsplit(url)
            except ValueError:
                continue
            if parts.password:
                ctx.secret(parts.password)
            elif parts.username and len(parts.username) >= 16:
                ctx.secret(parts.username)  # a token used as the user name
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https"):
                continue
            host = parts.hostname or "the server"
            plain = " over plain HTTP" if scheme == "http" else ""
            start = ins.src(0)
            end = ins.content_end if ins.start or ins.end else ins.src(len(ins.keyword), end=True)
            yield ctx.diagnostic(
                RULE,
                start,
                max(start, end),
                f"ADD downloads from {host}{plain} without `--checksum`: the file is not verified",
            )
            break
