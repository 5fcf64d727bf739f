"""HF602: a compose service mounts the Docker socket or a sensitive host directory."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, is_map, is_scalar, is_seq, text_of
from hardenify.compose.service import interpolate
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF602",
    name="sensitive-host-mount",
    severity=Severity.ERROR,
    summary="A compose service mounts the Docker socket or a sensitive host directory.",
    what="Reports bind mounts (short `src:dst[:mode]` and long `type: bind` syntax) of the Docker, "
    "containerd or Podman socket (`/var/run/docker.sock`, `/run/docker.sock`, the Windows "
    "`//./pipe/docker_engine` pipe...) and of the host's `/`, `/boot`, `/dev`, `/etc`, `/lib`, "
    "`/proc`, `/root`, `/run`, `/sys`, `/usr`, `/var/run` and `/var/lib/docker` directories, read-only "
    "or not. `${VAR:-default}` sources are checked with their default. Files below those "
    "directories (`/etc/localtime`) are not reported.",
    why="The Docker socket is the Docker API: whoever can write to it starts a privileged container "
    "with the host's `/` mounted, so mounting it hands root on the host to the container. Host "
    "system directories expose credentials (`/etc/shadow`, `/root/.ssh`), kernel interfaces "
    "(`/proc`, `/sys`), devices and other containers' data. CIS Docker Benchmark 5.5 and 5.31.",
    example="services:\n  agent:\n    image: example/agent:1.0\n    volumes:\n"
    "      - /var/run/docker.sock:/var/run/docker.sock",
    fix="No automatic fix: the service's design decides. Use a socket proxy that allows only the API "
    "calls it needs (tecnativa/docker-socket-proxy), rootless Docker, or mount only the file it "
    "reads.",
    references=References(cis=("5.5", "5.31")),
    kinds=("compose",),
)

SOCKETS = {
    "/var/run/docker.sock": "the Docker socket",
    "/run/docker.sock": "the Docker socket",
    "/var/run/containerd/containerd.sock": "the containerd socket",
    "/run/containerd/containerd.sock": "the containerd socket",
    "/var/run/podman/podman.sock": "the Podman socket",
    "/run/podman/podman.sock": "the Podman socket",
    "//./pipe/docker_engine": "the Docker engine pipe",
}
DIRECTORIES = frozenset(
    {
        "/",
        "/boot",
        "/dev",
        "/etc",
        "/lib",
        "/proc",
        "/root",
        "/run",
        "/sys",
        "/usr",
        "/var/run",
        "/var/lib/docker",
    }
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def sensitive(source: str) -> str | None:
    """What a host path is, when it is one HF602 reports."""
    src = source.strip().replace("\\", "/")
    if src.lower().startswith("//./pipe/"):
        return SOCKETS.get(src.lower())
    if not src.startswith("/"):
        return None
    norm = posixpath.normpath(src)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if norm in SOCKETS:
        return SOCKETS[norm]
    if norm in DIRECTORIES:
        return "the host's root filesystem" if norm == "/" else f"the host's {norm}"
    return None


def short_source(spec: str) -> tuple[str, bool] | None:
    """(host source, read-only) of a short-syntax bind mount; None for volumes and others."""
    s = spec.strip()
    if s.lower().startswith(("//./pipe/", "\\\\.\\pipe\\")):
        src, sep, rest = s.partition(":")
    elif len(s) > 2 and s[1] == ":" and s[0].isalpha() and s[2] in "\\/":
        return None  # a Windows drive path
    else:
        src, sep, rest = s.partition(":")
    if not sep or not src.startswith(("/", ".", "~", "\\")):
        return None
    modes = rest.split(":")[1].split(",") if ":" in rest else []
    return src, "ro" in modes


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        entry = svc.get("volumes")
        if entry is None or not is_seq(entry.value):
            continue
        for item in entry.value.value:
            found = _mount(cf, item)
            if found is None:
                continue
            what, ro = found
            start, end = node_span(cf, item)
            if "socket" in what or "pipe" in what:
                msg = f"service `{svc.name}` mounts {what}: that is root on the host"
            else:
                msg = f"service `{svc.name}` mounts {what}" + (
                    " (even read-only it exposes it)" if ro else ""
                )
            yield Finding(start, end, msg, (svc.start, entry.start))


def _mount(cf: ComposeFile, item: object) -> tuple[str, bool] | None:
    if is_scalar(item):
        spec = text_of(item)
        resolved = interpolate(spec) if spec else None
        parsed = short_source(resolved) if resolved else None
        if parsed is None:
            return None
        what = sensitive(parsed[0])
        return (what, parsed[1]) if what else None
    if is_map(item):
        kind = cf.lookup(item, "type")
        source = cf.lookup(item, "source")
        if kind is None or text_of(kind.value) != "bind" or source is None:
            return None
        src = text_of(source.value)
        resolved = interpolate(src) if src else None
        ro_entry = cf.lookup(item, "read_only")
        ro = ro_entry is not None and (text_of(ro_entry.value) or "").lower() == "true"
        what = sensitive(resolved) if resolved else None
        return (what, ro) if what else None
    return None
