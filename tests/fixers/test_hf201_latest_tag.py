from tests.fixers.util import codes, findings, fixed

CODE = "HF201"
DIGEST = "sha256:" + "a" * 64


def rows(text: str) -> list[tuple[int, int]]:
    return [(d.location.row, d.location.column) for d in findings(text, CODE)]


def test_untagged_and_latest_fire() -> None:
    assert rows("FROM python\n") == [(1, 6)]
    assert rows("FROM python:latest AS app\n") == [(1, 6)]
    assert rows("FROM --platform=$BUILDPLATFORM ghcr.io/org/img\n") == [(1, 32)]
    assert rows("FROM localhost:5000/img\n") == [(1, 6)]
    ds = findings("FROM python\n", CODE)
    assert "python:3.12-slim" in ds[0].message and ":latest" in ds[0].message
    assert "myorg/app:<version>" in findings("FROM myorg/app:latest\n", CODE)[0].message


def test_copy_from_and_mount_from_images() -> None:
    text = "FROM debian:12\nCOPY --from=nginx:latest /etc/nginx /etc/nginx\nRUN --mount=type=bind,from=alpine,target=/x true\n"
    assert rows(text) == [(2, 6), (3, 5)]


def test_stage_names_indexes_scratch_and_digests_are_skipped() -> None:
    text = (
        "FROM golang:1.23 AS Build\nFROM build\nCOPY --from=build /a /a\nCOPY --from=0 /a /a\n"
        "RUN --mount=type=cache,target=/c --mount=from=build,target=/b true\n"
        f"FROM scratch\nFROM python@{DIGEST}\nFROM python:latest@{DIGEST}\n"
    )
    assert codes(text, CODE) == []


def test_arg_defaults() -> None:
    assert codes("ARG PY=3.12\nFROM python:${PY}\n", CODE) == []
    assert codes("ARG PY\nFROM python:${PY}\n", CODE) == []  # no default: left to HF202
    assert codes("ARG BASE=python:3.12\nFROM ${BASE}\n", CODE) == []
    ds = findings("ARG BASE=python\nFROM ${BASE}\n", CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(1, 10)]
    assert "ARG BASE" in ds[0].message
    assert codes("ARG TAG=latest\nFROM python:$TAG\n", CODE) == [CODE]
    assert codes("FROM ${BASE:-python}\n", CODE) == [CODE]


def test_windows_and_lowercase() -> None:
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore\n", CODE) == [CODE]
    assert codes("from alpine\n", CODE) == [CODE]


def test_hadolint_pragmas_map_to_hf201() -> None:
    assert codes("# hadolint ignore=DL3006\nFROM python\n", CODE) == []
    assert codes("# hadolint ignore=DL3007\nFROM python:latest\n", CODE) == []


def test_no_fix_and_odd_input() -> None:
    assert fixed("FROM python\n", CODE, unsafe=True) == "FROM python\n"
    for text in (
        "FROM\n",
        "FROM :\n",
        "FROM python:\n",
        "FROM UPPER/Case\n",
        "COPY --from= a b\n",
        "FROM $\n",
    ):
        findings(text, CODE)
