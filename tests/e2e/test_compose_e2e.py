"""Compose hardening, end to end: fix a copy of `legacy-compose`, then run its `web` service as the file says.

There is no compose CLI and no bridge network offline, so `compose_run_args` translates the hardening settings of
one service (read_only, tmpfs, cap_drop/cap_add, security_opt, user, limits, healthcheck, environment, secrets)
into `docker run` flags, and the service is started with exactly those (not with the harness's own hardening).
`docker inspect` then shows the engine applied them, and the service must come up healthy and answer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.helpers import (
    build,
    container_state,
    docker_cli,
    http_get,
    human_size,
    image_size,
    pid1_uid,
    run_container,
    sample,
)

pytestmark = pytest.mark.e2e

PASSWORD = "supersecret"  # the sample's plaintext database password


# ----------------------------------------------------------------------------------------------------------
# compose service -> docker run


@dataclass
class RunSpec:
    """`docker run` flags (before the image) and environment for one compose service."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _duration(value: Any) -> str:
    """Compose durations ("1m30s", "10s") are Go durations, which `docker run` accepts as they are."""
    return str(value)


def memory_bytes(value: Any) -> int:
    """Compose/docker memory size ("512M", "1g", 1048576) in bytes (binary units, as the engine reads them)."""
    match = re.fullmatch(r"(\d+)\s*([bkmg]?)b?", str(value).strip().lower())
    if match is None:
        raise ValueError(f"not a memory size: {value!r}")
    exponent: int = "bkmg".index(match.group(2) or "b")
    return int(match.group(1)) << (10 * exponent)


def _health_args(check: Mapping[str, Any]) -> list[str]:
    """Compose `healthcheck:` -> `--health-*` (or `--no-healthcheck`)."""
    test = check.get("test")
    if check.get("disable") or test in (["NONE"], "NONE"):
        return ["--no-healthcheck"]
    args: list[str] = []
    if isinstance(test, str):
        args += ["--health-cmd", test.removeprefix("CMD-SHELL").strip()]
    elif isinstance(test, list) and test:
        kind, *rest = (str(word) for word in test)
        # `docker run` only has the shell form; an exec-form CMD becomes its shell-quoted equivalent.
        args += ["--health-cmd", rest[0] if kind == "CMD-SHELL" else shlex.join(rest)]
    for key, flag in (("interval", "--health-interval"), ("timeout", "--health-timeout")):
        if key in check:
            args += [flag, _duration(check[key])]
    if "start_period" in check:
        args += ["--health-start-period", _duration(check["start_period"])]
    if "retries" in check:
        args += ["--health-retries", str(check["retries"])]
    return args


def _secret_mounts(
    service: Mapping[str, Any],
    compose: Mapping[str, Any],
    project: Path,
    tmp: Path,
    environ: Mapping[str, str],
) -> list[str]:
    """Service `secrets:` -> read-only bind mounts at /run/secrets/<target>, as compose does without swarm.

    File secrets are mounted from the project; `environment:` secrets are written from `environ` to `tmp`.
    """
    declared: Mapping[str, Any] = compose.get("secrets") or {}
    args: list[str] = []
    for entry in service.get("secrets") or []:
        source = entry if isinstance(entry, str) else str(entry["source"])
        target = source if isinstance(entry, str) else str(entry.get("target", source))
        spec = declared.get(source) or {}
        if "file" in spec:
            path = (project / str(spec["file"])).resolve()
        elif "environment" in spec:
            path = tmp / f"secret-{source}"
            path.write_text(environ[str(spec["environment"])])
        else:
            raise ValueError(f"secret {source!r} is not declared with file: or environment:")
        inside = target if target.startswith("/") else f"/run/secrets/{target}"
        args += ["--volume", f"{path}:{inside}:ro"]
    return args


def compose_run_args(
    service: Mapping[str, Any],
    compose: Mapping[str, Any],
    project: Path,
    tmp: Path,
    environ: Mapping[str, str] | None = None,
) -> RunSpec:
    """Translate one compose service's runtime settings into `docker run` flags and environment."""
    spec = RunSpec()
    args = spec.args
    if service.get("read_only"):
        args.append("--read-only")
    for path in service.get("tmpfs") or []:
        args += ["--tmpfs", str(path)]
    for cap in service.get("cap_drop") or []:
        args.append(f"--cap-drop={cap}")
    for cap in service.get("cap_add") or []:
        args.append(f"--cap-add={cap}")
    for opt in service.get("security_opt") or []:
        args.append(f"--security-opt={opt}")
    if "user" in service:
        args += ["--user", str(service["user"])]
    if service.get("privileged"):
        args.append("--privileged")
    limits: dict[str, Any] = {
        "memory": service.get("mem_limit"),
        "cpus": service.get("cpus"),
        "pids": service.get("pids_limit"),
    }
    for key, value in ((service.get("deploy") or {}).get("resources") or {}).get("limits", {}).items():
        limits[key] = value  # deploy.resources.limits wins, like `docker compose` when both are set
    for key, flag in (("memory", "--memory"), ("cpus", "--cpus"), ("pids", "--pids-limit")):
        if limits.get(key) is not None:
            args.append(f"{flag}={limits[key]}")
    if "healthcheck" in service:
        args += _health_args(service["healthcheck"])
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    spec.env = {str(k): "" if v is None else str(v) for k, v in environment.items()}
    args += _secret_mounts(service, compose, project, tmp, os.environ if environ is None else environ)
    return spec


