"""HF101: the final stage runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile.model import substitute
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF101",
    name="root-user",
    severity=Severity.ERROR,
    summary="The final stage runs as root: no USER, or the last USER is root/0.",
    what="Checks the last stage (the image that ships) for a USER instruction that selects a "
    "non-root user. Images that already default to a non-root user (distroless `:nonroot`, "
    "nginx-unprivileged, chainguard) pass.",
    why="A process running as root inside the container is root on the host's kernel surface: a "
    "container escape or a writable host mount becomes host root. CIS Docker Benchmark 4.1.",
    example="FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]",
    fix="Add a numeric non-root user (created when the base has no suitable one) and a `USER "
    "uid:gid` before CMD/ENTRYPOINT.",
    fix_availability=FixAvailability.NONE,
    references=References(hadolint=("DL3002",), trivy=("DS002",), checkov=("CKV_DOCKER_3", "CKV_DOCKER_8"), cis=("4.1",)),
)

# Bases whose default user is already non-root.
NONROOT_BASES = ("nginx-unprivileged", ":nonroot", "-nonroot", "cgr.dev/chainguard/", "bitnami/")
ROOT_NAMES = {"root", "0", "0:0", "root:root", "root:0", "0:root"}


def is_root(user: str) -> bool:
    return user.strip().split(":")[0] in ("root", "0")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or df.is_windows or stage.resolved_image.lower() == "scratch":
        return
    users = [i for i in stage.instructions if i.cmd == "USER"]
    env = dict(df.global_args)
    if users:
        last = users[-1]
        words = last.words()
        user = substitute(words[0], env) if words else ""
        if user and is_root(user):
            yield ctx.at(RULE, last, f"the final stage switches to root (`USER {words[0]}`)")
        return
    image = stage.resolved_image.lower()
    if any(marker in image for marker in NONROOT_BASES):
        return
    yield ctx.at(RULE, stage.from_, "the final stage has no USER, so it runs as root")
