import dockerfile

from hardenify.engine import fix_text
from hardenify.settings import Settings
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF101"

DEBIAN_CREATE = (
    "RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-log-init "
    "--no-create-home --shell /usr/sbin/nologin app"
)
ALPINE_CREATE = "RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app"


# ------------------------------------------------------------------------------ detection


def test_no_user_fires_on_final_from() -> None:
    ds = findings('FROM python:3.12-slim\nCMD ["python"]\n', CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF101", 1)]
    assert "no USER" in ds[0].message


def test_last_user_root_fires() -> None:
    ds = findings("FROM debian\nUSER app\nRUN x\nUSER 0\n", CODE)
    assert [d.location.row for d in ds] == [4]


def test_user_root_via_arg_default() -> None:
    assert codes("FROM debian\nARG U=root\nUSER ${U}\n", CODE) == ["HF101"]
    # A global ARG is in scope in a stage only once the stage redeclares it (`ARG U` takes the
    # global default).
    assert codes("ARG U=root\nFROM debian\nARG U\nUSER ${U}\n", CODE) == ["HF101"]
    # BuildKit: not redeclared, `${U}` is not the global default; only the base image's own ENV
    # could set it, which hardenify cannot see, so the USER is unknown, as any unset variable.
    assert codes("ARG U=root\nFROM debian\nUSER ${U}\n", CODE) == []


def test_only_final_stage_matters() -> None:
    text = "FROM golang AS build\nRUN go build\nFROM debian\nUSER 10001:10001\n"
    assert codes(text, CODE) == []


def test_user_inherited_from_parent_stage() -> None:
    text = "FROM debian AS base\nUSER 10001:10001\nFROM base\nCMD x\n"
    assert codes(text, CODE) == []
    text = "FROM debian AS base\nUSER root\nFROM base\nCMD x\n"
    assert [d.location.row for d in findings(text, CODE)] == [2]


def test_nonroot_bases_pass() -> None:
    for image in (
        "gcr.io/distroless/static-debian12:nonroot",
        "gcr.io/distroless/base:debug-nonroot",
        "nginxinc/nginx-unprivileged:1.27",
        "cgr.dev/chainguard/python:latest",
        "bitnami/nginx:1.27",
        "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled",
        "jenkins/jenkins:lts",
        "registry.access.redhat.com/ubi9/python-312",
    ):
        assert codes(f"FROM {image}\nCMD x\n", CODE) == [], image


def test_windows_is_skipped() -> None:
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n", CODE) == []
    assert codes("FROM mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022\n", CODE) == []


def test_scratch_fires() -> None:
    assert codes("FROM scratch\nCOPY app /app\n", CODE) == ["HF101"]


def test_named_and_variable_users_pass() -> None:
    assert codes("FROM node:22\nUSER node\n", CODE) == []
    assert codes("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\n", CODE) == []
    assert codes("FROM debian\nUSER rooter\n", CODE) == []


def test_odd_input_does_not_raise() -> None:
    for text in ("", "USER root\n", "FROM\n", "FROM debian\nUSER\n", "from debian\nonbuild user root\n"):
        findings(text, CODE)


def test_hardenify_pragma_suppresses() -> None:
    assert codes("# hardenify: ignore[HF101]\nFROM debian\n", CODE) == []


def test_hadolint_pragma_suppresses_through_cross_reference() -> None:
    assert codes("FROM debian\nRUN x\n# hadolint ignore=DL3002\nUSER root\n", CODE) == []
    assert codes("# hadolint global ignore=DL3002\nFROM debian\n", CODE) == []


def test_blank_line_ends_pragma() -> None:
    assert codes("# hardenify: ignore[HF101]\n\nFROM debian\n", CODE) == ["HF101"]


# ------------------------------------------------------------------------------------ fixes


def test_fix_is_unsafe_only() -> None:
    text = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
    assert fixed(text, CODE) == text
    ds = findings(text, CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability.value == "unsafe"


def test_fix_debian_family_creates_user_after_last_build_step() -> None:
    text = dedent(
        """
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        RUN pip install --no-cache-dir -r requirements.txt
        EXPOSE 8000
        CMD ["python", "app.py"]
        """
    )
    assert fixed(text, CODE, unsafe=True) == dedent(
        f"""
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        RUN pip install --no-cache-dir -r requirements.txt
        {DEBIAN_CREATE}
        USER 10001:10001
        EXPOSE 8000
        CMD ["python", "app.py"]
        """
    )


def test_fix_alpine_family_and_lowercase_keywords() -> None:
    text = 'from alpine:3.20\nrun apk add --no-cache curl\ncmd ["sh"]\n'
    assert fixed(text, CODE, unsafe=True) == (
        "from alpine:3.20\nrun apk add --no-cache curl\n"
        + ALPINE_CREATE.replace("RUN", "run")
        + '\nuser 10001:10001\ncmd ["sh"]\n'
    )


def test_fix_alpine_tag_of_language_image() -> None:
    out = fixed("FROM python:3.12-alpine\nCMD x\n", CODE, unsafe=True)
    assert ALPINE_CREATE in out and "USER 10001:10001" in out


def test_fix_rhel_family() -> None:
    out = fixed("FROM rockylinux:9\nRUN dnf -y install python3\nCMD x\n", CODE, unsafe=True)
    assert DEBIAN_CREATE in out


def test_fix_ubi_minimal_needs_shadow_utils() -> None:
    text = "FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4\nCMD x\n"
    ds = findings(text, CODE)
    assert ds[0].fix is None and "shadow-utils" in ds[0].message
    with_shadow = (
        "FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4\nRUN microdnf install -y shadow-utils\nCMD x\n"
    )
    assert DEBIAN_CREATE in fixed(with_shadow, CODE, unsafe=True)


def test_fix_node_uses_existing_user() -> None:
    assert fixed("FROM node:22-slim\nCOPY . .\nCMD node x\n", CODE, unsafe=True) == (
        "FROM node:22-slim\nCOPY . .\nUSER 1000:1000\nCMD node x\n"
    )


def test_fix_distroless_and_scratch_use_numeric_ids() -> None:
    text = 'FROM golang:1.23 AS build\nRUN go build\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /a /a\nCMD ["/a"]\n'
    assert fixed(text, CODE, unsafe=True).endswith('COPY --from=build /a /a\nUSER 65532:65532\nCMD ["/a"]\n')
    assert fixed('FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n', CODE, unsafe=True) == (
        'FROM scratch\nCOPY app /app\nUSER 65532:65532\nENTRYPOINT ["/app"]\n'
    )


def test_fix_dotnet8_uses_app_user() -> None:
    out = fixed(
        'FROM mcr.microsoft.com/dotnet/aspnet:8.0\nCOPY . .\nENTRYPOINT ["dotnet", "app.dll"]\n',
        CODE,
        unsafe=True,
    )
    assert out.endswith('USER 1654:1654\nENTRYPOINT ["dotnet", "app.dll"]\n')


def test_fix_uses_user_created_in_file() -> None:
    text = "FROM debian:12\nRUN groupadd -g 2000 web && useradd -u 1001 -g web bob\nCMD x\n"
    assert fixed(text, CODE, unsafe=True) == (
        "FROM debian:12\nRUN groupadd -g 2000 web && useradd -u 1001 -g web bob\nUSER 1001:2000\nCMD x\n"
    )
    text = "FROM alpine:3.20\nRUN adduser -D bob\nCMD x\n"
    assert "USER bob\n" in fixed(text, CODE, unsafe=True)


def test_fix_switches_back_to_earlier_user() -> None:
    text = "FROM debian:12\nUSER app\nRUN x\nUSER root\nRUN apt-get update\nCMD y\n"
    assert fixed(text, CODE, unsafe=True) == (
        "FROM debian:12\nUSER app\nRUN x\nUSER root\nRUN apt-get update\nUSER app\nCMD y\n"
    )


def test_fix_replaces_trailing_user_root_in_place() -> None:
    text = 'FROM node:22\nUSER node\nRUN x\nUSER root\nCMD ["node"]\n'
    assert fixed(text, CODE, unsafe=True) == 'FROM node:22\nUSER node\nRUN x\nUSER 1000:1000\nCMD ["node"]\n'
    text = "FROM node:22\nCOPY . .\nCMD node x\nUSER root:root\n"
    assert fixed(text, CODE, unsafe=True) == "FROM node:22\nCOPY . .\nCMD node x\nUSER 1000:1000\n"


def test_fix_multistage_only_touches_final_stage() -> None:
    text = 'FROM golang:1.23 AS build\nRUN go build -o /app\n\nFROM debian:12-slim\nCOPY --from=build /app /app\nCMD ["/app"]\n'
    assert fixed(text, CODE, unsafe=True) == (
        "FROM golang:1.23 AS build\nRUN go build -o /app\n\nFROM debian:12-slim\nCOPY --from=build /app /app\n"
        f'{DEBIAN_CREATE}\nUSER 10001:10001\nCMD ["/app"]\n'
    )


def test_fix_inherited_stage_uses_root_image_family() -> None:
    text = "FROM alpine:3.20 AS base\nRUN apk add curl\nFROM base\nCOPY x /x\nCMD /x\n"
    out = fixed(text, CODE, unsafe=True)
    assert out.endswith(f"COPY x /x\n{ALPINE_CREATE}\nUSER 10001:10001\nCMD /x\n")


def test_fix_crlf_indent_and_no_final_newline() -> None:
    text = "FROM debian:12\r\n  RUN apt-get update \\\r\n    # comment inside\r\n    && true\r\nCMD x"
    out = fixed(text, CODE, unsafe=True)
    assert out == (
        "FROM debian:12\r\n  RUN apt-get update \\\r\n    # comment inside\r\n    && true\r\n"
        f"  {DEBIAN_CREATE}\r\n  USER 10001:10001\r\nCMD x"
    )
    dockerfile.parse_string(out)


def test_fix_after_heredoc_and_no_final_newline_at_end() -> None:
    text = "FROM debian:12\nCMD x\nRUN <<EOF\napt-get update\nEOF"
    out = fixed(text, CODE, unsafe=True)
    # a blank line after the heredoc keeps hadolint's parser happy
    assert (
        out == f"FROM debian:12\nCMD x\nRUN <<EOF\napt-get update\nEOF\n\n{DEBIAN_CREATE}\nUSER 10001:10001"
    )
    dockerfile.parse_string(out)


def test_from_only_file_is_a_base_and_gets_no_user() -> None:
    # No CMD of its own: `ubuntu`'s CMD is bash, so this is a base other images build FROM.
    assert fixed("FROM ubuntu:24.04\n", CODE, unsafe=True) == "FROM ubuntu:24.04\n"
    ds = findings("FROM ubuntu:24.04\n", CODE)
    assert (
        ds[0].fix is None and "left for a human" in ds[0].message and "base for other images" in ds[0].message
    )


def test_no_fix_cases_explain_why() -> None:
    cases = {
        "FROM myorg/base:1\nCMD x\n": "does not know",
        "FROM couchdb:3\n": "gosu",
        "FROM wordpress:6\n": "Apache",
        'FROM debian:12\nRUN apt-get install -y gosu\nENTRYPOINT ["/entrypoint.sh"]\n': "gosu",
        "FROM amazonlinux:2023\nCMD x\n": "shadow-utils",
        "FROM openjdk:21\nCMD x\n": "does not know",
        "FROM docker:27-dind\n": "docker-in-docker",
        'FROM debian:12\nRUN apt-get install -y cron\nCMD ["cron", "-f"]\n': "cron",
        'FROM alpine:3.20\nRUN apk add --no-cache iptables\nCMD ["/fw.sh"]\n': "iptables",
        'FROM debian:12\nEXPOSE 80\nCMD ["/usr/local/bin/server"]\n': "port 80",
    }
    for text, why in cases.items():
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text
        assert why in ds[0].message, (text, ds[0].message)


def test_no_fix_after_usermod_keeps_created_user_unknown() -> None:
    text = "FROM debian:12\nRUN useradd -u 1001 bob && usermod -u 2002 bob\nCMD x\n"
    out = fixed(text, CODE, unsafe=True)
    assert "USER 1001" not in out and "USER" in out  # falls back to creating `app`


def test_already_good_file_is_unchanged() -> None:
    text = f"FROM python:3.12-slim\n{DEBIAN_CREATE}\nUSER 10001:10001\nCMD x\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_fixed_output_parses_and_fixes_the_finding() -> None:
    text = 'FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\nCMD ["ruby", "app.rb"]\n'
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE,), unsafe_fixes=True))
    assert res.refused is None and res.fixed[CODE] == 1
    dockerfile.parse_string(res.text)
    assert codes(res.text, CODE) == []


