"""Markdown that stays Markdown whatever a Dockerfile path or finding message contains.

PR bodies and fleet reports quote untrusted text (file names, messages); a stray `|` would
break a table, a `<` open an HTML tag on GitHub, and a backtick end a code span early.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def escape(text: str) -> str:
    """Plain text, safe in a paragraph or a table cell: specials backslash-escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def inline(text: str, *, cell: bool = True) -> str:
    """Like `escape`, but a message's own `code spans` stay code spans (escaping their
    backticks would show them literally); everything else is escaped."""
    text = " ".join(text.split())
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_SPECIAL.sub(r"\\\1", text[pos : m.start()]))
        out.append(code(m[1], cell=cell))
        pos = m.end()
    out.append(_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(out)


def code(text: str, *, cell: bool = True) -> str:
    """An inline code span that the text cannot close early; `cell`: escape `|` for a table."""
    text = " ".join(text.split())
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link(label: str, url: str) -> str:
    """`[label](url)` with the label escaped; only http(s) URLs become links."""
    if not url.startswith(("https://", "http://")):
        return escape(label)
    return f"[{escape(label)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> list[str]:
    """A GitHub-flavoured table; cells must already be escaped (see `escape` and `code`)."""
    align = align or ["l"] * len(header)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines
