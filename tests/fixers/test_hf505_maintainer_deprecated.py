from hardenify.dockerfile.model import env_pairs, parse
from tests.fixers.util import codes, dedent, findings, fixed

LABEL_KEY = "org.opencontainers.image.authors"

CODE = "HF505"


def test_maintainer_fires() -> None:
    ds = findings("FROM x\nMAINTAINER Jane Doe <jane@example.com>\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF505", 2)]


def test_fix_to_oci_label() -> None:
    before = """\
        FROM x
        MAINTAINER Jane Doe <jane@example.com>
        maintainer "ops team"
        """
    after = """\
        FROM x
        LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
        label org.opencontainers.image.authors="ops team"
        """
    assert fixed(before, CODE) == dedent(after)


def test_fix_escapes_quotes_dollar_and_backslash() -> None:
    before = 'FROM x\nMAINTAINER Bob "B$" \\o/\n'
    after = 'FROM x\nLABEL org.opencontainers.image.authors="Bob \\"B\\$\\" \\\\o/"\n'
    out = fixed(before, CODE)
    assert out == after
    label = parse(out).instructions[1]
    assert [(k, v) for k, v, _, _ in env_pairs(label)] == [(LABEL_KEY, 'Bob "B$" \\o/')]


def test_backtick_escape_on_windows() -> None:
    before = '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nMAINTAINER C:\\Users "x"\n'
    after = (
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'LABEL org.opencontainers.image.authors="C:\\Users `"x`""\n'
    )
    assert fixed(before, CODE) == after


def test_existing_label_means_delete() -> None:
    before = 'FROM x\nLABEL org.opencontainers.image.authors="a@b.c"\nMAINTAINER a@b.c\nRUN x\n'
    after = 'FROM x\nLABEL org.opencontainers.image.authors="a@b.c"\nRUN x\n'
    assert fixed(before, CODE) == after


def test_crlf_and_continuation_with_comment() -> None:
    assert (
        fixed("FROM x\r\nMAINTAINER me\r\n", CODE)
        == 'FROM x\r\nLABEL org.opencontainers.image.authors="me"\r\n'
    )
    text = "FROM x\nMAINTAINER Jane \\\n# who\n  Doe\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None
    assert fixed("FROM x\nMAINTAINER Jane \\\n  Doe\n", CODE) == (
        'FROM x\nLABEL org.opencontainers.image.authors="Jane   Doe"\n'
    )


def test_already_good_is_unchanged() -> None:
    text = 'FROM x\nLABEL maintainer="a"\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE) == text


def test_odd_input_does_not_raise() -> None:
    for text in ("FROM x\nMAINTAINER\n", "MAINTAINER me\n", "FROM x\nONBUILD MAINTAINER me\n"):
        codes(text, CODE)