def test_no_fix_when_a_privileged_port_is_exposed() -> None:
    ds = findings('FROM alpine:3.20\nRUN apk add openssh\nEXPOSE 22\nCMD ["/usr/sbin/sshd", "-D"]\n', CODE)
    assert ds[0].fix is None and "because the entrypoint runs sshd" in ds[0].message
    ds = findings("FROM busybox\nEXPOSE 22\nCMD x\n", CODE)
    assert ds[0].fix is None and "port 22" in ds[0].message
    assert findings("FROM alpine:3.20\nEXPOSE 8080 ${PORT}\nCMD x\n", CODE)[0].fix is not None


def test_no_fix_for_supervisors() -> None:
    text = 'FROM debian:12\nRUN apt-get install -y supervisor\nCMD ["/usr/bin/supervisord", "-n"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is None and "supervisord" in ds[0].message


def test_windows_shell_or_base_is_skipped() -> None:
    assert codes('FROM myorg/win:1\nSHELL ["powershell", "-Command"]\nRUN x\n', CODE) == []
    assert codes("FROM microsoft/iis\nRUN x\n", CODE) == []


def test_no_fix_when_su_exec_is_installed_as_a_package() -> None:
    text = "FROM alpine:3.20\nRUN apk add --no-cache 'su-exec>=0.2'\nENTRYPOINT [\"docker-entrypoint.sh\"]\n"
    ds = findings(text, CODE)
    assert ds[0].fix is None and "su-exec" in ds[0].message


