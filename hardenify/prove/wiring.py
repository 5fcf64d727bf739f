"""The build arguments and secrets a proof builds with.

In order: the user's `--build-arg`/`--secret`; what a compose file next to the Dockerfile
wires for the service that builds it (`build.args`, `build.secrets`); for a secret the fix
created, the variable it names when set, else the value the original file hard-coded (written
to a private temporary file, so the fixed image is built with exactly what the original had).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
_VAR = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")
_ID = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass
class Wiring:
    build_args: dict[str, str] = field(default_factory=dict)
    compose_secrets: dict[str, str] = field(default_factory=dict)  # id -> `--secret` spec
    context: Path | None = None  # the build context a compose service gives this Dockerfile


def parse_build_args(values: Iterable[str]) -> dict[str, str]:
    """`K=V` as given; a bare `K` takes K's value from the environment (like `docker build`)."""
    out: dict[str, str] = {}
    for v in values:
        key, eq, value = v.partition("=")
        if eq:
            out[key] = value
        elif key in os.environ:
            out[key] = os.environ[key]
    return out


def secret_id_of(spec: str) -> str | None:
    """The `id=` of a `--secret` spec."""
    for part in spec.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "id":
            return value.strip()
    return None


def _interpolate(value: str) -> str | None:
    """A compose value: literal, or one `${VAR}` taken from the environment; None if unknown."""
    if "$" not in value:
        return value
    m = _VAR.match(value.strip())
    return os.environ.get(m.group(1)) if m else None


def from_compose(dockerfile: Path, root: Path | None = None, max_up: int = 2) -> Wiring:
    """Build args and secrets of compose services that build `dockerfile` (compose files in its
    directory and up to `max_up` parents, not above `root`)."""
    from hardenify.compose.model import parse
    from hardenify.runner import SourceError, read_source

    w = Wiring()
    target = dockerfile.resolve()
    d = target.parent
    stop = root.resolve() if root is not None else None
    for _ in range(max_up + 1):
        for name in COMPOSE_NAMES:
            path = d / name
            try:
                cf = parse(read_source(path), quick=True)
            except SourceError:
                continue
            if cf.error:
                continue
            for doc in cf.data():
                if isinstance(doc, dict):
                    _services(doc, d, target, w)
        if d == stop or d.parent == d:
            break
        d = d.parent
    return w


def _services(doc: Mapping[str, Any], base: Path, target: Path, w: Wiring) -> None:
    services = doc.get("services")
    top = doc.get("secrets") if isinstance(doc.get("secrets"), dict) else {}
    if not isinstance(services, dict):
        return
    for svc in services.values():
        build = svc.get("build") if isinstance(svc, dict) else None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            continue
        ctx, df = str(build.get("context") or "."), str(build.get("dockerfile") or "Dockerfile")
        if "$" in ctx + df or "://" in ctx:
            continue
        if (base / ctx / df).resolve() != target:
            continue
        if w.context is None:
            w.context = (base / ctx).resolve()
        args = build.get("args")
        items = args.items() if isinstance(args, dict) else (str(a).partition("=")[::2] for a in args or ())
        for key, value in items:
            v = _interpolate(str(value)) if value is not None else os.environ.get(str(key))
            if v is not None:
                w.build_args.setdefault(str(key), v)
        for s in build.get("secrets") or ():
            sid = s if isinstance(s, str) else s.get("source") if isinstance(s, dict) else None
            src = top.get(sid) if isinstance(sid, str) and isinstance(top, dict) else None
            if not isinstance(sid, str) or not _ID.fullmatch(sid) or not isinstance(src, dict):
                continue
            if isinstance(src.get("environment"), str) and src["environment"] in os.environ:
                w.compose_secrets.setdefault(sid, f"id={sid},env={src['environment']}")
            elif isinstance(src.get("file"), str) and (base / src["file"]).is_file():
                w.compose_secrets.setdefault(sid, f"id={sid},src={(base / src['file']).resolve()}")


def hard_coded(original: str) -> dict[str, str]:
    """NAME -> literal value of every ENV/ARG with a value in `original` (first wins)."""
    from hardenify.dockerfile.model import arg_pairs, env_pairs, parse

    out: dict[str, str] = {}
    for ins in parse(original).instructions:
        if ins.cmd == "ARG":
            for name, value in arg_pairs(ins):
                if value is not None:
                    out.setdefault(name, value.strip("\"'"))
        elif ins.cmd == "ENV":
            for name, value, _, _ in env_pairs(ins):
                out.setdefault(name, value.strip("\"'"))
    return out


def secret_specs(
    text: str,
    original: str,
    context: Path,
    user_specs: Sequence[str],
    compose: Wiring,
    tmpdir: Path,
) -> tuple[list[str], list[str], set[str]]:
    """(`--secret` specs, secret ids nobody provides, env names the fix moved out) for `text`."""
    try:
        from hardenify.dockerfile.secretmounts import secret_wiring
    except ImportError:  # pragma: no cover - the rule package ships with hardenify
        return list(user_specs), [], set()
    given = {secret_id_of(s) for s in user_specs}
    specs = list(user_specs)
    missing: list[str] = []
    moved: set[str] = set()
    literals: dict[str, str] | None = None
    for wire in secret_wiring(text, original):
        if wire.env:
            moved.add(wire.env)
        if wire.id in given or not _ID.fullmatch(wire.id):
            continue
        if wire.id in compose.compose_secrets:
            specs.append(compose.compose_secrets[wire.id])
        elif wire.env and wire.env in os.environ:
            specs.append(f"id={wire.id},env={wire.env}")
        elif wire.src and (context / wire.src).is_file():
            specs.append(f"id={wire.id},src={(context / wire.src).resolve()}")
        else:
            if literals is None:
                literals = hard_coded(original)
            value = literals.get(wire.env or "") or literals.get(wire.id) or literals.get(wire.id.upper())
            if value is None or "$" in value:
                missing.append(wire.id)
                continue
            path = tmpdir / f"secret-{wire.id}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value)
            specs.append(f"id={wire.id},src={path}")
    return specs, missing, moved
