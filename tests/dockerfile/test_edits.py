from hardenify.context import safe_fix
from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits, parse
from hardenify.engine import apply_edits


def apply(text: str, *es: Edit) -> str:
    return apply_edits(text, [safe_fix("t", e) for e in es])[0] if len(es) == 1 else _all(text, es)


def _all(text: str, es: tuple[Edit, ...]) -> str:
    return apply_edits(text, [safe_fix("t", *es)])[0]


def test_insert_before_keeps_crlf_and_indent() -> None:
    text = "FROM a\r\n  CMD x\r\n"
    df = parse(text)
    cmd = df.instructions[1]
    assert apply(text, edits.insert_before(df, cmd, "USER 1:1")) == "FROM a\r\n  USER 1:1\r\n  CMD x\r\n"


def test_insert_after_last_line_without_newline() -> None:
    text = "FROM a\nCMD x"
    df = parse(text)
    assert apply(text, edits.insert_after(df, df.instructions[1], "USER 1")) == "FROM a\nCMD x\nUSER 1"
    assert apply(text, edits.append(df, "LABEL a=b")) == "FROM a\nCMD x\nLABEL a=b"


def test_delete_last_line_keeps_no_final_newline() -> None:
    text = "FROM a\r\nEXPOSE 22"
    df = parse(text)
    assert apply(text, edits.delete(df, df.instructions[1])) == "FROM a"
    text2 = "FROM a\nEXPOSE 22\nCMD x\n"
    df2 = parse(text2)
    assert apply(text2, edits.delete(df2, df2.instructions[1])) == "FROM a\nCMD x\n"


def test_insert_in_args_across_continuation_with_comment() -> None:
    text = "FROM a\nRUN apt-get update \\\n  # why\n  && apt-get install curl\n"
    df = parse(text)
    run = df.instructions[1]
    i = run.args.index("install") + len("install")
    assert apply(text, edits.insert_in_args(run, i, " -y")) == (
        "FROM a\nRUN apt-get update \\\n  # why\n  && apt-get install -y curl\n"
    )


def test_replace_instruction_multiline_uses_file_newline() -> None:
    text = "FROM a\r\nMAINTAINER me\r\n"
    df = parse(text)
    e = edits.replace_instruction(df, df.instructions[1], "LABEL a=1\nLABEL b=2")
    assert apply(text, e) == "FROM a\r\nLABEL a=1\r\nLABEL b=2\r\n"


def test_overlapping_fixes_are_deferred() -> None:
    text = "abcdef"
    out, applied = apply_edits(text, [safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(2, 4, "Y"))])
    assert out == "aXdef" and len(applied) == 1
