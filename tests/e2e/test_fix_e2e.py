"""`hardenify fix --unsafe-fixes`, end to end: fix a copy of each legacy sample, build it offline, run it hardened.

For every legacy sample the offline world can build quickly (python, node, go, apt, secret) a copy is fixed with
`hardenify fix --unsafe-fixes .` (which must exit 0, change the Dockerfile and be idempotent), then the legacy
and the fixed Dockerfile are built with BuildKit (`--network=none`; the secret sample gets the `--secret` flags
the fix asks for, with the fake token as value). The fixed image must run as non-root under
`--read-only --cap-drop=ALL --security-opt=no-new-privileges --network=none` and answer exactly like the legacy
image; for `legacy-secret` the fake tokens the legacy image leaks must be in no layer, config or history of the
fixed one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from hardenify.dockerfile.secretmounts import build_secret_flags
from tests.e2e.helpers import (
    build,
    exec_id,
    http_get,
    human_size,
    image_size,
    image_user,
    is_root_user,
    pid1_uid,
    run_container,
    run_hardened,
    sample,
    scan_image,
)

pytestmark = pytest.mark.e2e

FAKE_GITHUB_TOKEN = "ghp_FAKE" + "0" * 32
FAKE_NPM_TOKEN = "npm_FAKE" + "0" * 32
TOKENS = (FAKE_GITHUB_TOKEN, FAKE_NPM_TOKEN)

# The fix prints e.g. "build it with: docker build --secret id=npm_token,env=NPM_TOKEN ." on stderr.
_SECRET_FLAG = re.compile(r"--secret\s+(id=[A-Za-z0-9_.-]+,(?:env|src)=[^\s,]+)")


@dataclass(frozen=True)
class Case:
    """One legacy sample and the port its app listens on."""

    name: str
    port: int


CASES = [
    Case("legacy-python", 8000),
    Case("legacy-node", 3000),
    Case("legacy-go", 8080),
    Case("legacy-apt", 8000),
    Case("legacy-secret", 3000),
]


@dataclass(frozen=True)
class Fixed:
    """A fixed copy of a sample: where it is, the Dockerfile before/after, and the fix's stderr."""

    copy: Path
    original: str
    fixed: str
    stderr: str

    @property
    def secret_flags(self) -> list[str]:
        """`id=…,env=…` specs of the `--secret` flags the fixed Dockerfile needs (from hardenify itself)."""
        flags = cast(list[str], build_secret_flags(self.fixed, self.original))
        return [flag.removeprefix("--secret ").strip() for flag in flags]


def hardenify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a subprocess, the way users do."""
    return subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below `directory` with its bytes, to prove a second fix run writes nothing."""
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def fix_copy(name: str, dest: Path) -> Fixed:
    """Copy sample `name` to `dest`, fix it with --unsafe-fixes, check the fix is real and idempotent."""
    shutil.copytree(sample(name), dest)
    dockerfile = dest / "Dockerfile"
    original = dockerfile.read_text()
    proc = hardenify("fix", "--unsafe-fixes", ".", cwd=dest)
    assert proc.returncode == 0, f"fix of {name} failed:\n{proc.stderr}\n{proc.stdout}"
    fixed = dockerfile.read_text()
    assert fixed != original, f"the fix did not change {name}/Dockerfile:\n{proc.stderr}"
    before_second = snapshot(dest)
    again = hardenify("fix", "--unsafe-fixes", ".", cwd=dest)
    assert again.returncode == 0, again.stderr
    assert snapshot(dest) == before_second, f"a second fix of {name} changed files: {again.stderr}"
    return Fixed(dest, original, fixed, proc.stderr + proc.stdout)


