from tests.fixers.util import codes, findings

CODE = "HF101"


def test_no_user_fires_on_final_from() -> None:
    ds = findings("FROM python:3.12-slim\nCMD [\"python\"]\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF101", 1)]
    assert "no USER" in ds[0].message


def test_last_user_root_fires() -> None:
    ds = findings("FROM debian\nUSER app\nRUN x\nUSER 0\n", CODE)
    assert [d.location.row for d in ds] == [4]


def test_user_root_via_arg_default() -> None:
    assert codes("ARG U=root\nFROM debian\nUSER ${U}\n", CODE) == ["HF101"]


def test_only_final_stage_matters() -> None:
    text = "FROM golang AS build\nRUN go build\nFROM debian\nUSER 10001:10001\n"
    assert codes(text, CODE) == []


def test_nonroot_bases_pass() -> None:
    assert codes("FROM gcr.io/distroless/static-debian12:nonroot\n", CODE) == []
    assert codes("FROM nginxinc/nginx-unprivileged:1.27\n", CODE) == []


def test_scratch_and_windows_are_skipped() -> None:
    assert codes("FROM scratch\nCOPY app /app\n", CODE) == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n", CODE) == []


def test_named_user_passes() -> None:
    assert codes("FROM node:22\nUSER node\n", CODE) == []


def test_hardenify_pragma_suppresses() -> None:
    assert codes("# hardenify: ignore[HF101]\nFROM debian\n", CODE) == []


def test_hadolint_pragma_suppresses_through_cross_reference() -> None:
    assert codes("FROM debian\nRUN x\n# hadolint ignore=DL3002\nUSER root\n", CODE) == []
    assert codes("# hadolint global ignore=DL3002\nFROM debian\n", CODE) == []


def test_blank_line_ends_pragma() -> None:
    assert codes("# hardenify: ignore[HF101]\n\nFROM debian\n", CODE) == ["HF101"]
