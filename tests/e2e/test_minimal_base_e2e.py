"""e2e: HF205's swap to the minimal variant builds, runs, and the image is no larger.

The offline registry's stand-ins are not the upstream images (see its README): `debian:bookworm`
and `debian:bookworm-slim` are the same stand-in, so their sizes are equal here (upstream the slim
one is ~45 MB smaller); `python:3.12`, `node:22-bookworm` and `eclipse-temurin` have no full
stand-in, so those pairs are skipped with that reason. Sizes are printed (run with -s).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.engine import fix_text
from hardenify.settings import Settings
from tests.e2e import helpers

PAIRS = [
    # (full image, minimal image HF205 swaps to, the app's CMD)
    ("debian:bookworm", "debian:bookworm-slim", '["sh", "-c", "echo app-ok"]'),
    ("python:3.12", "python:3.12-slim", '["python", "-c", "print(\'app-ok\')"]'),
    ("node:22-bookworm", "node:22-bookworm-slim", '["node", "-e", "console.log(\'app-ok\')"]'),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("full", "minimal", "cmd"), PAIRS, ids=[p[0] for p in PAIRS])
def test_swap_builds_runs_and_is_no_larger(
    docker: str, registry_digests: dict[str, str], tmp_path: Path, full: str, minimal: str, cmd: str
) -> None:
    for ref in (full, minimal):
        if ref not in registry_digests:
            pytest.skip(f"the offline registry has no stand-in for `{ref}`")
    before = f"FROM {full} AS app\nCOPY app.txt /app/\nCMD {cmd}\n"
    (tmp_path / "app.txt").write_text("data\n")
    res = fix_text("Dockerfile", before, "dockerfile", Settings(select=("HF205",), unsafe_fixes=True))
    assert res.refused is None
    after = res.text
    assert f"FROM {minimal} AS app\n" in after, after
    sizes = []
    for text, hint in ((before, "hf205-before"), (after, "hf205-after")):
        (tmp_path / "Dockerfile").write_text(text)
        image = helpers.build(tmp_path, tag=hint)
        out = helpers.docker_cli("run", "--rm", "--network=none", image).stdout
        assert "app-ok" in out
        sizes.append(helpers.image_size(image))
    print(f"HF205 {full} -> {minimal}: {helpers.human_size(sizes[0])} -> {helpers.human_size(sizes[1])}")
    assert sizes[1] <= sizes[0]
