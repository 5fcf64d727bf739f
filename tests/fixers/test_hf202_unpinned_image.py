from tests.fixers.util import codes, findings, fixed

CODE = "HF202"
DIGEST = "sha256:" + "a" * 64


def rows(text: str) -> list[tuple[int, int]]:
    return [(d.location.row, d.location.column) for d in findings(text, CODE)]


def test_tagged_images_without_digest_fire() -> None:
    text = (
        "FROM python:3.12-slim AS app\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv\n"
        "RUN --mount=type=bind,from=alpine:3.20,source=/etc,target=/x true\n"
    )
    assert rows(text) == [(1, 6), (2, 6), (3, 5)]
    assert "hardenify pin" in findings(text, CODE)[0].message


def test_digests_stages_indexes_scratch_are_quiet() -> None:
    text = (
        f"FROM python:3.12@{DIGEST} AS build\nFROM build AS two\nCOPY --from=build /a /a\nCOPY --from=0 /a /a\n"
        f"COPY --from=alpine@{DIGEST} /a /a\nRUN --mount=type=cache,target=/c true\nFROM scratch\n"
    )
    assert codes(text, CODE) == []


def test_arg_default_is_reported_at_the_default() -> None:
    text = "ARG BASE=python:3.12\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n"
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column, d.end_location.column) for d in ds] == [(1, 10, 21)]
    assert "ARG BASE" in ds[0].message
    assert codes(f"ARG BASE=python:3.12@{DIGEST}\nFROM $BASE\n", CODE) == []


def test_arg_without_default_cannot_be_pinned() -> None:
    ds = findings("ARG BASE\nFROM ${BASE}\n", CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(2, 6)]
    assert "no default" in ds[0].message
    assert "no default" in findings("ARG V\nFROM python:${V}\n", CODE)[0].message


def test_partial_arg_reference_is_reported_on_from() -> None:
    assert rows("ARG V=3.12\nFROM python:${V}-slim\n") == [(2, 6)]


def test_platform_args_are_not_missing_defaults() -> None:
    assert codes("FROM --platform=$BUILDPLATFORM ${TARGETARCH}/alpine\n", CODE) == []


def test_crlf_continuation_comment_and_lowercase() -> None:
    text = "from \\\r\n  # the base\r\n  python:3.12\r\n"
    assert rows(text) == [(3, 3)]


def test_windows_images_fire_too() -> None:
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n", CODE) == [CODE]


def test_no_fix_here_and_odd_input() -> None:
    assert all(d.fix is None for d in findings("FROM python:3.12\n", CODE))
    assert fixed("FROM python:3.12\n", CODE, unsafe=True) == "FROM python:3.12\n"
    for text in ("", "FROM\n", "FROM python:\n", "COPY --from=x:1 a b\n", "FROM x\nRUN --mount=from a\n"):
        findings(text, CODE)
