"""Baseline: the samples as they are, before hardenify touches them, on the real engine.

These prove the harness (build offline, run, probe without a network, uid checks, the layer scanner) and pin
down the "before" state the fix/new e2e tests improve on: the legacy images build and serve, run as root, and
the secret sample leaks its tokens into the image.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.helpers import (
    BuildError,
    ContainerError,
    ProbeError,
    build,
    exec_id,
    http_get,
    human_size,
    image_size,
    image_user,
    is_root_user,
    layer_contains,
    pid1_uid,
    run_container,
    run_hardened,
    sample,
    scan_image,
    tcp_probe,
)

pytestmark = pytest.mark.e2e

FAKE_GITHUB_TOKEN = "ghp_FAKE" + "0" * 32
FAKE_NPM_TOKEN = "npm_FAKE" + "0" * 32


@dataclass(frozen=True)
class Legacy:
    name: str
    port: int


LEGACY = [
    Legacy("legacy-python", 8000),
    Legacy("legacy-node", 3000),
    Legacy("legacy-go", 8080),
    Legacy("legacy-rust", 8080),
    Legacy("legacy-apt", 8000),
    Legacy("legacy-secret", 3000),
]


@pytest.fixture(scope="session")
def legacy_image(docker: str) -> Callable[[str], str]:
    """Build a legacy sample with its own Dockerfile, once per session; returns the image id."""
    cache: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in cache:
            cache[name] = build(sample(name), tag=name)
        return cache[name]

    return get


@pytest.mark.e2e
@pytest.mark.parametrize("legacy", LEGACY, ids=lambda s: s.name)
def test_legacy_sample_builds_offline_and_serves_as_root(
    legacy: Legacy, legacy_image: Callable[[str], str], e2e_report: Callable[[str], None]
) -> None:
    image = legacy_image(legacy.name)
    size = image_size(image)
    e2e_report(f"{legacy.name}: {human_size(size)} ({size} bytes), USER={image_user(image)!r}")
    assert size > 0
    assert is_root_user(image_user(image)), "the legacy samples are supposed to run as root"

    cid = run_container(image, legacy.port)  # not hardened: this is the "before" state
    root = http_get(cid, legacy.port, "/")
    assert (root.status, root.body.strip()) == (200, f"hello from {legacy.name}")
    health = http_get(cid, legacy.port, "/health")
    assert (health.status, health.body.strip()) == (200, "ok")
    assert http_get(cid, legacy.port, "/no-such-page").status == 404
    assert exec_id(cid) == 0
    assert pid1_uid(cid) == 0


@pytest.mark.e2e
def test_layer_scanner_finds_the_legacy_secret_tokens(legacy_image: Callable[[str], str]) -> None:
    image = legacy_image("legacy-secret")

    absent = "ghp_" + "Z" * 36
    found = scan_image(image, [FAKE_GITHUB_TOKEN, FAKE_NPM_TOKEN, absent])

    github_hits = found[FAKE_GITHUB_TOKEN]
    assert any(hit.startswith("config ") for hit in github_hits), github_hits  # ENV in the image config
    assert any(hit.startswith("history: ENV API_TOKEN=") for hit in github_hits), github_hits

    npm_hits = found[FAKE_NPM_TOKEN]
    assert any(hit.startswith("layer ") and hit.endswith("usr/src/app/.npmrc") for hit in npm_hits), npm_hits
    assert any(hit.startswith("history: RUN") for hit in npm_hits), npm_hits  # the ARG value, via the RUN

    # The scanner is not trivially true: a token that was never there is found nowhere.
    assert found[absent] == []
    assert layer_contains(image, FAKE_NPM_TOKEN) == npm_hits


@pytest.mark.e2e
def test_legacy_secret_app_uses_the_baked_token(legacy_image: Callable[[str], str]) -> None:
    cid = run_container(legacy_image("legacy-secret"), 3000)
    assert http_get(cid, 3000, "/private").status == 401
    authorized = http_get(cid, 3000, "/private", headers={"Authorization": f"Bearer {FAKE_GITHUB_TOKEN}"})
    assert (authorized.status, authorized.body.strip()) == (200, "secret area")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(sample("legacy-compose") / "docker-compose.yml")
    return data


@pytest.mark.e2e
def test_legacy_compose_file_has_the_documented_flaws(compose: dict[str, Any]) -> None:
    web, db = compose["services"]["web"], compose["services"]["db"]
    assert web["privileged"] is True
    assert "/var/run/docker.sock:/var/run/docker.sock" in web["volumes"]
    assert db["ports"] == ["5432:5432"]
    assert db["environment"]["POSTGRES_PASSWORD"]
    assert "supersecret" in web["environment"]["DATABASE_URL"]
    hardening = {
        "user",
        "read_only",
        "cap_drop",
        "security_opt",
        "healthcheck",
        "mem_limit",
        "pids_limit",
        "deploy",
    }
    for name, service in compose["services"].items():
        assert hardening.isdisjoint(service), f"{name} already has {hardening & set(service)}"


@pytest.mark.e2e
def test_legacy_compose_services_run_one_by_one(
    docker: str, compose: dict[str, Any], e2e_report: Callable[[str], None]
) -> None:
    """No compose CLI and no bridge network here: run each service alone with the settings from the file."""
    project = sample("legacy-compose")
    web, db = compose["services"]["web"], compose["services"]["db"]

    web_image = build(project / web["build"], tag="legacy-compose-web")
    e2e_report(f"legacy-compose web: {human_size(image_size(web_image))}")
    assert is_root_user(image_user(web_image))
    web_cid = run_container(web_image, 8000, env={k: str(v) for k, v in web["environment"].items()})
    assert http_get(web_cid, 8000, "/").body.strip() == "hello from legacy-compose"
    assert exec_id(web_cid) == 0

    volumes = []
    for spec in db["volumes"]:
        host, _, inside = spec.partition(":")
        volumes.append(f"{(project / host).resolve()}:{inside}" if host.startswith(".") else spec)
    db_cid = run_container(
        db["image"],
        env={k: str(v) for k, v in db["environment"].items()},
        command=list(db["command"]),
        volumes=volumes,
        name="legacy-compose-db",
    )
    greeting = tcp_probe(db_cid, 5432).decode()
    assert greeting.strip() == f"fake-postgres ready user={db['environment']['POSTGRES_USER']}"
    assert pid1_uid(db_cid) == 0


# ----------------------------------------------------------------------------------------------------------
# The modern app sources (no Dockerfile of their own) run on the stand-ins, hardened and not as root. These
# test-only Dockerfiles are deliberately plain: they prove the apps, not a generator.

STANDIN_DOCKERFILES: dict[str, str] = {
    "python-app": """\
