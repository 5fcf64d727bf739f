"""Character offsets (what the engine's spans and edits use) ↔ LSP line/character positions.

pygls's own codec splits lines with `str.splitlines`, which also breaks at U+2028, form feeds
and other characters LSP does not treat as line ends, so a Dockerfile holding one would get
every later diagnostic on the wrong line. LSP ends lines at `\\n`, `\\r\\n` and `\\r` only, and
counts columns in the negotiated encoding (UTF-16 code units unless the client chose
otherwise). A BOM the client sent is text like any other: it is one unit of line 0.
"""

from __future__ import annotations

import bisect
import re

_LINE_END = re.compile(r"\r\n|\r|\n")

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(s: str, encoding: str) -> int:
    """Length of `s` in the encoding's code units (lone surrogates count as one character)."""
    if encoding == UTF32 or s.isascii():
        return len(s)
    if encoding == UTF8:
        return len(s.encode("utf-8", errors="surrogatepass"))
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)  # UTF-16, LSP's default


class LineIndex:
    """Line starts of one text, for converting positions both ways in O(log lines)."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    def _line_end(self, line: int) -> int:
        """Offset where `line`'s content ends (before its line terminator)."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            if self.text.startswith("\r\n", end - 2) and end - 2 >= self.starts[line]:
                return end - 2
            return end - 1
        return len(self.text)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, character) of a character offset, clamped to the text."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        # An offset between \r and \n belongs to no column; LSP has no position there.
        offset = min(offset, self._line_end(line))
        start = self.starts[line]
        return line, _units(self.text[start:offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """The character offset of an LSP position; past a line's end means its end."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self._line_end(line)
        if self.encoding == UTF32 or self.text[start:end].isascii():
            return min(start + max(character, 0), end)
        used = 0
        for i in range(start, end):
            if used >= character:
                return i
            used += _units(self.text[i], self.encoding)
        return end
