"""Detection on small fixture projects that reproduce the layouts real projects broke on (issue 16).

Each fixture under fixtures/projects/ is our own minimal code with the structure of a real
project: an app factory, nested `-r` includes, a uv src layout, CRA and Angular SPAs, a cgo
module with an old `go` line, a Gradle root project name, a Maven child of a parent POM, a
.NET 6 minimal API, a Laravel app, and an Express app whose comments mention other ports.
"""

from __future__ import annotations

import datetime
import itertools
import json
import shutil
from pathlib import Path

import pytest

from hardenify.scaffold import detect as detect_module
from hardenify.scaffold.detect import Detection, detect
from hardenify.scaffold.detect_routes import (
    go_routes,
    js_routes,
    pick_health,
    rust_routes,
    strip_comments,
)

PROJECTS = Path(__file__).parent / "fixtures" / "projects"


def project(name: str, tmp_path: Path) -> Path:
    """A copy, so detection sees a directory that is not inside the hardenify checkout."""
    dest = tmp_path / name
    shutil.copytree(PROJECTS / name, dest)
    return dest


def warned(det: Detection, *words: str) -> bool:
    return any(all(w in note for w in words) for note in det.warnings)


# ------------------------------------------------------------------------------------------ python


def test_flask_app_factory_runs_create_app_with_a_dev_server_warning(tmp_path: Path) -> None:
    det = detect(project("flask-factory", tmp_path))
    f = det.facts
    assert det.stack == "python"
    assert f["app_object"] == "notes:create_app()"
    assert f["command"] == "python -m flask --app notes:create_app() run --host 0.0.0.0 --port {{ port }}"
    assert f["dev_server"] == "python -m flask --app notes:create_app() run --host 0.0.0.0 --port"
    assert f["port"] == 5000
    assert f["health_path"] == "/healthz"  # the blueprint's route (made without a url_prefix)
    assert warned(det, "development server", "gunicorn", "--command")
    assert f["warnings"] == det.warnings
    assert det.notes[: len(det.warnings)] == det.warnings  # printed first by `new`


def test_flask_app_factory_with_gunicorn_uses_it(tmp_path: Path) -> None:
    root = project("flask-factory", tmp_path)
    text = (root / "pyproject.toml").read_text().replace('"flask>=3"', '"flask>=3", "gunicorn"')
    (root / "pyproject.toml").write_text(text)
    det = detect(root)
    assert det.facts["command"] == "python -m gunicorn --bind 0.0.0.0:{{ port }} notes:create_app()"
    assert det.facts["port"] == 8000
    assert "dev_server" not in det.facts
    assert not warned(det, "development server")


def test_requirement_includes_are_followed_inside_the_project(tmp_path: Path) -> None:
    root = project("django-includes", tmp_path)
    (tmp_path / "outside.txt").write_text("gunicorn\n")  # what ../../outside.txt points at
    det = detect(root)
    f = det.facts
    assert {"django", "uwsgi", "asgiref"} <= set(f["deps"])
    assert "gunicorn" not in f["deps"]  # the include outside the project is not read
    assert any("outside the project" in n for n in det.notes)
    assert f["command"] == (
        "uwsgi --http-socket 0.0.0.0:{{ port }} --master --need-app --module shop.wsgi:application"
    )
    assert f["health_path"] == "/healthz/"
    assert "dev_server" not in f


def test_requirement_include_cycle_and_depth_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r a.txt\nflask\n")
    (tmp_path / "a.txt").write_text("-r requirements.txt\n-r b.txt\n")
    chain = ["b", "c", "d", "e", "f", "g", "h"]
    for this, nxt in itertools.pairwise(chain):
        (tmp_path / f"{this}.txt").write_text(f"-r {nxt}.txt\n{this}-pkg\n")
    (tmp_path / "h.txt").write_text("h-pkg\n")
    det = detect(tmp_path)
    deps = set(det.facts["deps"])
    assert {"flask", "b-pkg", "c-pkg", "d-pkg"} <= deps
    assert "h-pkg" not in deps  # deeper than the include limit
    assert any("nested deeper" in n for n in det.notes)


