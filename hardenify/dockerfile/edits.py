"""The edit API fixers use. Every helper returns `Edit`s; nothing here touches files.

Inserted lines take the file's own line ending and the indentation of their neighbour, so a
CRLF file stays CRLF and an indented block stays indented. Untouched bytes are never
re-serialised.
"""

from __future__ import annotations

from hardenify.diagnostics import Edit
from hardenify.dockerfile.model import Dockerfile, Instruction, Node


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
