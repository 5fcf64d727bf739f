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
    assert codes("ARG U=root\nFROM debian\nUSER ${U}\n", CODE) == ["HF101"]
    assert codes("FROM debian\nARG U=root\nUSER ${U}\n", CODE) == ["HF101"]


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
    text = "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n"
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
    text = "from alpine:3.20\nrun apk add --no-cache curl\ncmd [\"sh\"]\n"
    assert fixed(text, CODE, unsafe=True) == (
        "from alpine:3.20\nrun apk add --no-cache curl\n"
        + ALPINE_CREATE.replace("RUN", "run")
        + "\nuser 10001:10001\ncmd [\"sh\"]\n"
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
    with_shadow = "FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4\nRUN microdnf install -y shadow-utils\nCMD x\n"
    assert DEBIAN_CREATE in fixed(with_shadow, CODE, unsafe=True)


def test_fix_node_uses_existing_user() -> None:
    assert fixed("FROM node:22-slim\nCOPY . .\nCMD node x\n", CODE, unsafe=True) == (
        "FROM node:22-slim\nCOPY . .\nUSER 1000:1000\nCMD node x\n"
    )


def test_fix_distroless_and_scratch_use_numeric_ids() -> None:
    text = "FROM golang:1.23 AS build\nRUN go build\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /a /a\n"
    assert fixed(text, CODE, unsafe=True).endswith("COPY --from=build /a /a\nUSER 65532:65532\n")
    assert fixed("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n", CODE, unsafe=True) == (
        "FROM scratch\nCOPY app /app\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\n"
    )


def test_fix_dotnet8_uses_app_user() -> None:
    out = fixed("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nCOPY . .\n", CODE, unsafe=True)
    assert out.endswith("USER 1654:1654\n")


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
    text = "FROM node:22\nUSER node\nRUN x\nUSER root\nCMD [\"node\"]\n"
    assert fixed(text, CODE, unsafe=True) == "FROM node:22\nUSER node\nRUN x\nUSER 1000:1000\nCMD [\"node\"]\n"
    text = "FROM node:22\nCOPY . .\nUSER root:root\n"
    assert fixed(text, CODE, unsafe=True) == "FROM node:22\nCOPY . .\nUSER 1000:1000\n"


def test_fix_multistage_only_touches_final_stage() -> None:
    text = "FROM golang:1.23 AS build\nRUN go build -o /app\n\nFROM debian:12-slim\nCOPY --from=build /app /app\nCMD [\"/app\"]\n"
    assert fixed(text, CODE, unsafe=True) == (
        "FROM golang:1.23 AS build\nRUN go build -o /app\n\nFROM debian:12-slim\nCOPY --from=build /app /app\n"
        f"{DEBIAN_CREATE}\nUSER 10001:10001\nCMD [\"/app\"]\n"
    )


def test_fix_inherited_stage_uses_root_image_family() -> None:
    text = "FROM alpine:3.20 AS base\nRUN apk add curl\nFROM base\nCOPY x /x\n"
    out = fixed(text, CODE, unsafe=True)
    assert out.endswith(f"COPY x /x\n{ALPINE_CREATE}\nUSER 10001:10001\n")


def test_fix_crlf_indent_and_no_final_newline() -> None:
    text = "FROM debian:12\r\n  RUN apt-get update \\\r\n    # comment inside\r\n    && true\r\nCMD x"
    out = fixed(text, CODE, unsafe=True)
    assert out == (
        "FROM debian:12\r\n  RUN apt-get update \\\r\n    # comment inside\r\n    && true\r\n"
        f"  {DEBIAN_CREATE}\r\n  USER 10001:10001\r\nCMD x"
    )
    dockerfile.parse_string(out)


def test_fix_after_heredoc_and_no_final_newline_at_end() -> None:
    text = "FROM debian:12\nRUN <<EOF\napt-get update\nEOF"
    out = fixed(text, CODE, unsafe=True)
    # a blank line after the heredoc keeps hadolint's parser happy
    assert out == f"FROM debian:12\nRUN <<EOF\napt-get update\nEOF\n\n{DEBIAN_CREATE}\nUSER 10001:10001"
    dockerfile.parse_string(out)


def test_fix_keeps_from_only_file_working() -> None:
    assert fixed("FROM ubuntu:24.04\n", CODE, unsafe=True) == f"FROM ubuntu:24.04\n{DEBIAN_CREATE}\nUSER 10001:10001\n"


def test_no_fix_cases_explain_why() -> None:
    cases = {
        "FROM myorg/base:1\nCMD x\n": "does not know",
        "FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n": "nginx-unprivileged",
        "FROM postgres:17\n": "gosu",
        "FROM php:8.3-apache\n": "Apache",
        "FROM debian:12\nRUN apt-get install -y gosu\nENTRYPOINT [\"/entrypoint.sh\"]\n": "gosu",
        "FROM python:3.12\nONBUILD COPY . /app\n": "ONBUILD",
        "FROM amazonlinux:2023\n": "shadow-utils",
        "FROM openjdk:21\n": "does not know",
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
    text = "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\nCMD [\"ruby\", \"app.rb\"]\n"
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE,), unsafe_fixes=True))
    assert res.refused is None and res.fixed[CODE] == 1
    dockerfile.parse_string(res.text)
    assert codes(res.text, CODE) == []


def test_no_fix_when_a_privileged_port_is_exposed() -> None:
    ds = findings("FROM alpine:3.20\nRUN apk add openssh\nEXPOSE 22\nCMD [\"/usr/sbin/sshd\", \"-D\"]\n", CODE)
    assert ds[0].fix is None and "port 22" in ds[0].message
    assert findings("FROM alpine:3.20\nEXPOSE 8080 ${PORT}\n", CODE)[0].fix is not None


def test_no_fix_for_supervisors() -> None:
    text = "FROM debian:12\nRUN apt-get install -y supervisor\nCMD [\"/usr/bin/supervisord\", \"-n\"]\n"
    ds = findings(text, CODE)
    assert ds[0].fix is None and "supervisord" in ds[0].message


def test_windows_shell_or_base_is_skipped() -> None:
    assert codes('FROM myorg/win:1\nSHELL ["powershell", "-Command"]\nRUN x\n', CODE) == []
    assert codes("FROM microsoft/iis\nRUN x\n", CODE) == []


def test_no_fix_when_su_exec_is_installed_as_a_package() -> None:
    text = "FROM alpine:3.20\nRUN apk add --no-cache 'su-exec>=0.2'\nENTRYPOINT [\"docker-entrypoint.sh\"]\n"
    ds = findings(text, CODE)
    assert ds[0].fix is None and "su-exec" in ds[0].message