def test_django_without_a_server_warns_about_runserver(tmp_path: Path) -> None:
    root = project("django-includes", tmp_path)
    prod = root / "requirements" / "production.txt"
    prod.write_text(prod.read_text().replace("uwsgi>=2.0  # the server\n", ""))
    det = detect(root)
    assert det.facts["command"] == "python manage.py runserver 0.0.0.0:{{ port }} --noreload"
    assert warned(det, "development server", "runserver")


def test_uv_src_layout(tmp_path: Path) -> None:
    det = detect(project("uv-src-layout", tmp_path))
    f = det.facts
    assert (f["python_deps"], f["python_path"], f["version"], f["name"]) == ("uv", "src", "3.12", "ledger")
    # fastapi[standard] brings uvicorn along
    assert f["command"] == "python -m uvicorn ledger.main:app --host 0.0.0.0 --port {{ port }}"
    assert f["health_path"] == "/api/health"
    assert f["health_probe"] == "http"
    assert "ACCESS_TOKEN_EXPIRE_MINUTES" in f["env"].split(",")
    assert f["secrets"].split(",") == ["SECRET_KEY"]


def test_python_project_in_a_subdirectory(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "django-includes", tmp_path / "app")
    (tmp_path / "README.md").write_text("docs\n")
    f = detect(tmp_path).facts
    assert (f["python_path"], f["project_dir"], f["requirements_file"]) == (
        "app",
        "app",
        "app/requirements.txt",
    )
    assert f["command"].endswith("--module shop.wsgi:application")


def test_uv_workspace_member_is_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["backend"]\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    shutil.copytree(PROJECTS / "uv-src-layout" / "src" / "ledger", tmp_path / "backend" / "ledger")
    (tmp_path / "backend" / "pyproject.toml").write_text(
        '[project]\nname = "ledger"\ndependencies = ["fastapi", "uvicorn"]\n'
    )
    f = detect(tmp_path).facts
    assert (f["python_deps"], f["python_path"], f["project_dir"]) == ("uv", "backend", "backend")
    assert f["command"] == "python -m uvicorn ledger.main:app --host 0.0.0.0 --port {{ port }}"


def test_fastapi_factory_module_attribute_and_router_prefixes(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import APIRouter, FastAPI\n"
        "router = APIRouter()\n"
        "@router.get('/')\n"
        "def items(): ...\n"
        "def get_application():\n"
        "    application = FastAPI()\n"
        "    application.include_router(router, prefix='/items')\n"
        "    return application\n"
        "app = get_application()\n"
    )
    det = detect(tmp_path)
    assert det.facts["command"] == "python -m uvicorn app.main:app --host 0.0.0.0 --port {{ port }}"
    # `/` is the router's, mounted under /items: no route is known, so the probe is TCP
    assert (det.facts["health_probe"], det.facts["health_path"]) == ("tcp", "/")
    assert warned(det, "health_probe=tcp", "--health-path")


# -------------------------------------------------------------------------------------------- SPAs


def test_create_react_app_is_a_static_spa(tmp_path: Path) -> None:
    det = detect(project("cra-spa", tmp_path))
    f = det.facts
    assert det.stack == "static"
    assert (f["spa"], f["spa_tool"], f["spa_framework"]) == (True, "create-react-app", "react")
    assert (f["build_command"], f["site_dir"], f["node_build"], f["spa_fallback"]) == (
        "npm run build",
        "build",
        True,
        True,
    )
    assert "node_options" not in f  # react-scripts 5 builds on current Node


def test_old_create_react_app_needs_the_legacy_openssl_provider(tmp_path: Path) -> None:
    root = project("cra-spa", tmp_path)
    pkg = json.loads((root / "package.json").read_text())
    pkg["dependencies"]["react-scripts"] = "1.1.1"
    (root / "package.json").write_text(json.dumps(pkg))
    det = detect(root)
    assert det.facts["node_options"] == "--openssl-legacy-provider"
    assert warned(det, "openssl-legacy-provider")


