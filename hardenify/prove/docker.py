"""The Docker engine through its CLI: every call bounded by a timeout, BuildKit always on.

No SDK: the `docker` CLI is what users have configured (contexts, credential helpers), and a
subprocess with a timeout cannot hang hardenify. Which CLI: `HARDENIFY_DOCKER`, else the
first `docker` on PATH (then `/usr/bin/docker`) that reaches a server and can build with
BuildKit (a client from 23 on needs its buildx plugin for that; 20.10 has BuildKit built in).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMED_OUT = 124
# Names listed from one image's file tree at most; a bigger tree is compared by size only.
MAX_FILES = 300_000


@dataclass(frozen=True)
class Docker:
    """A `docker` CLI that answers, bound to one engine."""

    cli: str
    local: bool  # the engine runs on this host (its containers' /proc is readable here)

    def run(
        self,
        *args: str,
        timeout: float,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`docker ARGS`; a timeout is returned as exit code 124 with a one-line stderr, never raised."""
        full_env = dict(os.environ, DOCKER_BUILDKIT="1", BUILDKIT_PROGRESS="plain", **(env or {}))
        try:
            proc = subprocess.run(
                [self.cli, *args],
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                env=full_env,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else ""
            return subprocess.CompletedProcess(
                [self.cli, *args], TIMED_OUT, out, f"hardenify: timed out after {timeout:.0f}s"
            )
        except OSError as e:
            return subprocess.CompletedProcess([self.cli, *args], 127, "", f"cannot run {self.cli}: {e}")
        return subprocess.CompletedProcess(
            proc.args,
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )

    # ------------------------------------------------------------------------------ images

    def build(
        self,
        context: Path,
        dockerfile_text: str,
        tag: str,
        *,
        build_args: Mapping[str, str],
        secrets: Sequence[str],
        dockerignore: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> tuple[str | None, str]:
        """Build `dockerfile_text` (written outside the context) with `context`; (image id or None, log).

        `secrets` are `--secret` specs; `dockerignore`, when given, is used instead of the
        context's own (BuildKit reads `<Dockerfile>.dockerignore` first).
        """
        with tempfile.TemporaryDirectory(prefix="hardenify-prove-") as tmp:
            df = Path(tmp) / "Dockerfile"
            df.write_text(dockerfile_text, encoding="utf-8", errors="surrogateescape")
            if dockerignore is not None:
                Path(tmp, "Dockerfile.dockerignore").write_text(dockerignore, encoding="utf-8")
            iid = Path(tmp) / "iid"
            args = ["build", "--network=none", "--progress=plain", "--iidfile", str(iid), "--tag", tag]
            args += ["--file", str(df)]
            for key, value in build_args.items():
                args += ["--build-arg", f"{key}={value}"]
            for spec in secrets:
                args += ["--secret", spec]
            args.append(str(context))
            proc = self.run(*args, timeout=timeout, env=env)
            log = proc.stdout + proc.stderr
            if proc.returncode != 0 or not iid.is_file():
                return None, log
            return iid.read_text().strip(), log

    def inspect(self, ref: str, *, kind: str = "image") -> dict[str, Any] | None:
        proc = self.run(kind, "inspect", ref, timeout=30)
        if proc.returncode != 0:
            return None
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            return None
        return data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None

    def files(self, image: str, *, timeout: float = 120.0) -> frozenset[str] | None:
        """Every path in the image's file tree (names only, streamed), or None when it cannot be
        listed within `timeout` and MAX_FILES."""
        created = self.run("create", image, timeout=30)
        cid = (
            created.stdout.strip().splitlines()[-1]
            if created.returncode == 0 and created.stdout.strip()
            else ""
        )
        if not cid:
            return None
        names: set[str] | None = set()
        deadline = time.monotonic() + timeout
        try:
            proc = subprocess.Popen(
                [self.cli, "export", cid],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert proc.stdout is not None
            try:
                with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                    for member in tar:
                        if names is None or len(names) >= MAX_FILES or time.monotonic() > deadline:
                            names = None
                            break
                        if not member.isdir():
                            names.add(member.name.lstrip("./"))
            except (tarfile.TarError, OSError):
                names = None
            finally:
                proc.stdout.close()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
                    names = None
            if proc.returncode not in (0, None, -9, -13) and names is not None:
                names = None
        finally:
            self.run("rm", "--force", cid, timeout=30)
        return frozenset(names) if names is not None else None

    def remove_image(self, ref: str) -> None:
        self.run("rmi", "--force", ref, timeout=60)

    # -------------------------------------------------------------------------- containers

    def start(self, image: str, name: str, options: Sequence[str]) -> tuple[str | None, str]:
        """`docker run --detach`; (container id or None, stderr)."""
        proc = self.run("run", "--detach", "--name", name, *options, image, timeout=60)
        cid = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else ""
        return (cid or None), proc.stderr.strip()

    def state(self, cid: str) -> dict[str, Any]:
        data = self.inspect(cid, kind="container")
        return dict(data.get("State") or {}) if data else {}

    def logs(self, cid: str, tail: int = 40) -> str:
        proc = self.run("logs", "--tail", str(tail), cid, timeout=30)
        return proc.stdout + proc.stderr

    def remove_container(self, cid: str) -> None:
        self.run("rm", "--force", "--volumes", cid, timeout=60)


def _candidates() -> list[str]:
    forced = os.environ.get("HARDENIFY_DOCKER")
    if forced:
        return [forced]
    out: list[str] = []
    for c in (shutil.which("docker"), "/usr/bin/docker"):
        if c and Path(c).is_file() and c not in out:
            out.append(c)
    return out


def find_engine() -> Docker | str:
    """A usable engine, or one line saying why there is none."""
    candidates = _candidates()
    if not candidates:
        return "no `docker` CLI found (set HARDENIFY_DOCKER to its path)"
    problem = ""
    for cli in candidates:
        d = Docker(cli, local=_is_local())
        proc = d.run("version", "--format", "{{.Client.Version}}|{{.Server.Version}}", timeout=20)
        client, _, server = proc.stdout.strip().partition("|")
        if proc.returncode != 0 or not server:
            last = (proc.stderr.strip().splitlines() or ["no server answered"])[-1]
            problem = problem or f"`{cli} version` failed: {last}"
            continue
        major = client.split(".", 1)[0]
        if major.isdigit() and int(major) >= 23 and d.run("buildx", "version", timeout=20).returncode != 0:
            problem = problem or f"{cli} {client} has no buildx plugin, so it cannot build with BuildKit"
            continue
        return d
    return problem


def _is_local() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    return host == "" or host.startswith("unix://")


def listening_ports(pid: int) -> set[int] | None:
    """TCP ports in LISTEN state in the network namespace of host process `pid` (a container's
    main process), read from /proc; None when that cannot be read here."""
    ports: set[int] = set()
    readable = False
    for name in ("tcp", "tcp6"):
        try:
            text = Path(f"/proc/{pid}/net/{name}").read_text()
        except OSError:
            continue
        readable = True
        for line in text.splitlines()[1:]:
            parts = line.split()
            if len(parts) > 3 and parts[3] == "0A":
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports if readable else None


def effective_uid(pid: int) -> int | None:
    """The effective uid of host process `pid`, from /proc (None when unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[2])
    except (OSError, ValueError, IndexError):
        return None
    return None


def engine_or_exit() -> Docker:
    """`--prove` without a reachable engine: say so in one line and exit 2 (before fixing anything)."""
    engine = find_engine()
    if isinstance(engine, str):
        import click

        from hardenify.commands._common import EXIT_ERROR

        click.echo(f"hardenify: error: --prove needs a Docker engine: {engine}", err=True)
        raise SystemExit(EXIT_ERROR)
    return engine
