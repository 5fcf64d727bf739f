from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF503"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_expose_install_and_sshd_fire() -> None:
    text = """\
        FROM ubuntu:24.04
        RUN apt-get update && apt-get install -y --no-install-recommends openssh-server=1:9.6p1-3ubuntu13
        EXPOSE 22
        CMD ["/usr/sbin/sshd", "-D"]
        """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 3, 4]
    assert [d.fix is not None for d in ds] == [False, True, False]
    assert ds[1].fix is not None and ds[1].fix.applicability is Applicability.UNSAFE


def test_variants() -> None:
    text = """\
        FROM alpine:3.20
        ARG SSH_PORT=22
        RUN apk add --no-cache openssh dropbear
        EXPOSE 22/tcp ${SSH_PORT} 20-30
        CMD /usr/sbin/sshd -D
        """
    assert rows(text) == [3, 3, 4, 4, 4, 5]


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12 AS build
        RUN apt-get install -y openssh-server
        EXPOSE 22
        FROM debian:12
        RUN apt-get install -y openssh-client ssh-askpass
        RUN apk add openssh-client
        EXPOSE 2222 22/udp 220 8022
        CMD ["ssh", "-V"]
        """
    assert rows(text) == []


def test_parent_stage_of_final_counts() -> None:
    text = 'FROM debian:12 AS base\nEXPOSE 22\nFROM base\nCMD ["app"]\n'
    assert rows(text) == [2]


def test_fix_removes_only_port_22() -> None:
    before = """\
        FROM debian:12
        EXPOSE 80 22 443
        EXPOSE 22
        expose 22/tcp \\
            8080
        """
    after = """\
        FROM debian:12
        EXPOSE 80 443
        expose \\
            8080
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)
    assert fixed(before, CODE) == dedent(before)


def test_fix_crlf_and_comment_in_continuation() -> None:
    before = "FROM debian:12\r\nEXPOSE 80 \\\r\n# ssh\r\n  22 \\\r\n  443\r\n"
    after = "FROM debian:12\r\nEXPOSE 80 \\\r\n# ssh\r\n  443\r\n"
    assert fixed(before, CODE, unsafe=True) == after


def test_windows_capability() -> None:
    text = (
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0\nEXPOSE 22\n"
    )
    assert rows(text) == [3, 4]


def test_already_good_is_unchanged() -> None:
    text = "FROM debian:12\nEXPOSE 8080\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nEXPOSE\n",
        "EXPOSE 22\n",
        "FROM x\nEXPOSE ${P}\n",
        "FROM x\nCMD\n",
        "FROM x\nRUN apt-get install\n",
    ):
        codes(text, CODE)


def test_exec_form_shell_with_options_before_c() -> None:
    # BuildKit runs `/bin/sh -o errexit -c "<script>"`: the install inside it is read.
    text = 'FROM debian:12\nRUN ["/bin/sh", "-o", "errexit", "-c", "apt-get install -y openssh-server"]\n'
    assert rows(text) == [2]