# ------------------------------------------------------------------- family inference


def test_placeholder_tags_keep_the_family_the_name_gives() -> None:
    assert DEBIAN_CREATE in fixed("FROM debian:%%TAG%%\nRUN apt-get update\nCMD x\n", CODE, unsafe=True)
    assert DEBIAN_CREATE in fixed(
        "FROM buildpack-deps:${templateOption:imageVariant}-curl\nCMD x\n", CODE, unsafe=True
    )
    assert ALPINE_CREATE in fixed('FROM alpine:%%ALPINE-VERSION%%\nCMD ["sh"]\n', CODE, unsafe=True)
    # php has Debian and Alpine variants: the placeholder says nothing, the package manager does
    assert ALPINE_CREATE in fixed(
        "FROM php:%%VARIANT%%\nRUN apk add --no-cache git\nCMD x\n", CODE, unsafe=True
    )
    ds = findings("FROM php:%%VARIANT%%\nCOPY . /app\nCMD x\n", CODE)
    assert ds[0].fix is None and "does not know" in ds[0].message


def test_family_from_the_package_manager_of_an_unknown_base() -> None:
    text = 'FROM myorg/base:1\nRUN apt-get update && apt-get install -y curl\nCMD ["app"]\n'
    out = fixed(text, CODE, unsafe=True)
    assert (
        out
        == f'FROM myorg/base:1\nRUN apt-get update && apt-get install -y curl\n{DEBIAN_CREATE}\nUSER 10001:10001\nCMD ["app"]\n'
    )
    fix = findings(text, CODE)[0].fix
    assert fix is not None and "from its package manager" in fix.message
    assert ALPINE_CREATE in fixed(
        "FROM myorg/base:1\nRUN apk add --no-cache curl\nCMD x\n", CODE, unsafe=True
    )
    assert DEBIAN_CREATE in fixed("FROM myorg/base:1\nRUN yum install -y curl\nCMD x\n", CODE, unsafe=True)
    ds = findings("FROM myorg/base:1\nRUN microdnf install -y curl\nCMD x\n", CODE)
    assert ds[0].fix is None and "shadow-utils" in ds[0].message


