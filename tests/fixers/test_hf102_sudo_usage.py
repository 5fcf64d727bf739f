from tests.fixers.util import codes, findings, fixed

CODE = "HF102"


def rows(text: str) -> list[tuple[int, int]]:
    return [(d.location.row, d.location.column) for d in findings(text, CODE)]


def test_sudo_as_a_command_fires_at_the_word() -> None:
    assert rows("FROM ubuntu:24.04\nRUN sudo apt-get update\n") == [(2, 5)]
    assert rows("FROM ubuntu:24.04\nRUN apt-get update && sudo -E apt-get install -y curl\n") == [(2, 23)]
    assert rows("FROM ubuntu:24.04\nRUN DEBIAN_FRONTEND=noninteractive /usr/bin/sudo true\n") == [(2, 36)]
    assert rows("FROM ubuntu:24.04\nRUN if true; then sudo ls; fi\n") == [(2, 19)]


def test_sudo_across_continuation_lines_with_comments() -> None:
    text = "FROM ubuntu:24.04\nRUN apt-get update \\\n    # sudo in a comment is ignored\n    && sudo ls\n"
    assert rows(text) == [(4, 8)]


def test_exec_form_sh_c_heredoc_and_onbuild() -> None:
    assert codes('FROM ubuntu\nRUN ["sudo", "ls"]\n', CODE) == [CODE]
    assert codes("FROM ubuntu\nRUN bash -c 'sudo ls'\n", CODE) == [CODE]
    assert rows("FROM ubuntu\nRUN <<EOF\nset -e\nsudo ls\nEOF\n") == [(4, 1)]
    assert codes("FROM ubuntu\nONBUILD RUN sudo ls\n", CODE) == [CODE]
    assert codes("from ubuntu\nrun sudo ls\n", CODE) == [CODE]


def test_near_misses_do_not_fire() -> None:
    for run in (
        "apt-get install -y sudo",
        "echo sudo",
        "visudo -c",
        "cp sudoers /etc/sudoers.d/x",
        "grep sudo /etc/group",
        "echo 'sudo ls'",
        "# sudo",
    ):
        assert codes(f"FROM ubuntu\nRUN {run}\n", CODE) == [], run
    # heredoc fed to a program other than a shell is data
    assert codes("FROM ubuntu\nRUN cat <<EOF > /x\nsudo ls\nEOF\n", CODE) == []
    assert codes("FROM ubuntu\nCMD sudo ls\n", CODE) == []


def test_windows_is_quiet() -> None:
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN sudo x\n", CODE) == []


def test_no_fix_offered() -> None:
    text = "FROM ubuntu\nRUN sudo ls\n"
    assert all(d.fix is None for d in findings(text, CODE))
    assert fixed(text, CODE, unsafe=True) == text


def test_hadolint_pragma() -> None:
    assert codes("FROM ubuntu\n# hadolint ignore=DL3004\nRUN sudo ls\n", CODE) == []


def test_odd_input() -> None:
    for text in ("RUN sudo\n", "FROM x\nRUN\n", 'FROM x\nRUN ["sudo"\n', "FROM x\nRUN sudo 'unterminated\n"):
        findings(text, CODE)


def test_nested_shell_string_is_reported_on_the_string() -> None:
    text = 'FROM ubuntu\nRUN bash -c "apt-get update \\\n  && sudo ls"\n'
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column, d.end_location.row) for d in ds] == [(2, 13, 3)]