def test_angular_output_dir_comes_from_angular_json(tmp_path: Path) -> None:
    det = detect(project("angular-spa", tmp_path))
    f = det.facts
    assert det.stack == "static"
    assert (f["spa_framework"], f["site_dir"], f["lockfile"]) == (
        "angular",
        "dist/shop-ui/browser",
        "package-lock.json",
    )


def test_vite_vue_spa_with_pnpm_and_hash_history(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "scripts": {"dev": "vite", "build": "vite build"},
                "dependencies": {"vue": "^3", "vue-router": "^4"},
                "devDependencies": {"vite": "^5"},
            }
        )
    )
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    (tmp_path / "index.html").write_text("<div id=app></div>\n")
    (tmp_path / "vite.config.ts").write_text("export default { build: { outDir: 'public-dist' } }\n")
    (tmp_path / "src" / "router").mkdir(parents=True)
    (tmp_path / "src" / "router" / "index.ts").write_text(
        "createRouter({ history: createWebHashHistory() })\n"
    )
    f = detect(tmp_path).facts
    assert (f["spa_framework"], f["build_command"], f["site_dir"], f["spa_fallback"]) == (
        "vue",
        "pnpm run build",
        "public-dist",
        False,
    )


def test_server_frameworks_stay_node_servers(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "scripts": {"build": "nest build", "start:prod": "node dist/main"},
                "dependencies": {"@nestjs/core": "^10"},
            }
        )
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.controller.ts").write_text(
        "@Controller()\nexport class A {\n  @Get()\n  hi() {}\n}\n"
    )
    (tmp_path / "src" / "main.ts").write_text("await app.listen(process.env.PORT || config.port || 3001);\n")
    det = detect(tmp_path)
    assert det.stack == "node"
    assert (det.facts["command"], det.facts["port"], det.facts["health_path"]) == (
        "node dist/main",
        3001,
        "/",
    )


def test_html_with_optional_build_and_no_lockfile_is_served_as_is(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"scripts": {"start": "webpack serve", "build": "webpack"}})
    )
    (tmp_path / "index.html").write_text("<h1>hi</h1>\n")
    det = detect(tmp_path)
    assert det.stack == "static"
    assert (det.facts["site_dir"], det.facts["node_build"]) == (".", False)
    assert warned(det, "node_build=true")


# -------------------------------------------------------------------------------------------- ports


def test_ports_ignore_comments_and_addresses(tmp_path: Path) -> None:
    det = detect(project("express-comments", tmp_path))
    f = det.facts
    assert det.stack == "node"
    assert f["port"] == 3000  # not 80 (JSDoc), 443 (a // comment) or 127 ("127.0.0.1:8000")
    assert f["command"] == "node server.js"
    assert f["health_path"] == "/healthz"
    assert "code_port" not in f


def test_privileged_port_maps_to_an_unprivileged_one(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"main": "server.js", "dependencies": {"express": "4"}})
    )
    (tmp_path / "server.js").write_text("const app = require('express')();\napp.listen(80);\n")
    det = detect(tmp_path)
    assert (det.facts["port"], det.facts["code_port"]) == (8080, 80)
    assert warned(det, "port 80", "8080", "--port")


def test_strip_comments_keeps_strings_and_lines() -> None:
    src = "a = \"http://x/*y*/\"; // c 80\n/* 443\n */ b = '#1' # 9\n"
    out = strip_comments(src)
    assert out.count("\n") == src.count("\n")
    assert '"http://x/*y*/"' in out and "80" not in out and "443" not in out
    assert "# 9" in out  # not a comment in C-like languages
    assert "# 9" not in strip_comments(src, hash_comments=True)


# ---------------------------------------------------------------------------------------------- go


