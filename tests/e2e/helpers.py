"""The e2e harness: build, run, probe and inspect images on the offline container world.

Everything here talks to the real engine through `/usr/bin/docker` (the 20.10 client with built-in BuildKit;
see `../shared/offline-registry/README.md`). The engine has no bridge network, so:

* every build runs with `--network=none` and `DOCKER_BUILDKIT=1`;
* every container runs with `--network=none`;
* apps are probed from a *sidecar*: a short-lived container of `PROBE_IMAGE` (a python image) started with
  `--network container:<cid>`, so it shares the target's loopback. This works for every target, including
  distroless images without a shell, and needs nothing inside the image under test.

Every container is labelled `org.hardenify.e2e.run=<RUN_ID>` (plus a per-test scope label) and every image is
tagged `hardenify-e2e:<RUN_ID>-<hint>-<n>`; the e2e conftest removes them after each test / at the end of the
session. `RUN_ID` lives in the environment, so it is the same however this module is imported.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets as _secrets
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

DOCKER = "/usr/bin/docker"
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "samples"
DIGESTS_TSV = Path(os.environ.get("OFFREG_DIGESTS", "/var/lib/offline-registry/digests.tsv"))

#: Image used for sidecar probes (HTTP, TCP, /proc of the target). Must have python3; pulled on first use.
PROBE_IMAGE = os.environ.get("HARDENIFY_E2E_PROBE_IMAGE", "python:3.12-slim")

TAG_REPO = "hardenify-e2e"
RUN_LABEL = "org.hardenify.e2e.run"
SCOPE_LABEL = "org.hardenify.e2e.scope"
_RUN_ENV = "HARDENIFY_E2E_RUN_ID"
_SCOPE_ENV = "HARDENIFY_E2E_SCOPE"
_CREATED_ENV = "HARDENIFY_E2E_CREATED"

RUN_ID: str = os.environ.setdefault(_RUN_ENV, f"{os.getpid():x}{_secrets.token_hex(3)}")

_counter = itertools.count(1)
_build_logs: dict[str, str] = {}
_pulled: set[str] = set()


# ----------------------------------------------------------------------------------------------------------
# errors and the docker CLI


class HarnessError(RuntimeError):
    """A docker command failed or a container did not behave; the message carries the evidence."""


class BuildError(HarnessError):
    """`docker build` failed; the message ends with the tail of the build log."""


class ContainerError(HarnessError):
    """A container failed to start, exited early, or never became healthy; the message has its logs."""


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def docker_cli(
    *args: str,
    check: bool = True,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `/usr/bin/docker ARGS…` and return the completed process; HarnessError on failure if `check`."""
    cmd = [DOCKER, *args]
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"timed out after {timeout:.0f}s: {' '.join(cmd)}") from exc
    if check and proc.returncode != 0:
        raise HarnessError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n--- stderr ---\n{_tail(proc.stderr)}"
            f"\n--- stdout ---\n{_tail(proc.stdout)}"
        )
    return proc


def engine_problem() -> str | None:
    """None when `docker info` answers; otherwise a one-line reason (for skip messages)."""
    if not Path(DOCKER).is_file():
        return f"{DOCKER} not found"
    try:
        proc = docker_cli("info", "--format", "{{.ServerVersion}}", check=False, timeout=30)
    except HarnessError as exc:
        return str(exc)
    if proc.returncode != 0 or not proc.stdout.strip():
        reason = (proc.stderr.strip().splitlines() or ["no server version"])[-1]
        return f"`docker info` failed: {reason}"
    return None


def _mark_created() -> None:
    os.environ[_CREATED_ENV] = "1"


def anything_created() -> bool:
    """Whether this process created containers or images (cleanup is a no-op otherwise)."""
    return os.environ.get(_CREATED_ENV) == "1"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")
    return slug[:40] or "x"


def ensure_image(ref: str) -> None:
    """Pull `ref` from the offline registry unless the engine already has it."""
    if ref in _pulled:
        return
    if docker_cli("image", "inspect", "--format", "{{.Id}}", ref, check=False).returncode != 0:
        docker_cli("pull", "--quiet", ref, timeout=300)
    _pulled.add(ref)


# ----------------------------------------------------------------------------------------------------------
# registry digests and samples


