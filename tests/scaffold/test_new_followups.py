"""Issue 16 follow-ups: uv workspaces, an SPA's own package manager, PHP's dev-server warning,
native gems outside Rails, and `--health-path tcp`.

Each test renders with --no-pin and no network, checks the property, and that `new`'s own gates
pass (hardenify's rules over every output, the compose-spec schema).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from hardenify.compose.schema import validate_text
from hardenify.scaffold.detect import detect
from hardenify.scaffold.render import Rendered, lint_outputs
from hardenify.scaffold.validators import validate

BASES = ("debian-slim", "distroless", "alpine", "chainguard")
PROJECTS = Path(__file__).parent / "fixtures" / "projects"


def _gates(r: Rendered) -> None:
    """`new`'s own gates, then BuildKit's parser and (where installed) hadolint on the Dockerfile."""
    import dockerfile as buildkit

    assert lint_outputs(r.files) == []
    assert validate_text(r.files["compose.yaml"]) == []
    assert buildkit.parse_string(r.files["Dockerfile"])
    hadolint = shutil.which("hadolint")
    if hadolint is not None:
        proc = subprocess.run(
            [hadolint, "--no-color", "-"],
            input=r.files["Dockerfile"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (proc.returncode, proc.stdout.strip()) == (0, ""), r.files["Dockerfile"]


def _build_stage(dockerfile: str) -> str:
    return dockerfile[: dockerfile.rindex("\nFROM ")]


# ------------------------------------------------------------------------------- uv workspaces


def _workspace(tmp_path: Path) -> Path:
    dest = tmp_path / "workspace"
    shutil.copytree(PROJECTS / "uv-workspace", dest)
    return dest


def test_a_uv_workspace_member_is_detected_with_its_package_name(tmp_path: Path) -> None:
    f = detect(_workspace(tmp_path)).facts
    assert (f["python_deps"], f["project_dir"], f["python_path"]) == ("uv", "backend", "backend")
    assert (f["uv_workspace"], f["uv_package"]) == (True, "app")


@pytest.mark.parametrize("base", BASES)
def test_a_uv_workspace_copies_the_members_pyproject_and_syncs_that_package(
    base: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_workspace(tmp_path), base=base)
    build = _build_stage(r.files["Dockerfile"])
    assert "COPY pyproject.toml uv.lock ./\nCOPY backend/pyproject.toml ./backend/\n" in build
    assert "uv sync --frozen --no-dev --no-install-workspace --package app\n" in build
    assert "--no-install-project" not in build
    assert "PYTHONPATH=/app/backend" in r.files["Dockerfile"]
    _gates(r)


def test_a_workspace_member_without_a_usable_name_syncs_all_packages(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = _workspace(tmp_path)
    member = project / "backend" / "pyproject.toml"
    member.write_text(member.read_text().replace('name = "app"', 'name = "app; curl evil | sh"'))
    df = render_for(project).files["Dockerfile"]
    assert "uv sync --frozen --no-dev --no-install-workspace --all-packages\n" in df
    assert "--package" not in df  # the name reaches only the JSON-quoted title label


def test_a_workspace_member_path_that_is_not_plain_is_not_followed(tmp_path: Path) -> None:
    project = _workspace(tmp_path)
    (project / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["back end", "/etc"]\n')
    shutil.move(project / "backend", project / "back end")
    assert detect(project).facts.get("project_dir") == "."


def test_a_uv_project_one_level_down_copies_its_own_lock(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = tmp_path / "repo"
    shutil.copytree(PROJECTS / "uv-workspace" / "backend", project / "backend")
    shutil.copy(PROJECTS / "uv-workspace" / "uv.lock", project / "backend" / "uv.lock")
    r = render_for(project)
    build = _build_stage(r.files["Dockerfile"])
    assert "COPY backend/pyproject.toml backend/uv.lock ./\n" in build
    assert "uv sync --frozen --no-dev --no-install-project\n" in build
    _gates(r)


@pytest.mark.parametrize(
    ("files", "copy"),
    [
        ({"poetry.lock": "# poetry\n"}, "COPY backend/pyproject.toml backend/poetry.lock ./\n"),
        ({}, "COPY backend/pyproject.toml ./\n"),
    ],
    ids=["poetry", "pyproject"],
)
def test_a_python_project_one_level_down_copies_its_dependency_files_from_there(
    files: dict[str, str], copy: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = tmp_path / "repo"
    shutil.copytree(PROJECTS / "uv-workspace" / "backend", project / "backend")
    for name, text in files.items():
        (project / "backend" / name).write_text(text)
    r = render_for(project)
    assert detect(project).facts["project_dir"] == "backend"
    assert copy in _build_stage(r.files["Dockerfile"])
    _gates(r)


def test_new_writes_a_uv_workspace_without_refusing_its_output(
    new: Callable[..., Result], tmp_path: Path
) -> None:
    project = _workspace(tmp_path)
    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 0, result.output
    assert "--package app" in (project / "Dockerfile").read_text()


# ------------------------------------------------------------------ static SPA: package manager

MANAGERS = {
    # manager → (files beside package.json, install line, build line)
    "pnpm": (
        {"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
        "pnpm install --frozen-lockfile",
        "pnpm run build",
    ),
    "yarn": (
        {"yarn.lock": "# yarn lockfile v1\n"},
        "yarn install --frozen-lockfile --non-interactive",
        "yarn run build",
    ),
    "yarn-berry": (
        {"yarn.lock": "__metadata:\n  version: 8\n", ".yarnrc.yml": "nodeLinker: node-modules\n"},
        "yarn install --immutable",
        "yarn run build",
    ),
    "npm": ({"package-lock.json": "{}\n"}, "npm ci", "npm run build"),
    "npm-shrinkwrap": ({"npm-shrinkwrap.json": "{}\n"}, "npm ci", "npm run build"),
}


def _spa(root: Path, files: dict[str, str]) -> Path:
    shutil.copytree(PROJECTS / "cra-spa", root)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("manager", sorted(MANAGERS))
def test_a_spa_installs_and_builds_with_its_lockfiles_manager(
    manager: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    files, install, build_line = MANAGERS[manager]
    project = _spa(tmp_path / "spa", files)
    assert detect(project).facts["build_command"] == build_line
    r = render_for(project)
    build = _build_stage(r.files["Dockerfile"])
    lock = next(n for n in files if n != ".yarnrc.yml")
    assert f"COPY package.json {lock} ./\n" in build
    assert f"{install}\n" in build and f"RUN {build_line}\n" in build
    assert ("COPY .yarnrc.yml ./" in build) == (manager == "yarn-berry")
    assert " npm install" not in build and (manager.startswith("npm") or " npm " not in build)
    _gates(r)


def test_a_spa_without_a_lockfile_says_its_install_is_not_reproducible(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    build = _build_stage(render_for(_spa(tmp_path / "spa", {})).files["Dockerfile"])
    assert "npm install --no-package-lock\n" in build and "commit the\n# lockfile" in build


def test_a_spa_on_chainguard_caches_in_the_build_users_home(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = _spa(tmp_path / "spa", MANAGERS["pnpm"][0])
    build = _build_stage(render_for(project, base="chainguard").files["Dockerfile"])
    assert "--mount=type=cache,target=/home/node/.local/share/pnpm/store,uid=65532" in build


# ------------------------------------------------------------------------- PHP dev-server warning


def _php(root: Path, *, htaccess: bool = False) -> Path:
    (root / "public").mkdir(parents=True)
    (root / "public" / "index.php").write_text("<?php echo 'hi';\n")
    if htaccess:
        (root / "public" / ".htaccess").write_text("RewriteEngine On\n")
    return root


@pytest.mark.parametrize("base", ["distroless", "alpine", "chainguard"])
def test_php_on_a_base_without_apache_says_it_uses_the_dev_server(
    base: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_php(tmp_path / "site", htaccess=True), base=base)
    assert '"-S"' in r.files["Dockerfile"]
    [warning] = [w for w in r.warnings if "php -S" in w]
    assert "development server" in warning and "--base debian-slim" in warning and "--command" in warning
    assert ".htaccess" in warning  # detection's php_server is apache: say why it matters
    assert f"* {warning}" in r.files["README.Docker.md"]
    _gates(r)


def test_php_on_debian_slim_serves_with_apache_and_warns_of_nothing(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_php(tmp_path / "site"), base="debian-slim")
    assert r.warnings == [] and "php -S" not in r.files["README.Docker.md"]


def test_php_with_its_own_server_command_is_not_warned_about(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_php(tmp_path / "site"), base="alpine", command="frankenphp php-server --listen :8080")
    assert r.warnings == []


def test_new_prints_the_php_dev_server_warning(new: Callable[..., Result], tmp_path: Path) -> None:
    project = _php(tmp_path / "site")
    result = new("--defaults", "--no-pin", "--base", "alpine", str(project))
    assert result.exit_code == 0, result.output
    assert "hardenify new: note: PHP on the alpine base is served by PHP's built-in" in result.output
    assert ".htaccess" not in result.output  # no .htaccess: php_server is php-fpm


# ----------------------------------------------------------------------------------- native gems


def _sinatra(root: Path, gems: str) -> Path:
    root.mkdir()
    (root / "Gemfile").write_text(f'source "https://rubygems.org"\ngem "sinatra"\n{gems}')
    (root / "app.rb").write_text("require 'sinatra'\nget('/') { 'hi' }\n")
    return root


@pytest.mark.parametrize(("base", "compiler"), [("debian-slim", "build-essential"), ("alpine", "build-base")])
def test_a_non_rails_app_with_native_gems_gets_a_compiler_in_the_build_stage(
    base: str, compiler: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = _sinatra(tmp_path / "api", 'gem "pg"\n')
    assert detect(project).facts["native_gems"] is True
    df = render_for(project, base=base).files["Dockerfile"]
    assert compiler in _build_stage(df) and compiler not in df[df.rindex("\nFROM ") :]


def test_a_non_rails_app_without_native_gems_gets_no_compiler(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = _sinatra(tmp_path / "api", "")
    assert detect(project).facts["native_gems"] is False
    assert "build-essential" not in render_for(project).files["Dockerfile"]


# ---------------------------------------------------------------------------- --health-path tcp


def test_the_health_validator_takes_tcp_or_a_plain_path() -> None:
    assert validate("health", "tcp") == "tcp" and validate("health", " TCP ") == "tcp"
    assert validate("health", "/api/v1/utils/health-check/") == "/api/v1/utils/health-check/"
    for bad in ("tcp://x", "health", "/a b", "/x'; rm -rf /"):
        with pytest.raises(ValueError, match="plain URL path"):
            validate("health", bad)


def test_health_path_tcp_asks_for_a_tcp_probe(new: Callable[..., Result], tmp_path: Path) -> None:
    project = tmp_path / "api"
    project.mkdir()
    (project / "requirements.txt").write_text("flask\ngunicorn\n")
    (project / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n@app.get('/')\ndef i():\n    return 'x'\n"
    )
    result = new("--defaults", "--no-pin", "--k8s", "--health-path", "tcp", str(project))
    assert result.exit_code == 0, result.output
    df = (project / "Dockerfile").read_text()
    assert "socket.create_connection(('127.0.0.1', 8000)" in df and "urlopen" not in df
    assert "you chose `--health-path tcp`" in (project / "README.Docker.md").read_text()
    deployment = next(p for p in project.rglob("deployment.yaml"))
    assert "tcpSocket" in deployment.read_text() and "httpGet" not in deployment.read_text()


def test_health_path_other_than_tcp_is_still_refused(new: Callable[..., Result], tmp_path: Path) -> None:
    result = new("--defaults", "--no-pin", "--stack", "python", "--health-path", "tcp:8000", str(tmp_path))
    assert result.exit_code == 2
    assert "plain URL path" in result.output and "Traceback" not in result.output


def test_the_tcp_fallback_note_names_an_option_that_works(tmp_path: Path) -> None:
    """Detection's TCP-fallback note sends users to --health-path: what it suggests validates."""
    project = tmp_path / "api"
    project.mkdir()
    (project / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (project / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    [note] = [w for w in detect(project).warnings if "--health-path" in w]
    suggested = note.split("--health-path ", 1)[1].split()[0]
    assert validate("health", suggested) == suggested
    assert json.dumps(note)  # one line, plain text
