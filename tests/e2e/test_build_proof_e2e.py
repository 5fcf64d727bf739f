"""Issue 14's build-proof tier: every project under `tests/e2e/projects/` with a `proof.toml` is built
before and after `hardenify fix --unsafe-fixes .` and run; the answers must match.

One generic test, driven by each project's `proof.toml`:

    pattern = "..."                        # the real-repository pattern it mirrors (README table too)
    [build]
    args = { NAME = "value" }              # --build-arg, both builds
    secrets = { NAME = "value" }           # legacy build: --build-arg NAME; fixed build: the secret the fix asks for
    pins = { PLACEHOLDER = "image:tag" }   # `@sha256:PLACEHOLDER` becomes the offline registry's digest
    [run]
    args = ["cmd", "..."]                  # instead of the image's CMD
    volume = "/path"                       # a world-writable host directory mounted there
    expect = "..."                         # the probe's answer (stdout, stripped), before and after
    [expect]
    user_added = true                      # the fix adds a USER (and otherwise must not)
    runs_nonroot = true                    # the fixed image runs as non-root (implied by user_added)
    says = ["..."]                         # phrases the fix's output must print (why it declined, what to do)
    changes = ["compose.yaml"]             # companions the first fix pass must change
    contains / lacks / once = { file = ["..."] }   # text the fixed files hold / never hold / hold once
    diff_applies = true                    # `fix --diff` applies with `git apply` and equals the in-place fix

Always asserted: the second fix pass changes no file (companions included), no root USER is written, a USER
the fix wrote comes before CMD/ENTRYPOINT, an all-pinned file gets no unpinned FROM, and no secret value is in
the fixed image's layers, config or history.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomllib

from hardenify.dockerfile import parse
from hardenify.dockerfile.secretmounts import build_secret_flags
from tests.e2e.helpers import build, docker_cli, image_user, is_root_user, scan_image

pytestmark = pytest.mark.e2e

PROJECTS = Path(__file__).resolve().parent / "projects"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Proof:
    name: str
    data: dict[str, Any]

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)


def proofs() -> list[Proof]:
    return [Proof(p.parent.name, tomllib.loads(p.read_text())) for p in sorted(PROJECTS.glob("*/proof.toml"))]


def _hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _users(text: str) -> list[str]:
    return [i.args.strip() for i in parse(text).instructions if i.cmd == "USER"]


def _probe(image: str, proof: Proof, tmp_path: Path, label: str) -> str:
    args = ["run", "--rm", "--network=none"]
    volume = proof.get("run", "volume")
    if volume:
        host = tmp_path / f"volume-{label}"
        host.mkdir()
        host.chmod(0o777)  # writable by the image's user, as the fix's note asks
        args += ["--volume", f"{host}:{volume}"]
    proc = docker_cli(*args, image, *proof.get("run", "args", []), check=False, timeout=120)
    assert proc.returncode == 0, f"{label} image exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout.strip()


def _fixed_secrets(fixed: str, original: str, values: dict[str, str]) -> dict[str, str]:
    """{secret id: value} for the `--secret id=...,env=NAME` flags the fix asks for."""
    out = {}
    for flag in build_secret_flags(fixed, original):
        m = re.fullmatch(r"--secret id=([\w.-]+),env=(\w+)", flag)
        assert m, flag
        assert m.group(2) in values, f"the fix asks for {m.group(2)}, which the project does not provide"
        out[m.group(1)] = values[m.group(2)]
    return out


def _assert_diff_applies(proof: Proof, tmp_path: Path, fixed_files: dict[str, bytes]) -> None:
    """`fix --diff` on a fresh copy, applied with `git apply`, gives the in-place fix's bytes."""
    copy = tmp_path / "diff-copy"
    shutil.copytree(PROJECTS / proof.name, copy)
    subprocess.run(["git", "init", "-q", "."], cwd=copy, check=True, timeout=60)
    diff = subprocess.run(  # bytes: text mode would turn the patch's CRLFs into LFs
        [sys.executable, "-m", "hardenify", "fix", "--diff", "--unsafe-fixes", "."],
        cwd=copy,
        capture_output=True,
        timeout=120,
        check=False,
    )
    patch = diff.stdout.decode()
    assert diff.returncode == 1 and patch.startswith("--- a/"), diff.stderr.decode()
    for name, value in proof.get("build", "secrets", {}).items():
        assert value not in patch
        assert "${" + name + "}" in patch  # a reference is never masked
    applied = subprocess.run(
        ["git", "apply", "-"], input=diff.stdout, cwd=copy, capture_output=True, timeout=60, check=False
    )
    assert applied.returncode == 0, applied.stderr.decode()
    got = {k: v for k, v in _snapshot(copy).items() if not k.startswith(".git/")}
    assert got == fixed_files


