"""The outputs beyond the container: a CI pipeline (`--ci github|gitlab`) and Kubernetes manifests
(`--k8s`), both off unless asked for.

`render` asks this module which extra files to write (`outputs`) and what their templates need
(`extend_context`): the pinned actions, the CI job images (so the normal digest pinning covers
them) and the Kubernetes resource quantities. The writable paths, uid, port and health path are
the same context values the compose template uses, so both platforms get one posture.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from hardenify.knowledge.actions import pinned_actions
from hardenify.workflows import MARKER

GITHUB_WORKFLOW = ".github/workflows/container.yml"
CI_OUTPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "github": ((GITHUB_WORKFLOW, "_ci/github-workflow.yml.j2"),),
    "gitlab": ((".gitlab-ci.yml", "_ci/gitlab-ci.yml.j2"),),
}
#: Renovate works on GitHub and GitLab alike: one config keeps base-image digests, CI job
#: images and action SHAs (with their `# vX.Y.Z` comments) current.
RENOVATE_OUTPUT = ("renovate.json", "_ci/renovate.json.j2")
K8S_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("k8s/kustomization.yaml", "_k8s/kustomization.yaml.j2"),
    ("k8s/deployment.yaml", "_k8s/deployment.yaml.j2"),
    ("k8s/service.yaml", "_k8s/service.yaml.j2"),
    ("k8s/networkpolicy.yaml", "_k8s/networkpolicy.yaml.j2"),
)
#: Images the GitLab jobs run in (role → reference by tag); `hardenify new` pins them like the
#: base images. trivy matches the version trivy-action installs, cosign comes from Alpine.
GITLAB_IMAGES: dict[str, str] = {
    "ci-python": "python:3.12-slim-bookworm",
    "ci-docker": "docker:28-cli",
    "ci-dind": "docker:28-dind",
    "ci-trivy": "aquasec/trivy:0.70.0",
    "ci-alpine": "alpine:3.22",
}


def outputs(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path in the project, template) of the extra files the answers ask for."""
    out: list[tuple[str, str]] = []
    ci = str(values.get("ci") or "none")
    if ci in CI_OUTPUTS:
        out.extend(CI_OUTPUTS[ci])
        out.append(RENOVATE_OUTPUT)
    if values.get("k8s"):
        out.extend(K8S_OUTPUTS)
    return out


def extend_context(ctx: MutableMapping[str, Any]) -> None:
    """Add what the CI and Kubernetes templates read; the CI job images join `images` (pinned)."""
    ci = str(ctx.get("ci") or "none")
    if ci == "gitlab":
        ctx["images"].update(GITLAB_IMAGES)
    ctx["ci_marker"] = MARKER
    ctx["actions"] = {name: a.uses for name, a in pinned_actions().items()}
    memory = memory_quantity(str(ctx.get("memory") or "512M"))
    cpu = cpu_millis(str(ctx.get("cpus") or "1.0"))
    ctx["k8s_resources"] = {
        # Memory: the request is the limit, so the scheduler never places more than fits.
        "requests": {"cpu": f"{max(cpu // 4, 50)}m", "memory": memory},
        "limits": {"cpu": f"{cpu}m", "memory": memory},
    }


_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def memory_quantity(compose: str) -> str:
    """A compose memory size (`512M`, `1.5g`; binary units) as a Kubernetes quantity (`512Mi`)."""
    s = compose.strip()
    unit = s[-1].lower() if s and s[-1].isalpha() else ""
    number = float(s[:-1] if unit else s)
    size = int(number * _UNITS[unit])
    for suffix, factor in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)


def cpu_millis(compose: str) -> int:
    """A compose CPU count (`1.0`, `.5`) in millicores, at least 1."""
    return max(round(float(compose) * 1000), 1)
