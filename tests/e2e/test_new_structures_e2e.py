"""`hardenify new` on the project structures that broke in issue 16, built and run on the engine.

Each case writes a small project into tmp_path, generates with `--defaults` (pinning on: the
offline registry answers), builds with `--network=none`, runs with exactly the hardening the
generated compose.yaml sets, and waits for Docker's own health status to say `healthy`, as the
generated non-root uid. Cases:

* a uv project in src layout with uv.lock (uv's image is not a stand-in: the test builds a local
  `ghcr.io/astral-sh/uv` image from the host's uv binary, and skips when there is none);
* a Vite single-page app (its `vite` is a vendored stub: the offline world has no npm registry),
  served by unprivileged nginx with index.html fallback for client-side routes;
* a static site in a fresh directory: nginx answers the probed /health itself;
* a cgo Go service on distroless (glibc from `base-debian12`);
* a Python API with no health route: a TCP probe, where an HTTP probe would loop on 404s;
* Go on debian-slim: the runtime has the CA bundle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.helpers import (
    DOCKER,
    build,
    container_state,
    exec_id,
    exec_in,
    hardenify_new,
    http_get,
    pid1_uid,
    run_container,
    wait_healthy,
)
from tests.e2e.test_new_e2e import _run_args

pytestmark = pytest.mark.e2e

UV_REF = "ghcr.io/astral-sh/uv:0.9.28"


def _generate_build_run(
    project: Path, tmp_path: Path, tag: str, *extra: str
) -> tuple[str, int, dict[str, Any]]:
    """Generate, build, run hardened; wait for `healthy`. Returns (container id, uid, answers)."""
    proc = hardenify_new(project, tmp_path / "digest-cache", *extra)
    assert proc.returncode == 0, f"hardenify new failed:\n{proc.stdout}\n{proc.stderr}"
    compose = YAML(typ="safe").load(project / "compose.yaml")
    service = next(iter(compose["services"].values()))
    answers = YAML(typ="safe").load(project / ".hardenify-answers.yml")["answers"]
    user, run_args = _run_args(service)
    uid = int(user.split(":")[0])
    assert uid != 0 and service["read_only"] is True
    image = build(project, tag=tag)
    cid = run_container(image, user=user, extra_args=run_args, wait=False, name=tag)
    wait_healthy(cid, timeout=120)
    assert container_state(cid).get("Health", {}).get("Status") == "healthy"
    assert pid1_uid(cid) == uid
    return cid, uid, answers


# ----------------------------------------------------------------------------- uv, src layout


def _write_uv_project(root: Path) -> None:
    (root / "src" / "uvapp").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "uvapp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'
    )
    (root / "uv.lock").write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "uvapp"\n'
        'version = "0.1.0"\nsource = { virtual = "." }\n'
    )
    (root / "src" / "uvapp" / "__init__.py").write_text("")
    (root / "src" / "uvapp" / "__main__.py").write_text(
        "import os\n"
        "from http.server import BaseHTTPRequestHandler, HTTPServer\n\n\n"
        "class Handler(BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        body = b'hello from uv'\n"
        "        self.send_response(200)\n"
        "        self.send_header('Content-Length', str(len(body)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n\n\n"
        "HTTPServer(('0.0.0.0', int(os.environ['PORT'])), Handler).serve_forever()\n"
    )


def _real_uv_binary() -> Path | None:
    """The uv executable itself: a pyenv or asdf shim on PATH is a script that cannot run in scratch."""
    candidates: list[str] = []
    try:
        import uv as uv_pkg  # type: ignore[import-not-found, unused-ignore]

        candidates.append(uv_pkg.find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        candidates.append(found)
    for candidate in candidates:
        path = Path(candidate).resolve()
        try:
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    return path
        except OSError:
            continue
    return None


@pytest.fixture
def uv_image(docker: str, tmp_path: Path) -> Any:
    """A local `ghcr.io/astral-sh/uv` image (scratch + the host's uv at /uv), removed afterwards."""
    uv = _real_uv_binary()
    if uv is None:
        pytest.skip("no uv executable on this machine (pip install uv) to stand in for ghcr.io/astral-sh/uv")
    ctx = tmp_path / "uv-image"
    ctx.mkdir()
    shutil.copy2(str(uv), ctx / "uv")
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY uv /uv\n")
    existed = (
        subprocess.run([DOCKER, "image", "inspect", UV_REF], capture_output=True, check=False).returncode == 0
    )
    subprocess.run(
        [DOCKER, "build", "--network=none", "-q", "-t", UV_REF, str(ctx)],
        capture_output=True,
        check=True,
        timeout=300,
        env=dict(os.environ, DOCKER_BUILDKIT="1"),
    )
    yield UV_REF
    if not existed:
        subprocess.run([DOCKER, "image", "rm", UV_REF], capture_output=True, check=False, timeout=60)


def test_uv_src_layout_builds_and_becomes_healthy(tmp_path: Path, uv_image: str) -> None:
    project = tmp_path / "uvapp"
    _write_uv_project(project)
    # uv's image is not in the offline registry, so its FROM stays a tag (the local image).
    cid, uid, answers = _generate_build_run(project, tmp_path, "new-uv", "--no-pin")
    assert answers["python_deps"] == "uv"
    assert f"FROM {UV_REF} AS uv" in (project / "Dockerfile").read_text()
    assert exec_id(cid) == uid
    assert "hello from uv" in http_get(cid, answers["port"], "/").body


UV_WORKSPACE = Path(__file__).resolve().parents[1] / "scaffold" / "fixtures" / "projects" / "uv-workspace"


def test_uv_workspace_member_builds_and_becomes_healthy(tmp_path: Path, uv_image: str) -> None:
    """full-stack-fastapi-template's shape: the lock at the top, the service in backend/."""
    project = tmp_path / "workspace"
    shutil.copytree(UV_WORKSPACE, project)
    cid, uid, answers = _generate_build_run(project, tmp_path, "new-uv-workspace", "--no-pin")
    dockerfile = (project / "Dockerfile").read_text()
    assert "COPY backend/pyproject.toml ./backend/" in dockerfile
    assert "uv sync --frozen --no-dev --no-install-workspace --package app" in dockerfile
    assert exec_id(cid) == uid
    assert "hello from the backend member" in http_get(cid, answers["port"], "/").body


# --------------------------------------------------------------------------------- static, SPA


def _write_vite_spa(root: Path) -> None:
    (root / "stubs" / "vite").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "package.json").write_text(
        '{"name": "vite-spa", "version": "1.0.0", "private": true,\n'
        ' "scripts": {"dev": "vite", "build": "vite build"},\n'
        ' "devDependencies": {"vite": "file:stubs/vite"}}\n'
    )
    (root / "package-lock.json").write_text(
        '{"name": "vite-spa", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {\n'
        ' "": {"name": "vite-spa", "version": "1.0.0", "devDependencies": {"vite": "file:stubs/vite"}},\n'
        ' "node_modules/vite": {"resolved": "stubs/vite", "link": true},\n'
        ' "stubs/vite": {"version": "0.0.0-stub", "dev": true, "bin": {"vite": "bin.js"}}}}\n'
    )
    (root / "stubs" / "vite" / "package.json").write_text(
        '{"name": "vite", "version": "0.0.0-stub", "bin": {"vite": "bin.js"}}\n'
    )
    bin_js = root / "stubs" / "vite" / "bin.js"
    bin_js.write_text(
        "#!/usr/bin/env node\n"
        "// Stands in for `vite build`: index.html and public/ into dist/, as a real build's output.\n"
        "const fs = require('fs');\n"
        "fs.mkdirSync('dist', { recursive: true });\n"
        "fs.copyFileSync('index.html', 'dist/index.html');\n"
        "for (const f of fs.readdirSync('public')) fs.copyFileSync(`public/${f}`, `dist/${f}`);\n"
    )
    bin_js.chmod(0o755)
    (root / "index.html").write_text("<!doctype html><title>spa</title><div id=app>hello from static</div>\n")
    (root / "public" / "app.css").write_text("body {}\n")


