"""Digest pinning, end to end: `hardenify pin` against the offline registry, then build and run the pinned file.

A copy of a legacy sample is pinned (`hardenify pin .`, TLS to the faked docker.io/gcr.io, a fresh digest cache so
the registry is really asked); every FROM must carry the registry's digest (`digests.tsv`). The copy is then fixed
with `--unsafe-fixes` (which must keep the pins; a stage the fix adds is pinned by a second `pin`), built with
BuildKit `--network=none` (which resolves `name:tag@sha256:…` through the registry) and run: hardened when the
fixed image runs as non-root, plain otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardenify.dockerfile.model import parse
from tests.e2e.helpers import (
    build,
    http_get,
    human_size,
    image_inspect,
    image_size,
    image_user,
    is_root_user,
    pid1_uid,
    run_container,
    run_hardened,
    sample,
)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Case:
    """A sample to pin, and the port its app listens on."""

    name: str
    port: int


CASES = [Case("legacy-python", 8000), Case("legacy-go", 8080)]


def hardenify(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a private digest cache, so every test run asks the registry itself."""
    return subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, HARDENIFY_CACHE_DIR=str(cache)),
    )


def pinned_froms(text: str) -> dict[str, str | None]:
    """{FROM image as written without the digest: its digest or None} for every stage of a Dockerfile."""
    out: dict[str, str | None] = {}
    for stage in parse(text).stages:
        name, _, digest = stage.image.partition("@")
        out[name] = digest or None
    return out


def assert_pinned_to_registry(text: str, registry_digests: dict[str, str]) -> None:
    """Every FROM has a digest, and it is the one the registry serves for that tag."""
    for ref, digest in pinned_froms(text).items():
        assert digest is not None, f"FROM {ref} is not pinned:\n{text}"
        assert ref in registry_digests, f"{ref} is not a stand-in of the offline registry"
        assert digest == registry_digests[ref], (
            f"{ref} pinned to {digest}, registry says {registry_digests[ref]}"
        )


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_pinned_sample_matches_the_registry_builds_and_serves(
    case: Case,
    docker: str,
    tmp_path: Path,
    registry_digests: dict[str, str],
    e2e_report: Callable[[str], None],
) -> None:
    copy = tmp_path / case.name
    shutil.copytree(sample(case.name), copy)
    dockerfile = copy / "Dockerfile"
    cache = tmp_path / "digest-cache"
    original = dockerfile.read_text()

    proc = hardenify("pin", ".", cwd=copy, cache=cache)
    assert proc.returncode == 0, f"pin failed:\n{proc.stderr}\n{proc.stdout}"
    pinned = dockerfile.read_text()
    assert pinned != original
    assert_pinned_to_registry(pinned, registry_digests)
    # Only the reference changed: every other line is byte for byte what it was.
    assert [ln for ln in pinned.splitlines() if not ln.startswith("FROM")] == [
        ln for ln in original.splitlines() if not ln.startswith("FROM")
    ]
    assert hardenify("pin", "--check", ".", cwd=copy, cache=cache).returncode == 0, (
        "pin --check fails right after pin"
    )

    fix = hardenify("fix", "--unsafe-fixes", ".", cwd=copy, cache=cache)
    assert fix.returncode == 0, fix.stderr
    for ref, digest in pinned_froms(pinned).items():
        assert pinned_froms(dockerfile.read_text()).get(ref) == digest, f"the fix dropped the pin of {ref}"
    # A stage the fix added (HF413's runtime stage) is unpinned until the next `pin`.
    repin = hardenify("pin", ".", cwd=copy, cache=cache)
    assert repin.returncode == 0, repin.stderr
    final = dockerfile.read_text()
    assert_pinned_to_registry(final, registry_digests)

    image = build(copy, tag=f"{case.name}-pinned")
    # The base really came from the offline registry's stand-ins (their label is inherited).
    assert (image_inspect(image)["Config"].get("Labels") or {}).get("org.hardenify.standin") == "true"
    user = image_user(image)
    if is_root_user(user):
        cid = run_container(image, case.port)
        mode = "plain"
    else:
        cid = run_hardened(image, case.port)
        mode = "hardened"
        assert pid1_uid(cid) != 0
    root = http_get(cid, case.port, "/")
    assert (root.status, root.body.strip()) == (200, f"hello from {case.name}")
    froms = ", ".join(f"{ref}@{(digest or '')[:19]}…" for ref, digest in pinned_froms(final).items())
    e2e_report(
        f"pin {case.name}: {froms}; run {mode} as {user or 'root'!r}, GET / -> {root.body.strip()!r}, "
        f"{human_size(image_size(image))}"
    )
