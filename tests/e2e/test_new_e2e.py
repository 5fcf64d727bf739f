"""`hardenify new` on the real engine: generate, build offline, run hardened, wait for `healthy`.

For each sample app the offline world can build (its stand-in base images exist), on a copy in
tmp_path: generate non-interactively with pinning ON (the local registry answers for docker.io
and gcr.io over TLS) and without the `# syntax=` line (the offline BuildKit cannot pull a
frontend); check every FROM is pinned to the registry's digest; build with `--network=none`;
run with exactly the hardening the generated compose.yaml sets; wait for Docker's own health
status to say `healthy`; check the process runs as the generated uid and the app answers.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.helpers import (
    build,
    container_state,
    exec_id,
    hardenify_new,
    http_get,
    human_size,
    image_inspect,
    image_size,
    pid1_uid,
    run_container,
    sample,
    wait_healthy,
)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Case:
    sample: str
    stack: str
    port: int
    base: str  # the stack's documented default base, which --defaults must pick


CASES = [
    Case("python-app", "python", 8000, "debian-slim"),
    Case("node-app", "node", 3000, "debian-slim"),
    Case("go-app", "go", 8080, "distroless"),
    Case("rust-app", "rust", 8080, "distroless"),
    Case("static-app", "static", 8080, "debian-slim"),
    Case("ruby-app", "ruby", 8080, "debian-slim"),
    # php: its debian-slim base is php:*-apache-bookworm (Apache as www-data, not `php -S`), which
    # has no stand-in in the offline registry; test_new_structures_e2e builds it on a local one.
]

_FROM = re.compile(r"^FROM\s+(\S+)", re.M)


def _run_args(service: dict[str, Any]) -> tuple[str, list[str]]:
    """The `docker run` flags equivalent to a compose service's hardening settings."""
    args = []
    if service.get("read_only"):
        args.append("--read-only")
    for cap in service.get("cap_drop", []):
        args.append(f"--cap-drop={cap}")
    for cap in service.get("cap_add", []):
        args.append(f"--cap-add={cap}")
    for opt in service.get("security_opt", []):
        args.append(f"--security-opt={opt}")
    for path in service.get("tmpfs", []):
        args += ["--tmpfs", path]
    if "pids_limit" in service:
        args.append(f"--pids-limit={service['pids_limit']}")
    limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
    if "memory" in limits:
        args.append(f"--memory={limits['memory']}")
    if "cpus" in limits:
        args.append(f"--cpus={limits['cpus']}")
    if service.get("init"):
        args.append("--init")
    return str(service["user"]), args


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.stack)
def test_new_builds_runs_hardened_and_becomes_healthy(
    case: Case,
    tmp_path: Path,
    docker: str,
    registry_digests: dict[str, str],
    e2e_report: Callable[[str], None],
) -> None:
    project = tmp_path / case.sample
    shutil.copytree(sample(case.sample), project)

    started = time.monotonic()
    proc = hardenify_new(project, tmp_path / "digest-cache")
    generate_s = time.monotonic() - started
    assert proc.returncode == 0, f"hardenify new failed:\n{proc.stdout}\n{proc.stderr}"

    dockerfile = (project / "Dockerfile").read_text()
    assert "# syntax=" not in dockerfile
    refs = _FROM.findall(dockerfile)
    external = [r for r in refs if "@" in r or ":" in r]
    assert external, dockerfile
    for ref in external:
        name, _, digest = ref.partition("@")
        assert digest, f"{ref} is not pinned although the registry answers:\n{dockerfile}"
        assert registry_digests[name] == digest, (
            f"{name} pinned to {digest}, registry says {registry_digests[name]}"
        )

    compose = YAML(typ="safe").load(project / "compose.yaml")
    (service_name, service), *_ = compose["services"].items()
    answers = YAML(typ="safe").load(project / ".hardenify-answers.yml")["answers"]
    assert answers["stack"] == case.stack and answers["base"] == case.base
    assert answers["port"] == case.port
    user, run_args = _run_args(service)
    uid = int(user.split(":")[0])
    assert uid != 0 and uid == answers["uid"]
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]

    started = time.monotonic()
    image = build(project, tag=f"new-{case.stack}")
    build_s = time.monotonic() - started
    config = image_inspect(image)["Config"]
    assert config["User"] == f"{uid}:{uid}"
    assert config["Healthcheck"]["Test"][0] == "CMD", "the healthcheck must be exec-form"

    cid = run_container(image, user=user, extra_args=run_args, wait=False, name=f"new-{case.stack}")
    started = time.monotonic()
    wait_healthy(cid, timeout=120)
    deadline = time.monotonic() + 120
    while container_state(cid).get("Health", {}).get("Status") != "healthy":
        assert time.monotonic() < deadline, f"never healthy: {container_state(cid)}"
        time.sleep(0.5)
    healthy_s = time.monotonic() - started

    assert pid1_uid(cid) == uid
    assert exec_id(cid) == uid
    root = http_get(cid, case.port, "/")
    assert root.status == 200 and f"hello from {case.stack}" in root.body

    e2e_report(
        f"new {case.stack} ({case.base}, {service_name}): generate {generate_s:.1f}s, build {build_s:.0f}s, "
        f"{human_size(image_size(image))}, healthy in {healthy_s:.1f}s as uid {uid}"
    )
