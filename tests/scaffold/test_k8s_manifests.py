"""`hardenify new --k8s`: Deployment, Service, NetworkPolicy and kustomization for every stack.

Checked by kubernetes-validate --strict (its bundled schemas), by the Pod Security Standards
`restricted` controls written as checks (extras_tools.pss_restricted_violations), and against
the compose.yaml of the same render: the same uid, writable paths, port and health probe.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hardenify.scaffold.extras import K8S_OUTPUTS, cpu_millis, memory_quantity
from hardenify.scaffold.render import Rendered
from tests.scaffold.extras_tools import kubernetes_validate, pss_restricted_violations

STACKS = ("python", "node", "go", "java", "rust", "ruby", "php", "dotnet", "static")
MANIFESTS = ("k8s/deployment.yaml", "k8s/service.yaml", "k8s/networkpolicy.yaml")


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(io.StringIO(text)) if d is not None]


def deployment(r: Rendered) -> dict[str, Any]:
    (dep,) = docs(r.files["k8s/deployment.yaml"])
    return dep


def app_service(r: Rendered, name: str) -> dict[str, Any]:
    svc: dict[str, Any] = YAML(typ="safe").load(r.files["compose.yaml"])["services"][name]
    return svc


@pytest.fixture(scope="module")
def renders(tset: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """One render per stack with --k8s (default base, no pinning: unit tests stay offline)."""
    from hardenify.scaffold.render import render
    from tests.scaffold.conftest import resolve

    out = {}
    for stack in STACKS:
        root = tmp_path_factory.mktemp(stack)
        det, ans = resolve(tset, root, {"stack": stack, "k8s": True, "name": "svc"})
        out[stack] = render(tset, ans, det.for_stack(ans.stack))
    return out


def test_k8s_is_off_by_default(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python")
    assert not any(p.startswith("k8s/") for p in r.files)


@pytest.mark.parametrize("stack", STACKS)
def test_manifests_pass_kubernetes_validate_strict(
    stack: str, renders: dict[str, Rendered], tmp_path: Path
) -> None:
    r = renders[stack]
    assert [p for p, _ in K8S_OUTPUTS] == [p for p in r.files if p.startswith("k8s/")]
    paths = []
    for rel in MANIFESTS:
        path = tmp_path / rel.split("/")[-1]
        path.write_text(r.files[rel], encoding="utf-8")
        paths.append(path)
    proc = kubernetes_validate(paths)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed") == 4, proc.stdout  # deployment, service, two policies


@pytest.mark.parametrize("stack", STACKS)
def test_pod_meets_pod_security_restricted(stack: str, renders: dict[str, Rendered]) -> None:
    r = renders[stack]
    pod = deployment(r)["spec"]["template"]["spec"]
    assert pss_restricted_violations(pod) == []
    # ...and the rest of the posture the issue asks for, beyond the PSS controls.
    assert pod["automountServiceAccountToken"] is False
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    uid = int(app_service(r, "svc")["user"].split(":")[0])
    assert uid != 0
    assert pod["securityContext"]["runAsUser"] == sc["runAsUser"] == uid
    assert pod["securityContext"]["runAsGroup"] == sc["runAsGroup"] == uid


@pytest.mark.parametrize("stack", STACKS)
def test_emptydirs_are_the_compose_tmpfs_paths(stack: str, renders: dict[str, Rendered]) -> None:
    r = renders[stack]
    pod = deployment(r)["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    mounted = [m["mountPath"] for m in c["volumeMounts"] if m["name"] in empty]
    assert mounted == app_service(r, "svc")["tmpfs"]
    assert "/tmp" in mounted


@pytest.mark.parametrize("stack", STACKS)
def test_ports_resources_and_probes(stack: str, renders: dict[str, Rendered]) -> None:
    r = renders[stack]
    compose = app_service(r, "svc")
    port = int(compose["ports"][0].rsplit(":", 1)[1])
    pod = deployment(r)["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    limits = compose["deploy"]["resources"]["limits"]
    assert c["resources"]["limits"] == {
        "cpu": f"{cpu_millis(limits['cpus'])}m",
        "memory": memory_quantity(limits["memory"]),
    }
    assert set(c["resources"]["requests"]) == {"cpu", "memory"}
    for probe in ("readinessProbe", "livenessProbe"):
        assert set(c[probe]) & {"httpGet", "tcpSocket"}, probe
    (svc,) = docs(r.files["k8s/service.yaml"])
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == deployment(r)["spec"]["selector"]["matchLabels"]


def test_http_probe_uses_the_health_path_of_the_healthcheck(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python", k8s=True, health_path="/healthz")
    (c,) = deployment(r)["spec"]["template"]["spec"]["containers"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert "/healthz" in r.files["Dockerfile"]  # the image's HEALTHCHECK probes the same path


def test_tcp_probe_when_the_health_path_is_unknown(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    """A Node server with no route detection can see: the HEALTHCHECK and both probes only connect."""
    root = tmp_path / "bare"
    root.mkdir()
    (root / "package.json").write_text('{"name": "bare", "scripts": {"start": "node server.js"}}')
    (root / "server.js").write_text('require("http").createServer((q, s) => s.end("x")).listen(3000)\n')
    r = render_for(root, k8s=True)
    assert "require('net').connect(3000" in r.files["Dockerfile"]
    (c,) = deployment(r)["spec"]["template"]["spec"]["containers"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["tcpSocket"] == {"port": "http"}
        assert "httpGet" not in c[probe]


def test_networkpolicy_denies_by_default_and_admits_the_service_port(
    render_for: Callable[..., Rendered],
) -> None:
    r = render_for(stack="node", k8s=True, port=3000, name="web")
    deny, allow = docs(r.files["k8s/networkpolicy.yaml"])
    selector = {"matchLabels": {"app.kubernetes.io/name": "web"}}
    assert deny["spec"] == {"podSelector": selector, "policyTypes": ["Ingress", "Egress"]}
    assert allow["spec"]["podSelector"] == selector
    assert allow["spec"]["ingress"] == [{"ports": [{"port": 3000, "protocol": "TCP"}]}]
    # Egress: DNS only (no backing services asked for).
    assert [p["port"] for rule in allow["spec"]["egress"] for p in rule["ports"]] == [53, 53]

    with_db = render_for(stack="node", k8s=True, port=3000, name="web", postgres=True, redis=True)
    _, allow = docs(with_db.files["k8s/networkpolicy.yaml"])
    ports = [p["port"] for rule in allow["spec"]["egress"] for p in rule["ports"]]
    assert ports == [53, 53, 5432, 6379]


def test_secrets_are_files_like_compose(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python", k8s=True, secrets="API_TOKEN", name="api")
    pod = deployment(r)["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert {"name": "API_TOKEN_FILE", "value": "/run/secrets/api_token"} in c["env"]
    (vol,) = [v for v in pod["volumes"] if "secret" in v]
    assert vol["secret"]["secretName"] == "api-secrets"
    assert vol["secret"]["items"] == [{"key": "api_token", "path": "api_token"}]
    assert app_service(r, "api")["environment"][-1] == "API_TOKEN_FILE=/run/secrets/api_token"


def test_kustomization_deploys_by_digest_when_pinning_is_on(render_for: Callable[..., Rendered]) -> None:
    pinned = render_for(stack="go", k8s=True, pin=True, name="api", image_repo="ghcr.io/acme/api")
    (kust,) = docs(pinned.files["k8s/kustomization.yaml"])
    assert kust["resources"] == ["deployment.yaml", "service.yaml", "networkpolicy.yaml"]
    (image,) = kust["images"]
    assert image["name"] == "api" and image["newName"] == "ghcr.io/acme/api"
    # No deployable tag: only the digest the pipeline signed (it prints the command) runs.
    assert image["newTag"] == "set-the-digest"
    assert "kustomize edit set image api=ghcr.io/acme/api@sha256:" in pinned.files["k8s/kustomization.yaml"]
    assert deployment(pinned)["spec"]["template"]["spec"]["containers"][0]["image"] == "api"

    unpinned = render_for(stack="go", k8s=True, pin=False, name="api")
    (kust,) = docs(unpinned.files["k8s/kustomization.yaml"])
    assert kust["images"] == [{"name": "api", "newName": "api", "newTag": "main"}]


@pytest.mark.parametrize(
    ("compose", "k8s"),
    [("512M", "512Mi"), ("1G", "1Gi"), ("1.5g", "1536Mi"), ("256k", "256Ki"), ("1000", "1000")],
)
def test_memory_quantity(compose: str, k8s: str) -> None:
    assert memory_quantity(compose) == k8s


@pytest.mark.parametrize(("compose", "millis"), [("1.0", 1000), (".5", 500), ("2", 2000), ("0.0001", 1)])
def test_cpu_millis(compose: str, millis: int) -> None:
    assert cpu_millis(compose) == millis
