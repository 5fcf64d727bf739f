"""Project detection: the samples, and small synthetic projects for each stack and variant."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hardenify.scaffold.detect import detect, sanitize_name, split_env


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_python_sample(sample_copy: Callable[[str], Path]) -> None:
    det = detect(sample_copy("python-app"))
    assert det.stack == "python"
    f = det.facts
    assert f["name"] == "python-app"
    assert f["python_deps"] == "pyproject"
    assert f["port"] == 8000  # the default of int(os.environ.get("PORT", "8000")), read by libcst
    assert f["command"] == "python -m app"  # app/__main__.py
    assert f["health_path"] == "/health"
    assert f["env"] == "DATABASE_URL"
    assert f["secrets"] == "API_TOKEN"
    assert f["app_version"] == "0.1.0"
    assert f["postgres"] is False  # DATABASE_URL alone does not say which database


@pytest.mark.parametrize(
    ("sample", "stack", "port", "extra"),
    [
        (
            "node-app",
            "node",
            3000,
            {"package_manager": "npm", "lockfile": "package-lock.json", "command": "node server.js"},
        ),
        ("go-app", "go", 8080, {"main_package": ".", "binary": "go-app"}),
        ("rust-app", "rust", 8080, {"binary": "rust-app", "locked": True}),
        ("static-app", "static", 8080, {"site_dir": ".", "health_path": "/health", "node_build": False}),
        ("ruby-app", "ruby", 8080, {"rails": False, "command": "ruby app.rb", "gemfile_lock": True}),
        ("php-app", "php", 8080, {"docroot": "public", "composer_deps": False}),
    ],
)
def test_other_samples(
    sample_copy: Callable[[str], Path], sample: str, stack: str, port: int, extra: dict[str, object]
) -> None:
    det = detect(sample_copy(sample))
    assert det.stack == stack
    assert det.facts["port"] == port
    for key, value in extra.items():
        assert det.facts[key] == value, key
    assert det.evidence


def test_empty_directory_detects_nothing(tmp_path: Path) -> None:
    det = detect(tmp_path)
    assert det.stack is None
    assert det.facts["name"] == sanitize_name(tmp_path.name)


def test_fastapi_app_object_port_and_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi==0.115.0\nuvicorn[standard]==0.30.0  # server\n",
            "app/__init__.py": "",
            "app/main.py": (
                "import os as o\nfrom os import environ as E\nimport uvicorn\nfrom fastapi import FastAPI\n"
                "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
                "class Settings(BaseSettings):\n"
                "    model_config = SettingsConfigDict(env_prefix='SVC_')\n"
                "    db_password: str\n    region: str = 'eu'\n\n"
                "api = FastAPI()\nTOKEN = E['GITHUB_TOKEN']\nMODE = o.getenv('MODE', 'prod')\n\n"
                "@api.get('/healthz')\ndef health():\n    return 'ok'\n\n"
                "if __name__ == '__main__':\n    uvicorn.run(api, host='0.0.0.0', port=9000)\n"
            ),
            "tests/test_x.py": "import os\nos.environ['ONLY_IN_TESTS']\n",
        },
    )
    det = detect(tmp_path)
    f = det.facts
    assert (det.stack, f["framework"], f["python_deps"]) == ("python", "fastapi", "requirements")
    assert f["app_object"] == "app.main:api"
    assert f["port"] == 9000
    assert f["command"] == "python -m uvicorn app.main:api --host 0.0.0.0 --port {{ port }}"
    assert f["health_path"] == "/healthz"
    assert f["secrets"].split(",") == ["SVC_DB_PASSWORD", "GITHUB_TOKEN"]
    assert f["env"].split(",") == ["SVC_REGION", "MODE"]
    assert "ONLY_IN_TESTS" not in f["env"] + f["secrets"]


def test_flask_with_gunicorn_and_django_settings(tmp_path: Path) -> None:
    flask = write(
        tmp_path / "f",
        {
            "requirements.txt": "flask\ngunicorn\n",
            "server.py": "from flask import Flask\napplication = Flask(__name__)\n",
        },
    )
    f = detect(flask).facts
    assert (f["framework"], f["command"]) == (
        "flask",
        "python -m gunicorn --bind 0.0.0.0:{{ port }} server:application",
    )
    django = write(
        tmp_path / "d",
        {
            "requirements.txt": "Django>=5\ngunicorn\npsycopg[binary]\n",
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
            "site/__init__.py": "",
            "site/settings.py": "import os\nWSGI_APPLICATION = 'site.wsgi.application'\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\n",
            "site/wsgi.py": "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
        },
    )
    d = detect(django).facts
    assert d["framework"] == "django"
    assert d["command"] == "python -m gunicorn --bind 0.0.0.0:{{ port }} site.wsgi:application"
    assert d["secrets"] == "DJANGO_SECRET_KEY"
    assert d["postgres"] is True  # psycopg


def test_python_dependency_tools(tmp_path: Path) -> None:
    for lock, expected in (("uv.lock", "uv"), ("poetry.lock", "poetry"), ("Pipfile", "pipenv")):
        root = write(tmp_path / expected, {"pyproject.toml": "[project]\nname='x'\n", lock: ""})
        assert detect(root).facts["python_deps"] == expected


def test_unparsable_python_is_skipped_not_fatal(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"requirements.txt": "", "main.py": "import os\nX = os.getenv('GOOD')\n", "broken.py": "def (:\n"},
    )
    det = detect(tmp_path)
    assert det.facts["env"] == "GOOD"
    assert any("broken.py" in n for n in det.notes)


@pytest.mark.parametrize(
    ("files", "manager"),
    [
        ({"pnpm-lock.yaml": ""}, "pnpm"),
        ({"yarn.lock": ""}, "yarn"),
        ({"yarn.lock": "", ".yarnrc.yml": ""}, "yarn-berry"),
        ({}, "npm"),
    ],
)
def test_node_package_managers(tmp_path: Path, files: dict[str, str], manager: str) -> None:
    pkg = {
        "name": "@acme/Web",
        "scripts": {"start": "node dist/main.js", "build": "tsc"},
        "engines": {"node": "^20.11"},
    }
    write(
        tmp_path,
        {
            "package.json": json.dumps(pkg),
            "src/main.ts": "const p = process.env.PORT || 4000;\nprocess.env['API_KEY'];\n",
            **files,
        },
    )
    f = detect(tmp_path).facts
    assert (f["package_manager"], f["name"], f["port"], f["version"]) == (manager, "web", 4000, "20")
    assert f["command"] == "node dist/main.js" and f["build_script"] is True
    assert f["secrets"] == "API_KEY"


def test_node_frontend_without_server_is_static(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": json.dumps({"scripts": {"build": "vite build"}}),
            "index.html": "<html></html>",
            "package-lock.json": "{}",
        },
    )
    det = detect(tmp_path)
    assert det.stack == "static"
    assert (det.facts["node_build"], det.facts["site_dir"]) == (True, "dist")


def test_npmrc_token_becomes_a_build_secret(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": "{}", ".npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"})
    assert detect(tmp_path).facts["build_secrets"] == "NPM_TOKEN"


def test_go_cmd_layout_and_java_spring(tmp_path: Path) -> None:
    go = write(
        tmp_path / "go",
        {
            "go.mod": "module github.com/acme/tool\n\ngo 1.22.3\n",
            "cmd/server/main.go": 'package main\nimport "os"\nvar k = os.Getenv("SERVICE_TOKEN")\n',
        },
    )
    f = detect(go).facts
    assert (f["main_package"], f["binary"], f["secrets"]) == ("./cmd/server", "server", "SERVICE_TOKEN")
    java = write(
        tmp_path / "java",
        {
            "pom.xml": "<project><artifactId>orders</artifactId><version>1</version><properties><java.version>17</java.version></properties>"
            "<dependency>spring-boot-starter-actuator</dependency><parent>spring-boot</parent></project>",
            "mvnw": "",
            "src/main/resources/application.properties": "server.port=8081\n",
        },
    )
    j = detect(java).facts
    assert (j["build_tool"], j["wrapper"], j["spring_boot"], j["port"], j["version"], j["health_path"]) == (
        "maven",
        True,
        True,
        8081,
        "17",
        "/actuator/health",
    )


def test_dotnet_rails_php_and_gradle(tmp_path: Path) -> None:
    dn = write(
        tmp_path / "dn",
        {
            "src/Shop/Shop.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>'
        },
    )
    d = detect(dn)
    assert (d.stack, d.facts["project"], d.facts["assembly"], d.facts["version"]) == (
        "dotnet",
        "src/Shop/Shop.csproj",
        "Shop",
        "9.0",
    )
    rails = write(
        tmp_path / "rails",
        {
            "Gemfile": "source 'https://rubygems.org'\nruby '3.2.2'\ngem 'rails'\ngem 'pg'\n",
            "Gemfile.lock": "",
        },
    )
    r = detect(rails).facts
    assert (r["rails"], r["port"], r["version"], r["postgres"]) == (True, 3000, "3.2", True)
    assert "SECRET_KEY_BASE" in r["secrets"] and "RAILS_MASTER_KEY" in r["secrets"]
    php = write(
        tmp_path / "php",
        {
            "composer.json": json.dumps({"require": {"php": ">=8.2", "slim/slim": "^4"}}),
            "public/index.php": "<?php getenv('APP_SECRET');",
        },
    )
    p = detect(php).facts
    assert (p["composer_deps"], p["docroot"], p["version"], p["secrets"]) == (
        True,
        "public",
        "8.2",
        "APP_SECRET",
    )
    gradle = write(
        tmp_path / "g",
        {
            "build.gradle.kts": 'plugins { id("org.springframework.boot") }\njava { toolchain { languageVersion = JavaLanguageVersion.of(21) } }'
        },
    )
    g = detect(gradle).facts
    assert (g["build_tool"], g["version"], g["spring_boot"]) == ("gradle", "21", True)


def test_git_origin_becomes_a_credential_free_source_url(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "",
            ".git/config": '[remote "origin"]\n\turl = https://bot:ghp_secret@github.com/acme/api.git\n',
        },
    )
    assert detect(tmp_path).facts["source_url"] == "https://github.com/acme/api"
    write(tmp_path, {".git/config": '[remote "origin"]\n\turl = git@gitlab.com:acme/api.git\n'})
    assert detect(tmp_path).facts["source_url"] == "https://gitlab.com/acme/api"


def test_names_and_env_split() -> None:
    assert sanitize_name("@Acme/My Great_App!") == "my-great_app"
    assert sanitize_name("...") == "app"
    plain, secret = split_env(
        ["PORT", "DATABASE_URL", "DB_PASSWORD", "API_KEY_PATH", "STRIPE_SECRET_KEY", "X_FILE"]
    )
    assert plain == ["DATABASE_URL", "API_KEY_PATH"]
    assert secret == ["DB_PASSWORD", "STRIPE_SECRET_KEY"]