FROM python:3.12-slim
WORKDIR /srv
COPY app ./app
CMD ["python3", "-m", "app"]
""",
    "node-app": """\
FROM node:22-slim
WORKDIR /srv
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY server.js ./
CMD ["node", "server.js"]
""",
    "go-app": """\
FROM golang:1.23 AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -trimpath -o /out/go-app .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/go-app /go-app
ENTRYPOINT ["/go-app"]
""",
    "rust-app": """\
FROM rust:1-slim AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked --offline
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/rust-app /rust-app
ENTRYPOINT ["/rust-app"]
""",
    "static-app": """\
FROM nginxinc/nginx-unprivileged:1.27
COPY index.html styles.css health /usr/share/nginx/html/
""",
    "ruby-app": """\
FROM ruby:3.3-slim
WORKDIR /srv
COPY Gemfile Gemfile.lock ./
RUN bundle config set --local frozen true && bundle install
COPY app.rb ./
CMD ["ruby", "app.rb"]
""",
    "php-app": """\
FROM php:8.3-cli
WORKDIR /srv
COPY composer.json ./
COPY public ./public
CMD ["php", "-S", "0.0.0.0:8080", "-t", "public"]
""",
}


@dataclass(frozen=True)
class Modern:
    name: str
    stack: str
    port: int
    user: str | None  # --user for the run; None keeps the image's (distroless :nonroot, nginx-unprivileged)
    uid: int
    html: bool = False  # GET / answers an HTML page with the greeting as its <h1>


MODERN = [
    Modern("python-app", "python", 8000, "65534:65534", 65534),
    Modern("node-app", "node", 3000, "65534:65534", 65534),
    Modern("go-app", "go", 8080, None, 65532),
    Modern("rust-app", "rust", 8080, None, 65532),
    Modern("static-app", "static", 8080, None, 101, html=True),
    Modern("ruby-app", "ruby", 8080, "65534:65534", 65534),
    Modern("php-app", "php", 8080, "65534:65534", 65534),
]


@pytest.fixture
def standin_dockerfile(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    def write(name: str) -> Path:
        path = tmp_path / f"{name}.Dockerfile"
        path.write_text(STANDIN_DOCKERFILES[name])
        return path

    yield write


def test_every_modern_sample_has_a_standin_dockerfile_and_none_of_its_own() -> None:
    assert {m.name for m in MODERN} == set(STANDIN_DOCKERFILES)
    for modern in MODERN:
        assert not list(sample(modern.name).rglob("Dockerfile*")), f"{modern.name} must not ship a Dockerfile"


@pytest.mark.e2e
@pytest.mark.parametrize("modern", MODERN, ids=lambda m: m.name)
def test_modern_sample_runs_hardened_on_its_standin(
    modern: Modern,
    docker: str,
    standin_dockerfile: Callable[[str], Path],
    e2e_report: Callable[[str], None],
) -> None:
    image = build(sample(modern.name), standin_dockerfile(modern.name), tag=modern.name)
    e2e_report(f"{modern.name} (test-only Dockerfile): {human_size(image_size(image))}")
    cid = run_hardened(image, modern.port, user=modern.user)
    root = http_get(cid, modern.port, "/")
    greeting = f"hello from {modern.stack}"
    assert root.status == 200
    if modern.html:
        assert f"<h1>{greeting}</h1>" in root.body and root.headers["Content-Type"].startswith("text/html")
    else:
        assert root.body.strip() == greeting
    health = http_get(cid, modern.port, "/health")
    assert (health.status, health.body.strip()) == (200, "ok")
    assert pid1_uid(cid) == modern.uid
    assert exec_id(cid) == modern.uid


@pytest.mark.e2e
def test_python_app_reads_its_configuration_from_the_environment(
    docker: str, standin_dockerfile: Callable[[str], Path]
) -> None:
    image = build(sample("python-app"), standin_dockerfile("python-app"), tag="python-app-env")
    cid = run_hardened(
        image,
        9000,
        user="65534:65534",
        env={"PORT": "9000", "API_TOKEN": "t0ken", "DATABASE_URL": "postgres://x"},
    )
    assert http_get(cid, 9000, "/private").status == 401
    assert http_get(cid, 9000, "/private", headers={"Authorization": "Bearer t0ken"}).status == 200


@pytest.mark.e2e
def test_harness_build_secrets_and_digest_pins(
    docker: str, registry_digests: dict[str, str], tmp_path: Path
) -> None:
    """build(secrets=…) reaches `RUN --mount=type=secret` without storing the value; digest pins resolve."""
    digest = registry_digests["python:3.12-slim"]
    assert digest.startswith("sha256:") and registry_digests["docker.io/library/python:3.12-slim"] == digest
    secret = f"s3cr3t-{secrets.token_hex(8)}"
    secret_sha256 = hashlib.sha256(secret.encode()).hexdigest()
    marker = f"ran-{secrets.token_hex(8)}"
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM python:3.12-slim@{digest}\n"
        "RUN --mount=type=secret,id=token "
        f'test "$(sha256sum < /run/secrets/token | cut -d" " -f1)" = "{secret_sha256}" '
        f"&& echo {marker} > /checked\n"
        'CMD ["python3", "-m", "http.server", "8000"]\n'
    )
    image = build(context, secrets={"token": secret}, tag="harness-secret")
    # The RUN ran (it only writes the marker when the secret matched), and the scanner sees its output.
    assert any(
        hit.startswith("layer ") and hit.endswith(": checked") for hit in layer_contains(image, marker)
    )
    assert layer_contains(image, secret) == []
    cid = run_hardened(image, 8000, user="65534:65534", health_path="/")
    assert exec_id(cid) == 65534


@pytest.mark.e2e
def test_harness_reports_failures_instead_of_hiding_them(docker: str, tmp_path: Path) -> None:
    """A harness that passed on broken images would make every e2e test worthless."""
    (tmp_path / "Dockerfile").write_text('FROM python:3.12-slim\nRUN echo "about to fail" && false\n')
    with pytest.raises(BuildError, match="about to fail"):
        build(tmp_path, tag="harness-broken")

    with pytest.raises(ContainerError, match=r"(?s)exit=3.*bye from a crashing app"):
        run_container(
            "python:3.12-slim",
            8000,
            command=["python3", "-c", "print('bye from a crashing app', flush=True); raise SystemExit(3)"],
            timeout=20,
        )

    idle = run_hardened("python:3.12-slim", command=["sleep", "60"])
    with pytest.raises(ProbeError, match="no HTTP answer"):
        http_get(idle, 8000, "/", timeout=2)
