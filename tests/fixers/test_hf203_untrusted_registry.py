from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import dedent

CODE = "HF203"
TRUSTED = {"trusted-registries": ["registry.corp.example", "ghcr.io/my-org", "*.mirror.example"]}


def rows(
    text: str, options: object = TRUSTED, kind: str = "dockerfile", name: str = "Dockerfile"
) -> list[int]:
    settings = Settings(select=(CODE,), options=options)  # type: ignore[arg-type]
    return [d.location.row for d in lint(name, dedent(text), kind, settings).diagnostics]


def test_off_without_the_option() -> None:
    assert rows("FROM python:3.12\n", options={}) == []


def test_untrusted_from_copy_and_mount_fire() -> None:
    text = """\
        FROM python:3.12-slim
        COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/uv
        RUN --mount=type=bind,from=quay.io/x/y:1,target=/m true
        """
    assert rows(text) == [1, 2, 3]
    d = lint(
        "Dockerfile", "FROM python:3.12\n", "dockerfile", Settings(select=(CODE,), options=TRUSTED)
    ).diagnostics
    assert "Docker Hub" in d[0].message and "trusted-registries" in d[0].message


def test_trusted_hosts_prefixes_and_globs_pass() -> None:
    text = """\
        FROM registry.corp.example/base/python:3.12 AS build
        FROM ghcr.io/my-org/app:1
        COPY --from=build /a /a
        FROM eu.mirror.example/library/node:22
        FROM scratch
        """
    assert rows(text) == []


def test_prefix_matches_only_at_a_path_boundary() -> None:
    assert rows("FROM ghcr.io/my-org-evil/app:1\n") == [1]
    assert rows("FROM registry.corp.example.attacker.io/app:1\n") == [1]


def test_docker_hub_aliases_are_one_registry() -> None:
    hub = {"trusted-registries": ["docker.io"]}
    assert rows("FROM python:3.12\nFROM index.docker.io/library/node:22\nFROM library/ruby:3\n", hub) == []
    assert rows("FROM python:3.12\n", {"trusted-registries": ["registry-1.docker.io"]}) == []
    assert rows("FROM gcr.io/distroless/static\n", hub) == [1]


def test_arg_defaults_are_resolved_and_unknown_args_skipped() -> None:
    assert rows("ARG BASE=quay.io/org/img:1\nFROM ${BASE}\n") == [1]
    assert rows("ARG BASE\nFROM ${BASE}\n") == []


def test_compose_images() -> None:
    text = """\
        services:
          db:
            image: postgres:17
          app:
            image: registry.corp.example/app:1
          built:
            build: .
            image: whatever.example/app:dev
        """
    assert rows(text, kind="compose", name="compose.yaml") == [3]