def test_a_vite_spa_is_built_and_served_with_client_route_fallback(
    tmp_path: Path, docker: str, registry_digests: dict[str, str], e2e_report: Callable[[str], None]
) -> None:
    project = tmp_path / "vite-spa"
    _write_vite_spa(project)
    proc = hardenify_new(project, tmp_path / "digest-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text()
    assert "RUN npm run build" in text and "COPY --from=build /app/dist/ /usr/share/nginx/html/" in text
    assert "try_files $uri $uri/ /index.html;" in (project / ".hardenify" / "nginx.conf").read_text()
    # The offline world has no npm registry: the vendored stub must be in the context before `npm ci`
    # links it (a real project's dependencies come from the registry).
    dockerfile.write_text(
        text.replace(
            "COPY package.json package-lock.json ./\n",
            "COPY package.json package-lock.json ./\nCOPY stubs ./stubs\n",
            1,
        )
    )
    compose = YAML(typ="safe").load(project / "compose.yaml")
    user, run_args = _run_args(next(iter(compose["services"].values())))
    image = build(project, tag="new-spa")
    cid = run_container(image, user=user, extra_args=run_args, wait=False, name="new-spa")
    wait_healthy(cid, timeout=120)
    assert pid1_uid(cid) == 101
    route = http_get(cid, 8080, "/settings/profile")  # a client-side route: no such file
    assert route.status == 200 and "hello from static" in route.body
    assert http_get(cid, 8080, "/app.css").status == 200
    e2e_report("new static SPA (vite stub): healthy as uid 101, client routes fall back to index.html")


def test_a_static_site_in_a_fresh_directory_becomes_healthy(
    tmp_path: Path, docker: str, registry_digests: dict[str, str]
) -> None:
    project = tmp_path / "fresh"
    project.mkdir()
    cid, uid, _ = _generate_build_run(project, tmp_path, "new-fresh-static", "--stack", "static")
    assert uid == 101
    health = http_get(cid, 8080, "/health")
    assert health.status == 200 and health.body.strip() == "ok"


# -------------------------------------------------------------------------------------- go, cgo


def test_a_cgo_service_runs_on_a_base_with_glibc(
    tmp_path: Path, docker: str, registry_digests: dict[str, str]
) -> None:
    project = tmp_path / "cgo-app"
    project.mkdir()
    (project / "go.mod").write_text("module example.com/cgoapp\n\ngo 1.23\n")
    (project / "main.go").write_text(
        "package main\n\n"
        "// static int answer(void) { return 42; }\n"
        'import "C"\n\n'
        'import (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\n'
        "func main() {\n"
        '\thttp.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })\n'
        '\thttp.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {\n'
        '\t\tfmt.Fprintf(w, "hello from go %d", int(C.answer()))\n\t})\n'
        '\tif err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {\n\t\tpanic(err)\n\t}\n'
        "}\n"
    )
    cid, uid, answers = _generate_build_run(project, tmp_path, "new-cgo")
    text = (project / "Dockerfile").read_text()
    assert "CGO_ENABLED=1" in text and "FROM gcr.io/distroless/base-debian12:nonroot@sha256:" in text
    assert uid == 65532
    assert "hello from go 42" in http_get(cid, answers["port"], "/").body


def test_go_on_debian_slim_has_the_ca_bundle(
    tmp_path: Path, docker: str, registry_digests: dict[str, str], samples_dir: Path
) -> None:
    project = tmp_path / "go-app"
    shutil.copytree(samples_dir / "go-app", project)
    cid, uid, _ = _generate_build_run(project, tmp_path, "new-go-slim", "--base", "debian-slim")
    listed = exec_in(cid, "ls", "-l", "/etc/ssl/certs/ca-certificates.crt", user=str(uid))
    assert "ca-certificates.crt" in listed.stdout


# ------------------------------------------------------------------------- python, TCP probe


def test_an_app_without_a_health_route_is_probed_over_tcp(
    tmp_path: Path, docker: str, registry_digests: dict[str, str]
) -> None:
    project = tmp_path / "noroute"
    project.mkdir()
    (project / "requirements.txt").write_text("")
    (project / "main.py").write_text(
        "import os\n"
        "from http.server import BaseHTTPRequestHandler, HTTPServer\n\n\n"
        "class Handler(BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(404)  # no route at all: an HTTP probe could never pass\n"
        "        self.send_header('Content-Length', '0')\n"
        "        self.end_headers()\n\n\n"
        "HTTPServer(('0.0.0.0', int(os.environ['PORT'])), Handler).serve_forever()\n"
    )
    _, uid, _ = _generate_build_run(project, tmp_path, "new-tcp-probe")
    assert "socket.create_connection" in (project / "Dockerfile").read_text()
    assert uid == 10001


# ------------------------------------------------------------------------- php, Apache as www-data

PHP_APACHE_REF = "php:8.3-apache-bookworm"
APT_DEPENDS = [
    "apt-cache",
    "depends",
    "--recurse",
    "--no-recommends",
    "--no-suggests",
    "--no-conflicts",
    "--no-breaks",
    "--no-replaces",
    "--no-enhances",
    "--no-pre-depends",
]
APACHE_STANDIN = """\
FROM php:8.3-cli-bookworm
COPY debs /tmp/debs
RUN set -e; cd /tmp/debs; todo=""; \\
    for d in *.deb; do p=$(dpkg-deb -f "$d" Package); dpkg -s "$p" >/dev/null 2>&1 || todo="$todo $d"; done; \\
    dpkg -i --force-depends $todo >/tmp/dpkg.log 2>&1 || { tail -30 /tmp/dpkg.log; exit 1; }; \\
    rm -rf /tmp/debs /tmp/dpkg.log
ENV APACHE_CONFDIR=/etc/apache2 APACHE_ENVVARS=/etc/apache2/envvars
RUN set -eux; sed -ri 's/^export ([^=]+)=(.*)$/: ${\\1:=\\2}\\nexport \\1/' "$APACHE_ENVVARS"; . "$APACHE_ENVVARS"; \\
    for dir in "$APACHE_LOCK_DIR" "$APACHE_RUN_DIR" "$APACHE_LOG_DIR"; do \\
        rm -rf "$dir"; mkdir -p "$dir"; chown "$APACHE_RUN_USER:$APACHE_RUN_GROUP" "$dir"; chmod 1777 "$dir"; done; \\
    ln -sfT /dev/stderr "$APACHE_LOG_DIR/error.log"; ln -sfT /dev/stdout "$APACHE_LOG_DIR/access.log"; \\
    ln -sfT /dev/stdout "$APACHE_LOG_DIR/other_vhosts_access.log"; \\
    a2dismod mpm_event >/dev/null 2>&1 || true; a2enmod mpm_prefork php8.2; \\
    printf '<FilesMatch \\\\.php$>\\n\\tSetHandler application/x-httpd-php\\n</FilesMatch>\\n\\nDirectoryIndex disabled\\nDirectoryIndex index.php index.html\\n\\n<Directory /var/www/>\\n\\tOptions -Indexes\\n\\tAllowOverride All\\n</Directory>\\n' \\
        > "$APACHE_CONFDIR/conf-available/docker-php.conf"; \\
    a2enconf docker-php
COPY apache2-foreground /usr/local/bin/
STOPSIGNAL SIGWINCH
WORKDIR /var/www/html
EXPOSE 80
CMD ["apache2-foreground"]
"""
APACHE2_FOREGROUND = """\
#!/bin/bash
set -e
: "${APACHE_CONFDIR:=/etc/apache2}"
: "${APACHE_ENVVARS:=$APACHE_CONFDIR/envvars}"
if test -f "$APACHE_ENVVARS"; then
\t. "$APACHE_ENVVARS"
fi
: "${APACHE_RUN_DIR:=/var/run/apache2}"
: "${APACHE_PID_FILE:=$APACHE_RUN_DIR/apache2.pid}"
rm -f "$APACHE_PID_FILE"
for e in "${!APACHE_@}"; do
\tif [[ "$e" == *_DIR ]] && [[ "${!e}" == /* ]]; then
\t\tmkdir -p "${!e}"
\tfi
done
exec apache2 -DFOREGROUND "$@"
"""


@pytest.fixture
def php_apache_image(docker: str, registry_digests: dict[str, str], tmp_path: Path) -> Any:
    """A local `php:8.3-apache-bookworm` like the official one (Debian's apache2 + mod_php on the
    php CLI stand-in, envvars overridable, logs to stdout/stderr, `apache2-foreground`).

    The .debs come from the host's apt (Debian bookworm); without them the test skips."""
    ctx = tmp_path / "php-apache"
    (ctx / "debs").mkdir(parents=True)
    listed = subprocess.run(
        [*APT_DEPENDS, "apache2", "libapache2-mod-php8.2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    packages = sorted({line for line in listed.stdout.splitlines() if line[:1].isalnum()})
    got = subprocess.run(
        ["apt-get", "download", *packages],
        cwd=ctx / "debs",
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if listed.returncode or got.returncode or not packages:
        pytest.skip(f"cannot fetch Apache .debs from the host's apt: {(listed.stderr + got.stderr)[-300:]}")
    (ctx / "Dockerfile").write_text(APACHE_STANDIN)
    script = ctx / "apache2-foreground"
    script.write_text(APACHE2_FOREGROUND)
    script.chmod(0o755)
    existed = (
        subprocess.run(
            [DOCKER, "image", "inspect", PHP_APACHE_REF], capture_output=True, check=False
        ).returncode
        == 0
    )
    built = subprocess.run(
        [DOCKER, "build", "--network=none", "-q", "-t", PHP_APACHE_REF, str(ctx)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env=dict(os.environ, DOCKER_BUILDKIT="1"),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    yield PHP_APACHE_REF
    if not existed:
        subprocess.run([DOCKER, "image", "rm", PHP_APACHE_REF], capture_output=True, check=False, timeout=60)


def test_php_runs_under_apache_as_www_data_read_only(
    tmp_path: Path, samples_dir: Path, php_apache_image: str
) -> None:
    project = tmp_path / "php-app"
    shutil.copytree(samples_dir / "php-app", project)
    # Laravel's front controller: every path that is not a file goes to index.php.
    (project / "public" / ".htaccess").write_text(
        "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]\n"
    )
    # php:*-apache has no stand-in in the offline registry: its FROM stays a tag (the local image).
    cid, uid, answers = _generate_build_run(project, tmp_path, "new-php-apache", "--no-pin")
    text = (project / "Dockerfile").read_text()
    assert f"FROM {PHP_APACHE_REF}\n" in text and "php -S" not in text
    assert uid == 33
    assert "hello from php" in http_get(cid, answers["port"], "/").body
    routed = http_get(cid, answers["port"], "/health")  # not a file: .htaccess routes it to index.php
    assert routed.status == 200 and routed.body.strip() == "ok"
    assert "Apache" in routed.headers.get("Server", "")