class Builds:
    """Fixes and builds each sample once per module: legacy and fixed image ids, and the fix itself."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.fixes: dict[str, Fixed] = {}
        self._images: dict[str, tuple[str, str]] = {}
        self._scans: dict[str, dict[str, list[str]]] = {}

    def images(self, name: str) -> tuple[str, str]:
        """(legacy image, fixed image) of sample `name`."""
        if name not in self._images:
            fixed = self.fixes[name] = fix_copy(name, self.workdir / name)
            secrets = {}
            for spec in fixed.secret_flags:
                secret_id = spec.split(",", 1)[0].removeprefix("id=")
                # The sample's tokens are fake; passing the very value the legacy image baked in lets the
                # scan prove the fixed build does not write what it was given into the image.
                secrets[secret_id] = FAKE_NPM_TOKEN
            legacy = build(sample(name), tag=f"{name}-legacy")
            # BuildKit does not key its cache on secret values: a cached RUN from an earlier build with another
            # value would hide what this one writes, so builds that take secrets start from scratch.
            image = build(fixed.copy, tag=f"{name}-fixed", secrets=secrets, no_cache=bool(secrets))
            self._images[name] = (legacy, image)
        return self._images[name]

    def scan(self, image: str) -> dict[str, list[str]]:
        """Where each fake token is in `image` (layers, config, history), scanned once per image."""
        if image not in self._scans:
            found = scan_image(image, TOKENS)
            self._scans[image] = {str(token): hits for token, hits in found.items()}
        return self._scans[image]


@pytest.fixture(scope="module")
def builds(docker: str, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """One `Builds` per module, so each image is built once however many tests use it."""
    return Builds(tmp_path_factory.mktemp("fix"))


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fixed_sample_builds_runs_hardened_as_non_root_and_answers_like_the_legacy_image(
    case: Case, builds: Builds, e2e_report: Callable[[str], None]
) -> None:
    legacy, fixed = builds.images(case.name)

    user = image_user(fixed)
    assert not is_root_user(user), f"the fixed {case.name} image still runs as root (USER={user!r})"

    legacy_cid = run_container(legacy, case.port)
    want = {path: http_get(legacy_cid, case.port, path) for path in ("/", "/health", "/no-such-page")}
    assert (want["/"].status, want["/"].body.strip()) == (200, f"hello from {case.name}")

    cid = run_hardened(fixed, case.port)
    uid = pid1_uid(cid)
    assert uid != 0, "PID 1 of the fixed image runs as root"
    assert exec_id(cid) == uid
    for path, expected in want.items():
        got = http_get(cid, case.port, path)
        assert (got.status, got.body) == (expected.status, expected.body), path

    before, after = image_size(legacy), image_size(fixed)
    e2e_report(
        f"fix {case.name}: USER {user!r} (pid 1 uid {uid}), GET / -> {want['/'].status} "
        f"{want['/'].body.strip()!r}, size {human_size(before)} -> {human_size(after)}"
    )


@pytest.mark.e2e
def test_fix_prints_the_secret_wiring_it_needs(builds: Builds) -> None:
    builds.images("legacy-secret")
    fixed = builds.fixes["legacy-secret"]
    assert fixed.secret_flags, "the fixed legacy-secret Dockerfile mounts no build secret"
    assert "--mount=type=secret" in fixed.fixed
    assert sorted(_SECRET_FLAG.findall(fixed.stderr)) == sorted(fixed.secret_flags), fixed.stderr
    for token in TOKENS:
        assert token not in fixed.fixed, "the fixed Dockerfile still spells out a token"


@pytest.mark.e2e
def test_legacy_secret_image_leaks_the_tokens_the_fixed_one_does_not_configure(
    builds: Builds, e2e_report: Callable[[str], None]
) -> None:
    legacy, fixed = builds.images("legacy-secret")
    before, after = builds.scan(legacy), builds.scan(fixed)
    e2e_report(
        "fix legacy-secret tokens: "
        + "; ".join(f"{t[:8]}… legacy {before[t]}, fixed {after[t] or 'nowhere'}" for t in TOKENS)
    )
    for token in TOKENS:
        assert before[token], f"the legacy image was supposed to leak {token[:8]}…"
    # The ENV and ARG are gone: neither token is in the image config or `docker history` any more.
    leaks = [hit for token in TOKENS for hit in after[token] if not hit.startswith("layer ")]
    assert leaks == [], leaks


# The secret fix also removes the .npmrc the RUN writes the token into (`&& rm -f .npmrc`),
# so HF413's `COPY --from=build /usr/src/app` cannot carry it into the final image.
@pytest.mark.e2e
def test_secret_tokens_are_in_no_layer_of_the_fixed_image(builds: Builds) -> None:
    _, fixed = builds.images("legacy-secret")
    after = builds.scan(fixed)
    assert after == {token: [] for token in TOKENS}, f"the fixed image still leaks a token: {after}"