def test_conflicting_package_managers_infer_nothing() -> None:
    text = "FROM myorg/base:1\nRUN if command -v apk; then apk add curl; else apt-get install -y curl; fi\nCMD x\n"
    ds = findings(text, CODE)
    assert ds[0].fix is None and "does not know" in ds[0].message


def test_family_from_an_ancestor_stage() -> None:
    text = "FROM myorg/base:1 AS deps\nRUN apk add --no-cache curl\nFROM deps\nCOPY app /app\nCMD /app\n"
    assert fixed(text, CODE, unsafe=True).endswith(
        f"COPY app /app\n{ALPINE_CREATE}\nUSER 10001:10001\nCMD /app\n"
    )


def test_family_from_a_third_party_tag() -> None:
    assert ALPINE_CREATE in fixed("FROM mvdan/shfmt:v3.1.2-alpine\nCOPY x /x\nCMD /x\n", CODE, unsafe=True)
    assert DEBIAN_CREATE in fixed("FROM vendor/tool:2-bookworm-slim\nCOPY x /x\nCMD /x\n", CODE, unsafe=True)
    ds = findings("FROM vendor/tool:2-slim\nCOPY x /x\nCMD /x\n", CODE)  # "slim" alone names no distribution
    assert ds[0].fix is None


def test_invalid_digest_still_names_the_image() -> None:
    assert DEBIAN_CREATE in fixed(
        'FROM python:3.12-slim-bookworm@sha256:abc\nCMD ["python"]\n', CODE, unsafe=True
    )


