"""HF613: a compose service has no health check."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.edits import Flow
from hardenify.compose.findings import Finding, model, report, service_span
from hardenify.compose.model import ComposeFile, Service
from hardenify.compose.placement import change, expect, others_note, place_keys
from hardenify.compose.service import built_stage, image
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile.stages import chain_instructions, root_image
from hardenify.imageref import try_parse_ref
from hardenify.knowledge.images import DECLARES_HEALTHCHECK, healthcheck_probe, image_key
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF613",
    name="missing-healthcheck",
    severity=Severity.INFO,
    summary="A compose service has no health check (and its image declares none).",
    what="Reports services without `healthcheck:` (own, merged, or from a same-file `extends`) whose "
    "image is not known to declare a HEALTHCHECK: pulled images outside a short list of images "
    "that do (pihole, vaultwarden, jellyfin, uptime-kuma, node-red, gotenberg, immich-server), and "
    "built images whose Dockerfile (when it can be read) has no HEALTHCHECK in the built stage. "
    "An explicit `disable: true` is a decision and is not reported.",
    why="Without a health check Docker only knows whether the process exists: a deadlocked or "
    "half-started service looks healthy, `depends_on: condition: service_healthy` cannot wait for "
    "it, and nothing restarts or reports it. CIS Docker Benchmark 5.26 (4.6 for images).",
    example="services:\n  db:\n    image: postgres:17",
    fix="""\
For images with a probe that works as shipped, adds a `healthcheck:` with `interval: 10s`,
`timeout: 5s`, `retries: 5`, `start_period: 30s` and the test:

- postgres (postgis, timescaledb, pgvector): `pg_isready -U $${POSTGRES_USER:-postgres}`;
- redis: `redis-cli ping`; valkey: `valkey-cli ping`;
- mysql: `mysqladmin ping -h 127.0.0.1`;
- rabbitmq: `rabbitmq-diagnostics -q ping`;
- mongo 6+: `mongosh --quiet --eval "db.adminCommand('ping')"`.

Other services: write a probe for the application's own health endpoint.""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: a service that takes longer than the start period, or that requires "
    "authentication for the probe (redis with `requirepass`), is marked unhealthy, and services "
    "waiting for it with `condition: service_healthy` do not start.",
    references=References(cis=("5.26", "4.6")),
    kinds=("compose",),
)

INTERVALS = {"interval": "10s", "timeout": "5s", "retries": 5, "start_period": "30s"}


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _declares(cf: ComposeFile, svc: Service) -> bool | None:
    """Does the service's image declare a HEALTHCHECK? None when unknown."""
    img = image(svc)
    if img.builds:
        built = built_stage(cf, svc)
        if built is None:
            return None
        df, stage = built
        checks = [i for i in chain_instructions(stage) if i.cmd == "HEALTHCHECK"]
        if checks:
            return bool(checks[-1].args.strip().upper() != "NONE")
        ref = try_parse_ref(root_image(df, stage).lower())
        return bool(ref is not None and image_key(ref) in DECLARES_HEALTHCHECK)
    if img.key is None:
        return None
    return img.key in DECLARES_HEALTHCHECK


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry, unknown = svc.find("healthcheck")
        if entry is not None or unknown:
            continue
        declared = _declares(cf, svc)
        if declared is None or declared:
            continue
        img = image(svc)
        start, end = service_span(svc)
        finding = Finding(start, end, f"service `{svc.name}` has no health check")
        probe = None if img.builds else healthcheck_probe(img.key, img.tag)
        if probe is not None:
            placed = place_keys(cf, svc, [("healthcheck", {"test": Flow(probe), **INTERVALS})])
            if placed is not None:
                finding.change = change(
                    [placed], expect((*svc.path, "healthcheck", "test"), list(probe).__eq__)
                )
                finding.fix_message = f"Add a `{' '.join(probe[1:])}` health check" + others_note(
                    placed.others
                )
        yield finding
