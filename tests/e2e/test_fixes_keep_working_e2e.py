"""Issue 14, items 5, 7, 8 and 9, built and run: `fix --unsafe-fixes` keeps the image working.

Each project under `tests/e2e/projects/` is copied, built as it is, fixed with `hardenify fix
--unsafe-fixes .`, built again (`--network=none`, with the secrets the fix asks for) and probed
with the same command before and after: the answers must match.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hardenify.dockerfile.secretmounts import build_secret_flags
from tests.e2e.helpers import build, docker_cli, scan_image

pytestmark = pytest.mark.e2e

PROJECTS = Path(__file__).resolve().parent / "projects"
API_TOKEN_VALUE = "tok_9f8e7d6c5b4a3210ZyXwVuTsRq"


def hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def project(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(PROJECTS / name, dest)
    return dest


def fix(copy: Path) -> tuple[str, str, str]:
    """(original, fixed) Dockerfile and the fix's output; the fix must be idempotent."""
    original = (copy / "Dockerfile").read_text()
    proc = hardenify("fix", "--unsafe-fixes", ".", cwd=copy)
    assert proc.returncode in (0, 1), proc.stderr
    fixed = (copy / "Dockerfile").read_text()
    again = hardenify("fix", "--unsafe-fixes", ".", cwd=copy)
    assert (copy / "Dockerfile").read_text() == fixed, again.stderr
    return original, fixed, proc.stdout + proc.stderr


def probe(image: str, *env: str) -> str:
    args = ["run", "--rm", "--network=none"]
    for e in env:
        args += ["--env", e]
    return str(docker_cli(*args, image, timeout=120).stdout).strip()


def test_quoted_archive_add_still_unpacks(tmp_path: Path) -> None:
    copy = project("add-quoted-archive", tmp_path)
    with tarfile.open(copy / "vendor.tar.gz", "w:gz") as tar:
        tar.add(copy / "vendor", arcname="vendor")
    legacy = build(copy, tag="add-quoted-legacy")
    _, fixed, _ = fix(copy)
    assert 'ADD "vendor.tar.gz" /opt/' in fixed
    assert 'COPY "notes.txt" /opt/notes.txt' in fixed  # the local file is still fixed
    image = build(copy, tag="add-quoted-fixed")
    assert probe(legacy) == probe(image) == "hello from vendor\nnotes"


def test_npm_install_without_lockfile_still_builds(tmp_path: Path) -> None:
    copy = project("npm-no-lockfile", tmp_path)
    legacy = build(copy, tag="npm-nolock-legacy")
    _, fixed, _ = fix(copy)
    assert "npm ci" not in fixed
    check = hardenify("check", "--select", "HF407", ".", cwd=copy)
    assert "no package-lock.json" in check.stdout + check.stderr or "npm install" not in fixed
    image = build(copy, tag="npm-nolock-fixed")
    assert probe(legacy) == probe(image) == "npm-no-lockfile ok"


def test_runtime_secret_is_kept_out_and_the_fix_says_how_to_pass_it(tmp_path: Path) -> None:
    copy = project("runtime-secret", tmp_path)
    legacy = build(copy, tag="runtime-secret-legacy")
    # What the operator is told before merging (the text output of check, with the fix hint).
    told = hardenify("check", "--select", "HF301", "--unsafe-fixes", ".", cwd=copy)
    assert "docker run -e API_TOKEN" in told.stdout and "app.py" in told.stdout, told.stdout
    assert API_TOKEN_VALUE not in told.stdout + told.stderr
    original, fixed, _ = fix(copy)
    assert "ENV API_TOKEN" not in fixed
    secrets = {}
    for flag in build_secret_flags(fixed, original):
        secret_id = flag.removeprefix("--secret ").split(",", 1)[0].removeprefix("id=")
        secrets[secret_id] = API_TOKEN_VALUE
    assert secrets, "the fix must ask for the token as a build secret"
    image = build(copy, tag="runtime-secret-fixed", secrets=secrets, no_cache=True)
    assert probe(legacy) == "200"
    assert probe(image) == "401"  # exactly the change the fix message warns about...
    assert probe(image, f"API_TOKEN={API_TOKEN_VALUE}") == "200"  # ...and passing it as told restores it
    leaks = scan_image(image, [API_TOKEN_VALUE])
    assert not any(leaks.values()), leaks


def test_no_install_recommends_keeps_ca_certificates(tmp_path: Path) -> None:
    """The offline world cannot download over https, nor install a package the stand-in lacks (apt exits
    100 offline), so this proves the fixed install line names ca-certificates and still builds; the
    stand-in golang image already has ca-certificates, curl and git installed."""
    copy = project("apt-tls", tmp_path)
    legacy = build(copy, tag="apt-tls-legacy")
    _, fixed, _ = fix(copy)
    assert "--no-install-recommends ca-certificates curl git" in fixed, fixed
    image = build(copy, tag="apt-tls-fixed")
    assert probe(legacy) == probe(image) == "certs-ok"