@pytest.mark.parametrize("proof", proofs(), ids=lambda p: p.name)
def test_fixed_project_builds_runs_and_answers_the_same(
    docker: str, registry_digests: dict[str, str], tmp_path: Path, proof: Proof
) -> None:
    work = tmp_path / proof.name
    shutil.copytree(PROJECTS / proof.name, work)
    for placeholder, ref in proof.get("build", "pins", {}).items():
        df = work / "Dockerfile"
        df.write_text(df.read_text().replace(f"@sha256:{placeholder}", f"@{registry_digests[ref]}"))
    args: dict[str, str] = proof.get("build", "args", {})
    secrets: dict[str, str] = proof.get("build", "secrets", {})
    expect = proof.get("run", "expect")

    before_image = build(work, tag=f"{proof.name}-before", build_args={**args, **secrets})
    assert _probe(before_image, proof, tmp_path, "before") == expect

    original = (work / "Dockerfile").read_text()
    before_files = _snapshot(work)
    fix = _hardenify("fix", "--unsafe-fixes", ".", cwd=work)
    assert fix.returncode in (0, 1), fix.stderr
    told = fix.stdout + fix.stderr
    fixed_files = _snapshot(work)
    fixed = (work / "Dockerfile").read_text()

    # One pass reaches the fixed point, companions included.
    again = _hardenify("fix", "--unsafe-fixes", ".", cwd=work)
    assert _snapshot(work) == fixed_files, again.stdout + again.stderr
    for name in proof.get("expect", "changes", []):
        assert fixed_files.get(name) != before_files.get(name), f"the first pass did not change {name}"

    for phrase in proof.get("expect", "says", []):
        assert phrase in told, told
    for value in secrets.values():
        assert value not in told
    for file, lines in proof.get("expect", "contains", {}).items():
        text = (work / file).read_bytes().decode()
        for line in lines:
            assert line in text, f"{file} lost {line!r}:\n{text}"
    for file, lines in proof.get("expect", "lacks", {}).items():
        text = (work / file).read_bytes().decode()
        for line in lines:
            assert line not in text, f"{file} has {line!r}:\n{text}"
    for file, lines in proof.get("expect", "once", {}).items():
        text = (work / file).read_bytes().decode()
        for line in lines:
            assert text.count(line) == 1, f"{file} has {line!r} {text.count(line)} times:\n{text}"

    added = [u for u in _users(fixed) if u not in _users(original)]
    user_added = bool(proof.get("expect", "user_added", False))
    assert bool(added) == user_added, f"USERs added: {added}\n{told}"
    assert not any(is_root_user(u) for u in added), added
    final = parse(fixed).final_stage
    assert final is not None
    kinds = [i.cmd for i in final.instructions]
    if "USER" in kinds and {"CMD", "ENTRYPOINT"} & set(kinds):
        last_user = max(i for i, k in enumerate(kinds) if k == "USER")
        assert last_user < min(i for i, k in enumerate(kinds) if k in ("CMD", "ENTRYPOINT")), fixed
    pinned_before = [bool(_DIGEST.search(s.image)) for s in parse(original).stages if s.image != "scratch"]
    if pinned_before and all(pinned_before):
        names = {s.name for s in parse(fixed).stages if s.name}
        assert all(_DIGEST.search(s.image) for s in parse(fixed).stages if s.image not in names), fixed

    if proof.get("expect", "diff_applies", False):
        _assert_diff_applies(proof, tmp_path, fixed_files)

    after_image = build(
        work, tag=f"{proof.name}-after", build_args=args, secrets=_fixed_secrets(fixed, original, secrets)
    )
    assert _probe(after_image, proof, tmp_path, "after") == expect
    if user_added or proof.get("expect", "runs_nonroot", False):
        user = image_user(after_image)
        assert user and not is_root_user(user), f"the fixed image runs as {user!r}"
    if secrets:
        leaks = scan_image(after_image, list(secrets.values()))
        assert not any(leaks.values()), leaks
