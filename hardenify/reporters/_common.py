"""Helpers every reporter shares: positions, line-preserving redaction, ANSI styling, tallies.

Stdlib only and nothing heavy at import time: the text formats are on `hardenify check`'s
hot path, and a reporter that leaks a secret or crashes on a strange byte is worse than none.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from hardenify.diagnostics import REDACTED, Applicability, Diagnostic, Fix, Redactor

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome


class Options(NamedTuple):
    """The knobs `render` passes to every format module."""

    color: bool = False
    unsafe_fixes: bool = False
    # Human formats only: show `[*]`, `= help:` fix lines and the "fixable" summary line.
    show_fixes: bool = True
    # Findings only, no closing summary (ruff's --quiet).
    quiet: bool = False


# --------------------------------------------------------------------------------- ANSI colour

BOLD = "1"
RED = "31"
GREEN = "32"
BLUE = "34"
CYAN = "36"


def paint(text: str, *codes: str, enabled: bool) -> str:
    """Wrap `text` in SGR codes when colour is on; plain ANSI because `rich` is too slow to import."""
    if not enabled or not codes or not text:
        return text
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


# --------------------------------------------------------------------------- safe display text

# C0 controls (bar tab) and DEL become Unicode control pictures, as ruff does, so a stray
# ESC in a Dockerfile cannot drive the user's terminal and every byte stays visible.
_CONTROL_PICTURES = {i: chr(0x2400 + i) for i in range(32) if i != 9}
_CONTROL_PICTURES[0x7F] = "\u2421"
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def no_surrogates(text: str) -> str:
    """Replace lone surrogates (undecodable bytes kept by surrogateescape) so output encodes."""
    if text.isascii():
        return text
    return _SURROGATE_RE.sub("\ufffd", text)


def printable(text: str) -> str:
    """Terminal-safe text: control characters as pictures, no lone surrogates."""
    return no_surrogates(text.translate(_CONTROL_PICTURES))


def clean(text: str, redactor: Redactor) -> str:
    """Redact first (the secret is matched in the real text), then make it encodable."""
    return no_surrogates(redactor(text))


def path_of(outcome: FileOutcome) -> str:
    """The file's display path, redacted too: every string taken from an outcome is."""
    return clean(outcome.filename, outcome.redactor)


# ----------------------------------------------------------------------------------- positions


class LineIndex:
    """Offset ↔ (row, column) over one text; rows split on "\\n" only, like the parser's."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def row_of(self, offset: int) -> int:
        """1-based row of a (clamped) character offset."""
        offset = min(max(offset, 0), len(self.text))
        return bisect.bisect_right(self.starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (row, column) with columns counting characters, as `Position` does."""
        offset = min(max(offset, 0), len(self.text))
        row = bisect.bisect_right(self.starts, offset)
        return row, offset - self.starts[row - 1] + 1

    def line_span(self, row: int) -> tuple[int, int]:
        """Offsets of a row's text without its line ending ("\\n" or "\\r\\n")."""
        start = self.starts[row - 1]
        end = self.starts[row] - 1 if row < len(self.starts) else len(self.text)
        if end > start and self.text[end - 1] == "\r" and end < len(self.text):
            end -= 1
        return start, end


def source_text(outcome: FileOutcome) -> str | None:
    """The text the outcome's diagnostics point into.

    In fix mode the remaining diagnostics come from the last pass over the fixed text, so
    their offsets are into `fixed_text`; in check mode (or when a fix was refused) that is
    the original.
    """
    return outcome.fixed_text if outcome.fixed_text is not None else outcome.original


# ----------------------------------------------------------------------- line-aware redaction


def secret_spans(text: str, redactor: Redactor) -> list[tuple[int, int]]:
    """Where the redactor's secrets occur, exactly as `Redactor.__call__` masks them."""
    return redactor.spans(text)


