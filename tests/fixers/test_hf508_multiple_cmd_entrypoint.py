from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF508"


def test_earlier_instructions_fire() -> None:
    text = """\
        FROM x
        CMD ["a"]
        ENTRYPOINT ["e1"]
        HEALTHCHECK CMD ["h1"]
        CMD ["b"]
        ENTRYPOINT ["e2"]
        HEALTHCHECK NONE
        CMD ["c"]
        """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 3, 4, 5]
    assert "line 8" in ds[0].message
    assert all(d.fix and d.fix.applicability is Applicability.SAFE for d in ds)


def test_per_stage_and_onbuild_not_counted() -> None:
    text = 'FROM x AS a\nCMD ["a"]\nFROM x\nCMD ["b"]\nONBUILD CMD ["c"]\n'
    assert codes(text, CODE) == []


def test_fix_deletes_earlier_keeping_comments_and_crlf() -> None:
    before = """\
        FROM x
        # migrate first
        CMD python manage.py \\
          # really
          migrate
        cmd ["gunicorn"]
        """
    after = """\
        FROM x
        # migrate first
        cmd ["gunicorn"]
        """
    assert fixed(before, CODE) == dedent(after)
    assert fixed('FROM x\r\nCMD ["a"]\r\nCMD ["b"]\r\n', CODE) == 'FROM x\r\nCMD ["b"]\r\n'


def test_already_good_is_unchanged() -> None:
    text = 'FROM x\nENTRYPOINT ["e"]\nCMD ["c"]\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE) == text


def test_odd_input_does_not_raise() -> None:
    for text in ("CMD a\nCMD b\n", "FROM x\nCMD\nCMD\n"):
        codes(text, CODE)