def read_digests(path: Path = DIGESTS_TSV) -> dict[str, str]:
    """`digests.tsv` as {ref: "sha256:…"}.

    Keys are the full references as written in the file (`docker.io/library/python:3.12-slim`) plus the
    familiar short forms (`python:3.12-slim`, `library/python:3.12-slim`, `nginxinc/nginx-unprivileged:1.27`).
    """
    digests: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ref, digest = line.split("\t")[:2]
        digests[ref] = digest
        if ref.startswith("docker.io/"):
            short = ref.removeprefix("docker.io/")
            digests.setdefault(short, digest)
            digests.setdefault(short.removeprefix("library/"), digest)
    return digests


def sample(name: str) -> Path:
    """Path of `samples/<name>`; raises if it does not exist."""
    path = SAMPLES_DIR / name
    if not path.is_dir():
        raise FileNotFoundError(f"no sample {name!r} in {SAMPLES_DIR}")
    return path


# ----------------------------------------------------------------------------------------------------------
# build


def build(
    context: str | Path,
    dockerfile: str | Path | None = None,
    *,
    tag: str | None = None,
    secrets: Mapping[str, str | bytes] | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    no_cache: bool = False,
    timeout: float = 900.0,
) -> str:
    """Build `context` (optionally with `dockerfile`, which may live outside it) and return the image id.

    Always `DOCKER_BUILDKIT=1 docker build --network=none --progress=plain`. `tag` is a name hint: the image
    is tagged `hardenify-e2e:<RUN_ID>-<hint>-<n>` (see `image_tags`) so cleanup can find it. `secrets` maps a
    secret id to its value; each is written to a private temporary file and passed as `--secret
    id=<id>,src=<file>` (use with `RUN --mount=type=secret,id=<id>`). The full build log is kept:
    `build_log(image_id)`.
    """
    context = Path(context).resolve()
    hint = _slug(tag or context.name)
    full_tag = f"{TAG_REPO}:{RUN_ID}-{hint}-{next(_counter)}"
    env = dict(os.environ, DOCKER_BUILDKIT="1", BUILDKIT_PROGRESS="plain")
    with tempfile.TemporaryDirectory(prefix="hardenify-e2e-build-") as tmp:
        tmpdir = Path(tmp)
        iidfile = tmpdir / "iid"
        args = ["build", "--network=none", "--progress=plain", "--iidfile", str(iidfile), "--tag", full_tag]
        if dockerfile is not None:
            args += ["--file", str(Path(dockerfile).resolve())]
        if target:
            args += ["--target", target]
        if no_cache:
            args.append("--no-cache")
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        for secret_id, secret_value in (secrets or {}).items():
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", secret_id):
                raise ValueError(f"invalid secret id {secret_id!r}")
            src = tmpdir / f"secret-{secret_id}"
            src.touch(mode=0o600)
            src.write_bytes(secret_value.encode() if isinstance(secret_value, str) else secret_value)
            args += ["--secret", f"id={secret_id},src={src}"]
        args.append(str(context))
        _mark_created()
        try:
            proc = docker_cli(*args, check=False, timeout=timeout, env=env)
        except HarnessError as exc:
            raise BuildError(f"build of {context} timed out: {exc}") from exc
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise BuildError(
                f"build of {context} (dockerfile {dockerfile}) failed ({proc.returncode}):\n{_tail(log)}"
            )
        image_id = iidfile.read_text().strip()
    _build_logs[image_id] = log
    return image_id


def build_log(image_id: str) -> str:
    """The plain-progress log of the `build()` that produced `image_id` in this process ("" if unknown)."""
    return _build_logs.get(image_id, "")


# ----------------------------------------------------------------------------------------------------------
# images


def image_inspect(image: str) -> dict[str, Any]:
    """`docker image inspect` of one image, as a dict."""
    data: list[dict[str, Any]] = json.loads(docker_cli("image", "inspect", image).stdout)
    return data[0]


def image_user(image: str) -> str:
    """The image's configured `USER` ("" when unset, which means root)."""
    return str(image_inspect(image)["Config"].get("User") or "")


def is_root_user(user: str) -> bool:
    """Whether a `USER`/`--user` value means uid 0: "", "root", "0", "0:0", "root:staff", …"""
    name = user.split(":", 1)[0].strip()
    return name in ("", "root", "0")


def image_size(image: str) -> int:
    """The image's size in bytes, as `docker images` reports it."""
    return int(image_inspect(image)["Size"])