class ShownLine(NamedTuple):
    """One source line as displayed (redacted) and how raw columns map onto it."""

    text: str
    # (raw_start, raw_end, shown_start, shown_end) for each redacted piece, in order.
    pieces: tuple[tuple[int, int, int, int], ...] = ()

    def column(self, raw: int, *, end: bool = False) -> int:
        """Map a 0-based raw boundary; one inside a secret snaps to the marker's edge."""
        delta = 0
        for rs, re_, ss, se in self.pieces:
            if raw <= rs:
                break
            if raw < re_:
                return se if end else ss
            delta = se - re_
        return min(raw + delta, len(self.text))


class SourceView:
    """A file's text with rows, masked once, for snippets and diffs.

    Secrets are replaced per line so line numbers stay true even when a secret spans a
    line break; every shown line then also goes through the outcome's redactor itself.
    """

    def __init__(self, text: str, redactor: Redactor) -> None:
        self.index = LineIndex(text)
        self.redactor = redactor
        self._spans = secret_spans(text, redactor)
        self._cache: dict[int, ShownLine] = {}

    def shown_line(self, row: int) -> ShownLine:
        hit = self._cache.get(row)
        if hit is not None:
            return hit
        s, e = self.index.line_span(row)
        raw = self.index.text[s:e]
        parts: list[str] = []
        pieces: list[tuple[int, int, int, int]] = []
        pos = 0
        width = 0
        lo = bisect.bisect_left(self._spans, (s, s)) - 1
        for ms, me in self._spans[max(lo, 0) :]:
            if ms >= e:
                break
            a, b = max(ms, s) - s, min(me, e) - s
            if b <= a or a < pos:
                continue
            parts.append(raw[pos:a])
            width += a - pos
            parts.append(REDACTED)
            pieces.append((a, b, width, width + len(REDACTED)))
            width += len(REDACTED)
            pos = b
        parts.append(raw[pos:])
        shown = "".join(parts)
        final = self.redactor(shown)
        line = (
            ShownLine(shown, tuple(pieces))
            if final == shown
            # The redactor knows something we did not: trust it and map the whole line.
            else ShownLine(final, ((0, len(raw), 0, len(final)),))
        )
        self._cache[row] = line
        return line


def masked_lines(text: str, redactor: Redactor) -> list[str]:
    """Every line of `text` (endings stripped) redacted, one entry per "\\n"-separated row."""
    if not redactor.secrets:  # nothing to mask (most files): the same rows, without the view
        rows = text.split("\n")
        return [r[:-1] if r.endswith("\r") else r for r in rows[:-1]] + [rows[-1]]
    view = SourceView(text, redactor)
    return [view.shown_line(r).text for r in range(1, view.index.line_count + 1)]


# ------------------------------------------------------------------------- display columns


def expand(line: str, tab: int = 4) -> tuple[str, list[int]]:
    """Printable line plus the display column of each character (and of the end).

    Tabs go to the next multiple of `tab`, wide East Asian characters take two cells and
    combining marks none, so carets land under the right characters.
    """
    if line.isascii() and line.isprintable():  # most lines: one cell per character, as written
        return line, list(range(len(line) + 1))
    out: list[str] = []
    cols: list[int] = []
    w = 0
    ascii_only = line.isascii()
    if not ascii_only:
        import unicodedata
    for ch in line:
        cols.append(w)
        o = ord(ch)
        if ch == "\t":
            n = tab - w % tab
            out.append(" " * n)
            w += n
        elif o < 32 or o == 0x7F:
            out.append(_CONTROL_PICTURES[o])
            w += 1
        elif ascii_only:
            out.append(ch)
            w += 1
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
            w += 1
        elif unicodedata.combining(ch):
            out.append(ch)
        else:
            out.append(ch)
            w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    cols.append(w)
    return "".join(out), cols


# ----------------------------------------------------------------------------- fix semantics


def applies(fix: Fix | None, unsafe_fixes: bool) -> bool:
    """Would `hardenify fix` apply this fix under the current setting (ruff's `[*]`)?"""
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    return fix.applicability is Applicability.SAFE or unsafe_fixes


