"""`hardenify fix --diff` output and the one-line summary after `hardenify fix`.

The diff compares the raw lines (line endings included, so a CRLF→LF change is a change)
but prints them with endings stripped (kept where the diff is a patch, see `keep_cr`),
redacted and terminal-safe; a change that only touches the line ending is marked, and a
missing final newline is flagged as git does.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hardenify.reporters._common import (
    BOLD,
    CYAN,
    GREEN,
    RED,
    is_unsafe,
    masked_lines,
    paint,
    path_of,
    plural,
    printable,
)

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome

CONTEXT = 3
NO_NEWLINE = "\\ No newline at end of file"


def split_lines(text: str) -> list[str]:
    """Split after each "\\n" only (str.splitlines would also split on \\r, \\f, U+2028...)."""
    if not text:
        return []
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


_ENDINGS = (("\r\n", "CRLF"), ("\n", "LF"), ("\r", "CR"))


def _split_ending(line: str) -> tuple[str, str]:
    """(text, ending name) — the name is "" for a last line without any line break."""
    for raw, name in _ENDINGS:
        if line.endswith(raw):
            return line[: -len(raw)], name
    return line, ""


def _range(start: int, length: int) -> str:
    """A hunk range as GNU diff writes it (difflib's `_format_range_unified`)."""
    beginning = start + 1
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def unified_diff(outcome: FileOutcome, color: bool = False, *, keep_cr: bool = False) -> str:
    """A unified diff (3 lines of context) of the outcome's original → fixed text, or "".

    `keep_cr`: a patch for `git apply` (not a view) keeps each CRLF line's CR, or no line of a
    CRLF file would match."""
    if not outcome.changed:
        return ""
    assert outcome.original is not None and outcome.fixed_text is not None
    a = split_lines(outcome.original)
    b = split_lines(outcome.fixed_text)
    # Shown text comes from the redacted, line-preserving mask: same rows as a and b.
    shown_a = masked_lines(outcome.original, outcome.redactor)
    shown_b = masked_lines(outcome.fixed_text, outcome.redactor)
    path = printable(path_of(outcome)).replace("\\", "/").lstrip("/")
    out = [
        paint(f"--- a/{path}", BOLD, enabled=color),
        paint(f"+++ b/{path}", BOLD, enabled=color),
    ]

    def emit(sign: str, line: str, shown: str, mark: str = "") -> None:
        cr = "\r" if keep_cr and not mark and line.endswith("\r\n") else ""
        body = f"{sign}{printable(shown)}{mark}{cr}"
        out.append(paint(body, RED if sign == "-" else GREEN, enabled=color) if sign != " " else body)
        if not line.endswith("\n"):
            out.append(NO_NEWLINE)

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(paint(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@", CYAN, enabled=color))
        for tag, ai, aj, bi, bj in group:
            if tag == "equal":
                for k in range(ai, aj):
                    emit(" ", a[k], shown_a[k])
                continue
            marks_a = [""] * (aj - ai)
            marks_b = [""] * (bj - bi)
            for k in range(min(aj - ai, bj - bi)):
                ta, ea = _split_ending(a[ai + k])
                tb, eb = _split_ending(b[bi + k])
                # Same text, different ending: without a mark the two lines would look equal.
                if ea and eb and ea != eb and ta == tb:
                    marks_a[k], marks_b[k] = f"  [{ea}]", f"  [{eb}]"
            for k in range(ai, aj):
                emit("-", a[k], shown_a[k], marks_a[k - ai])
            for k in range(bi, bj):
                emit("+", b[k], shown_b[k], marks_b[k - bi])
    return "\n".join(out) + "\n"


def fix_summary(outcomes: Sequence[FileOutcome], unsafe_fixes: bool, diff_mode: bool) -> str:
    """What `hardenify fix` did (or, with --diff, would do), then files whose fix was refused."""
    codes: Counter[str] = Counter()
    files = remaining = hidden = errors = 0
    refused: list[str] = []
    for o in outcomes:
        if o.error is not None:
            errors += 1
        n = sum(o.fixed.values())
        if n:
            files += 1
            codes.update(o.fixed)
        remaining += len(o.diagnostics)
        if not unsafe_fixes:
            hidden += max(o.unsafe_available, sum(1 for d in o.diagnostics if is_unsafe(d.fix)))
        if o.refused is not None:
            reason = printable(o.redactor(o.refused))
            refused.append(f"{printable(path_of(o))}: not fixed: {reason}")

    total = sum(codes.values())
    if total:
        detail = ", ".join(f"{code} ×{codes[code]}" for code in sorted(codes))
        verb = "Would fix" if diff_mode else "Fixed"
        head = f"{verb} {plural(total, 'finding')} ({detail}) in {plural(files, 'file')}"
    elif remaining or errors or refused:
        head = "No fixes would be applied" if diff_mode else "No fixes applied"
    else:
        head = "Nothing to fix"
    tail = []
    if remaining:
        tail.append(f"{remaining} remaining")
    if hidden:
        tail.append(f"{hidden} more fixable with --unsafe-fixes")
    if errors:
        tail.append(f"{plural(errors, 'file')} could not be checked")
    summary = f"{head}; {', '.join(tail)}." if tail else f"{head}."
    return "".join(f"{line}\n" for line in [*refused, summary])