def test_oraclelinux_slim_has_useradd() -> None:
    assert DEBIAN_CREATE in fixed(
        "FROM oraclelinux:8-slim\nRUN microdnf install -y tar\nCMD x\n", CODE, unsafe=True
    )


def test_derived_images_with_known_families() -> None:
    for image in (
        "tiangolo/uvicorn-gunicorn:python3.11-slim",
        "mcr.microsoft.com/azure-functions/python:4",
        "dart:3",
    ):
        assert DEBIAN_CREATE in fixed(f"FROM {image}\nCOPY . /app\nCMD x\n", CODE, unsafe=True), image
    assert ALPINE_CREATE in fixed(
        "FROM tiangolo/uvicorn-gunicorn:python3.11-alpine\nCOPY . /app\nCMD x\n", CODE, unsafe=True
    )


def test_images_that_ship_a_user() -> None:
    cases = {
        "mcr.microsoft.com/devcontainers/base:bookworm": "1000:1000",
        "mcr.microsoft.com/vscode/devcontainers/python:3-bullseye": "1000:1000",
        "mcr.microsoft.com/devcontainers/javascript-node:${templateOption:imageVariant}": "1000:1000",
        "cgr.dev/chainguard/wolfi-base": "65532:65532",
        "docker.elastic.co/elasticsearch/elasticsearch:7.17.0": "1000:0",
        "photoprism/photoprism:latest": "1000:1000",
        "hello-world": "65532:65532",
    }
    for image, spec in cases.items():
        out = fixed(f'FROM {image}\nRUN true\nCMD ["x"]\n', CODE, unsafe=True)
        assert out == f'FROM {image}\nRUN true\nUSER {spec}\nCMD ["x"]\n', image


def test_chainguard_images_switch_back_to_nonroot() -> None:
    text = "FROM cgr.dev/ORG/python:3.12-dev\nCMD x\nUSER root\nRUN apk add --no-cache curl\n"
    assert fixed(text, CODE, unsafe=True) == text + "USER 65532:65532\n"
    assert codes("FROM cgr.dev/ORG/python:3.12-dev\nCOPY . /app\n", CODE) == []  # nonroot by default


def test_bases_that_already_run_as_non_root_pass() -> None:
    for image in (
        "gitpod/workspace-python",
        "docker.elastic.co/kibana/kibana:7.2.0",
        "docker.elastic.co/elasticsearch/elasticsearch:8.15.0",
    ):
        assert codes(f"FROM {image}\nRUN true\n", CODE) == [], image


def test_tools_identify_an_unknown_base() -> None:
    out = fixed("FROM bats-jenkins\nRUN jenkins-plugin-cli --plugins git\n", CODE, unsafe=True)
    assert out.endswith("RUN jenkins-plugin-cli --plugins git\nUSER 1000:1000\n")
    # RabbitMQ's entrypoint drops privileges itself: left for a human.
    ds = findings("FROM %%FROM%%\nRUN rabbitmq-plugins enable --offline rabbitmq_management\n", CODE)
    assert ds[0].fix is None and "RabbitMQ" in ds[0].message


def test_platform_args_resolve_the_parent_stage() -> None:
    text = 'FROM scratch AS bin-linux\nCOPY app /app\nENTRYPOINT ["/app"]\nFROM bin-$TARGETOS\n'
    assert fixed(text, CODE, unsafe=True) == text + "USER 65532:65532\n"


def test_windows_signals_skip_the_rule() -> None:
    assert codes("FROM myorg/jenkins\n# hadolint shell=powershell\nRUN mkdir C:/x\n", CODE) == []
    assert codes("FROM myorg/app\nWORKDIR C:/app\nCOPY . .\n", CODE) == []
    assert codes("FROM myorg/choco\nRUN choco install -y git\n", CODE) == []
    assert codes("FROM myorg/app\nRUN pwsh -c Get-Date\n", CODE) == ["HF101"]  # pwsh runs on Linux too


