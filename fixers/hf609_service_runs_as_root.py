"""HF609: a compose service runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, entry_span, model, pragmas, report, service_span
from hardenify.compose.model import ComposeFile, Service, text_of
from hardenify.compose.service import built_stage, image, interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.droppers import drops_privileges as dockerfile_drops_privileges
from hardenify.dockerfile.model import split_words, substitute
from hardenify.dockerfile.stages import stage_env
from hardenify.dockerfile.users import base_image, is_root_user
from hardenify.knowledge.images import base_info, drops_privileges, nonroot_default
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF609",
    name="service-runs-as-root",
    severity=Severity.WARNING,
    summary="A compose service runs as root: `user: root`/`0`, or no `user:` and an image that "
    "defaults to root.",
    what="""\
Reports `user:` set to root (`root`, `0`, `0:0`, `root:root`, also as a `${VAR:-0}` default), and
services without `user:` whose image runs as root:

- pulled images, unless known to default to a non-root user (nginx-unprivileged, distroless
  `:nonroot`, Chainguard, Bitnami, Grafana, Prometheus, Elastic, Keycloak, SQL Server...) or to
  drop privileges in their entrypoint (postgres, mysql, mariadb, mongo, redis, rabbitmq...);
- built images, when their Dockerfile can be read (inline or beside the compose file) and its
  built stage ends without a non-root USER. Unreadable Dockerfiles are skipped (HF101 checks them).""",
    why="Root in the container is root against the kernel: any container escape, kernel bug or "
    "writable host mount becomes host root, and the process can change everything in its own "
    "filesystem. A numeric non-root `user:` costs nothing for most services. CIS Docker Benchmark 4.1.",
    example="services:\n  api:\n    image: python:3.12-slim\n    command: python -m api\n    user: root",
    fix="No automatic fix: which user works depends on the image's file ownership. Set `user: "
    '"10001:10001"` (any unused numeric id; give it write access to its volumes) or add a USER to '
    "the Dockerfile; for nginx use nginxinc/nginx-unprivileged.",
    references=References(cis=("4.1",)),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry, unknown = svc.find("user")
        if entry is not None:
            written = text_of(entry.value) or ""
            user = interpolate(written)
            if user is not None and user.strip() and is_root_user(user):
                start, end = entry_span(cf, svc, entry)
                yield Finding(
                    start,
                    end,
                    f"service `{svc.name}` runs as root (`user: {written.strip()}`)",
                    pragmas(svc, entry),
                )
            continue
        if unknown:
            continue
        why = _runs_as_root(cf, svc)
        if why is not None:
            start, end = service_span(svc)
            yield Finding(start, end, f"service `{svc.name}` runs as root: {why}")


def _runs_as_root(cf: ComposeFile, svc: Service) -> str | None:
    """Why a service without `user:` runs as root, or None when it does not (or is unknown)."""
    img = image(svc)
    if img.builds:
        built = built_stage(cf, svc)
        if built is None:
            return None
        df, stage = built
        instructions = stage.chain_instructions
        users = [i for i in instructions if i.cmd == "USER"]
        if users:
            words = split_words(users[-1].args)
            name = substitute(words[0], stage_env(df, stage, users[-1])) if words else ""
            if not name or "$" in name or not is_root_user(name):
                return None
            return f"its Dockerfile's last USER is `{words[0]}` and no `user:` is set"
        base = base_image(stage)
        if base_info(base).nonroot_default or dockerfile_drops_privileges(instructions):
            return None
        return f"no `user:` and its Dockerfile (FROM {base}) has no USER"
    if img.key is None or img.ref is None:
        return None
    info = base_info(str(img.ref))
    if nonroot_default(img.key, img.tag) or drops_privileges(img.key, img.tag) or info.nonroot_default:
        return None
    advice = info.no_fix
    if info.family == "unknown" and advice is None:
        return f"no `user:`, so it runs as `{img.label}`'s default user (root unless the image sets one)"
    msg = f"no `user:` and `{img.label}` runs as root by default"
    return f"{msg} ({advice})" if advice else msg
