"""HF413 single-stage-toolchain: detection per stack, the split per stack, and where it refuses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import dockerfile
import pytest

from hardenify.diagnostics import Applicability
from hardenify.dockerfile.model import parse
from hardenify.engine import fix_text, lint
from hardenify.knowledge.runtimes import DEFAULT_RUNTIME_BASES, base_facts, runtime_bases
from hardenify.settings import Settings
from tests.fixers.util import dedent, findings

CODE = "HF413"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DISTROLESS_NODE = {"runtime-bases": {"node": "gcr.io/distroless/nodejs{major}-debian12:nonroot"}}


def settings(**options: Any) -> Settings:
    return Settings(select=(CODE,), unsafe_fixes=True, options=options)


def split(text: str, **options: Any) -> str:
    """The fixed text; asserts it is a two-stage file BuildKit parses and a second fix keeps."""
    res = fix_text("Dockerfile", dedent(text), "dockerfile", settings(**options))
    assert res.refused is None, res.refused
    assert res.changed, [d.message for d in res.remaining]
    dockerfile.parse_string(res.text)
    assert len(parse(res.text).stages) == 2
    again = fix_text("Dockerfile", res.text, "dockerfile", settings(**options))
    assert again.text == res.text and not again.remaining, "the split is not idempotent"
    return res.text


def refusal(text: str, **options: Any) -> str:
    """The message of a finding that has no fix (and so leaves the file alone)."""
    ds = lint("Dockerfile", dedent(text), "dockerfile", settings(**options)).diagnostics
    assert [d.code for d in ds] == [CODE]
    assert ds[0].fix is None, ds[0].fix
    assert "cannot be split automatically" in ds[0].message
    return ds[0].message


def fires(text: str) -> bool:
    return bool(findings(text, CODE))


# ------------------------------------------------------------------------------------ detection


def test_fires_on_the_from_line_with_its_evidence() -> None:
    ds = findings('FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n', CODE)
    assert [(d.code, d.location.row) for d in ds] == [(CODE, 1)]
    assert "Go build toolchain" in ds[0].message and "`go build`" in ds[0].message
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE


def test_fix_is_only_applied_with_unsafe_fixes() -> None:
    text = 'FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n'
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE,)))
    assert res.text == text and res.unsafe_available == 1


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("rust:1.80", True),
        ("maven:3.9-eclipse-temurin-21", True),
        ("gradle:8-jdk17", True),
        ("openjdk:17-jdk", True),
        ("eclipse-temurin:21", True),
        ("eclipse-temurin:21-jre", False),
        ("mcr.microsoft.com/dotnet/sdk:8.0", True),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", False),
        ("python:3.12", True),
        ("python:3.12-slim", False),
        ("node:22", True),
        ("node:22-alpine", False),
        ("debian:bookworm-slim", False),
    ],
)
def test_builder_bases(base: str, expected: bool) -> None:
    assert fires(f'FROM {base}\nCOPY app /app\nCMD ["/app/run"]\n') is expected


def test_installed_compilers_fire_unless_removed_in_the_same_run() -> None:
    kept = 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc make\nCMD ["/srv/app"]\n'
    assert fires(kept)
    purged = (
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc make && make -C /src"
        ' && apt-get purge -y --auto-remove gcc make\nCMD ["/srv/app"]\n'
    )
    assert not fires(purged)
    virtual = (
        "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make && apk del .build-deps\n"
        'CMD ["/srv/app"]\n'
    )
    assert not fires(virtual)


def test_node_devdependencies_fire_and_omitting_them_does_not() -> None:
    assert (
        "keeps devDependencies"
        in findings('FROM node:22-slim\nCOPY . .\nRUN npm ci\nCMD ["node", "s.js"]\n', CODE)[0].message
    )
    for install in ("npm ci --omit=dev", "npm install --production", "NODE_ENV=production npm ci"):
        assert not fires(f'FROM node:22-slim\nCOPY . .\nRUN {install}\nCMD ["node", "s.js"]\n'), install
    assert not fires(
        'FROM node:22-slim\nENV NODE_ENV=production\nCOPY . .\nRUN npm ci\nCMD ["node", "s.js"]\n'
    )
    assert not fires(
        'FROM node:22-slim\nCOPY . .\nRUN npm ci && npm prune --omit=dev\nCMD ["node", "s.js"]\n'
    )
    assert not fires('FROM node:22-slim\nRUN yarn --version\nCMD ["node", "s.js"]\n')


def test_node_build_step_fires() -> None:
    text = 'FROM node:22-slim\nCOPY . .\nRUN npm ci --omit=dev && npm run build:prod\nCMD ["node", "dist/s.js"]\n'
    assert "a Node build step (`npm run build:prod`)" in findings(text, CODE)[0].message


def test_python_fires_only_with_a_compiler_or_build_tool() -> None:
    slim = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt .\nCMD ["python", "-m", "app"]\n'
    assert not fires(slim)
    assert fires(slim.replace("3.12-slim", "3.12"))
    assert (
        "installs the build tool `poetry`"
        in findings(slim.replace("-r requirements.txt .", "poetry"), CODE)[0].message
    )


@pytest.mark.parametrize(
    "text",
    [
        "FROM golang:1.23\nRUN go build -o /app .\n",  # no CMD: a base or tool image
        'FROM golang:1.23\nRUN go build -o /app .\nCMD ["bash"]\n',
        'FROM node:22\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node"]\n',
        'FROM golang:1.23 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nCMD ["/app"]\n',
        "# escape=`\nFROM mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022\nRUN dotnet publish -o C:\\app\nCMD app\n",
        "FROM python:3.12-slim\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n",
    ],
    ids=["no-cmd", "shell-cmd", "repl-behind-entrypoint", "multi-stage", "windows", "slim-python"],
)
def test_does_not_fire(text: str) -> None:
    assert findings(text, CODE) == []


def test_pragma_suppresses() -> None:
    assert (
        findings('# hardenify: ignore[HF413]\nFROM golang:1.23\nRUN go build -o /a .\nCMD ["/a"]\n', CODE)
        == []
    )


def test_samples_legacy_go_rust_node_fire_and_legacy_python_does_not() -> None:
    for name in ("legacy-go", "legacy-rust", "legacy-node"):
        assert fires((SAMPLES / name / "Dockerfile").read_text()), name
    assert not fires((SAMPLES / "legacy-python" / "Dockerfile").read_text())
    assert not fires((SAMPLES / "split-python" / "Dockerfile").read_text())


# ------------------------------------------------------------------------------------------ Go


def test_go_legacy_sample_split() -> None:
    assert split((SAMPLES / "legacy-go" / "Dockerfile").read_text()) == dedent(
        """
        FROM golang:1.23 AS build

        WORKDIR /go/src/app
        COPY . .

        RUN go mod download
        RUN go build -o /go/bin/legacy-go .

        FROM gcr.io/distroless/cc-debian12:nonroot
        WORKDIR /go/src/app
        COPY --from=build /go/bin/legacy-go /go/bin/legacy-go
        EXPOSE 8080
        CMD ["/go/bin/legacy-go"]
        """
    )


def test_go_static_only_with_cgo_disabled() -> None:
    text = """
        FROM golang:1.22-alpine
        ENV CGO_ENABLED=0
        WORKDIR /src
        COPY . .
        RUN go build -ldflags="-s -w" -o /out/server ./cmd/server
        USER 65532:65532
        ENTRYPOINT ["/out/server"]
        """
    assert split(text) == dedent(
        """
        FROM golang:1.22-alpine AS build
        ENV CGO_ENABLED=0
        WORKDIR /src
        COPY . .
        RUN go build -ldflags="-s -w" -o /out/server ./cmd/server

        FROM gcr.io/distroless/static-debian12:nonroot
        WORKDIR /src
        COPY --from=build /out/server /out/server
        USER 65532:65532
        ENTRYPOINT ["/out/server"]
        """
    )
    inline = 'FROM golang:1.23\nWORKDIR /s\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /a .\nCMD ["/a"]\n'
    assert "FROM gcr.io/distroless/static-debian12:nonroot" in split(inline)
    assert "musl unless CGO_ENABLED=0" in refusal(text.replace("ENV CGO_ENABLED=0", "ENV GOFLAGS=-trimpath"))


def test_go_install_bare_name_moves_runtime_lines_and_keeps_case() -> None:
    text = """
        from golang:1.23
        label org.opencontainers.image.source=https://example.com
        workdir /src
        # the port
        expose 8080
        copy . .
        run go install ./cmd/api
        copy templates/ /srv/templates/
        cmd api --templates /srv/templates
        """
    assert split(text) == dedent(
        """
        from golang:1.23 as build
        workdir /src
        copy . .
        run go install ./cmd/api
        copy templates/ /srv/templates/

        from gcr.io/distroless/cc-debian12:nonroot
        workdir /src
        copy --from=build /go/bin/api /go/bin/api
        copy --from=build /srv/templates /srv/templates
        label org.opencontainers.image.source=https://example.com
        # the port
        expose 8080
        cmd ["/go/bin/api", "--templates", "/srv/templates"]
        """
    )


def test_go_env_arg_and_created_user_carry_over() -> None:
    text = """
        FROM golang:1.23
        ARG VERSION=dev
        ENV APP_VERSION=$VERSION GOFLAGS=-mod=vendor
        WORKDIR /src
        COPY . .
        RUN useradd --uid 10001 app
        RUN go build -ldflags "-X main.version=${VERSION}" -o /usr/local/bin/app .
        USER app
        HEALTHCHECK CMD ["app", "healthcheck"]
        CMD ["app"]
        """
    assert split(text).split("\n\n")[1] == dedent(
        """
        FROM gcr.io/distroless/cc-debian12:nonroot
        ARG VERSION=dev
        WORKDIR /src
        ENV APP_VERSION=$VERSION
        COPY --from=build /usr/local/bin/app /usr/local/bin/app
        USER 10001
        HEALTHCHECK CMD ["app", "healthcheck"]
        CMD ["app"]
        """
    )


def test_go_keeps_crlf_and_missing_final_newline() -> None:
    text = "FROM golang:1.23\r\nWORKDIR /src\r\nCOPY . .\r\nRUN go build -o /app .\r\nEXPOSE 80\r\nCMD /app -port 80"
    out = split(text)
    assert out == (
        "FROM golang:1.23 AS build\r\nWORKDIR /src\r\nCOPY . .\r\nRUN go build -o /app .\r\n\r\n"
        "FROM gcr.io/distroless/cc-debian12:nonroot\r\nWORKDIR /src\r\nCOPY --from=build /app /app\r\n"
        'EXPOSE 80\r\nCMD ["/app", "-port", "80"]'
    )


def test_go_moves_mid_stage_cmd_and_volume_and_repeats_shell_only_when_needed() -> None:
    text = """
        ARG GO_VERSION=1.23
        FROM golang:${GO_VERSION}
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        WORKDIR /src
        CMD ["/out/app"]
        COPY . .
        VOLUME /data
        RUN go build -o /out/app . | tee /tmp/log
        """
    assert split(text) == dedent(
        """
        ARG GO_VERSION=1.23
        FROM golang:${GO_VERSION} AS build
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        WORKDIR /src
        COPY . .
        RUN go build -o /out/app . | tee /tmp/log

        FROM gcr.io/distroless/cc-debian12:nonroot
        WORKDIR /src
        COPY --from=build /out/app /out/app
        CMD ["/out/app"]
        VOLUME /data
        """
    )


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("CMD /app -port $PORT", "needs a shell"),
        ('HEALTHCHECK CMD curl -f http://localhost/ || exit 1\nCMD ["/app"]', "needs a shell"),
        ('HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]\nCMD ["/app"]', "runs `curl`"),
        ('CMD ["go", "run", "."]', "compiles when it starts"),
        ('CMD ["/usr/local/bin/other"]', "`go build` writes `/app`"),
        ('ENTRYPOINT ["/entrypoint.sh"]\nCMD ["/app"]', "`go build` writes `/app`"),
    ],
)
def test_go_refusals(tail: str, reason: str) -> None:
    text = f"FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n{tail}\n"
    message = refusal(text)
    assert reason in message
    assert "hardenify: artifact=" in message or "runtime=" in message or "instead" in message


def test_created_user_without_uid_is_refused() -> None:
    text = 'FROM golang:1.23\nCOPY . /src\nRUN useradd app && cd /src && go build -o /app .\nUSER app\nCMD ["/app"]\n'
    assert "explicit uid" in refusal(text)


def test_runtime_packages_are_refused_unless_a_runtime_is_named() -> None:
    text = """
        FROM golang:1.23
        RUN apt-get update && apt-get install -y libvips-dev
        WORKDIR /src
        COPY . .
        RUN go build -o /app .
        CMD ["/app"]
        """
    assert "`libvips-dev`" in refusal(text)
    hinted = split("# hardenify: runtime=debian:bookworm-slim\n" + dedent(text))
    assert "FROM debian:bookworm-slim\n" in hinted and "COPY --from=build /app /app" in hinted


def test_split_with_no_trailing_lines_appends_at_end_of_file() -> None:
    text = 'FROM golang:1.23\nCMD ["/app"]\nCOPY . /src\nRUN cd /src && go build -o /app .'
    assert split(text) == (
        "FROM golang:1.23 AS build\nCOPY . /src\nRUN cd /src && go build -o /app .\n\n"
        'FROM gcr.io/distroless/cc-debian12:nonroot\nWORKDIR /go\nCOPY --from=build /app /app\nCMD ["/app"]'
    )


def test_hint_comments_stay_where_they_are() -> None:
    text = 'FROM gcc:13\nCOPY . /src\nRUN make -C /src\n# hardenify: artifact=/src/out/tool\n\nCMD ["/src/out/tool"]\n'
    assert "no runtime base for native builds: add `# hardenify: runtime=<image>`" in refusal(text)
    out = split("# hardenify: runtime=gcr.io/distroless/cc-debian12\n" + text)
    assert out.startswith(
        "# hardenify: runtime=gcr.io/distroless/cc-debian12\n"
        "FROM gcc:13 AS build\nCOPY . /src\nRUN make -C /src\n# hardenify: artifact=/src/out/tool\n\n"
        "FROM gcr.io/distroless/cc-debian12\n"
    )
    assert out.endswith('COPY --from=build /src/out/tool /src/out/tool\nCMD ["/src/out/tool"]\n')


def test_split_goes_first_so_root_user_rules_see_the_runtime_stage() -> None:
    text = (SAMPLES / "legacy-go" / "Dockerfile").read_text()
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE, "HF101"), unsafe_fixes=True))
    assert res.refused is None and res.fixed[CODE] == 1
    assert "useradd" not in res.text and "USER" not in res.text  # distroless :nonroot runs as 65532
    assert res.text == split(text)


# ---------------------------------------------------------------------------------------- Rust


def test_rust_legacy_sample_split_converts_shell_form_cmd() -> None:
    assert split((SAMPLES / "legacy-rust" / "Dockerfile").read_text()) == dedent(
        """
        FROM rust:1-slim AS build

        WORKDIR /usr/src/app
        COPY . .

        RUN cargo build --release --offline

        FROM gcr.io/distroless/cc-debian12:nonroot
        WORKDIR /usr/src/app
        COPY --from=build /usr/src/app/target/release/legacy-rust /usr/src/app/target/release/legacy-rust
        EXPOSE 8080
        CMD ["./target/release/legacy-rust"]
        """
    )


def test_rust_musl_target_goes_static_and_keeps_stage_name() -> None:
    text = """
        FROM rust:1.80 AS builder
        WORKDIR /app
        COPY . .
        RUN cargo build --release --target x86_64-unknown-linux-musl --bin srv
        CMD ["/app/target/x86_64-unknown-linux-musl/release/srv"]
        """
    out = split(text)
    assert out.startswith("FROM rust:1.80 AS builder\n")
    assert "FROM gcr.io/distroless/static-debian12:nonroot\n" in out
    assert "COPY --from=builder /app/target/x86_64-unknown-linux-musl/release/srv " in out


def test_rust_cargo_install_bare_name() -> None:
    text = 'FROM rust:1-bookworm\nWORKDIR /src\nCOPY . .\nRUN cargo install --path .\nCMD ["server"]\n'
    out = split(text)
    assert "FROM gcr.io/distroless/cc-debian12:nonroot\n" in out
    assert "COPY --from=build /usr/local/cargo/bin/server /usr/local/cargo/bin/server\n" in out
    assert out.endswith('CMD ["/usr/local/cargo/bin/server"]\n')


def test_trixie_base_maps_to_debian13() -> None:
    text = (
        'FROM rust:1-trixie\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nCMD ["./target/release/x"]\n'
    )
    assert "FROM gcr.io/distroless/cc-debian13:nonroot\n" in split(text)


# ---------------------------------------------------------------------------------------- Node


def test_node_legacy_sample_prunes_and_keeps_npm_start() -> None:
    assert split((SAMPLES / "legacy-node" / "Dockerfile").read_text()) == dedent(
        """
        FROM node:22-slim AS build

        WORKDIR /usr/src/app

        COPY package*.json ./
        RUN npm install

        COPY . .
        RUN npm prune --omit=dev

        FROM node:22-slim
        WORKDIR /usr/src/app
        COPY --from=build /usr/src/app /usr/src/app
        EXPOSE 3000
        CMD npm start
        """
    )


def test_node_full_image_goes_slim_and_old_npm_prunes_with_production() -> None:
    out = split('FROM node:14.17.3-bookworm\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n')
    assert "RUN npm prune --production\n" in out
    assert "FROM node:14.17.3-bookworm-slim\n" in out


def test_node_distroless_mapping_rewrites_cmd_and_user() -> None:
    text = """
        FROM node:22
        WORKDIR /app
        COPY . .
        RUN npm ci && npm run build
        USER node
        CMD ["node", "dist/server.js"]
        """
    assert split(text, **DISTROLESS_NODE).split("\n\n")[1] == dedent(
        """
        FROM gcr.io/distroless/nodejs22-debian12:nonroot
        WORKDIR /app
        COPY --from=build /app /app
        USER 1000:1000
        CMD ["dist/server.js"]
        """
    )
    assert "runs `npm`" in refusal(text.replace('["node", "dist/server.js"]', "npm start"), **DISTROLESS_NODE)
    probe = dedent(text).replace("USER node\n", 'USER node\nHEALTHCHECK CMD ["node", "healthcheck.js"]\n')
    assert 'HEALTHCHECK CMD ["/nodejs/bin/node", "healthcheck.js"]\n' in split(probe, **DISTROLESS_NODE)


def test_node_keeps_arg_version_in_runtime_from_and_repeats_shell() -> None:
    text = """
        ARG NODE_VERSION=20
        FROM node:${NODE_VERSION}
        SHELL ["/bin/bash", "-c"]
        WORKDIR /app
        COPY . .
        RUN npm ci
        CMD npm start
        """
    assert split(text).split("\n\n")[1] == dedent(
        """
        FROM node:${NODE_VERSION}-slim
        WORKDIR /app
        SHELL ["/bin/bash", "-c"]
        COPY --from=build /app /app
        CMD npm start
        """
    )


def test_node_yarn_is_refused_and_pnpm_prunes() -> None:
    yarn = (
        'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN yarn install && yarn build\nCMD ["node", "d.js"]\n'
    )
    assert "yarn install --production" in refusal(yarn)
    pnpm = yarn.replace("yarn install && yarn build", "pnpm install && pnpm build")
    out = split(pnpm)
    assert "RUN pnpm prune --prod\n\nFROM node:20-alpine\n" in out


# -------------------------------------------------------------------------------------- Python


def test_python_full_image_gets_a_venv_and_a_slim_runtime() -> None:
    text = """
        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
        EXPOSE 8000
        CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
        """
    assert split(text) == dedent(
        """
        FROM python:3.12 AS build
        WORKDIR /app
        COPY requirements.txt .
        RUN python -m venv /opt/venv
        ENV PATH=/opt/venv/bin:$PATH
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .

        FROM python:3.12-slim
        WORKDIR /app
        ENV PATH=/opt/venv/bin:$PATH
        COPY --from=build /opt/venv /opt/venv
        COPY --from=build /app /app
        ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
        EXPOSE 8000
        CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
        """
    )


def test_python_reuses_the_files_venv_and_keeps_distro_suffix() -> None:
    text = """
        FROM python:3.11-bookworm
        RUN python -m venv /venv
        ENV PATH="/venv/bin:$PATH"
        WORKDIR /app
        COPY . .
        RUN pip install -r requirements.txt
        CMD ["python", "-m", "app"]
        """
    assert split(text).split("\n\n")[1] == dedent(
        """
        FROM python:3.11-slim-bookworm
        WORKDIR /app
        ENV PATH="/venv/bin:$PATH"
        COPY --from=build /venv /venv
        COPY --from=build /app /app
        CMD ["python", "-m", "app"]
        """
    )


@pytest.mark.parametrize(
    ("install", "reason"),
    [
        ("pip install --user -r requirements.txt", "installs outside a venv"),
        ("/usr/local/bin/pip install -r requirements.txt", "called by its path"),
        ("pip install poetry && poetry install", "`poetry install` installs where hardenify cannot follow"),
    ],
)
def test_python_refusals(install: str, reason: str) -> None:
    text = f'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN {install}\nCMD ["python", "app.py"]\n'
    assert reason in refusal(text)


# ------------------------------------------------------------------------------------ Java, .NET


def test_java_maven_jar_into_temurin_jre() -> None:
    text = """
        FROM maven:3.9-eclipse-temurin-17
        WORKDIR /build
        COPY pom.xml .
        COPY src ./src
        RUN mvn -B package -DskipTests
        EXPOSE 8080
        ENTRYPOINT ["java", "-jar", "target/app.jar"]
        """
    assert split(text).split("\n\n")[1] == dedent(
        """
        FROM eclipse-temurin:17-jre
        WORKDIR /build
        COPY --from=build /build/target/app.jar /build/target/app.jar
        EXPOSE 8080
        ENTRYPOINT ["java", "-jar", "target/app.jar"]
        """
    )


def test_java_glob_jar_and_alpine_jre() -> None:
    text = "FROM eclipse-temurin:21-jdk-alpine\nWORKDIR /w\nCOPY . .\nRUN ./gradlew bootJar\nCMD java -jar build/libs/*.jar\n"
    out = split(text)
    assert "FROM eclipse-temurin:21-jre-alpine\n" in out
    assert "COPY --from=build /w/build/libs/*.jar /w/build/libs/\n" in out
    assert out.endswith("CMD java -jar build/libs/*.jar\n")


def test_java_build_tool_at_start_is_refused() -> None:
    text = 'FROM maven:3.9-eclipse-temurin-17\nCOPY . /w\nRUN cd /w && mvn package\nCMD ["mvn", "spring-boot:run"]\n'
    assert "compiles when it starts" in refusal(text)


def test_dotnet_publish_dir_into_aspnet_and_self_contained_into_runtime_deps() -> None:
    text = """
        FROM mcr.microsoft.com/dotnet/sdk:8.0.404-bookworm-slim
        WORKDIR /src
        COPY . .
        RUN dotnet publish -c Release -o /app/publish
        WORKDIR /app/publish
        EXPOSE 8080
        ENTRYPOINT ["dotnet", "Api.dll"]
        """
    assert split(text).split("\n\n")[1] == dedent(
        """
        FROM mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim
        COPY --from=build /app/publish /app/publish
        WORKDIR /app/publish
        EXPOSE 8080
        ENTRYPOINT ["dotnet", "Api.dll"]
        """
    )
    contained = text.replace("-o /app/publish", "-r linux-x64 --self-contained -o /app/publish").replace(
        'ENTRYPOINT ["dotnet", "Api.dll"]', 'ENTRYPOINT ["./Api"]'
    )
    assert "FROM mcr.microsoft.com/dotnet/runtime-deps:8.0-bookworm-slim\n" in split(contained)
    assert "`dotnet publish` writes" in refusal(text.replace("-o /app/publish", ""))


# ------------------------------------------------------------------------------- hints, options


def test_artifact_and_runtime_hints_split_an_unknown_stack() -> None:
    text = """
        FROM gcc:13
        WORKDIR /src
        COPY . .
        RUN make && make install PREFIX=/usr/local
        CMD ["tool", "--serve"]
        """
    assert "hardenify: artifact=" in refusal(text)
    hinted = (
        "# hardenify: artifact=/usr/local/bin/tool\n# hardenify: runtime=debian:bookworm-slim\n"
        + dedent(text)
    )
    assert split(hinted).split("\n\n")[1] == dedent(
        """
        FROM debian:bookworm-slim
        WORKDIR /src
        COPY --from=build /usr/local/bin/tool /usr/local/bin/tool
        CMD ["tool", "--serve"]
        """
    )


def test_runtime_bases_option_overrides_one_key() -> None:
    table = runtime_bases({"runtime-bases": {"go": "cgr.dev/chainguard/glibc-dynamic:latest", "x": 1}})
    assert table["go"] == "cgr.dev/chainguard/glibc-dynamic:latest"
    assert table["rust"] == DEFAULT_RUNTIME_BASES["rust"] and "x" not in table
    text = 'FROM golang:1.23\nWORKDIR /s\nCOPY . .\nRUN go build -o /a .\nCMD ["/a"]\n'
    assert "FROM cgr.dev/chainguard/glibc-dynamic:latest\n" in split(text, **{"runtime-bases": table})
    bad = {"runtime-bases": {"go": "example.com/rt:{nope}"}}
    assert "unknown field {nope}" in refusal(text, **bad)


def test_template_version_must_come_from_the_stacks_own_image() -> None:
    text = """
        FROM ubuntu:24.04
        RUN curl -fsSL https://nodejs.org/dist/v22.11.0/node-v22.11.0-linux-x64.tar.xz | tar -xJ -C /usr/local
        WORKDIR /a
        COPY . .
        RUN npm ci
        CMD ["node", "s.js"]
        """
    assert "takes its version from a `Node` base image, but this one is `ubuntu:24.04`" in refusal(text)
    assert "`nodejs`, `npm`" in refusal(
        dedent(text).replace("RUN curl", "RUN apt-get install -y nodejs npm #")
    )


def test_base_facts_fields() -> None:
    facts = base_facts("maven:3.9.6-eclipse-temurin-21-alpine")
    assert facts is not None
    fields = facts.fields("maven:3.9.6-eclipse-temurin-21-alpine")
    assert (fields["version"], fields["series"], fields["java"], facts.alpine) == ("3.9.6", "3.9", "21", True)
    node = base_facts("node:22.3.0-bookworm")
    assert node is not None and node.fields("")["distro"] == "-bookworm" and node.fields("")["major"] == "22"


def test_odd_input_does_not_raise() -> None:
    for text in (
        "",
        "FROM\n",
        "CMD x\n",
        "FROM golang:1.23\nRUN go build -o\nCMD\n",
        'FROM golang:1.23\nRUN ["go", "build", "-o", "/a"]\nCMD []\n',
        'FROM golang\nWORKDIR $NOPE\nCOPY . .\nRUN go build -o app .\nCMD ["./app"]\n',
        'FROM node:22\nRUN <<EOF\nnpm ci\nEOF\nCMD ["node", "a.js"]\n',
        'FROM golang:1.23\nONBUILD RUN go build\nRUN go build -o /a .\nCMD ["/a"]\n',
    ):
        findings(text, CODE)
        fix_text("Dockerfile", text, "dockerfile", settings())


# ------------------------------------------------------------------------------------------ corpus


def test_corpus_no_crash_idempotent_and_parses(corpus_dir: Path) -> None:
    """Every split of a real Dockerfile parses with BuildKit, has two stages and is a fixpoint."""
    tally: Counter[str] = Counter()
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        name = path.name
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        res = fix_text(name, text, "dockerfile", settings())
        if not res.changed:
            tally["unchanged"] += 1
            continue
        tally["split"] += 1
        assert res.refused is None
        dockerfile.parse_string(res.text)
        assert len(parse(res.text).stages) == 2, name
        assert fix_text(name, res.text, "dockerfile", settings()).text == res.text, name
    assert tally["split"] >= 5, tally


# ------------------------------------------------------------- the core's RUN model (issue 13)


def test_a_data_heredoc_is_not_a_build_command() -> None:
    # shell: `cat <<EOF > f` writes the body to a file; `go build` in it never runs. HF413 read
    # every heredoc body as shell before it used the core's RUN model (`runs.script_heredocs`).
    script = 'FROM debian:12\nRUN <<EOF\ngo build -o /app .\nEOF\nCMD ["/app"]\n'
    assert fires(script)
    assert not fires('FROM debian:12\nRUN cat <<EOF > /notes\ngo build -o /app .\nEOF\nCMD ["/app"]\n')


def test_the_program_after_sudo_options_is_the_command() -> None:
    # shell: `sudo -u app go build` runs go; `_split` took `-u`'s value for the program.
    assert fires('FROM debian:12\nRUN sudo -u app go build -o /app .\nCMD ["/app"]\n')


def test_the_rule_package_loads_lazily_like_a_module() -> None:
    from hardenify import rules

    assert "hf413_single_stage_toolchain" in rules.rule_module_names()
    indexed = rules._from_index()
    assert indexed is not None
    rule = next(r for r in indexed if r.code == CODE)
    assert isinstance(rule.check, rules._LazyCheck) and rule.check.module == "hf413_single_stage_toolchain"