def test_images_that_must_start_as_root_get_no_fix() -> None:
    cases = {
        "FROM ghcr.io/linuxserver/baseimage-alpine:3.21\nRUN apk add curl\n": "PUID/PGID",
        "FROM us-docker.pkg.dev/cloud-workstations-images/predefined/base:latest\nRUN apt-get update\n": "sshd",
        'FROM debian:12\nRUN apt-get install -y bpftrace\nENTRYPOINT ["bpftrace"]\n': "bpftrace",
        "FROM debian:12\nRUN apt-get install -y qemu-kvm\nCMD x\n": "qemu-kvm",
        "FROM docker:27\nRUN apk add git\n": "docker-in-docker",
    }
    for text, why in cases.items():
        ds = findings(text, CODE)
        assert ds[0].fix is None and why in ds[0].message, (text, ds[0].message)


def test_docker_cli_images_are_plain_alpine() -> None:
    for image in ("docker:27-cli", "docker:18.09", "docker:19.03-git"):
        assert ALPINE_CREATE in fixed(
            f"FROM {image}\nRUN apk add --no-cache git\nCMD x\n", CODE, unsafe=True
        ), image


# ---------------------------------------------------------------- servers that bind port 80

NGINX_PREPARE = (
    "RUN touch /var/run/nginx.pid && chown -R 101:101 /var/cache/nginx /var/log/nginx /var/run/nginx.pid"
)


def test_fix_official_nginx_chowns_only_what_it_writes() -> None:
    text = 'FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n'
    assert fixed(text, CODE, unsafe=True) == (
        "FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n"
        f'{NGINX_PREPARE}\nUSER 101:101\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n'
    )
    fix = findings(text, CODE)[0].fix
    assert fix is not None and "Docker 20.10" in fix.message and "Kubernetes" in fix.message


def test_fix_old_nginx_uses_the_name() -> None:
    out = fixed("FROM nginx:1.13-alpine\nCOPY site /usr/share/nginx/html\n", CODE, unsafe=True)
    assert out.endswith(
        "RUN touch /var/run/nginx.pid && chown -R nginx:nginx /var/cache/nginx /var/log/nginx "
        "/var/run/nginx.pid\nUSER nginx\n"
    )


def test_no_fix_for_nginx_templates() -> None:
    ds = findings("FROM nginx:1.27\nCOPY default.conf.template /etc/nginx/templates/\n", CODE)
    assert ds[0].fix is None and "templates" in ds[0].message


def test_fix_dockerfile_that_builds_nginx_like_the_official_image() -> None:
    text = dedent(
        """
        FROM debian:bookworm-slim
        RUN groupadd --system --gid 101 nginx && useradd --system --gid nginx --uid 101 nginx
        RUN apt-get update && apt-get install -y nginx && ln -sf /dev/stdout /var/log/nginx/access.log
        EXPOSE 80
        CMD ["nginx", "-g", "daemon off;"]
        """
    )
    out = fixed(text, CODE, unsafe=True)
    assert "RUN mkdir -p /var/cache/nginx && " + NGINX_PREPARE[4:] + "\nUSER 101:101\nEXPOSE 80\n" in out


def test_fix_debian_nginx_package_runs_as_www_data() -> None:
    text = 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y nginx-extras\nEXPOSE 80 443\nCMD ["nginx", "-g", "daemon off;"]\n'
    out = fixed(text, CODE, unsafe=True)
    assert (
        "RUN touch /run/nginx.pid && mkdir -p /var/lib/nginx && chown -R 33:33 /var/lib/nginx /var/log/nginx "
        "/run/nginx.pid\nUSER 33:33\nEXPOSE 80 443\n"
    ) in out


def test_fix_nginx_built_into_a_prefix_owned_by_a_user() -> None:
    text = dedent(
        """
        FROM debian:bookworm
        RUN ./configure --prefix=/usr/local/nginx && make install && chown -R www-data:www-data /usr/local/nginx
        EXPOSE 80
        CMD ["nginx"]
        """
    )
    assert fixed(text, CODE, unsafe=True).endswith('/usr/local/nginx\nUSER 33:33\nEXPOSE 80\nCMD ["nginx"]\n')


def test_fix_httpd_official_and_alpine() -> None:
    out = fixed("FROM httpd:2.4\nCOPY site/ /usr/local/apache2/htdocs/\n", CODE, unsafe=True)
    assert out.endswith("RUN chown -R 33:33 /usr/local/apache2/logs\nUSER 33:33\n")
    out = fixed("FROM httpd:2.4-alpine\nCOPY site/ /usr/local/apache2/htdocs/\n", CODE, unsafe=True)
    assert out.endswith("RUN chown -R 82:82 /usr/local/apache2/logs\nUSER 82:82\n")


