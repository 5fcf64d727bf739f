from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF504"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_shell_form_fires() -> None:
    text = "FROM python:3.12\nCMD python app.py\nENTRYPOINT /entry.sh\n"
    ds = findings(text, CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF504", 2), ("HF504", 3)]


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM python:3.12
        CMD ["python", "app.py"]
        ENTRYPOINT ["/entry.sh"]
        CMD []
        HEALTHCHECK CMD curl -f http://localhost/
        RUN python setup.py
        """
    assert rows(text) == []
    assert rows("# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD app.exe\n") == []


def test_safe_fix_for_cmd() -> None:
    before = """\
        FROM python:3.12
        CMD python -m http.server  8000
        """
    after = """\
        FROM python:3.12
        CMD ["python", "-m", "http.server", "8000"]
        """
    ds = findings(before, CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.SAFE
    assert fixed(before, CODE) == dedent(after)


def test_quotes_unicode_exec_and_case() -> None:
    before = """\
        FROM node:22
        cmd exec node "server file.js" --name 'naïve "x"'
        """
    after = """\
        FROM node:22
        cmd ["node", "server file.js", "--name", "naïve \\"x\\""]
        """
    assert fixed(before, CODE) == dedent(after)


def test_multiline_keeps_layout_comments_and_crlf() -> None:
    before = "FROM x\r\nCMD gunicorn \\\r\n  # bind address\r\n  -b 0.0.0.0:8000 \\\r\n  app:app\r\n"
    after = (
        'FROM x\r\nCMD ["gunicorn", \\\r\n  # bind address\r\n  "-b", "0.0.0.0:8000", \\\r\n  "app:app"]\r\n'
    )
    assert fixed(before, CODE) == after


def test_entrypoint_fix_is_unsafe_and_cmd_with_entrypoint_is_unsafe() -> None:
    text = "FROM x\nENTRYPOINT /entry.sh --verbose\n"
    ds = findings(text, CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE
    assert fixed(text, CODE) == text
    assert fixed(text, CODE, unsafe=True) == 'FROM x\nENTRYPOINT ["/entry.sh", "--verbose"]\n'
    ds = findings('FROM x\nENTRYPOINT ["/entry.sh"]\nCMD app run\n', CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE


def test_no_fix_when_shell_is_needed() -> None:
    cases = [
        "CMD python app.py $PORT",
        "CMD python app.py > /log",
        "CMD a && b",
        "CMD cd /app && ./run",
        "CMD FOO=1 app",
        "CMD app *.conf",
        "CMD app ~/x",
        "CMD app # comment",
        "CMD echo a\\ b",
        "CMD source env.sh",
        "CMD exec",
    ]
    for case in cases:
        ds = findings(f"FROM x\n{case}\n", CODE)
        assert len(ds) == 1 and ds[0].fix is None, case
    ds = findings('FROM x\nSHELL ["/bin/bash", "-c"]\nCMD app run\n', CODE)
    assert len(ds) == 1 and ds[0].fix is None


def test_already_good_is_unchanged() -> None:
    text = 'FROM x\nCMD ["app"]\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nCMD\n",
        'FROM x\nCMD ["a"\n',
        "CMD a\n",
        "FROM x\nONBUILD CMD a\n",
        "FROM x\nCMD ''\n",
    ):
        codes(text, CODE)
