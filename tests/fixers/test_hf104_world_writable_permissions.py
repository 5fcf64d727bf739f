import pytest

from hardenify.fixers.hf104_world_writable_permissions import world_writable
from tests.fixers.util import codes, findings, fixed

CODE = "HF104"


@pytest.mark.parametrize(
    "mode",
    ["777", "0777", "666", "757", "2777", "a+w", "o+w", "o+rwx", "a=rwx", "ugo+rw", "u+x,o+w", "a+rwX"],
)
def test_world_writable_modes(mode: str) -> None:
    assert world_writable(mode)


@pytest.mark.parametrize(
    "mode",
    ["755", "0755", "775", "644", "1777", "+w", "u+w", "g+w", "o-w", "a-w", "+x", "a+rwxt", "o=u", "x", ""],
)
def test_safe_modes(mode: str) -> None:
    assert not world_writable(mode)


def test_chmod_fires_with_span() -> None:
    ds = findings("FROM debian\nRUN chmod -R 777 /app\n", CODE)
    assert [(d.location.row, d.location.column, d.end_location.column) for d in ds] == [(2, 5, 17)]
    assert "chmod -R 777" in ds[0].message


def test_mkdir_install_copy_add_and_onbuild() -> None:
    assert codes("FROM debian\nRUN mkdir -p -m 777 /data\n", CODE) == [CODE]
    assert codes("FROM debian\nRUN mkdir -pm0777 /data\n", CODE) == [CODE]
    assert codes("FROM debian\nRUN install --mode=666 a /b\n", CODE) == [CODE]
    ds = findings("FROM debian\nCOPY --chmod=777 a /a\n", CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(2, 6)]
    assert codes("FROM debian\nADD --chmod=0666 a /a\n", CODE) == [CODE]
    assert codes("FROM debian\nONBUILD RUN chmod 777 /x\n", CODE) == [CODE]
    assert codes("FROM debian\nONBUILD COPY --chmod=777 a /a\n", CODE) == [CODE]


def test_heredoc_script_and_continuation_with_comment() -> None:
    assert codes("FROM debian\nRUN <<EOF\nset -e\nchmod 777 /x\nEOF\n", CODE) == [CODE]
    text = "FROM debian\nRUN mkdir /x \\\n  # make it writable\n  && chmod o+w /x\n"
    assert [d.location.row for d in findings(text, CODE)] == [4]


def test_near_misses() -> None:
    for run in (
        "chmod 1777 /tmp/cache",
        "chmod 755 /app",
        "chmod +x /entrypoint.sh",
        "chmod g+w /app",
        "echo chmod 777 /x",
        "chmod $MODE /x",
        "mkdir -p /data",
        "install -d /x",
        "chmod --reference=/a /b",
    ):
        assert codes(f"FROM debian\nRUN {run}\n", CODE) == [], run
    assert codes("FROM debian\nCOPY --chmod=755 a /a\n", CODE) == []
    assert codes("FROM debian\nRUN cat <<EOF > /s\nchmod 777 /x\nEOF\n", CODE) == []


def test_windows_quiet_and_no_fix() -> None:
    assert (
        codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN chmod 777 x\n", CODE) == []
    )
    text = "FROM debian\nRUN chmod 777 /x\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input() -> None:
    for text in (
        "RUN chmod 777\n",
        "FROM x\nRUN chmod\n",
        "FROM x\nRUN mkdir -m\n",
        "FROM x\nCOPY --chmod a b\n",
    ):
        findings(text, CODE)