def test_fix_dockerfile_that_builds_httpd() -> None:
    text = dedent(
        """
        FROM debian:bookworm-slim
        ENV HTTPD_PREFIX /usr/local/apache2
        RUN apt-get update && make install
        EXPOSE 80
        CMD ["httpd-foreground"]
        """
    )
    assert "RUN chown -R 33:33 /usr/local/apache2/logs\nUSER 33:33\nEXPOSE 80\n" in fixed(
        text, CODE, unsafe=True
    )


def test_fix_php_apache_runs_as_www_data() -> None:
    text = "FROM php:8.3-apache\nCOPY src/ /var/www/html/\nEXPOSE 80\n"
    assert fixed(text, CODE, unsafe=True) == (
        "FROM php:8.3-apache\nCOPY src/ /var/www/html/\n"
        "RUN chown 33:33 /var/run/apache2 /var/lock/apache2 /var/log/apache2\nUSER 33:33\nEXPOSE 80\n"
    )


def test_low_port_is_fine_for_app_runtimes() -> None:
    text = 'FROM node:22-slim\nCOPY . .\nEXPOSE 80\nENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["node", "server.js"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is not None and "node on port 80" in ds[0].fix.message
    assert "COPY . .\nUSER 1000:1000\nEXPOSE 80\n" in fixed(text, CODE, unsafe=True)
    text = "FROM golang:1\nRUN go install github.com/hacdias/webdav@latest\nEXPOSE 80\nCMD webdav -c /c.yml\n"
    assert DEBIAN_CREATE in fixed(text, CODE, unsafe=True)


# ------------------------------------------------------------- images that drop privileges

POSTGRES_LIKE = dedent(
    """
    FROM debian:bookworm-slim
    RUN groupadd -r postgres --gid=999 && useradd -r -g postgres --uid=999 postgres
    RUN apt-get update && apt-get install -y gosu
    ENV PGDATA /var/lib/postgresql/data
    RUN install --verbose --directory --owner postgres --group postgres --mode 1777 "$PGDATA"
    VOLUME /var/lib/postgresql/data
    COPY docker-entrypoint.sh /usr/local/bin/
    ENTRYPOINT ["docker-entrypoint.sh"]
    CMD ["postgres"]
    """
)


def test_no_fix_for_droppers_hardenify_cannot_follow() -> None:
    custom = POSTGRES_LIKE.replace('ENTRYPOINT ["docker-entrypoint.sh"]', 'ENTRYPOINT ["/start.sh"]')
    ds = findings(custom, CODE)
    assert ds[0].fix is None and "gosu" in ds[0].message
    supervised = POSTGRES_LIKE.replace('CMD ["postgres"]', 'CMD ["/usr/bin/supervisord", "-n"]')
    ds = findings(supervised, CODE)
    assert ds[0].fix is None and "supervisord" in ds[0].message


# ----------------------------------------------------------------------------- helpers


def test_version_at_least() -> None:
    from hardenify.knowledge.images import version_at_least

    assert version_at_least("1.27.4-alpine", (1, 16))
    assert version_at_least("mainline-alpine", (1, 16))  # floating tags are current
    assert not version_at_least("1.13-alpine", (1, 16))
    assert version_at_least("3.7-rc-alpine", (3, 7))


def test_package_and_tag_family() -> None:
    from hardenify.dockerfile import parse
    from hardenify.dockerfile.users import package_family
    from hardenify.knowledge.images import tag_family

    df = parse("FROM x\nRUN apt-get update\nRUN microdnf install -y tar\n")
    assert package_family(df.instructions) is None
    assert package_family(parse("FROM x\nRUN yum -y install tar\n").instructions) == "rhel"
    assert tag_family("vendor/x:1-ubuntu") == "debian"
    assert tag_family("vendor/x:edge") is None


# ------------------------------------------------------------------------------ ONBUILD bases