def test_go_cgo_and_end_of_life_go_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project("go-cgo", tmp_path)
    monkeypatch.setattr(detect_module, "_today", lambda: datetime.date(2026, 12, 5))
    det = detect(root)
    f = det.facts
    assert f["cgo"] is True
    assert warned(det, "cgo", "github.com/mattn/go-sqlite3")
    assert "version" not in f  # go 1.15 is past its end of life: the template's Go builds it
    assert warned(det, "go 1.15", "end of life", "--runtime-version")
    assert f["port"] == 8080  # r.Run(); not 9999 from the comment
    assert f["health_path"] == "/api/ping"  # the route on a group with a literal prefix


def test_go_line_maps_to_the_nearest_supported_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("go-cgo", tmp_path)
    monkeypatch.setattr(detect_module, "_today", lambda: datetime.date(2024, 1, 1))
    det = detect(root)
    assert det.facts["version"] == "1.20"  # 1.15 had ended; 1.20 was the oldest supported release then
    assert warned(det, "nearest supported")
    monkeypatch.setattr(detect_module, "_today", lambda: datetime.date(2021, 1, 1))
    assert detect(root).facts["version"] == "1.15"  # still supported then: kept, no warning


def test_go_line_past_eol_with_no_known_successor_is_kept_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.23\n")
    (tmp_path / "main.go").write_text("package main\nfunc main() {}\n")
    monkeypatch.setattr(detect_module, "_today", lambda: datetime.date(2026, 12, 5))
    det = detect(tmp_path)
    assert det.facts["version"] == "1.23"  # golang:1.23-bookworm exists; the table names no successor
    assert warned(det, "go 1.23", "end of life", "--runtime-version")


