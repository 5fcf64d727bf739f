"""The edit API: the one applier for Dockerfile, compose and pin edits, and the Dockerfile
edit primitives fixers use. Every helper returns `Edit`s; nothing here touches files.

Inserted lines take the file's own line ending and the indentation of their neighbour, so a
CRLF file stays CRLF and an indented block stays indented. Untouched bytes are never
re-serialised.

Two ways to apply, one rule for what conflicts:
- `apply` takes edits that must all land (a pin plan, a compose wiring) and raises on an
  overlap rather than corrupt the text;
- `apply_fixes` takes independent fixes (the engine's pass) and defers a fix that conflicts
  with an earlier one (`overlaps`) to the next pass, so each pass applies a consistent set.
Edits that only touch (one ends where the next starts, or an insertion at either end of a
replacement) do not conflict: the insertion lands outside the replaced text, before it at its
start and after it at its end, the same place it had in the original.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hardenify.diagnostics import Edit, Fix
from hardenify.dockerfile.model import Dockerfile, Instruction, Node


def apply(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits that must all land; raises ValueError on an overlap or an out-of-range edit.

    Edits are applied in (start, end) order; insertions at one point keep their given order.
    """
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos or e.end > len(text) or e.start > e.end:
            raise ValueError(f"overlapping or out-of-range edit {e.start}..{e.end}")
        out.append(text[pos : e.start])
        out.append(e.content)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, list[Fix]]:
    """Apply the fixes whose edits do not conflict with earlier ones (by span); return the text
    and the fixes applied. The others are left for the next pass, against the new text."""
    applied: list[Fix] = []
    taken: list[Edit] = []
    for fix in sorted(fixes, key=lambda f: f.span):
        if any(overlaps(e, taken) for e in fix.edits):
            continue
        applied.append(fix)
        taken.extend(fix.edits)
    return apply(text, [e for f in applied for e in f.edits]), applied


def overlaps(e: Edit, taken: Iterable[Edit]) -> bool:
    """Does `e` conflict with an edit already taken?

    Overlapping spans, equal spans, an insertion strictly inside a replacement, and two
    insertions at one point conflict (their order can matter: a top-level block and a
    service's keys both appended at the end of a compose file). Touching spans do not.
    """
    for other in taken:
        s, t = other.start, other.end
        if e.start == e.end == s == t:
            return True
        if (e.start < t and s < e.end) or (e.start == s and e.end == t):
            return True
        if e.start == e.end and s < e.start < t:
            return True
        if s == t and e.start < s < e.end:
            return True
    return False


def replace(start: int, end: int, content: str) -> Edit:
    return Edit(start, end, content)


def replace_args(ins: Instruction, start: int, end: int, content: str) -> Edit:
    """Replace `ins.args[start:end]` (logical indices) with `content`.

    Only safe when the span lies on one physical line; use `replace_instruction` otherwise.
    """
    return Edit(ins.arg_src(start), ins.arg_src(end, end=True), content)


def insert_in_args(ins: Instruction, index: int, content: str) -> Edit:
    """Insert text at logical index `index` of `ins.args`."""
    pos = ins.arg_src(index, end=True)
    return Edit(pos, pos, content)


def replace_instruction(df: Dockerfile, ins: Instruction, new_text: str) -> Edit:
    """Replace an instruction's text (keyword to last byte before its final line ending).

    `new_text` may hold several lines separated by '\\n'; they get the file's newline and
    the instruction's indentation.
    """
    start = ins.start + len(ins.indent)
    body = _lines(df, new_text, ins.indent, first_indented=False)
    return Edit(start, ins.content_end, body)


def insert_before(df: Dockerfile, node: Node, new_text: str) -> Edit:
    """Insert whole lines before `node`, indented like it."""
    indent = node.indent if isinstance(node, Instruction) else ""
    nl = _newline(df)
    return Edit(node.start, node.start, _lines(df, new_text, indent) + nl)


def insert_after(df: Dockerfile, node: Node, new_text: str) -> Edit:
    """Insert whole lines after `node`; keeps the file's final-newline state."""
    indent = node.indent if isinstance(node, Instruction) else ""
    nl = _newline(df)
    body = _lines(df, new_text, indent)
    if node.end == len(df.text) and not df.text.endswith("\n"):
        # The node is the last line and has no newline: keep "no final newline".
        return Edit(node.end, node.end, nl + body)
    return Edit(node.end, node.end, body + nl)


def append(df: Dockerfile, new_text: str) -> Edit:
    """Append lines at the end of the file, keeping the final-newline state."""
    end = len(df.text)
    nl = _newline(df)
    body = _lines(df, new_text, "")
    if end == 0:
        return Edit(0, 0, body + nl)
    if not df.text.endswith("\n"):
        return Edit(end, end, nl + body)
    return Edit(end, end, body + nl)


def delete(df: Dockerfile, node: Node) -> Edit:
    """Delete a node with its line ending.

    Deleting the last line of a file without a final newline also removes the newline
    before it, so the file keeps ending without one.
    """
    if node.end == len(df.text) and not df.text.endswith("\n") and node.start > 0:
        prev_end = node.start
        cut = 2 if df.text[prev_end - 2 : prev_end] == "\r\n" else 1
        return Edit(node.start - cut, node.end, "")
    return Edit(node.start, node.end, "")


def _newline(df: Dockerfile) -> str:
    return df.newline


def _lines(df: Dockerfile, text: str, indent: str, first_indented: bool = True) -> str:
    nl = _newline(df)
    out = []
    for i, line in enumerate(text.split("\n")):
        line = line.rstrip("\r")
        if line and (i > 0 or first_indented):
            line = indent + line
        out.append(line)
    return nl.join(out)


def keyword_like(like: str, word: str) -> str:
    """`word` in the case style of `like` (`add` → `copy`, `ADD` → `COPY`, `Add` → `Copy`)."""
    if like.islower():
        return word.lower()
    if like[:1].isupper() and like[1:].islower():
        return word[:1].upper() + word[1:].lower()
    return word.upper()
