"""HF413's split, end to end: fix a copy of a single-stage sample, build both images, compare.

For each stack the offline world can build (Go, Rust, Node, Python), a copy of the sample is fixed with
`hardenify fix --unsafe-fixes --select HF413`; the original and the split image are built with `--network=none`;
the split image must not contain the toolchain the original had, must serve the same answers as the original
while running hardened (`--read-only --cap-drop=ALL --security-opt=no-new-privileges`), and the sizes before and
after are reported.

What "no compiler or package manager" means per stack (the runtime base decides what is left):

* Go, Rust → distroless (`static`/`cc`): no go/gofmt/cargo/rustc, no gcc/cc/make, no apt-get/dpkg, no shell.
* Node → `node:<version>-slim` (the default mapping): the devDependencies are pruned and the npm cache stays in the
  build stage, but npm itself remains, because it ships with the Node image and `npm start` needs it. Mapped to
  `gcr.io/distroless/nodejs22-debian12:nonroot` (the `runtime-bases` option), npm, npx and the shell are gone too.
* Python → the same Python's slim image: pip remains (it ships with the image); gcc, make and the full image's
  -dev libraries stay behind. HF413 fires on Python only when a compiler or build tool is kept, and the offline
  stand-ins have no full `python` image, so that case runs only once `python:3.12` is in the offline registry
  (see samples/split-python/README.md) and is skipped, saying so, until then.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardenify.dockerfile.model import parse
from tests.e2e.helpers import (
    DOCKER,
    RUN_ID,
    RUN_LABEL,
    HarnessError,
    build,
    docker_cli,
    http_get,
    human_size,
    image_size,
    image_user,
    run_container,
    run_hardened,
    sample,
)

pytestmark = pytest.mark.e2e

DISTROLESS_NODE = '[options]\nruntime-bases = { node = "gcr.io/distroless/nodejs{major}-debian12:nonroot" }\n'
SHELLS = ("sh", "bash", "dash")


@dataclass(frozen=True)
class Case:
    """One sample split with one mapping, and what the split must have removed."""

    id: str
    sample: str
    port: int
    runtime: str  # the FROM of the runtime stage
    dropped: tuple[str, ...]  # programs the original image has and the runtime must not
    kept: tuple[str, ...] = ()  # programs the runtime still has on purpose (see the module docstring)
    dropped_paths: tuple[str, ...] = ()  # paths (no leading /) in the original, not in the runtime
    config: str | None = None  # .hardenify.toml written next to the copy
    base: str | None = None  # replaces the sample's FROM image in the copy (needs that image offline)


CASES = [
    Case(
        "go",
        "legacy-go",
        8080,
        "gcr.io/distroless/cc-debian12:nonroot",
        dropped=("go", "gofmt", "gcc", "cc", "make", "git", "curl", "apt-get", "dpkg", *SHELLS),
        dropped_paths=("go/src/app/main.go", "usr/local/go"),
    ),
    Case(
        "rust",
        "legacy-rust",
        8080,
        "gcr.io/distroless/cc-debian12:nonroot",
        dropped=("cargo", "rustc", "gcc", "cc", "apt-get", "dpkg", *SHELLS),
        dropped_paths=("usr/src/app/src/main.rs", "usr/src/app/target/release/deps"),
    ),
    Case(
        "node",
        "legacy-node",
        3000,
        "node:22-slim",
        dropped=(),
        kept=("node", "npm", "sh"),
        dropped_paths=("root/.npm",),
    ),
    Case(
        "node-build",
        "split-node",
        3000,
        "node:22-slim",
        dropped=(),
        kept=("node", "npm"),
        dropped_paths=("app/node_modules/split-node-build", "root/.npm"),
    ),
    Case(
        "node-distroless",
        "split-node",
        3000,
        "gcr.io/distroless/nodejs22-debian12:nonroot",
        dropped=("npm", "npx", "apt-get", "dpkg", *SHELLS),
        kept=("node",),
        dropped_paths=("app/node_modules/split-node-build", "root/.npm"),
        config=DISTROLESS_NODE,
    ),
    Case(
        "python",
        "split-python",
        8000,
        "python:3.12-slim",
        dropped=("gcc", "cc", "make"),
        kept=("python3", "pip", "split-python"),  # the console script is in /opt/venv/bin now
        dropped_paths=("usr/local/bin/split-python",),
        base="python:3.12",
    ),
]


def split_copy(case: Case, dest: Path) -> Path:
    """Copy the sample to `dest`, run `hardenify fix` on the copy, return the fixed Dockerfile."""
    shutil.copytree(sample(case.sample), dest)
    if case.config is not None:
        (dest / ".hardenify.toml").write_text(case.config)
    dockerfile = dest / "Dockerfile"
    if case.base is not None:
        text = dockerfile.read_text()
        first = parse(text).stages[0]
        dockerfile.write_text(text.replace(f"FROM {first.image}", f"FROM {case.base}", 1))
    before = dockerfile.read_text()
    cmd = [
        sys.executable,
        "-m",
        "hardenify.cli",
        "fix",
        "--unsafe-fixes",
        "--select",
        "HF413",
        str(dockerfile),
    ]
    proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    after = dockerfile.read_text()
    assert after != before, f"HF413 did not split {case.sample}: {proc.stderr}"
    again = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and dockerfile.read_text() == after, "the split is not idempotent"
    return dockerfile


def image_paths(image: str) -> set[str]:
    """Every path in the image's file system (`docker export` of a created, never started container)."""
    cid = docker_cli("create", "--label", f"{RUN_LABEL}={RUN_ID}", image, "/nonexistent").stdout.strip()
    try:
        proc = subprocess.Popen([DOCKER, "export", cid], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            names = {m.name.rstrip("/").removeprefix("./") for m in tar}
        if proc.wait() != 0:
            raise HarnessError(f"`docker export {cid}` failed")
    finally:
        docker_cli("rm", "--force", cid, check=False)
    return names


def programs(paths: set[str], names: tuple[str, ...]) -> set[str]:
    """Which of `names` are executables in a `bin`/`sbin` directory of the image."""
    found = set()
    for p in paths:
        base = posixpath.basename(p)
        if base in names and posixpath.dirname(p).endswith("bin"):
            found.add(base)
    return found


def has_path(paths: set[str], path: str) -> bool:
    return path in paths or any(p.startswith(path + "/") for p in paths)


@pytest.fixture(scope="session")
def original_image(docker: str) -> Callable[[Case, Path], str]:
    """The unsplit image of a case (its sample's Dockerfile, with the case's base), once per session."""
    cache: dict[tuple[str, str | None], str] = {}

    def get(case: Case, copy: Path) -> str:
        key = (case.sample, case.base)
        if key not in cache:
            if case.base is None:
                cache[key] = build(sample(case.sample), tag=f"{case.sample}-original")
            else:
                text = (sample(case.sample) / "Dockerfile").read_text()
                first = parse(text).stages[0]
                unsplit = copy.parent / "Dockerfile.unsplit"
                unsplit.write_text(text.replace(f"FROM {first.image}", f"FROM {case.base}", 1))
                cache[key] = build(copy, unsplit, tag=f"{case.sample}-original")
        return cache[key]

    return get


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_split_builds_runs_hardened_and_drops_the_toolchain(
    case: Case,
    tmp_path: Path,
    original_image: Callable[[Case, Path], str],
    registry_digests: dict[str, str],
    e2e_report: Callable[[str], None],
) -> None:
    if case.base is not None and case.base not in registry_digests:
        pytest.skip(
            f"the offline registry has no `{case.base}` stand-in (a {case.id} image with a compiler), so there "
            f"is nothing for HF413 to split; see samples/{case.sample}/README.md"
        )
    dockerfile = split_copy(case, tmp_path / case.sample)
    df = parse(dockerfile.read_text())
    assert len(df.stages) == 2
    assert df.stages[0].name == "build"
    assert df.stages[1].image == case.runtime

    original = original_image(case, dockerfile.parent)
    split = build(dockerfile.parent, tag=f"{case.sample}-split-{case.id}")

    before_paths, after_paths = image_paths(original), image_paths(split)
    assert programs(before_paths, case.dropped) == set(case.dropped), "the original should have the toolchain"
    assert programs(after_paths, case.dropped) == set(), "the split image still has build tools"
    assert programs(after_paths, case.kept) == set(case.kept)
    for path in case.dropped_paths:
        assert has_path(before_paths, path), f"the original has no /{path}"
        assert not has_path(after_paths, path), f"the split image still has /{path}"

    cid = run_container(original, case.port)
    want = {p: http_get(cid, case.port, p) for p in ("/", "/health")}
    assert want["/"].status == 200 and want["/"].body.startswith("hello from")
    hardened = run_hardened(split, case.port)
    for path, expected in want.items():
        got = http_get(hardened, case.port, path)
        assert (got.status, got.body) == (expected.status, expected.body), path

    size_before, size_after = image_size(original), image_size(split)
    assert size_after <= size_before
    user = image_user(split) or "root"
    e2e_report(
        f"split {case.sample} ({case.id}): {human_size(size_before)} -> {human_size(size_after)} "
        f"on {case.runtime}, user {user}"
    )
