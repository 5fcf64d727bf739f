"""Offsets ↔ LSP positions: LSP's line ends only, columns in the negotiated encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardenify.lsp.positions import UTF8, UTF16, UTF32, LineIndex


def test_crlf_cr_and_lf_end_lines_but_u2028_and_form_feed_do_not() -> None:
    text = "a\r\nb\rc\nd\u2028e\x0cf"
    idx = LineIndex(text)
    assert idx.position(text.index("b")) == (1, 0)
    assert idx.position(text.index("c")) == (2, 0)
    assert idx.position(text.index("d")) == (3, 0)
    assert idx.position(text.index("f")) == (3, 4)  # U+2028 and \f are characters of line 3
    assert idx.offset(3, 4) == text.index("f")


def test_columns_count_code_units_of_the_negotiated_encoding() -> None:
    text = "\ufeffé😀x"
    assert LineIndex(text, UTF16).position(text.index("x")) == (0, 4)  # BOM 1, é 1, 😀 2
    assert LineIndex(text, UTF8).position(text.index("x")) == (0, 9)  # 3 + 2 + 4
    assert LineIndex(text, UTF32).position(text.index("x")) == (0, 3)
    assert LineIndex(text, UTF16).offset(0, 4) == text.index("x")
    assert LineIndex(text, UTF8).offset(0, 9) == text.index("x")


def test_an_offset_inside_crlf_maps_to_the_line_end_and_far_positions_clamp() -> None:
    text = "ab\r\ncd"
    idx = LineIndex(text)
    assert idx.position(3) == (0, 2)  # between \r and \n
    assert idx.offset(0, 99) == 2  # past the end of line 0: its end, not into line 1
    assert idx.offset(9, 0) == len(text)
    assert idx.position(99) == (1, 2)


def test_an_unknown_encoding_is_treated_as_utf16() -> None:
    assert LineIndex("😀x", "PositionEncodingKind.Utf16").position(1) == (0, 2)


_TEXT = st.lists(
    st.sampled_from(["a", "é", "😀", "\r", "\n", "\r\n", "\u2028", "\ufeff", " "]), max_size=40
).map("".join)


@given(_TEXT, st.sampled_from([UTF8, UTF16, UTF32]))
def test_position_and_offset_round_trip(text: str, encoding: str) -> None:
    idx = LineIndex(text, encoding)
    for off in range(len(text) + 1):
        if 0 < off < len(text) and text[off - 1] == "\r" and text[off] == "\n":
            continue  # no LSP position lies between \r and \n
        line, col = idx.position(off)
        assert idx.offset(line, col) == off


@pytest.mark.parametrize("encoding", [UTF8, UTF16])
def test_a_column_inside_a_multi_unit_character_does_not_split_it(encoding: str) -> None:
    idx = LineIndex("😀x", encoding)
    assert idx.offset(0, 1) in (0, 1)
