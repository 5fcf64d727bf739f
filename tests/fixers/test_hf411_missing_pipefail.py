from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF411"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_pipe_fires() -> None:
    ds = findings("FROM debian:12\nRUN curl -fsSL https://x/t.tgz | tar -xz\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF411", 2)]
    assert "`curl`" in ds[0].message


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12
        RUN a || b
        RUN echo "a|b" && grep 'x|y' f
        RUN echo deb http://x ./ | tee /etc/apt/sources.list.d/x.list
        RUN { echo a; printf 'b'; } | tee /etc/conf
        RUN case "$arch" in amd64|x86_64) a=1 ;; arm64 | aarch64 ) a=2 ;; esac
        RUN set -o pipefail && curl x | tar -x
        RUN set -euxo pipefail; curl x | tar -x
        RUN ["sh", "-c", "a | b"]
        RUN <<EOF
        curl x | tar -x
        EOF
        """
    assert rows(text) == []


def test_pipefail_after_the_pipe_still_fires() -> None:
    assert rows("FROM debian:12\nRUN curl x | tar -x; set -o pipefail\n") == [2]


def test_shell_with_pipefail_in_stage_or_parent_stage() -> None:
    text = """\
        FROM debian:12 AS base
        SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
        RUN curl x | tar -x
        FROM base
        RUN curl x | tar -x
        FROM debian:12
        RUN curl x | tar -x
        """
    assert rows(text) == [7]


def test_non_posix_shell_and_windows_skipped() -> None:
    assert rows('FROM debian:12\nSHELL ["pwsh", "-c"]\nRUN a | b\n') == []
    assert rows("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN a | b\n") == []


def test_fix_inserts_shell_on_debian_base() -> None:
    before = """\
        FROM python:3.12-slim
        RUN pip install flask
        # fetch the tool
        RUN curl -fsSL https://x/t.tgz | tar -xz
        RUN wget -qO- https://x/b | sha256sum
        """
    after = """\
        FROM python:3.12-slim
        RUN pip install flask
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        # fetch the tool
        RUN curl -fsSL https://x/t.tgz | tar -xz
        RUN wget -qO- https://x/b | sha256sum
        """
    ds = findings(before, CODE)
    assert len(ds) == 2 and all(d.fix and d.fix.applicability is Applicability.UNSAFE for d in ds)
    assert fixed(before, CODE, unsafe=True) == dedent(after)
    assert fixed(before, CODE) == dedent(before)


def test_fix_follows_keyword_case_and_crlf() -> None:
    before = "from ubuntu:24.04\r\n  run curl x \\\r\n  # comment\r\n    | tar -x\r\n"
    after = 'from ubuntu:24.04\r\n  shell ["/bin/bash", "-o", "pipefail", "-c"]\r\n  run curl x \\\r\n  # comment\r\n    | tar -x\r\n'
    assert fixed(before, CODE, unsafe=True) == after


def test_fix_adds_pipefail_to_existing_bash_shell() -> None:
    before = 'FROM alpine:3.20\nSHELL ["/bin/bash", "-c"]\nRUN a | b\n'
    after = 'FROM alpine:3.20\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\n'
    assert fixed(before, CODE, unsafe=True) == after


def test_no_fix_on_alpine_distroless_or_unknown_base() -> None:
    for base in ("alpine:3.20", "python:3.12-alpine", "gcr.io/distroless/base", "myorg/app:1", "${BASE}"):
        ds = findings(f"FROM {base}\nRUN a | b\n", CODE)
        assert len(ds) == 1 and ds[0].fix is None, base


def test_fix_uses_root_image_of_stage_chain() -> None:
    before = "FROM node:22-bookworm AS deps\nRUN npm ci\nFROM deps\nRUN a | b\n"
    after = 'FROM node:22-bookworm AS deps\nRUN npm ci\nFROM deps\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\n'
    assert fixed(before, CODE, unsafe=True) == after


def test_already_good_is_unchanged() -> None:
    text = 'FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl x | tar -x\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_hadolint_pragma_suppresses() -> None:
    assert codes("FROM debian:12\n# hadolint ignore=DL4006\nRUN a | b\n", CODE) == []


def test_odd_input_does_not_raise() -> None:
    for text in ("FROM x\nRUN |\n", "FROM x\nRUN a |\n", "RUN a | b\n", "FROM x\nSHELL [\n"):
        codes(text, CODE)


def test_linux_stage_of_a_mixed_file_is_checked() -> None:
    text = "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS w\nRUN a | b\nFROM debian:12\nRUN a | b\n"
    assert rows(text) == [4]