def test_trailing_onbuild_user_passes_only_when_non_root_and_last() -> None:
    ok = "FROM python:3.12\nONBUILD RUN pip install x\nONBUILD USER 10001:10001\nCMD x\n"
    assert codes(ok, CODE) == []
    assert fixed(ok, CODE, unsafe=True) == ok
    assert codes("FROM python:3.12\nONBUILD USER root\nCMD x\n", CODE) == ["HF101"]
    # A trigger after the ONBUILD USER: not the trailing instruction, so the rule still fires.
    assert codes("FROM python:3.12\nONBUILD USER app\nONBUILD RUN pip install x\n", CODE) == ["HF101"]
    # ONBUILD triggers of a parent stage fire in the final stage's build: a plain USER is fine.
    text = "FROM python:3.12 AS base\nONBUILD RUN pip install x\nFROM base\nCMD x\n"
    assert fixed(text, CODE, unsafe=True) == (
        f"FROM python:3.12 AS base\nONBUILD RUN pip install x\nFROM base\n{DEBIAN_CREATE}\nUSER 10001:10001\nCMD x\n"
    )


# ------------------------------------------------------------------------------ Alpine nginx


def test_alpine_nginx_package_runs_as_nginx() -> None:
    text = (
        'FROM alpine:3.20\nRUN apk add --no-cache nginx\nEXPOSE 80 443\nCMD ["nginx", "-g", "daemon off;"]\n'
    )
    ds = findings(text, CODE)
    assert ds[0].fix is not None and "Docker 20.10" in ds[0].fix.message
    dirs = "/var/lib/nginx /var/log/nginx /run/nginx"
    assert fixed(text, CODE, unsafe=True) == (
        "FROM alpine:3.20\nRUN apk add --no-cache nginx\n"
        f"RUN mkdir -p {dirs} && touch /run/nginx.pid && chown -R nginx:nginx {dirs} /run/nginx.pid\n"
        "USER nginx\n"
        'EXPOSE 80 443\nCMD ["nginx", "-g", "daemon off;"]\n'
    )
    out = fixed(text, CODE, unsafe=True)
    assert codes(out, CODE) == []


def test_alpine_nginx_no_change_cases() -> None:
    # Not Alpine's package, or a third-party image whose nginx.conf paths are unknown.
    for text in (
        'FROM alpine:3.20\nRUN apk add --no-cache curl\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n',
        "FROM shurshun/openresty:latest\nEXPOSE 80\nRUN addgroup -S nginx && adduser -D -S -G nginx nginx\n"
        'COPY nginx.conf /etc/nginx/nginx.conf\nCMD ["nginx", "-g", "daemon off;"]\n',
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text
        assert fixed(text, CODE, unsafe=True) == text


def test_alpine_nginx_fix_covers_both_pid_layouts() -> None:
    """Alpine's package moved the pid file (/run/nginx.pid → /run/nginx/nginx.pid in 3.4)."""
    text = 'FROM alpine:3.3\nRUN apk add --no-cache nginx\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n'
    out = fixed(text, CODE, unsafe=True)
    assert (
        "RUN mkdir -p /var/lib/nginx /var/log/nginx /run/nginx && touch /run/nginx.pid && "
        "chown -R nginx:nginx /var/lib/nginx /var/log/nginx /run/nginx /run/nginx.pid\nUSER nginx\n"
    ) in out


# --------------------------------------------- images that start as root on purpose (issue 14.1)


def test_postgres_like_image_is_left_for_a_human() -> None:
    """docker-library postgres: the entrypoint drops to `postgres` with gosu; no USER is added."""
    ds = findings(POSTGRES_LIKE, CODE)
    assert ds[0].fix is None
    assert "left for a human: needs root because" in ds[0].message and "gosu" in ds[0].message
    assert fixed(POSTGRES_LIKE, CODE, unsafe=True) == POSTGRES_LIKE


def test_images_built_from_official_servers_are_left_alone() -> None:
    for image in ("postgres:17", "redis:7-alpine", "mysql:8.4", "mongo"):
        text = f"FROM {image}\nCOPY init.sql /docker-entrypoint-initdb.d/\n"
        ds = findings(text, CODE)
        assert ds[0].fix is None and "left for a human" in ds[0].message, image
        assert fixed(text, CODE, unsafe=True) == text


def test_onbuild_images_are_bases_and_get_no_user() -> None:
    for text in (
        'FROM ruby:3.3\nONBUILD RUN bundle install\nRUN apt-get update\nCMD ["rails", "s"]\n',
        'FROM node:0.10.35\nONBUILD COPY . /usr/src/app\nCMD ["npm", "start"]\n',
        "FROM debian:12\nUSER app\nRUN x\nUSER root\nONBUILD RUN apt-get update\n",
    ):
        ds = findings(text, CODE)
        assert ds[0].fix is None and "ONBUILD" in ds[0].message and "left for a human" in ds[0].message
        assert fixed(text, CODE, unsafe=True) == text
