"""`hardenify new` on the real projects the offline world can build, built and run hardened.

Of the 25 trees in ../shared/projects (rebuilt with extract.py; HARDENIFY_PROJECTS_DIR points at
them), only the plain static site needs nothing from a package registry: the others install
dependencies (pip, npm, Go modules, Maven, Composer, gems, NuGet) that `--network=none` builds
cannot fetch. It is generated with --defaults, built offline, run with the compose file's
hardening, and must become healthy and serve its own index.html.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.e2e.helpers import build, container_state, hardenify_new, http_get, run_container, wait_healthy

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PROJECTS_DIR = Path(os.environ.get("HARDENIFY_PROJECTS_DIR") or REPO.parent / "shared" / "projects")


@pytest.mark.e2e
def test_html5_boilerplate_is_served_by_unprivileged_nginx(tmp_path: Path, docker: str) -> None:
    src = PROJECTS_DIR / "static-html5-boilerplate"
    if not (src / "index.html").is_file():
        pytest.skip(
            f"real project not rebuilt at {src}: run ../shared/projects/extract.py (or set HARDENIFY_PROJECTS_DIR)"
        )
    project = tmp_path / "site"
    shutil.copytree(src, project, ignore=shutil.ignore_patterns("_upstream"))
    proc = hardenify_new(project, tmp_path / "cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "node_build=true" in proc.stderr  # the optional webpack build is named, not run

    service = next(iter(YAML(typ="safe").load(project / "compose.yaml")["services"].values()))
    image = build(project, tag="real-html5-boilerplate")
    args = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges:true"]
    for path in service.get("tmpfs", []):
        args += ["--tmpfs", path]
    cid = run_container(image, user=str(service["user"]), extra_args=args, wait=False, name="real-html5")
    wait_healthy(cid, timeout=120)
    deadline = time.monotonic() + 120
    while container_state(cid).get("Health", {}).get("Status") != "healthy":
        assert time.monotonic() < deadline, f"never healthy: {container_state(cid)}"
        time.sleep(0.5)
    index = http_get(cid, 8080, "/")
    assert index.status == 200
    assert (src / "index.html").read_text().splitlines()[0].strip() in index.body
