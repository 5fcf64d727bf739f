from tests.fixers.util import codes, findings, fixed

CODE = "HF506"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_relative_workdir_fires_once_per_stage() -> None:
    text = 'FROM node:22\nWORKDIR app\nWORKDIR src\nFROM node:22\nworkdir "web"\n'
    ds = findings(text, CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF506", 2), ("HF506", 5)]
    assert all(d.fix is None for d in ds)


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM node:22 AS base
        WORKDIR /app
        WORKDIR src
        WORKDIR $HOME/x
        WORKDIR ${APP_DIR}
        WORKDIR "/quoted"
        FROM base
        WORKDIR sub
        FROM node:22
        WORKDIR C:/tools
        """
    assert rows(text) == []


def test_windows_paths() -> None:
    text = (
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nWORKDIR C:\\app\nWORKDIR \\tools\n"
    )
    assert rows(text) == []
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nWORKDIR app\n"
    assert rows(text) == [3]


def test_no_fix_is_offered() -> None:
    text = "FROM x\nWORKDIR app\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_hadolint_pragma_suppresses() -> None:
    assert codes("FROM x\n# hadolint ignore=DL3000\nWORKDIR app\n", CODE) == []


def test_odd_input_does_not_raise() -> None:
    for text in ("FROM x\nWORKDIR\n", "WORKDIR app\n", 'FROM x\nWORKDIR ""\n', "FROM x\nONBUILD WORKDIR a\n"):
        codes(text, CODE)
