from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, findings, fixed

CODE = "HF405"


def test_passes() -> None:
    for run in (
        "apk add --no-cache curl",
        "apk --no-cache add curl",
        "apk add --virtual .build-deps --no-cache gcc",
        "apk add --no-network --virtual .rundeps $runDeps",
        "apk update",
        "apk del curl",
        "echo apk add curl",
    ):
        assert codes(f"FROM alpine\nRUN {run}\n", CODE) == [], run
    text = "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n"
    assert codes(text, CODE) == []
    text = "FROM alpine\nRUN --mount=type=cache,target=/etc/apk/cache apk add curl\n"
    assert codes(text, CODE) == []


def test_fires() -> None:
    text = """
        FROM alpine
        RUN apk update && apk add curl
        RUN apk -X https://dl-cdn.alpinelinux.org/alpine/edge/testing add foo
        RUN <<EOF
        apk add --update git
        EOF
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(2, 19), (3, 5), (5, 1)]
    assert all(d.fix is not None and d.fix.applicability is Applicability.SAFE for d in ds)


def test_fix() -> None:
    before = "FROM alpine\nRUN apk update && apk add --update curl && rm -rf /var/cache/apk/*\n"
    after = "FROM alpine\nRUN apk update && apk add --no-cache --update curl && rm -rf /var/cache/apk/*\n"
    assert fixed(before, CODE) == after


def test_fix_virtual_and_value_option_before_subcommand() -> None:
    before = "FROM alpine\nRUN apk -X http://mirror/x add --virtual .b gcc\n"
    after = "FROM alpine\nRUN apk -X http://mirror/x add --no-cache --virtual .b gcc\n"
    assert fixed(before, CODE) == after


def test_fix_crlf_and_comment_in_continuation() -> None:
    before = "FROM alpine\r\nRUN set -eux; \\\r\n# deps\r\n\tapk add \\\r\n\t\tcurl\r\n"
    after = "FROM alpine\r\nRUN set -eux; \\\r\n# deps\r\n\tapk add --no-cache \\\r\n\t\tcurl\r\n"
    assert fixed(before, CODE) == after


def test_no_change_when_good() -> None:
    text = "FROM alpine\nRUN apk add --no-cache curl\n"
    assert fixed(text, CODE) == text


def test_hadolint_pragma_and_windows() -> None:
    assert codes("FROM alpine\n# hadolint ignore=DL3019\nRUN apk add curl\n", CODE) == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/nanoserver\nRUN apk add curl\n", CODE) == []