# ----------------------------------------------------------------------------------------------------------
# fixture: the fixed copy and the web image, once per module


@dataclass(frozen=True)
class FixedProject:
    """The fixed copy of legacy-compose, its parsed compose file and the fix's output."""

    path: Path
    compose: dict[str, Any]
    output: str


def hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a subprocess, the way users do."""
    return subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def fix_project(
    dest: Path, *, db_image: str | None = None, secret_files: Mapping[str, str] | None = None
) -> FixedProject:
    """Copy legacy-compose to `dest` (optionally with another `db` image and files under
    `secrets/`), fix it, parse the result."""
    shutil.copytree(sample("legacy-compose"), dest)
    for name, value in (secret_files or {}).items():
        (dest / "secrets").mkdir(exist_ok=True)
        (dest / "secrets" / name).write_text(value + "\n")
    compose_file = dest / "docker-compose.yml"
    if db_image is not None:
        compose_file.write_text(
            compose_file.read_text().replace("image: python:3.12-slim", f"image: {db_image}")
        )
    before = compose_file.read_text(), (dest / "Dockerfile").read_text()
    proc = hardenify("fix", "--unsafe-fixes", ".", cwd=dest)
    assert proc.returncode == 0, f"fix failed:\n{proc.stderr}\n{proc.stdout}"
    after = compose_file.read_text(), (dest / "Dockerfile").read_text()
    assert after[0] != before[0], "the fix did not touch the compose file"
    assert after[1] != before[1], "the fix did not touch the web Dockerfile"
    again = hardenify("fix", "--unsafe-fixes", ".", cwd=dest)
    assert again.returncode == 0 and (compose_file.read_text(), (dest / "Dockerfile").read_text()) == after
    data: dict[str, Any] = YAML(typ="safe").load(compose_file)
    return FixedProject(dest, data, proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> FixedProject:
    return fix_project(tmp_path_factory.mktemp("compose") / "legacy-compose")


@pytest.fixture(scope="module")
def web_image(docker: str, fixed: FixedProject) -> str:
    build_spec = fixed.compose["services"]["web"]["build"]
    if isinstance(build_spec, str):
        return build(fixed.path / build_spec, tag="compose-web-fixed")
    context = fixed.path / str(build_spec.get("context", "."))
    dockerfile = context / str(build_spec["dockerfile"]) if "dockerfile" in build_spec else None
    return build(context, dockerfile, tag="compose-web-fixed")


# ----------------------------------------------------------------------------------------------------------
# tests


@pytest.mark.e2e
def test_translation_covers_every_hardening_setting(tmp_path: Path) -> None:
    """The helper itself, on settings the fixed sample does not use (cap_add, user, healthcheck, secrets)."""
    (tmp_path / "pw.txt").write_text("x")
    compose = {"secrets": {"pw": {"file": "./pw.txt"}, "tok": {"environment": "TOK"}}}
    service = {
        "read_only": True,
        "tmpfs": ["/tmp"],
        "cap_drop": ["ALL"],
        "cap_add": ["NET_BIND_SERVICE"],
        "security_opt": ["no-new-privileges:true"],
        "user": "10001:10001",
        "pids_limit": 64,
        "mem_limit": "256m",
        "deploy": {"resources": {"limits": {"memory": "128M", "cpus": "0.5"}}},
        "healthcheck": {"test": ["CMD", "python3", "-c", "print(1)"], "interval": "5s", "retries": 2},
        "environment": ["A=1", "B"],
        "secrets": ["pw", {"source": "tok", "target": "token"}],
    }
    spec = compose_run_args(service, compose, tmp_path, tmp_path, {"TOK": "t"})
    assert spec.args == [
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop=ALL",
        "--cap-add=NET_BIND_SERVICE",
        "--security-opt=no-new-privileges:true",
        "--user",
        "10001:10001",
        "--memory=128M",
        "--cpus=0.5",
        "--pids-limit=64",
        "--health-cmd",
        "python3 -c 'print(1)'",
        "--health-interval",
        "5s",
        "--health-retries",
        "2",
        "--volume",
        f"{(tmp_path / 'pw.txt').resolve()}:/run/secrets/pw:ro",
        "--volume",
        f"{tmp_path / 'secret-tok'}:/run/secrets/token:ro",
    ]
    assert spec.env == {"A": "1", "B": ""}
    assert (tmp_path / "secret-tok").read_text() == "t"
    assert _health_args({"test": "CMD-SHELL curl -f localhost"}) == ["--health-cmd", "curl -f localhost"]
    assert _health_args({"test": ["NONE"]}) == ["--no-healthcheck"]


@pytest.mark.e2e
def test_fixed_compose_file_is_hardened(fixed: FixedProject) -> None:
    services = fixed.compose["services"]
    for name, service in services.items():
        assert "privileged" not in service, f"{name} is still privileged"
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert "memory" in service["deploy"]["resources"]["limits"] and service["pids_limit"] > 0, name
        # where the image's writable paths are unknown (a built image; the python stand-in) read_only is
        # left for a human, and the fix output says why
        assert "read_only" not in service, name
        assert "HF608 left for a human" in fixed.output, name
    # web's fixed Dockerfile ends with a non-root USER and starts no privilege dropper: nothing to add
    # back. The db stand-in (python:3.12-slim) is not an image hardenify knows: cap_drop is declined.
    assert services["web"]["cap_drop"] == ["ALL"] and "cap_add" not in services["web"]
    assert "cap_drop" not in services["db"]
    assert (
        "HF605 left for a human: hardenify does not know which capabilities `python:3.12-slim`"
        in fixed.output
    )
    # HF610: the database port is published on loopback only.
    assert services["db"]["ports"] == ["127.0.0.1:5432:5432"]


@pytest.mark.e2e
def test_fixed_web_service_runs_with_the_compose_settings_healthy_and_answers(
    fixed: FixedProject, web_image: str, tmp_path: Path, e2e_report: Callable[[str], None]
) -> None:
    web = fixed.compose["services"]["web"]
    spec = compose_run_args(web, fixed.compose, fixed.path, tmp_path)
    # Volumes are not translated on purpose: the only one is the Docker socket (HF602, no automatic fix), and a
    # test must not hand the engine to a container. It is reported below instead.
    cid = run_container(web_image, 8000, env=spec.env, extra_args=spec.args, timeout=90)

    host = json.loads(docker_cli("container", "inspect", "--format", "{{json .HostConfig}}", cid).stdout)
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    limits = web["deploy"]["resources"]["limits"]
    assert host["PidsLimit"] == int(web["pids_limit"])
    assert host["NanoCpus"] == int(float(limits["cpus"]) * 1e9)
    assert host["Memory"] == memory_bytes(limits["memory"])

    health = (container_state(cid).get("Health") or {}).get("Status")
    assert health == "healthy", f"the image's HEALTHCHECK never reported healthy ({health})"
    root = http_get(cid, 8000, "/")
    assert (root.status, root.body.strip()) == (200, "hello from legacy-compose")
    uid = pid1_uid(cid)
    assert uid != 0
    e2e_report(
        f"compose web (fixed): uid {uid}, health {health}, GET / -> {root.body.strip()!r}, "
        f"size {human_size(image_size(web_image))}, flags {' '.join(spec.args)}; still mounts "
        f"{[v for v in web.get('volumes', []) if 'docker.sock' in str(v)]} (HF602, not auto-fixed)"
    )


@pytest.mark.e2e
def test_check_on_the_fixed_file_never_prints_the_password(fixed: FixedProject) -> None:
    for fmt in ("text", "concise", "json", "sarif", "github", "gitlab"):
        proc = hardenify("check", "--output-format", fmt, ".", cwd=fixed.path)
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stdout.strip(), fmt
        assert PASSWORD not in proc.stdout + proc.stderr, (
            f"`check --output-format {fmt}` printed the password"
        )
    assert PASSWORD not in fixed.output


@pytest.mark.e2e
def test_fix_moves_the_postgres_password_to_a_secret(tmp_path: Path) -> None:
    """With a real postgres image (which reads POSTGRES_PASSWORD_FILE) HF611 moves the password to `secrets:`
    once the secret file holds it (hardenify writes no secret to disk); without the file it stays and the
    output names the file to create.

    Only the file is checked here; tests/e2e/test_compose_up.py runs a postgres stand-in reading the file.
    """
    without = fix_project(tmp_path / "no-file", db_image="postgres:17")
    assert without.compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == PASSWORD
    assert "./secrets/db_postgres_password.txt" in without.output and PASSWORD not in without.output
    project = fix_project(
        tmp_path / "legacy-compose",
        db_image="postgres:17",
        secret_files={"db_postgres_password.txt": PASSWORD},
    )
    db = project.compose["services"]["db"]
    assert "POSTGRES_PASSWORD" not in db["environment"]
    secret_path = db["environment"]["POSTGRES_PASSWORD_FILE"]
    name = secret_path.removeprefix("/run/secrets/")
    assert name in db["secrets"]
    assert "file" in project.compose["secrets"][name]
    assert PASSWORD not in json.dumps(db)


# The sample's db is a python:3.12-slim stand-in (no postgres offline), which does not read *_FILE variables, so
# HF611 rightly leaves POSTGRES_PASSWORD (and web's DATABASE_URL, a URL the app reads) in place and only reports
# them; the test above shows the move on a postgres image.
@pytest.mark.xfail(
    strict=True,
    reason="HF611 fixes only images that read <NAME>_FILE; the offline db stand-in is python:3.12-slim",
)
@pytest.mark.e2e
def test_no_plaintext_password_is_left_in_the_fixed_sample(fixed: FixedProject) -> None:
    text = (fixed.path / "docker-compose.yml").read_text()
    assert PASSWORD not in text
    assert fixed.compose.get("secrets"), "no top-level secrets: declared"
