"""The default `text` format: ruff's "full" output with a source snippet per finding.

    Dockerfile:3:1: HF101 [*] Container runs as root
      |
    3 | USER root
      | ^^^^^^^^^ HF101
      |
      = help: Switch to an unprivileged user

Snippets come from the text the diagnostics point into, redacted line by line, so a
secret never reaches the terminal even when the finding is about that very secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hardenify.diagnostics import Diagnostic
from hardenify.reporters._common import (
    BLUE,
    BOLD,
    CYAN,
    RED,
    Options,
    SourceView,
    applies,
    expand,
    is_display_only,
    paint,
    path_of,
    printable,
    sorted_diagnostics,
    source_text,
    summary_lines,
)

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome

# A RUN with twenty continuation lines should not print twenty lines per finding.
MAX_SNIPPET_LINES = 7
HEAD_LINES = 4
TAIL_LINES = 2


def header(outcome: FileOutcome, d: Diagnostic, opts: Options) -> str:
    """`path:row:col: CODE [*] message`, shared with the concise format."""
    c = opts.color
    sep = paint(":", CYAN, enabled=c)
    path = paint(printable(path_of(outcome)), BOLD, enabled=c)
    code = paint(d.code, RED, BOLD, enabled=c)
    fixable = opts.show_fixes and applies(d.fix, opts.unsafe_fixes)
    star = " " + paint("[*]", CYAN, enabled=c) if fixable else ""
    message = printable(outcome.redactor(d.message))
    return f"{path}{sep}{d.location.row}{sep}{d.location.column}{sep} {code}{star} {message}"


def error_line(outcome: FileOutcome, opts: Options) -> str:
    """A file that could not be checked: one line, so it is easy to grep in CI logs."""
    assert outcome.error is not None
    c = opts.color
    path = paint(printable(path_of(outcome)), BOLD, enabled=c)
    label = paint("error", RED, BOLD, enabled=c)
    return f"{path}: {label}: {printable(outcome.redactor(outcome.error))}"


def render(outcomes: Sequence[FileOutcome], opts: Options) -> str:
    blocks: list[str] = []
    for o in outcomes:
        if o.error is not None:
            blocks.append(error_line(o, opts))
        text = source_text(o)
        view = SourceView(text, o.redactor) if text is not None and o.diagnostics else None
        for d in sorted_diagnostics(o):
            blocks.append(_block(o, d, view, opts))
    out = "\n\n".join(blocks)
    if opts.quiet:
        return f"{out}\n" if out else ""
    summary = "\n".join(summary_lines(outcomes, opts))
    return f"{out}\n\n{summary}\n" if out else f"{summary}\n"


def _block(o: FileOutcome, d: Diagnostic, view: SourceView | None, opts: Options) -> str:
    lines = [header(o, d, opts)]
    rows = _snippet_rows(view, d) if view is not None else []
    footer: list[tuple[str, str]] = []
    if d.fix is not None and d.fix.message and opts.show_fixes:
        footer.append(("suggestion" if is_display_only(d.fix) else "help", d.fix.message))
    if d.note:
        footer.append(("note", d.note))
    if not rows and not footer:
        return lines[0]
    width = len(str(rows[-1])) if rows else 1
    c = opts.color
    bar = paint("|", BLUE, BOLD, enabled=c)
    pad = " " * width
    if rows:
        assert view is not None
        lines.append(f"{pad} {bar}")
        lines.extend(_snippet(view, d, rows, width, opts))
        lines.append(f"{pad} {bar}")
    eq = paint("=", BLUE, BOLD, enabled=c)
    for label, body in footer:
        first, *rest = o.redactor(body).splitlines() or [""]
        lines.append(f"{pad} {eq} {paint(label, BOLD, enabled=c)}: {printable(first)}")
        indent = " " * (width + len(label) + 5)
        lines.extend(f"{indent}{printable(x)}" for x in rest)
    return "\n".join(lines)


def _snippet_rows(view: SourceView, d: Diagnostic) -> list[int]:
    """Rows the finding covers; a span ending at column 1 of a later row stops before it."""
    idx = view.index
    first = idx.row_of(d.start)
    last = idx.row_of(d.end)
    if last > first and idx.position(d.end)[1] == 1:
        last -= 1
    rows = list(range(first, last + 1))
    if len(rows) > MAX_SNIPPET_LINES:
        rows = rows[:HEAD_LINES] + rows[-TAIL_LINES:]
    return rows


def _snippet(view: SourceView, d: Diagnostic, rows: list[int], width: int, opts: Options) -> list[str]:
    c = opts.color
    bar = paint("|", BLUE, BOLD, enabled=c)
    pad = " " * width
    out: list[str] = []
    first, last = rows[0], rows[-1]
    prev = first - 1
    for row in rows:
        if row != prev + 1:
            out.append(paint("...", BLUE, BOLD, enabled=c))
        prev = row
        start, end = view.index.line_span(row)
        raw = view.index.text[start:end]
        shown = view.shown_line(row)
        display, cols = expand(shown.text)
        # Columns (0-based, raw) of the part of this row the finding covers.
        lo = d.start - start if row == first else len(raw) - len(raw.lstrip())
        hi = d.end - start if row == last else len(raw)
        lo = min(max(lo, 0), len(raw))
        hi = min(max(hi, lo), len(raw))
        a = cols[shown.column(lo)]
        b = cols[shown.column(hi, end=True)]
        number = paint(str(row).rjust(width), BLUE, BOLD, enabled=c)
        out.append(f"{number} {bar} {display}".rstrip())
        if b <= a and row not in (first, last):
            continue  # a blank line in the middle of a span needs no underline
        carets = paint("^" * max(b - a, 1), RED, BOLD, enabled=c)
        label = " " + paint(d.code, RED, BOLD, enabled=c) if row == last else ""
        out.append(f"{pad} {bar} {' ' * a}{carets}{label}")
    return out
