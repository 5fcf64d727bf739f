from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, findings, fixed

CODE = "HF401"


# ---------------------------------------------------------------------------- must not fire


def test_yes_flags_pass() -> None:
    for cmd in (
        "apt-get install -y curl",
        "apt-get -y install curl",
        "apt-get install --yes curl",
        "apt-get install --assume-yes curl",
        "apt-get install -qqy curl",
        "apt-get -qq install curl",
        "apt-get -q -q install curl",
        "apt-get -q=2 install curl",
        "apt-get install -o APT::Get::Assume-Yes=true curl",
        "apt-get install -s curl",
        "apt-get install --dry-run curl",
        "apt install -y curl",
    ):
        assert codes(f"FROM debian\nRUN {cmd}\n", CODE) == [], cmd


def test_commands_that_do_not_prompt_pass() -> None:
    text = """
        FROM debian
        RUN apt-get update && apt-get clean && apt-cache policy curl
        RUN echo apt-get install curl && dpkg -i x.deb
        RUN yes | apt-get install curl
        RUN ["apt-get", "install", "curl"]
    """
    assert codes(text, CODE) == []


def test_single_q_is_not_yes() -> None:
    assert codes("FROM debian\nRUN apt-get -q install curl\n", CODE) == [CODE]


def test_assume_yes_config_in_earlier_run_passes() -> None:
    text = """
        FROM debian AS base
        RUN echo 'APT::Get::Assume-Yes "true";' > /etc/apt/apt.conf.d/90yes
        FROM base
        RUN apt-get update && apt-get install curl
    """
    assert codes(text, CODE) == []


def test_windows_and_non_posix_shell_skipped() -> None:
    assert (
        codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN apt-get install x\n", CODE)
        == []
    )
    text = 'FROM debian\nSHELL ["pwsh", "-c"]\nRUN apt-get install x\n'
    assert codes(text, CODE) == []


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM debian\nRUN\n",
        "FROM debian\nRUN apt-get\n",
        "FROM debian\nRUN apt-get install\n",
        "FROM debian\nRUN apt-get -o\n",
        "FROM debian\nRUN 'apt-get install x\n",
        "FROM debian\nonbuild run apt-get install x\n",
        "RUN apt-get install x\n",
        "FROM debian\nRUN <<EOF\nEOF\n",
        "FROM debian\nRUN apt-get install ${PKGS}\n",
    ):
        findings(text, CODE)


# -------------------------------------------------------------------------------- must fire


def test_fires_with_row_and_message() -> None:
    text = """
        FROM debian
        RUN apt-get update \\
            && apt-get install curl
    """
    ds = findings(text, CODE)
    assert [(d.code, d.location.row, d.location.column) for d in ds] == [(CODE, 3, 8)]
    assert "`apt-get install` without `-y`" in ds[0].message
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.SAFE


def test_other_prompting_subcommands_fire() -> None:
    text = (
        "FROM debian\nRUN apt-get upgrade && apt-get dist-upgrade && apt-get remove x && apt-get autoremove\n"
    )
    assert codes(text, CODE) == [CODE] * 4


def test_apt_front_end_gets_a_hint() -> None:
    ds = findings("FROM debian\nRUN apt install curl\n", CODE)
    assert len(ds) == 1 and "prefer `apt-get`" in ds[0].message


def test_sudo_env_prefix_and_control_flow() -> None:
    text = """
        FROM debian
        RUN sudo -E DEBIAN_FRONTEND=noninteractive apt-get install curl
        RUN if [ -n "$X" ]; then apt-get install git; fi
        RUN /usr/bin/apt-get install vim
    """
    assert [d.location.row for d in findings(text, CODE)] == [2, 3, 4]


def test_heredoc_and_onbuild() -> None:
    text = """
        FROM debian
        RUN <<EOF
        apt-get update
        apt-get install curl
        EOF
        ONBUILD RUN apt-get install git
    """
    assert [d.location.row for d in findings(text, CODE)] == [4, 6]


def test_inside_sh_c_reports_without_fix() -> None:
    ds = findings("FROM debian\nRUN sh -c 'apt-get install curl'\n", CODE)
    assert len(ds) == 1 and ds[0].fix is None


# -------------------------------------------------------------------------------------- fix


def test_fix_inserts_after_subcommand() -> None:
    assert (
        fixed("FROM debian\nRUN apt-get install curl\n", CODE) == "FROM debian\nRUN apt-get install -y curl\n"
    )
    assert (
        fixed("FROM debian\nRUN apt-get -q install curl\n", CODE)
        == "FROM debian\nRUN apt-get -q install -y curl\n"
    )


def test_fix_keeps_continuations_comments_and_crlf() -> None:
    before = (
        "FROM debian\r\n"
        "RUN apt-get update && \\\r\n"
        "    # the tools\r\n"
        "    apt-get install \\\r\n"
        "        curl\r\n"
    )
    after = (
        "FROM debian\r\n"
        "RUN apt-get update && \\\r\n"
        "    # the tools\r\n"
        "    apt-get install -y \\\r\n"
        "        curl\r\n"
    )
    assert fixed(before, CODE) == after


def test_fix_in_heredoc_and_onbuild() -> None:
    before = "FROM debian\nRUN <<EOF\napt-get install curl\nEOF\nonbuild run apt-get install git\n"
    after = "FROM debian\nRUN <<EOF\napt-get install -y curl\nEOF\nonbuild run apt-get install -y git\n"
    assert fixed(before, CODE) == after


def test_fix_several_commands() -> None:
    before = "FROM debian\nRUN apt-get install a; apt install b\n"
    assert fixed(before, CODE) == "FROM debian\nRUN apt-get install -y a; apt install -y b\n"


def test_no_change_when_good() -> None:
    text = "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    assert fixed(text, CODE) == text


def test_pragmas() -> None:
    assert codes("FROM debian\n# hadolint ignore=DL3014\nRUN apt-get install x\n", CODE) == []
    assert codes("FROM debian\n# hardenify: ignore[HF401]\nRUN apt-get install x\n", CODE) == []


def test_heredoc_that_is_not_shell_is_not_scanned() -> None:
    text = (
        "FROM debian\n"
        "RUN <<EOF\n#!/usr/bin/env python3\nprint('apt-get install curl')\nEOF\n"
        "RUN cat <<EOF > /usr/local/bin/setup\napt-get install curl\nEOF\n"
        "RUN bash -e <<EOF\napt-get install git\nEOF\n"
        "RUN <<-EOF\n\tapt-get install vim\n\tEOF\n"
    )
    assert [d.location.row for d in findings(text, CODE)] == [10, 13]
