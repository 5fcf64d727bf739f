"""Text-span edits on a compose file, written the way the file already writes things.

Every function returns one `Edit` (or None when the file is written in a form the edit
cannot express safely): new keys go on new lines after the last entry of their mapping,
indented like its keys; list items follow the list's own flow or block style; a scalar is
replaced inside its own span, keeping its quotes. Nothing else in the file is touched.
Callers verify the result by re-loading it (`hardenify.compose.verify`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hardenify.compose.model import (
    BREAK_RE,
    NULL_TAG,
    ComposeFile,
    Node,
    is_empty,
    is_flow,
    is_map,
    is_scalar,
    is_seq,
)
from hardenify.diagnostics import Edit


@dataclass(frozen=True)
class Flow:
    """A list to write in flow style (`[a, b]`) whatever the file prefers."""

    items: tuple[Any, ...]


# Plain scalars that YAML 1.2 (or a YAML 1.1 reader such as docker-compose v1) would not read
# as the string written: booleans, null, numbers, sexagesimal-looking `80:80`.
_NOT_STRING_RE = re.compile(
    r"(?:true|false|yes|no|on|off|y|n|null|~|"
    r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*|0o[0-7]+|0x[0-9a-fA-F]+|"
    r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.inf|\.nan)",
    re.IGNORECASE,
)
_PLAIN_BLOCK_RE = re.compile(r"[A-Za-z0-9_./~$][A-Za-z0-9_./:=+@$~{}()-]*")
_PLAIN_FLOW_RE = re.compile(r"[A-Za-z0-9_./~$][A-Za-z0-9_./=+@$~()-]*")
_PREFIX_RE = re.compile(r"(?:[&!][^\s]*[ \t]+)*")


# ------------------------------------------------------------------------------ rendering


def plain_ok(value: str, *, flow: bool) -> bool:
    """Can `value` be written unquoted and still read back as this string?"""
    pattern = _PLAIN_FLOW_RE if flow else _PLAIN_BLOCK_RE
    return (
        bool(pattern.fullmatch(value))
        and not _NOT_STRING_RE.fullmatch(value)
        and not value.endswith(":")
        and ": " not in value
    )


def quote(value: str, q: str) -> str:
    if q == "'":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scalar(cf: ComposeFile, value: Any, *, flow: bool = False) -> str:
    """A Python scalar as YAML text, quoted (in the file's quote style) only when needed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return text if plain_ok(text, flow=flow) else quote(text, cf.style()["quote"])


def flow_value(cf: ComposeFile, value: Any) -> str:
    if isinstance(value, Flow):
        value = list(value.items)
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{scalar(cf, k, flow=True)}: {flow_value(cf, v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow_value(cf, v) for v in value) + "]"
    return scalar(cf, value, flow=True)


def _scalars(items: Iterable[Any]) -> bool:
    return all(not isinstance(i, (dict, list, tuple, Flow)) for i in items)


def block_lines(cf: ComposeFile, key: str, value: Any, col: int) -> list[str]:
    """`key: value` as block-style lines starting at column `col` (no line breaks)."""
    style = cf.style()
    pad = " " * col
    k = scalar(cf, key)
    if isinstance(value, Flow):
        return [f"{pad}{k}: {flow_value(cf, value)}"]
    if isinstance(value, dict):
        out = [f"{pad}{k}:"]
        for kk, vv in value.items():
            out += block_lines(cf, kk, vv, col + style["indent"])
        return out
    if isinstance(value, (list, tuple)):
        if not value or (style["flow_lists"] and _scalars(value)):
            return [f"{pad}{k}: {flow_value(cf, list(value))}"]
        return [f"{pad}{k}:", *item_lines(cf, value, col + style["seq_indent"])]
    return [f"{pad}{k}: {scalar(cf, value)}"]


def item_lines(cf: ComposeFile, items: Iterable[Any], dash_col: int) -> list[str]:
    out: list[str] = []
    pad = " " * dash_col
    for item in items:
        if isinstance(item, dict) and item:
            first = True
            for kk, vv in item.items():
                lines = block_lines(cf, kk, vv, dash_col + 2)
                if first:
                    lines[0] = pad + "- " + lines[0][dash_col + 2 :]
                    first = False
                out += lines
        elif isinstance(item, (dict, list, tuple, Flow)):
            out.append(f"{pad}- {flow_value(cf, item)}")
        else:
            out.append(f"{pad}- {scalar(cf, item)}")
    return out


# ---------------------------------------------------------------------------- positions


def node_end(cf: ComposeFile, node: Node) -> int | None:
    """Offset just after a node's last character (None when it cannot be told)."""
    if is_scalar(node) or is_flow(node):
        return int(node.end_mark.index)
    if is_map(node) and node.value:
        return pair_end(cf, node, len(node.value) - 1)
    if is_seq(node) and node.value:
        return item_end(cf, node, len(node.value) - 1)
    return None


def pair_end(cf: ComposeFile, mapping: Node, index: int) -> int | None:
    """Offset just after the value of the pair at `index` (the colon for an empty value)."""
    k, v = mapping.value[index]
    key_end = int(k.end_mark.index)
    slot = str(k.value) if is_scalar(k) else None
    merge = is_scalar(k) and k.tag == "tag:yaml.org,2002:merge"
    if merge and is_seq(v):
        return node_end(cf, v)
    if (merge or (slot is not None and cf.is_alias(mapping, slot))) and getattr(v, "anchor", None):
        m = re.compile(r"[ \t]*:[ \t]*\*" + re.escape(v.anchor) + r"(?=[\s,\]}]|$)").match(cf.text, key_end)
        return m.end() if m else None
    if merge or (slot is not None and cf.is_alias(mapping, slot)):
        return None
    if is_empty(v):
        m = re.compile(r"[ \t]*:").match(cf.text, key_end)
        return m.end() if m else None
    return node_end(cf, v)


def item_end(cf: ComposeFile, seq: Node, index: int) -> int | None:
    item = seq.value[index]
    if cf.is_alias(seq, index):
        if not getattr(item, "anchor", None):
            return None
        start = item_end(cf, seq, index - 1) if index > 0 else int(seq.start_mark.index)
        if start is None:
            return None
        m = re.compile(r"(?:\s+|#[^\r\n]*|-)*\*" + re.escape(item.anchor) + r"(?=[\s,\]}]|$)").match(
            cf.text, start
        )
        return m.end() if m else None
    if is_scalar(item) and item.tag == NULL_TAG and item.start_mark.index == item.end_mark.index:
        return None
    return node_end(cf, item)


def after_line(cf: ComposeFile, end: int) -> tuple[int, bool]:
    """Where whole lines go after the line holding `end`, and whether the text lacks a final
    line break there (so the insertion must bring its own)."""
    if end > 0 and cf.at_line_start(end):
        return end, False
    m = BREAK_RE.search(cf.text, end)
    if m:
        return m.end(), False
    return len(cf.text), True


def _lines_at(cf: ComposeFile, end: int, lines: Sequence[str]) -> Edit:
    pos, bare = after_line(cf, end)
    nl = cf.newline
    body = nl.join(lines)
    return Edit(pos, pos, nl + body if bare else body + nl)


# ---------------------------------------------------------------------------------- edits


def insert_keys(cf: ComposeFile, mapping: Node, items: Sequence[tuple[str, Any]]) -> Edit | None:
    """Add `key: value` pairs at the end of a mapping, in its flow or block style."""
    if not is_map(mapping) or not items:
        return None
    if is_flow(mapping):
        body = ", ".join(f"{scalar(cf, k, flow=True)}: {flow_value(cf, v)}" for k, v in items)
        return _flow_append(cf, mapping, "{", "}", body)
    if not mapping.value:
        return None
    first = mapping.value[0][0]
    col = int(first.start_mark.column)
    if cf.column(int(first.start_mark.index)) != col:
        return None
    last_key, last_value = mapping.value[-1]
    end = pair_end(cf, mapping, len(mapping.value) - 1)
    if end is None:
        return None
    lines: list[str] = []
    for key, value in items:
        lines += block_lines(cf, key, value, col)
    if is_scalar(last_value) and last_value.style in ("|", ">") and after_line(cf, end)[1]:
        # A block scalar ending the file without a line break: a line after it would add a
        # trailing newline to its value, so the new keys go before its key instead.
        start = int(last_key.start_mark.index)
        ls = cf.line_start(start)
        if cf.text[ls:start].strip(" \t"):
            return None
        return Edit(ls, ls, "".join(line + cf.newline for line in lines))
    return _lines_at(cf, end, lines)


def append_items(cf: ComposeFile, seq: Node, items: Sequence[Any]) -> Edit | None:
    """Add items at the end of a sequence, in its flow or block style."""
    if not is_seq(seq) or not items:
        return None
    if is_flow(seq):
        body = ", ".join(flow_value(cf, i) for i in items)
        return _flow_append(cf, seq, "[", "]", body)
    if not seq.value:
        return None
    dash = int(seq.start_mark.index)
    if cf.text[dash : dash + 1] != "-":
        return None
    end = item_end(cf, seq, len(seq.value) - 1)
    if end is None:
        return None
    return _lines_at(cf, end, item_lines(cf, items, cf.column(dash)))


def _flow_append(cf: ComposeFile, node: Node, open_: str, close: str, body: str) -> Edit | None:
    end = int(node.end_mark.index)
    if end <= 0 or cf.text[end - 1] != close:
        return None
    if node.value:
        last = node.value[-1]
        last_end = (
            item_end(cf, node, len(node.value) - 1)
            if is_seq(node)
            else pair_end(cf, node, len(node.value) - 1)
        )
        if last_end is None or (is_seq(node) and is_map(last) and not is_flow(last)):
            return None
        return Edit(last_end, last_end, ", " + body)
    start = cf.text.find(open_, int(node.start_mark.index), end)
    if start < 0:
        return None
    return Edit(start + 1, start + 1, body)


def remove_pair(cf: ComposeFile, mapping: Node, index: int) -> Edit | None:
    """Delete one `key: value` pair (its whole line(s) in block style). None when the pair
    is the mapping's only one (the mapping would become null) or shares its line."""
    if not is_map(mapping) or len(mapping.value) < 2 or not 0 <= index < len(mapping.value):
        return None
    k = mapping.value[index][0]
    start = int(k.start_mark.index)
    end = pair_end(cf, mapping, index)
    if end is None:
        return None
    if is_flow(mapping):
        if index + 1 < len(mapping.value):
            return Edit(start, int(mapping.value[index + 1][0].start_mark.index))
        prev = pair_end(cf, mapping, index - 1)
        return Edit(prev, end) if prev is not None else None
    ls = cf.line_start(start)
    if cf.text[ls:start].strip(" \t"):
        return None
    pos, bare = after_line(cf, end)
    if bare and ls > 0:
        m = list(BREAK_RE.finditer(cf.text, max(ls - 2, 0), ls))
        ls = m[-1].start() if m else ls
    return Edit(ls, pos)


def scalar_span(cf: ComposeFile, node: Node) -> tuple[int, int] | None:
    """The characters of a single-line plain or quoted scalar (anchor/tag prefix excluded)."""
    if not is_scalar(node) or node.style not in (None, "'", '"'):
        return None
    start, end = int(node.start_mark.index), int(node.end_mark.index)
    m = _PREFIX_RE.match(cf.text, start, end)
    if m:
        start = m.end()
    if start >= end or BREAK_RE.search(cf.text, start, end):
        return None
    return start, end


def replace_scalar(
    cf: ComposeFile, node: Node, value: str, *, flow: bool = False, literal: bool = False
) -> Edit | None:
    """Write `value` in place of a scalar, keeping its quote style (plain stays plain when it
    can). `literal` writes a plain scalar as given, for values meant as YAML (`false`, `5`)."""
    span = scalar_span(cf, node)
    if span is None:
        return None
    if node.style in ("'", '"'):
        new = quote(value, node.style)
    elif literal or plain_ok(value, flow=flow):
        new = value
    else:
        new = quote(value, cf.style()["quote"])
    return Edit(span[0], span[1], new)
