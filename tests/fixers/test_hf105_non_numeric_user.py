from tests.fixers.util import codes, findings, fixed

CODE = "HF105"


def test_named_user_fires_on_last_user() -> None:
    ds = findings("FROM python:3.12\nUSER app\nRUN x\nUSER app\nCMD x\n", CODE)
    assert [d.location.row for d in ds] == [4]
    assert "runAsNonRoot" in ds[0].message
    assert codes("FROM python:3.12\nUSER app:app\n", CODE) == [CODE]


def test_inherited_from_parent_stage() -> None:
    assert [d.location.row for d in findings("FROM debian AS b\nUSER app\nFROM b\n", CODE)] == [2]


def test_numeric_root_variables_and_windows_are_quiet() -> None:
    for user in ("10001", "10001:10001", "10001:app", "root", "0", "$APP_UID", "${UID}"):
        assert codes(f"FROM python:3.12\nUSER {user}\n", CODE) == [], user
    assert codes("FROM python:3.12\nARG UID=1000\nUSER ${UID}\n", CODE) == []
    assert codes("FROM python:3.12\nARG NAME=app\nUSER ${NAME}\n", CODE) == [CODE]
    assert codes("FROM debian AS a\nUSER app\nFROM debian\nUSER 1000\n", CODE) == []
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerUser\n"
    assert codes(text, CODE) == []


def test_safe_fix_for_well_known_users() -> None:
    assert (
        fixed("FROM node:22-slim\nUSER node\nCMD x\n", CODE) == "FROM node:22-slim\nUSER 1000:1000\nCMD x\n"
    )
    assert fixed("FROM node:22-alpine\nUSER node:node\n", CODE) == "FROM node:22-alpine\nUSER 1000:1000\n"
    assert fixed("FROM gcr.io/distroless/base-debian12\nUSER nonroot\n", CODE) == (
        "FROM gcr.io/distroless/base-debian12\nUSER 65532:65532\n"
    )
    assert fixed("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER app\n", CODE).endswith("USER 1654:1654\n")
    assert fixed("FROM debian:12\nUSER nobody\n", CODE) == "FROM debian:12\nUSER 65534:65534\n"
    assert fixed("FROM php:8.3-fpm\nUSER www-data\n", CODE) == "FROM php:8.3-fpm\nUSER 33:33\n"


def test_fix_for_users_created_in_the_file() -> None:
    text = "FROM debian:12\nRUN groupadd -g 2000 web && useradd -u 1001 -g web bob\nUSER bob\n"
    assert fixed(text, CODE).endswith("USER 1001:2000\n")
    # no explicit group id: the uid alone keeps the group from /etc/passwd
    assert fixed("FROM debian:12\nRUN useradd -r -u 1001 bob\nUSER bob\n", CODE).endswith("USER 1001\n")
    text = "FROM alpine:3\nRUN addgroup -S -g 1000 app && adduser -S -D -u 1000 -G app app\nUSER app\n"
    assert fixed(text, CODE).endswith("USER 1000:1000\n")
    text = "FROM debian\nRUN adduser --system --uid 999 --ingroup nogroup svc\nUSER svc\n"
    assert fixed(text, CODE).endswith("USER 999\n")  # nogroup's id is not in the file
    text = "FROM debian\nRUN groupadd -g 50 g && useradd -u 1001 -g g -G sudo bob\nUSER bob\n"
    assert fixed(text, CODE).endswith("USER 1001\n")  # supplementary groups: keep them via passwd


def test_no_fix_when_not_certain() -> None:
    for text in (
        "FROM python:3.12\nUSER app\n",  # never created here
        "FROM node:22\nRUN usermod -u 2000 node\nUSER node\n",  # changed
        "FROM node:22\nCOPY passwd /etc/passwd\nUSER node\n",
        "FROM myorg/node:22\nUSER node\n",  # not the official image
        "FROM debian\nRUN useradd bob\nUSER bob\n",  # uid chosen by useradd
        "FROM debian\nRUN useradd -u 1001 bob\nUSER bob:bob\n",  # group id unknown
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text
        assert fixed(text, CODE) == text


def test_fix_keeps_crlf_case_and_trailing_comment_lines() -> None:
    text = "from node:22\r\n# run as node\r\nuser node\r\ncmd x"
    assert fixed(text, CODE) == "from node:22\r\n# run as node\r\nuser 1000:1000\r\ncmd x"


def test_fix_in_continuation_layout() -> None:
    text = "FROM node:22\nUSER \\\n  # the app user\n  node\n"
    assert fixed(text, CODE) == "FROM node:22\nUSER \\\n  # the app user\n  1000:1000\n"


def test_already_numeric_is_unchanged() -> None:
    text = "FROM node:22\nUSER 1000:1000\n"
    assert fixed(text, CODE) == text


def test_hadolint_pragma() -> None:
    assert codes("FROM node:22\n# hadolint ignore=DL3066\nUSER node\n", CODE) == []


def test_odd_input() -> None:
    for text in ("USER app\n", "FROM x\nUSER\n", "FROM x\nUSER :\n", "FROM x\nONBUILD USER app\n"):
        findings(text, CODE)
