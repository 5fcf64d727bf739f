import pytest

from hardenify.context import safe_fix
from hardenify.diagnostics import Edit, Fix
from hardenify.dockerfile import edits, parse
from hardenify.dockerfile.edits import apply_fixes as apply_edits


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


# --------------------------------------------------------------------- the one applier
# `edits.apply` (pin plans, compose wiring: every edit must land) and `edits.apply_fixes` (the
# engine's pass: a conflicting fix waits for the next pass) share one conflict rule, `overlaps`.


def _fixes(text: str, *fixes: Fix) -> tuple[str, list[str]]:
    out, applied = apply_edits(text, list(fixes))
    return out, [f.edits[0].content for f in applied]


def test_overlap_defers_the_later_fix_and_strict_apply_refuses() -> None:
    assert _fixes("abcdef", safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(2, 4, "Y"))) == (
        "aXdef",
        ["X"],
    )
    # the same span twice is a conflict too
    assert _fixes("abcdef", safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(1, 3, "Y"))) == (
        "aXdef",
        ["X"],
    )
    with pytest.raises(ValueError, match="overlapping"):
        edits.apply("abcdef", [Edit(1, 3, "X"), Edit(2, 4, "Y")])
    with pytest.raises(ValueError, match="out-of-range"):
        edits.apply("abc", [Edit(2, 9, "X")])


def test_adjacent_replacements_both_land() -> None:
    assert _fixes("abcdef", safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(3, 5, "Y"))) == (
        "aXYf",
        ["X", "Y"],
    )
    assert edits.apply("abcdef", [Edit(3, 5, "Y"), Edit(1, 3, "X")]) == "aXYf"


def test_insertion_inside_a_replacement_conflicts() -> None:
    assert _fixes("abcdef", safe_fix("1", Edit(1, 4, "X")), safe_fix("2", Edit(2, 2, "+"))) == ("aXef", ["X"])


def test_insertion_at_either_end_of_a_replacement_lands_outside_it() -> None:
    """`overlaps` lets an insertion at a replacement's end (or start) through. That is intended,
    not a bug: the insertion's place is unambiguous (after the old text, so after the new; before
    it, so before the new), the same in both appliers, and the engine re-lints and verifies the
    result. Only an insertion strictly inside a replaced span has no place to go."""
    at_end = _fixes("abcdef", safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(3, 3, "+")))
    assert at_end == ("aX+def", ["X", "+"])
    # whichever fix sorts first, the result is the same
    assert _fixes("abcdef", safe_fix("2", Edit(3, 3, "+")), safe_fix("1", Edit(1, 3, "X")))[0] == "aX+def"
    at_start = _fixes("abcdef", safe_fix("1", Edit(1, 3, "X")), safe_fix("2", Edit(1, 1, "+")))
    assert at_start == ("a+Xdef", ["+", "X"])
    assert edits.apply("abcdef", [Edit(3, 3, "+"), Edit(1, 3, "X")]) == "aX+def"
    assert edits.apply("abcdef", [Edit(1, 3, "X"), Edit(1, 1, "+")]) == "a+Xdef"


def test_two_insertions_at_one_point_conflict_across_fixes_but_not_within_one() -> None:
    # across fixes the order could matter: the second waits for the next pass
    assert _fixes("ab", safe_fix("1", Edit(1, 1, "X")), safe_fix("2", Edit(1, 1, "Y"))) == ("aXb", ["X"])
    # within one fix (and in strict apply) they land in the order given
    assert apply_edits("ab", [safe_fix("1", Edit(1, 1, "X"), Edit(1, 1, "Y"))])[0] == "aXYb"
    assert edits.apply("ab", [Edit(1, 1, "Y"), Edit(1, 1, "X")]) == "aYXb"


def test_fixes_are_taken_in_span_order_and_edits_of_one_fix_land_together() -> None:
    late = safe_fix("late", Edit(4, 5, "L"), Edit(0, 1, "l"))  # span 0..5
    early = safe_fix("early", Edit(0, 2, "E"))  # span 0..2, sorts first
    out, applied = apply_edits("abcdef", [late, early])
    # `late` conflicts at 0..1, so none of its edits land (not even the one at 4..5)
    assert (out, [f.edits[0].content for f in applied]) == ("Ecdef", ["E"])


def test_applying_the_same_fix_set_twice_is_deterministic_and_a_pass_is_a_fixpoint() -> None:
    text = "FROM a\nRUN apt-get install curl\n"
    df = parse(text)
    run = df.instructions[1]
    i = run.args.index("install") + len("install")
    fixes = [safe_fix("a", edits.insert_in_args(run, i, " -y")), safe_fix("b", edits.append(df, "USER 1"))]
    once, _ = apply_edits(text, fixes)
    assert (
        once == apply_edits(text, list(reversed(fixes)))[0] == "FROM a\nRUN apt-get install -y curl\nUSER 1\n"
    )
    # no edits: the text comes back unchanged, byte for byte
    assert apply_edits(once, [])[0] == once and edits.apply("a\r\nb", []) == "a\r\nb"