def test_go_without_cgo(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.24\n")
    (tmp_path / "main.go").write_text(
        'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":9000", nil) }\n'
    )
    f = detect(tmp_path).facts
    assert (f["cgo"], f["port"], f["version"]) == (False, 9000, "1.24")


def test_route_helpers() -> None:
    assert go_routes('func R(g *gin.RouterGroup) { g.GET("/", h) }') == []  # prefix set by the caller
    assert rust_routes(
        'App::new().route("/", web::get().to(h)).service(web::scope("/a").route("/health", web::get().to(h)))'
    ) == ["/"]
    assert js_routes('const router = express.Router();\nrouter.get("/health", h);\napp.get("/", h);') == ["/"]
    assert pick_health(["/", "/api/v1/healthz", "/status"]) == "/api/v1/healthz"
    assert pick_health(["/users"]) is None


# -------------------------------------------------------------------------------------- java / .NET


def test_gradle_root_project_name(tmp_path: Path) -> None:
    det = detect(project("gradle-root-name", tmp_path))
    f = det.facts
    assert (det.stack, f["build_tool"], f["name"], f["spring_boot"]) == (
        "java",
        "gradle",
        "inventory-service",
        True,
    )
    assert f["health_path"] == "/healthz"


def test_maven_child_is_named_after_its_own_artifact(tmp_path: Path) -> None:
    f = detect(project("maven-child", tmp_path)).facts
    assert (f["build_tool"], f["name"], f["version"]) == ("maven", "petstore", "17")


def test_dotnet6_target_framework(tmp_path: Path) -> None:
    det = detect(project("dotnet6-api", tmp_path))
    f = det.facts
    assert (f["target_framework"], f["version"], f["aspnetcore_port_env"]) == (
        "net6.0",
        "6.0",
        "ASPNETCORE_URLS",
    )
    assert f["health_path"] == "/healthz"  # not /old, which is commented out


def test_dotnet8_and_directory_build_props(tmp_path: Path) -> None:
    (tmp_path / "Directory.Build.props").write_text(
        "<Project><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>\n"
    )
    (tmp_path / "src" / "Api").mkdir(parents=True)
    (tmp_path / "src" / "Api" / "Api.csproj").write_text('<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n')
    f = detect(tmp_path).facts
    assert (f["target_framework"], f["aspnetcore_port_env"]) == ("net8.0", "ASPNETCORE_HTTP_PORTS")
    assert f["health_probe"] == "tcp"


# ------------------------------------------------------------------------------------- php / ruby


def test_laravel_writable_dirs_server_and_routes(tmp_path: Path) -> None:
    det = detect(project("laravel-app", tmp_path))
    f = det.facts
    assert (det.stack, f["framework"], f["docroot"], f["php_server"]) == (
        "php",
        "laravel",
        "public",
        "apache",
    )
    assert f["writable"] == "/app/storage,/app/bootstrap/cache"
    assert f["health_path"] == "/api/health"  # routes/api.php is served under /api


def test_php_without_htaccess_is_php_fpm(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.php").write_text("<?php\n$app->get('/', fn () => 1);\n")
    f = detect(tmp_path).facts
    assert (f["php_server"], f["health_path"]) == ("php-fpm", "/")


@pytest.mark.parametrize(
    ("lock_version", "health"),
    [("4.2.11", "/"), ("7.0.8", "/"), ("7.1.3", "/up"), ("8.0.1", "/up")],
)
def test_rails_up_only_from_7_1(tmp_path: Path, lock_version: str, health: str) -> None:
    (tmp_path / "Gemfile").write_text('source "https://rubygems.org"\ngem "rails"\n')
    (tmp_path / "Gemfile.lock").write_text(f"GEM\n  specs:\n    rails ({lock_version})\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "routes.rb").write_text(
        'Rails.application.routes.draw do\n  get "up" => "rails/health#show"\n  root "home#index"\nend\n'
    )
    f = detect(tmp_path).facts
    assert (f["health_path"], f["health_probe"]) == (health, "http")


def test_rails_without_known_routes_falls_back_to_tcp(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text('gem "rails", "~> 4.2"\n')
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "routes.rb").write_text(
        "Rails.application.routes.draw do\n  resources :posts\nend\n"
    )
    f = detect(tmp_path).facts
    assert (f["health_probe"], f["rails_version"]) == ("tcp", "4.2")


def test_secret_names_are_the_core_judgement() -> None:
    from hardenify.scaffold.detect import split_env

    plain, secret = split_env(
        ["ACCESS_TOKEN_EXPIRE_MINUTES", "ACCESS_TOKEN", "SECRET_KEY", "SECRET_KEY", "PORT"]
    )
    assert plain == ["ACCESS_TOKEN_EXPIRE_MINUTES"]
    assert secret == ["ACCESS_TOKEN", "SECRET_KEY"]  # once each


def test_native_gems_need_a_compiler(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text('gem "sinatra"\n')
    (tmp_path / "app.rb").write_text('get "/" do\n  "hi"\nend\n')
    assert detect(tmp_path).facts["native_gems"] is False
    (tmp_path / "Gemfile.lock").write_text("GEM\n  specs:\n    sinatra (4.0.0)\n    puma (6.4.2)\n")
    assert detect(tmp_path).facts["native_gems"] is True


def test_a_node_project_with_a_python_folder_stays_node(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "express-comments", tmp_path, dirs_exist_ok=True)
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "requirements.txt").write_text("flask\n")
    assert detect(tmp_path).stack == "node"


@pytest.mark.parametrize(
    ("line", "port"),
    [
        ('port = "8080"', 8080),
        ('addr := ":9090"', 8080),
        ('http.ListenAndServe("0.0.0.0:7000", nil)', 7000),
        ('r.Run(":3000")', 3000),
    ],
)
def test_go_port_literals(tmp_path: Path, line: str, port: int) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.24\n")
    (tmp_path / "main.go").write_text(f"package main\nfunc main() {{\n\t{line}\n}}\n")
    assert detect(tmp_path).facts["port"] == port


def test_go_port_from_an_env_default_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.24\n")
    (tmp_path / "main.go").write_text(
        'package main\nfunc main() {\n\tport := getEnv("WHOAMI_PORT_NUMBER", "80")\n\t_ = port\n}\n'
    )
    det = detect(tmp_path)
    assert (det.facts["port"], det.facts["code_port"], det.facts["port_env"]) == (
        8080,
        80,
        "WHOAMI_PORT_NUMBER",
    )
    assert warned(det, "WHOAMI_PORT_NUMBER=8080")
