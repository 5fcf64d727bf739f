"""HF103: EXPOSE of a privileged port (below 1024) in an image that runs as non-root."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import iter_words, split_words, substitute
from hardenify.dockerfile.stages import stage_env
from hardenify.dockerfile.users import PORT_RE, base_image, is_root_user, looks_windows
from hardenify.knowledge.images import base_info
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF103",
    name="privileged-port",
    severity=Severity.WARNING,
    summary="EXPOSE of a port below 1024 in an image that runs as a non-root user.",
    what="Reports each port (or range starting) below 1024 in the EXPOSE instructions of the "
    "image that ships (the final stage and the stages it builds on), when that image runs as a "
    "non-root user: an explicit non-root USER or a base known to default to one. Ports written with "
    "variables (`${PORT}`) are skipped. While the image still runs as root, HF101 reports that "
    "instead (and offers no fix while a privileged port is exposed); this rule fires once the "
    "image runs as a non-root user.",
    why="Binding a port below 1024 needs root or CAP_NET_BIND_SERVICE. Docker 20.10+ lowers "
    "`net.ipv4.ip_unprivileged_port_start` to 0 inside containers, but Kubernetes, Podman and "
    "older engines do not: the same image then fails at start-up with `permission denied`, or "
    "tempts operators to add NET_BIND_SERVICE or to run it as root again.",
    example="FROM nginxinc/nginx-unprivileged:1.27\nEXPOSE 80",
    fix="Listen on an unprivileged port (8080 instead of 80, 8443 instead of 443) in the "
    "application and in EXPOSE, and map the public port outside the container (`-p 80:8080`, "
    "a Kubernetes Service `port: 80` / `targetPort: 8080`).\n\nThere is no automatic fix: the "
    "port the process listens on is set by the application's configuration, not by EXPOSE.",
    references=References(),
)


def _runs_non_root(ctx: CheckContext) -> bool:
    df = ctx.df
    stage = df.final_stage
    if stage is None:
        return False
    users = [i for i in stage.chain_instructions if i.cmd == "USER"]
    if users:
        words = split_words(users[-1].args)
        if not words:
            return False
        user = substitute(words[0], stage_env(df, stage, users[-1]))
        # An unresolved variable (`USER $APP_UID`) is taken as non-root: root is rarely spelled so.
        return not is_root_user(user) if user else "$" in words[0]
    return base_info(base_image(stage)).nonroot_default


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stage = df.final_stage
    if stage is None or looks_windows(df) or not _runs_non_root(ctx):
        return
    for ins in stage.chain_instructions:
        if ins.cmd != "EXPOSE":
            continue
        for raw, s, e in iter_words(ins.args):
            if "$" in raw:
                continue
            m = PORT_RE.match(raw)
            if not m:
                continue
            low = int(m.group(1))
            if not 0 < low < 1024:
                continue
            hint = {80: "8080", 443: "8443"}.get(low, str(low + 8000))
            start, end = ins.arg_src(s), ins.arg_src(e, end=True)
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"port {low} is privileged: a non-root user cannot bind it without "
                f"CAP_NET_BIND_SERVICE; listen on an unprivileged port"
                + (f" such as {hint}" if hint else "")
                + " and map it outside the container",
            )
