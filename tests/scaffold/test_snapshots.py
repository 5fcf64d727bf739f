"""Snapshot tests: the exact text `hardenify new --defaults --no-pin` writes.

Snapshots live in tests/scaffold/snapshots/. After a deliberate template change, regenerate them
with `HARDENIFY_UPDATE_SNAPSHOTS=1 pytest tests/scaffold/test_snapshots.py` and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hardenify.scaffold.render import Rendered

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("HARDENIFY_UPDATE_SNAPSHOTS") == "1"
SAMPLES = ("python-app", "node-app", "go-app", "rust-app", "static-app", "ruby-app", "php-app")
STACKS = ("python", "node", "go", "java", "rust", "ruby", "php", "dotnet", "static")
BASES = ("debian-slim", "distroless", "alpine", "chainguard")


def compare(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.is_file():
        pytest.fail(f"no snapshot {path.relative_to(SNAPSHOTS)}: run with HARDENIFY_UPDATE_SNAPSHOTS=1")
    assert text == path.read_text(), (
        f"{path.relative_to(SNAPSHOTS)} changed; HARDENIFY_UPDATE_SNAPSHOTS=1 to accept"
    )


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_outputs(
    sample: str, sample_copy: Callable[[str], Path], render_for: Callable[..., Rendered]
) -> None:
    out = render_for(sample_copy(sample))
    for path, text in out.files.items():
        compare(SNAPSHOTS / sample / path.replace("/", "__"), text)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("base", BASES)
def test_matrix_dockerfiles(stack: str, base: str, render_for: Callable[..., Rendered]) -> None:
    out = render_for(stack=stack, base=base, name="svc")
    compare(SNAPSHOTS / "matrix" / f"{stack}-{base}.Dockerfile", out.files["Dockerfile"])


def test_services_compose(render_for: Callable[..., Rendered]) -> None:
    out = render_for(
        stack="python",
        name="svc",
        postgres=True,
        redis=True,
        secrets="API_TOKEN",
        env="SENTRY_DSN",
        build_secrets="PIP_INDEX_URL",
    )
    compare(SNAPSHOTS / "services" / "compose.yaml", out.files["compose.yaml"])
    compare(SNAPSHOTS / "services" / "README.Docker.md", out.files["README.Docker.md"])
    compare(SNAPSHOTS / "services" / "Dockerfile", out.files["Dockerfile"])