def image_tags(image: str) -> list[str]:
    """The tags (RepoTags) of an image."""
    return list(image_inspect(image).get("RepoTags") or [])


def image_history(image: str) -> list[str]:
    """`docker history --no-trunc` CreatedBy lines, newest first."""
    out = docker_cli("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    return out.splitlines()


def human_size(size: int) -> str:
    """1234567 -> '1.2 MB' (decimal units, like docker)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _scan_stream(stream: IO[bytes], needles: Sequence[bytes], chunk_size: int = 1 << 20) -> set[bytes]:
    """Which of `needles` occur in the stream (also across chunk boundaries)."""
    found: set[bytes] = set()
    overlap = max(len(n) for n in needles) - 1
    carry = b""
    while chunk := stream.read(chunk_size):
        data = carry + chunk
        found.update(n for n in needles if n not in found and n in data)
        if len(found) == len(needles):
            break
        carry = data[-overlap:] if overlap else b""
    return found


def scan_image(image: str, needles: Iterable[str | bytes]) -> dict[str | bytes, list[str]]:
    """Every place in `image` where each needle occurs: {needle: [location, …]} (empty list: nowhere).

    One `docker save`, streamed and scanned byte for byte: every file (and file name, and symlink target) in
    every layer tarball, the image config (Env, Labels, history) and the manifest; then `docker history`.
    Locations read like `layer 3f2a…: usr/src/app/.npmrc`, `config 9c1d….json`, `history: ENV …`.
    """
    wanted = {(n.encode() if isinstance(n, str) else n): n for n in needles}
    if not wanted or not all(wanted):
        raise ValueError("needles must be non-empty")
    raw = list(wanted)
    hits: dict[bytes, list[str]] = {n: [] for n in raw}
    proc = subprocess.Popen(
        [DOCKER, "save", image], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as outer:
            for member in outer:
                fobj = outer.extractfile(member) if member.isfile() else None
                if fobj is None:
                    continue
                if member.name.endswith("layer.tar"):
                    layer = member.name.split("/")[0][:12]
                    for needle, path in _scan_layer(fobj, raw):
                        hits[needle].append(f"layer {layer}: {path}")
                else:
                    kind = "config" if re.fullmatch(r"[0-9a-f]{64}\.json", member.name) else "file"
                    for needle in _scan_stream(fobj, raw):
                        hits[needle].append(f"{kind} {member.name}")
    finally:
        proc.stdout.close()  # first: a `docker save` blocked on a full pipe must not keep stderr open
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = proc.wait()
    if code != 0:
        raise HarnessError(f"`docker save {image}` exited {code}: {_tail(stderr)}")
    for line in image_history(image):
        for needle in raw:
            if needle in line.encode():
                hits[needle].append(f"history: {line}")
    return {wanted[n]: found for n, found in hits.items()}


def layer_contains(image: str, needle: str | bytes) -> list[str]:
    """Every place in `image` where `needle` occurs (see `scan_image`); an empty list means nowhere.

    Each call runs one `docker save` (about 1 s per 100 MB); for several needles use `scan_image`.
    """
    return scan_image(image, [needle])[needle]


def _scan_layer(fobj: IO[bytes], needles: Sequence[bytes]) -> Iterator[tuple[bytes, str]]:
    with tarfile.open(fileobj=fobj, mode="r|") as layer:
        for entry in layer:
            names = entry.name.encode(errors="surrogateescape")
            if entry.linkname:
                names += b"\0" + entry.linkname.encode(errors="surrogateescape")
            for needle in needles:
                if needle in names:
                    yield needle, f"{entry.name} (name)"
            content = layer.extractfile(entry) if entry.isfile() else None
            if content is not None:
                for needle in _scan_stream(content, needles):
                    yield needle, entry.name


# ----------------------------------------------------------------------------------------------------------
# containers


def _scope_labels() -> list[str]:
    return [
        "--label",
        f"{RUN_LABEL}={RUN_ID}",
        "--label",
        f"{SCOPE_LABEL}={os.environ.get(_SCOPE_ENV, 'session')}",
    ]


HARDENING_FLAGS: tuple[str, ...] = ("--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges")


def run_container(
    image: str,
    port: int | None = None,
    *,
    hardened: bool = False,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    command: Sequence[str] | None = None,
    entrypoint: str | None = None,
    tmpfs: Iterable[str] = ("/tmp",),
    volumes: Iterable[str] = (),
    extra_args: Sequence[str] = (),
    wait: bool = True,
    timeout: float = 60.0,
    health_path: str = "/health",
    name: str | None = None,
) -> str:
    """Start `image` detached with `--network=none` and return the container id.

    `hardened=True` adds `--read-only --cap-drop=ALL --security-opt=no-new-privileges` and a `--tmpfs` for
    each path in `tmpfs` (default `/tmp`; tmpfs is only mounted for hardened runs). `volumes` are `-v` specs,
    `extra_args` go before the image, `command` after it. `--health-interval=1s` is always passed so an
    image's own HEALTHCHECK reports within seconds (it does not add a healthcheck to images without one). With
    `wait` (default) it returns only once `wait_healthy(cid, timeout, port=port, path=health_path)` passes.
    """
    cname = f"{TAG_REPO}-{RUN_ID}-{_slug(name or image.split('/')[-1].replace(':', '-'))}-{next(_counter)}"
    args = ["run", "--detach", "--network=none", "--name", cname, *_scope_labels(), "--health-interval=1s"]
    if hardened:
        args += HARDENING_FLAGS
        for path in tmpfs:
            args += ["--tmpfs", path]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    if user is not None:
        args += ["--user", user]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint]
    for spec in volumes:
        args += ["--volume", spec]
    args += [*extra_args, image, *(command or ())]
    _mark_created()
    proc = docker_cli(*args, check=False)
    cid = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not cid:
        logs = container_logs(cname)
        remove_container(cname)  # `docker run -d` may leave a created-but-never-started container behind
        raise ContainerError(
            f"`docker run` of {image} failed ({proc.returncode}): {_tail(proc.stderr)}\n{logs}"
        )
    if wait:
        wait_healthy(cid, timeout, port=port, path=health_path)
    return cid


def run_hardened(
    image: str,
    port: int | None = None,
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    command: Sequence[str] | None = None,
    entrypoint: str | None = None,
    tmpfs: Iterable[str] = ("/tmp",),
    volumes: Iterable[str] = (),
    extra_args: Sequence[str] = (),
    wait: bool = True,
    timeout: float = 60.0,
    health_path: str = "/health",
    name: str | None = None,
) -> str:
    """`run_container(..., hardened=True)`: `--read-only --cap-drop=ALL --security-opt=no-new-privileges
    --network=none --tmpfs /tmp`, then (with `wait`) `wait_healthy`. Returns the container id."""
    return run_container(
        image,
        port,
        hardened=True,
        env=env,
        user=user,
        command=command,
        entrypoint=entrypoint,
        tmpfs=tmpfs,
        volumes=volumes,
        extra_args=extra_args,
        wait=wait,
        timeout=timeout,
        health_path=health_path,
        name=name,
    )


def container_state(cid: str) -> dict[str, Any]:
    """`.State` of a container (Status, Running, ExitCode, Health, …)."""
    out = docker_cli("container", "inspect", "--format", "{{json .State}}", cid).stdout
    state: dict[str, Any] = json.loads(out)
    return state


def container_logs(cid: str, tail: int = 80) -> str:
    """The last `tail` lines of stdout+stderr of a container ('' if it is gone)."""
    proc = docker_cli("logs", "--tail", str(tail), cid, check=False)
    return (proc.stdout + proc.stderr).strip()


def _describe(cid: str) -> str:
    try:
        state = container_state(cid)
    except HarnessError:
        return f"container {cid[:12]} is gone"
    health = (state.get("Health") or {}).get("Log") or []
    last_check = f"\nlast healthcheck: {health[-1].get('Output', '').strip()!r}" if health else ""
    return (
        f"container {cid[:12]}: status={state.get('Status')} exit={state.get('ExitCode')} "
        f"oom={state.get('OOMKilled')} error={state.get('Error')!r}{last_check}\n"
        f"--- logs ---\n{container_logs(cid)}"
    )


def remove_container(cid: str) -> None:
    """`docker rm -f -v`; ignores containers that are already gone."""
    docker_cli("rm", "--force", "--volumes", cid, check=False)


def exec_in(
    cid: str, *cmd: str, user: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`docker exec [--user U] <cid> CMD…` (needs CMD inside the image)."""
    args = ["exec", *(["--user", user] if user is not None else []), cid, *cmd]
    return docker_cli(*args, check=check)


def _sidecar(
    cid: str, script: str, *argv: str, timeout: float, namespaces: Sequence[str] = ("network",)
) -> str:
    """Run python `script` in a PROBE_IMAGE container sharing `cid`'s namespaces; return its stdout."""
    ensure_image(PROBE_IMAGE)
    ns_args: list[str] = []
    for ns in namespaces:
        ns_args += [f"--{ns}", f"container:{cid}"]
    proc = docker_cli(
        "run",
        "--rm",
        *ns_args,
        *_scope_labels(),
        *HARDENING_FLAGS,
        "--user",
        "65534:65534",
        "--entrypoint",
        "python3",
        PROBE_IMAGE,
        "-c",
        script,
        *argv,
        check=False,
        timeout=timeout + 30,
    )
    if proc.returncode != 0:
        raise ContainerError(
            f"probe of {cid[:12]} failed: {_tail(proc.stderr)}\n{_tail(proc.stdout)}\n{_describe(cid)}"
        )
    return proc.stdout


_HTTP_PROBE = r"""
import json, sys, time, urllib.error, urllib.request
url, budget, method, headers = sys.argv[1], float(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + budget
while True:
    try:
        req = urllib.request.Request(url, method=method, headers=headers)
        with opener.open(req, timeout=max(1.0, min(10.0, deadline - time.monotonic()))) as r:
            body = r.read().decode("utf-8", "replace")
            out = {"status": r.status, "body": body, "headers": dict(r.headers)}
    except urllib.error.HTTPError as e:
        out = {"status": e.code, "body": e.read().decode("utf-8", "replace"), "headers": dict(e.headers)}
    except OSError as e:
        if time.monotonic() >= deadline:
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
            sys.exit(0)
        time.sleep(0.2)
        continue
    print(json.dumps(out))
    break
"""


@dataclass(frozen=True)
class HttpResponse:
    """What a sidecar probe got back."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class ProbeError(ContainerError):
    """The app never accepted the connection within the time budget."""


def http_get(
    cid: str,
    port: int,
    path: str = "/",
    *,
    timeout: float = 15.0,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """HTTP request to `127.0.0.1:<port><path>` inside `cid`'s network namespace, from a sidecar container.

    Connection errors are retried until `timeout`; then ProbeError (with the container's state and logs). Any
    HTTP status (also 4xx/5xx) is returned, not raised.
    """
    url = f"http://127.0.0.1:{port}{path}"
    out = _sidecar(
        cid, _HTTP_PROBE, url, str(timeout), method, json.dumps(dict(headers or {})), timeout=timeout
    )
    result = json.loads(out.strip().splitlines()[-1])
    if "error" in result:
        raise ProbeError(
            f"no HTTP answer from {url} within {timeout:.0f}s: {result['error']}\n{_describe(cid)}"
        )
    return HttpResponse(int(result["status"]), str(result["body"]), dict(result["headers"]))


_TCP_PROBE = r"""
import socket, sys, time
port, budget, payload = int(sys.argv[1]), float(sys.argv[2]), bytes.fromhex(sys.argv[3])
deadline = time.monotonic() + budget
while True:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            if payload:
                s.sendall(payload)
            s.settimeout(2)
            data = b""
            try:
                while len(data) < 65536:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                pass
        sys.stdout.write(data.hex() + "\n")
        break
    except OSError as e:
        if time.monotonic() >= deadline:
            sys.stdout.write("error " + type(e).__name__ + ": " + str(e) + "\n")
            break
        time.sleep(0.2)
"""


def tcp_probe(cid: str, port: int, payload: bytes = b"", *, timeout: float = 15.0) -> bytes:
    """Connect to `127.0.0.1:<port>` in `cid`'s network namespace, send `payload`, return what comes back.

    Reads until the server closes or is silent for 2 s. Retries connecting until `timeout`, then ProbeError.
    """
    out = _sidecar(cid, _TCP_PROBE, str(port), str(timeout), payload.hex(), timeout=timeout).strip()
    last = out.splitlines()[-1] if out else "error: no output"
    if last.startswith("error"):
        raise ProbeError(f"no TCP connection to port {port} within {timeout:.0f}s: {last}\n{_describe(cid)}")
    return bytes.fromhex(last)


def wait_healthy(
    cid: str,
    timeout: float = 60.0,
    *,
    port: int | None = None,
    path: str = "/health",
) -> None:
    """Wait until the container is healthy; raise ContainerError (with state, logs) if it exits or times out.

    Healthy means: it is running, AND its own HEALTHCHECK (if the image or run has one) reports `healthy`, AND
    (if `port` is given) `GET <path>` on that port answers 200. Without a healthcheck and a port, running is
    enough.
    """
    deadline = time.monotonic() + timeout
    http_ok = port is None
    while True:
        state = container_state(cid)
        if not state.get("Running"):
            raise ContainerError(f"container exited before it was healthy\n{_describe(cid)}")
        health = (state.get("Health") or {}).get("Status")
        if health == "unhealthy":
            raise ContainerError(f"container reports unhealthy\n{_describe(cid)}")
        remaining = deadline - time.monotonic()
        if not http_ok and port is not None:
            try:
                resp = http_get(cid, port, path, timeout=max(1.0, min(3.0, remaining)))
            except ProbeError:
                resp = None
            http_ok = resp is not None and resp.status == 200
        if http_ok and health in (None, "healthy"):
            return
        if time.monotonic() >= deadline:
            raise ContainerError(
                f"not healthy after {timeout:.0f}s (healthcheck={health}, http {path} ok={http_ok})\n"
                + _describe(cid)
            )
        time.sleep(0.3)


_UID_PROBE = r"""
import sys
for line in open("/proc/1/status"):
    if line.startswith("Uid:"):
        print(line.split()[2])
        break
"""


def pid1_uid(cid: str) -> int:
    """Effective uid of the container's main process (PID 1), read from a sidecar sharing its PID namespace.

    Works for every image (no `id` binary needed); this is the uid the app really runs as.
    """
    return int(_sidecar(cid, _UID_PROBE, timeout=30, namespaces=("pid",)).strip().splitlines()[-1])


def exec_id(cid: str) -> int:
    """The uid a process started in the container runs as: `docker exec <cid> id -u`.

    Images without `id` (distroless) fall back to the effective uid of PID 1 (`pid1_uid`).
    """
    proc = exec_in(cid, "id", "-u", check=False)
    if proc.returncode == 0 and proc.stdout.strip().isdigit():
        return int(proc.stdout.strip())
    return pid1_uid(cid)


# ----------------------------------------------------------------------------------------------------------
# cleanup (called by the e2e conftest)


def _ids(*args: str) -> list[str]:
    return docker_cli(*args, check=False).stdout.split()


def cleanup_containers(scope: str | None = None) -> int:
    """Remove this run's containers (only those labelled with `scope` if given); returns how many."""
    filters = ["--filter", f"label={RUN_LABEL}={RUN_ID}"]
    if scope is not None:
        filters += ["--filter", f"label={SCOPE_LABEL}={scope}"]
    cids = _ids("ps", "--all", "--quiet", "--no-trunc", *filters)
    for cid in cids:
        remove_container(cid)
    return len(cids)


def cleanup_images() -> int:
    """Untag (and so delete, unless shared) every image this run built; returns how many tags went."""
    tags = _ids(
        "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", f"reference={TAG_REPO}:{RUN_ID}-*"
    )
    for tag in tags:
        docker_cli("rmi", tag, check=False)
    return len(tags)


@contextlib.contextmanager
def container_scope(name: str) -> Iterator[str]:
    """Label containers started inside the block with a scope and remove them when it ends."""
    scope = f"{_slug(name)[:24]}-{_secrets.token_hex(4)}"
    previous = os.environ.get(_SCOPE_ENV)
    os.environ[_SCOPE_ENV] = scope
    try:
        yield scope
    finally:
        if previous is None:
            os.environ.pop(_SCOPE_ENV, None)
        else:
            os.environ[_SCOPE_ENV] = previous
        if anything_created():
            cleanup_containers(scope)


def hardenify_new(project: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`hardenify new --defaults` in a subprocess with no TTY (stdin /dev/null), as CI or a script
    would run it; no `# syntax=` line, which the offline engine cannot pull."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from hardenify.cli import main; main()",
            "new",
            "--defaults",
            "--no-syntax-directive",
            *extra,
            str(project),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(os.environ, HARDENIFY_CACHE_DIR=str(cache)),
        timeout=120,
        check=False,
    )
