"""HF608: a compose service's root filesystem is writable (no `read_only: true`)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.rules import References, Rule

if TYPE_CHECKING:  # compose helpers are imported where used: Dockerfile runs never load them
    from hardenify.compose.model import ComposeFile, Service
    from hardenify.fixers._compose import Finding, Placed

RULE = Rule(
    code="HF608",
    name="writable-root-fs",
    severity=Severity.WARNING,
    summary="A compose service's root filesystem is writable (no `read_only: true`).",
    what="Reports services without an effective `read_only: true` (own, merged, or from a same-file "
    "`extends`), including an explicit `read_only: false`.",
    why="With a read-only root filesystem an attacker who gets code execution cannot drop tools, "
    "modify binaries or configuration, or persist across restarts; the application's legitimate "
    "writes are made explicit (volumes and tmpfs mounts). CIS Docker Benchmark 5.12.",
    example="services:\n  web:\n    image: nginx:1.27",
    fix="""\
Adds `read_only: true` and a `tmpfs:` list with `/tmp` plus the paths the image is known to
write outside its declared VOLUMEs (which Docker keeps writable as anonymous volumes):

- nginx: `/var/cache/nginx`, `/var/run`;
- postgres (and postgis, timescaledb, pgvector): `/var/run/postgresql`;
- mysql: `/var/run/mysqld`; mariadb: `/run/mysqld`;
- httpd: `/usr/local/apache2/logs`;
- redis, valkey, mongo, memcached, caddy, grafana, prometheus, nginx-unprivileged: `/tmp` only
  (their data directories are declared VOLUMEs).

Paths already mounted (a volume or tmpfs at the path or a parent) are skipped; an existing
`tmpfs` list is extended in its own style. An explicit `read_only: false` is reported without a fix.""",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: any other path the application writes (caches, PID files, uploads, a "
    "generated config) fails with EROFS until it gets a volume or tmpfs mount. For images built "
    "from a Dockerfile or not listed above only `/tmp` is added.",
    references=References(cis=("5.12",)),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.fixers._compose import model, report
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def mount_targets(cf: ComposeFile, svc: Service) -> list[str]:
    """Container paths that already have a volume or tmpfs mounted."""
    from hardenify.compose.model import is_map, is_scalar, is_seq, text_of
    out: list[str] = []
    volumes, _ = svc.find("volumes")
    if volumes is not None and is_seq(volumes.value):
        for item in volumes.value.value:
            if is_scalar(item):
                parts = (text_of(item) or "").split(":")
                if len(parts) >= 2:
                    out.append(parts[1])
                elif parts[0]:
                    out.append(parts[0])  # an anonymous volume
            elif is_map(item):
                target = cf.lookup(item, "target")
                if target is not None and text_of(target.value):
                    out.append(str(text_of(target.value)))
    tmpfs, _ = svc.find("tmpfs")
    if tmpfs is not None:
        items = tmpfs.value.value if is_seq(tmpfs.value) else [tmpfs.value]
        out += [(text_of(i) or "").split(":")[0] for i in items if is_scalar(i)]
    return [posixpath.normpath(p) for p in out if p.startswith("/")]


def covered(path: str, targets: list[str]) -> bool:
    return any(path == t or path.startswith(t.rstrip("/") + "/") for t in targets)


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    from hardenify.compose.images import writable_paths
    from hardenify.compose.model import is_seq, is_true, text_of
    from hardenify.compose.verify import get
    from hardenify.fixers._compose import (
        Finding,
        change,
        entry_span,
        image,
        others_note,
        place_items,
        place_keys,
        pragmas,
        service_span,
    )
    for svc in cf.services:
        entry, unknown = svc.find("read_only")
        if unknown or (entry is not None and is_true(entry.value)):
            continue
        if entry is not None:
            start, end = entry_span(cf, svc, entry)
            yield Finding(start, end, f"service `{svc.name}` sets `read_only` to "
                          f"`{text_of(entry.value)}`: its root filesystem is writable", pragmas(svc, entry))
            continue
        img = image(svc)
        paths, known = writable_paths(None if img.builds else img.key)
        targets = mount_targets(cf, svc)
        missing = [p for p in paths if not covered(p, targets)]
        start, end = service_span(svc)
        msg = f"service `{svc.name}` has a writable root filesystem: set `read_only: true`"
        note = "known writable paths get tmpfs mounts" if known else (
            "only /tmp gets a tmpfs mount: give every other path the service writes a volume or tmpfs"
        )
        finding = Finding(start, end, msg, (), note=note)
        tmpfs = svc.get("tmpfs")
        placed: list[Placed] = []
        if tmpfs is not None and missing and is_seq(tmpfs.value):
            keys = place_keys(cf, svc, [("read_only", True)])
            items = place_items(cf, svc, "tmpfs", missing)
            placed = [p for p in (items, keys) if p is not None]
            if len(placed) != 2:
                placed = []
        elif tmpfs is None and missing:
            keys = place_keys(cf, svc, [("read_only", True), ("tmpfs", missing)])
            placed = [keys] if keys is not None else []
        else:
            keys = place_keys(cf, svc, [("read_only", True)])
            placed = [keys] if keys is not None else []
        if placed:
            want = list(missing) if tmpfs is None or is_seq(tmpfs.value) else []

            def landed(new: ComposeFile, svc: Service = svc, want: list[str] = want) -> bool:
                data: Any = get(new.data(), svc.path)
                if not isinstance(data, dict) or data.get("read_only") is not True:
                    return False
                tmp = data.get("tmpfs")
                have = [str(t).split(":")[0] for t in (tmp if isinstance(tmp, list) else [tmp] if tmp else [])]
                return all(p in have for p in want)

            others = sorted({o for p in placed for o in p.others})
            finding.change = change(placed, landed)
            finding.fix_message = "Set `read_only: true` and mount tmpfs at " + ", ".join(missing or ["nothing new"]) + (
                others_note(others)
            )
        yield finding
