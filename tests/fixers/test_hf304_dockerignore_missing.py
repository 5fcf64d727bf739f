from hardenify.engine import lint
from hardenify.knowledge.dockerignore import default_dockerignore
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF304"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_whole_context_copies_fire_without_dockerignore() -> None:
    text = """\
        FROM python:3.12
        COPY . .
        ADD . /app
        COPY --chown=1000:1000 ./ /app/
        COPY [".", "/srv"]
        copy * /app/
        ONBUILD COPY . /app
        COPY --from=build . /x
        COPY src/ ./src/
        COPY <<EOF /etc/motd
        hi
        EOF
        """
    assert rows(text) == [2, 3, 4, 5, 6, 7]
    d = findings(text, CODE)[0]
    assert d.message.startswith("`COPY .` copies the whole build context and there is no .dockerignore")
    assert d.fix is None


def test_incomplete_dockerignore_names_what_is_missing() -> None:
    ds = findings(
        "FROM a\nCOPY . .\n", CODE, dockerignore_text="node_modules\n.git\n.env*\n", has_dockerignore=True
    )
    (d,) = ds
    assert "does not exclude `.aws`, `.ssh`, `.npmrc`" in d.message
    assert "`.git`" not in d.message and "`.env`" not in d.message and "`.env.*`" not in d.message


def test_complete_or_allowlist_dockerignore_is_quiet() -> None:
    text = "FROM a\nCOPY . .\n"
    assert codes(text, CODE, dockerignore_text=default_dockerignore("python"), has_dockerignore=True) == []
    assert codes(text, CODE, dockerignore_text="*\n!src\n!package.json\n", has_dockerignore=True) == []


def test_deliberate_exception_is_respected() -> None:
    di = default_dockerignore("generic") + "!.env\n"
    assert codes("FROM a\nCOPY . .\n", CODE, dockerignore_text=di, has_dockerignore=True) == []


def test_unknown_dockerignore_content_and_stdin_are_skipped() -> None:
    assert codes("FROM a\nCOPY . .\n", CODE, has_dockerignore=True) == []
    res = lint("-", "FROM a\nCOPY . .\n", "dockerfile", Settings(select=(CODE,)))
    assert res.diagnostics == []


def test_no_copy_of_the_context_is_quiet() -> None:
    assert codes("FROM a\nCOPY app.py requirements.txt /app/\nRUN true\n", CODE) == []


def test_crlf_windows_and_comment_in_continuation() -> None:
    text = "# escape=`\r\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\r\nCOPY `\r\n  # all of it\r\n  . C:/app\r\n"
    assert rows(text) == [3]


def test_no_fix_is_offered() -> None:
    text = "FROM a\nCOPY . .\n"
    assert fixed(text, CODE, unsafe=True) == text