def is_display_only(fix: Fix | None) -> bool:
    """A suggestion: shown (`= suggestion:`, JSON, SARIF, PR body), never applied by `fix`."""
    return fix is not None and fix.applicability is Applicability.DISPLAY_ONLY


def is_unsafe(fix: Fix | None) -> bool:
    """An unsafe fix: "hidden" (ruff's word) until the user passes --unsafe-fixes."""
    return fix is not None and fix.applicability is Applicability.UNSAFE


def sorted_diagnostics(outcome: FileOutcome) -> list[Diagnostic]:
    """Findings in reading order, with a total order so output never depends on rule order."""
    return sorted(
        outcome.diagnostics,
        key=lambda d: (d.location.row, d.location.column, d.code, d.end, d.message),
    )


class Tally(NamedTuple):
    """The numbers behind every summary line."""

    findings: int
    fixable: int
    hidden: int
    errors: int


def tally(outcomes: Iterable[FileOutcome], unsafe_fixes: bool) -> Tally:
    """Count findings, fixes available now, hidden unsafe fixes and files that failed."""
    findings = fixable = hidden = errors = 0
    for o in outcomes:
        if o.error is not None:
            errors += 1
        findings += len(o.diagnostics)
        fixable += sum(1 for d in o.diagnostics if applies(d.fix, unsafe_fixes))
        if not unsafe_fixes:
            counted = sum(1 for d in o.diagnostics if is_unsafe(d.fix))
            hidden += max(o.unsafe_available, counted)
    return Tally(findings, fixable, hidden, errors)


def plural(n: int, one: str, many: str | None = None) -> str:
    """Say "1 finding" but "2 findings": summaries are read by people."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary_lines(outcomes: Sequence[FileOutcome], opts: Options) -> list[str]:
    """ruff's closing lines in hardenify's words: counts, then what `hardenify fix` would do."""
    t = tally(outcomes, opts.unsafe_fixes)
    c = opts.color
    if t.findings == 0 and t.errors == 0:
        return [paint("All checks passed!", GREEN, BOLD, enabled=c)]
    unreadable = f"{plural(t.errors, 'file')} could not be checked"
    if t.findings == 0:
        return [f"No findings; {unreadable}."]
    head = f"Found {plural(t.findings, 'finding')}"
    lines = [f"{head}; {unreadable}." if t.errors else f"{head}."]
    if not opts.show_fixes:
        return lines
    command = "hardenify fix --unsafe-fixes" if opts.unsafe_fixes else "hardenify fix"
    hidden = (
        f"{plural(t.hidden, 'hidden fix', 'hidden fixes')} can be enabled with `hardenify fix --unsafe-fixes`"
    )
    star = paint("[*]", CYAN, enabled=c)
    if t.fixable and t.hidden:
        lines.append(f"{star} {t.fixable} fixable with `{command}` ({hidden}).")
    elif t.fixable:
        lines.append(f"{star} {t.fixable} fixable with `{command}`.")
    elif t.hidden:
        lines.append(f"No fixes available ({hidden}).")
    return lines


# ------------------------------------------------------------------------ CI-facing identity


def normalized_line(view: SourceView | None, d: Diagnostic) -> str:
    """The finding's first line, redacted and whitespace-collapsed, for stable fingerprints.

    Redacting before hashing matters: a hash of a line that holds a secret would let anyone
    confirm a guessed secret offline.
    """
    if view is None:
        return ""
    row = view.index.row_of(d.start)
    return " ".join(view.shown_line(row).text.split())


def last_row(d: Diagnostic) -> int:
    """The last row a finding really covers: a span ending at column 1 stops on the row above."""
    end = d.end_location
    return end.row - 1 if end.column == 1 and end.row > d.location.row else end.row


def relative_uri_path(filename: str) -> str:
    """Forward slashes and no leading "./", as SARIF and CI annotations want paths."""
    p = filename.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p
