"""A lossless `.dockerignore` model that matches paths the way BuildKit does.

Rules ask "does this build context ship `.env`?" and the fixer appends missing entries, so
the model must answer with Docker's own semantics (moby/patternmatcher, as used by BuildKit)
and must give back the file untouched: `render()` is the input, CRLF, BOM, missing final
newline and all. Nothing here raises on bad input; a pattern Docker would reject is kept with
its `error` set and never matches.

How Docker reads the file (moby/patternmatcher `ignorefile.ReadAll` and `New`):

- lines are split on LF; a trailing CR is dropped; a UTF-8 BOM on the first line is dropped;
- a line whose first character is `#` is a comment (an indented `#` is a pattern);
- surrounding whitespace is trimmed; empty lines are skipped;
- a leading `!` makes an exception (re-include); the rest is cleaned with Go's
  `filepath.Clean` and a leading `/` is removed, so `/a/./b/` means `a/b`;
- `*`, `?`, `[...]` and `\\` follow Go's `filepath.Match` within one path segment, `**`
  matches any number of directories (`**/x`, `x/**`, `a/**/b`);
- a pattern that matches a directory also matches everything below it;
- the last matching pattern wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from hardenify.diagnostics import Edit

BOM = "\ufeff"

LineKind = Literal["blank", "comment", "pattern"]
_MatchType = Literal["exact", "prefix", "suffix", "regex"]


class PatternSyntaxError(ValueError):
    """A pattern Go's `filepath.Match` rejects; Docker then refuses to build."""


def go_clean(path: str) -> str:
    """Go's `filepath.Clean` for `/` paths: the normalisation Docker applies to patterns.

    Unlike `posixpath.normpath` it never keeps a leading `//`, and `..` above a rooted
    path is dropped; an empty result is `.`.
    """
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
        else:
            parts.append(seg)
    body = "/".join(parts)
    if rooted:
        return "/" + body
    return body or "."


def _normalise_path(path: str) -> str:
    """A context-relative path as Docker compares it: cleaned, no leading `/` or `./`."""
    return go_clean(path).lstrip("/") or "."


def _class_regex(pattern: str, i: int) -> tuple[str, int]:
    """Translate the `[...]` class starting at pattern[i] (the `[`); returns (regex, next index).

    Follows Go's `filepath.Match`: `^` negates, `\\` escapes, `lo-hi` ranges, and a class
    must hold at least one item (`[]`, `[-a]` and an unterminated `[` are errors).
    """
    n = len(pattern)
    j = i + 1
    negated = j < n and pattern[j] == "^"
    if negated:
        j += 1
    items: list[str] = []
    count = 0

    def char_at(k: int) -> tuple[str, int]:
        if k >= n or pattern[k] in "-]":
            raise PatternSyntaxError("syntax error in pattern")
        if pattern[k] == "\\":
            k += 1
            if k >= n:
                raise PatternSyntaxError("syntax error in pattern")
        return pattern[k], k + 1

    while True:
        if j < n and pattern[j] == "]" and count > 0:
            j += 1
            break
        lo, j = char_at(j)
        hi = lo
        if j < n and pattern[j] == "-":
            hi, j = char_at(j + 1)
        if j >= n:
            raise PatternSyntaxError("syntax error in pattern")
        count += 1
        if lo <= hi:  # an inverted range matches nothing in Go; Python would reject it
            items.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
    if not items:
        return ("[\\s\\S]" if negated else "(?!)"), j
    return f"[{'^' if negated else ''}{''.join(items)}]", j


class _Matcher:
    """One compiled pattern, with moby's fast paths so odd cases behave exactly like Docker.

    moby treats a pattern starting with `**` and otherwise literal as a plain suffix test
    and one ending in `**` after literal text as a prefix test; `**foo` therefore matches
    `barfoo`. We keep those quirks rather than "fixing" them. (A plain slotted class: a
    dataclass costs measurable start-up time and buys nothing here.)
    """

    __slots__ = ("kind", "regex", "text")

    def __init__(self, kind: _MatchType, text: str, regex: re.Pattern[str] | None = None) -> None:
        self.kind = kind
        self.text = text
        self.regex = regex

    def __call__(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None


def compile_pattern(pattern: str) -> _Matcher:
    """Compile a cleaned pattern (no `!`) the way moby's `Pattern.compile` does.

    Raises `PatternSyntaxError` for what `filepath.Match` rejects.
    """
    out = ["^"]
    kind: _MatchType = "exact"
    n = len(pattern)
    i = 0
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                first = i == 0
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1  # `**/` is `**`
                if i >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        out.append(".*")
                        kind = "regex"
                else:
                    out.append("(?:.*/)?")
                    kind = "regex"
                if first:
                    kind = "suffix"
                continue
            out.append("[^/]*")
            kind = "regex"
        elif ch == "?":
            out.append("[^/]")
            kind = "regex"
        elif ch == "\\":
            if i + 1 >= n:
                raise PatternSyntaxError("syntax error in pattern (trailing backslash)")
            out.append(re.escape(pattern[i + 1]))
            kind = "regex"
            i += 1
        elif ch == "[":
            cls, i = _class_regex(pattern, i)
            out.append(cls)
            kind = "regex"
            continue
        else:
            out.append(re.escape(ch))
        i += 1
    if kind != "regex":
        return _Matcher(kind, pattern)
    out.append(r"\Z")
    return _Matcher("regex", pattern, re.compile("".join(out), re.DOTALL))


class Line(NamedTuple):
    """One physical line: [start, end) is its content without the line ending.

    A BOM is not part of line 1's content (Docker drops it), so `start` is 1 there.
    """

    number: int
    start: int
    end: int
    newline: str  # "\n", "\r\n" or "" for a last line without one
    kind: LineKind


@dataclass(frozen=True)
class Pattern:
    """One pattern line. [start, end) spans the trimmed text as written (with any `!`)."""

    line: int
    start: int
    end: int
    raw: str
    # The cleaned pattern Docker matches against, without the leading `!`.
    pattern: str
    negated: bool = False
    # Why Docker would reject this pattern, or None.
    error: str | None = None
    _matcher: _Matcher | None = field(default=None, repr=False, compare=False)

    def matches(self, path: str) -> bool:
        """Does this pattern match `path` or one of its parent directories?

        `path` must already be normalised (see `DockerIgnore.excludes`).
        """
        m = self._matcher
        if m is None:
            return False
        if m(path):
            return True
        parts = path.split("/")
        return any(m("/".join(parts[:k])) for k in range(1, len(parts)))


def _parse_pattern(line_no: int, content: str, offset: int) -> Pattern:
    """Apply ReadAll's trimming and cleaning to one non-comment, non-blank line."""
    lead = len(content) - len(content.lstrip())
    raw = content.strip()
    start = offset + lead
    end = start + len(raw)
    p = raw
    invert = p.startswith("!")
    if invert:
        p = p[1:].strip()
    if p:
        p = go_clean(p)
        if len(p) > 1 and p.startswith("/"):
            p = p[1:]
    final = ("!" + p) if invert else p
    # patternmatcher.New strips one `!` from the final string, so `/!x` becomes an exception.
    negated = final.startswith("!")
    body = final[1:] if negated else final
    if negated and not body:
        return Pattern(line_no, start, end, raw, body, True, 'illegal exclusion pattern: "!"')
    try:
        matcher = compile_pattern(body)
    except PatternSyntaxError as exc:
        return Pattern(line_no, start, end, raw, body, negated, str(exc))
    return Pattern(line_no, start, end, raw, body, negated, None, matcher)


class DockerIgnore(NamedTuple):
    """A parsed `.dockerignore`; `text` is the exact input and every span points into it."""

    text: str
    lines: tuple[Line, ...]
    patterns: tuple[Pattern, ...]
    newline: str
    final_newline: bool
    bom: bool

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        """Parse without ever raising; bad patterns carry an `error`."""
        bom = text.startswith(BOM)
        lines: list[Line] = []
        patterns: list[Pattern] = []
        pos = 0
        number = 0
        crlf = lf = 0
        n = len(text)
        while pos < n:
            number += 1
            nl_at = text.find("\n", pos)
            if nl_at < 0:
                end, nxt, newline = n, n, ""
            else:
                nxt = nl_at + 1
                if nl_at > pos and text[nl_at - 1] == "\r":
                    end, newline = nl_at - 1, "\r\n"
                    crlf += 1
                else:
                    end, newline = nl_at, "\n"
                    lf += 1
            cstart = pos + 1 if number == 1 and bom else pos
            content = text[cstart:end]
            kind: LineKind
            if content.startswith("#"):
                kind = "comment"
            elif not content.strip():
                kind = "blank"
            else:
                kind = "pattern"
                patterns.append(_parse_pattern(number, content, cstart))
            lines.append(Line(number, cstart, end, newline, kind))
            pos = nxt
        return cls(
            text=text,
            lines=tuple(lines),
            patterns=tuple(patterns),
            newline="\r\n" if crlf > lf else "\n",
            final_newline=not text or text.endswith("\n") or text == BOM,
            bom=bom,
        )

    def render(self) -> str:
        """The file as read, byte for byte."""
        return self.text

    @property
    def errors(self) -> list[Pattern]:
        """Patterns Docker would reject (the build fails with an error on them)."""
        return [p for p in self.patterns if p.error is not None]

    def last_match(self, path: str) -> Pattern | None:
        """The pattern that decides `path`: the last one matching it or a parent directory."""
        norm = _normalise_path(path)
        if norm in (".", ""):
            return None
        for pat in reversed(self.patterns):
            if pat.matches(norm):
                return pat
        return None

    def excludes(self, path: str) -> bool:
        """Would `docker build` leave `path` (relative to the context) out of the context?"""
        pat = self.last_match(path)
        return pat is not None and not pat.negated

    def would_reinclude(self, path: str) -> bool:
        """Is `path` kept in the context on purpose, by a `!` exception that decides it?

        The fixer asks this before appending an entry for a sensitive path: when the
        user wrote `!.env.example`, appending `.env*` would silently undo their exception
        (it would come last, and the last match wins), so the fixer must leave the entry
        out and report instead. True when the deciding pattern is an exception, whether or
        not an earlier pattern excluded the path.
        """
        pat = self.last_match(path)
        return pat is not None and pat.negated

    def append_lines(self, lines: Iterable[str]) -> Edit:
        """An `Edit` appending `lines` at the very end, in the file's newline style.

        New entries always go after every existing line: the last matching pattern wins,
        so an entry placed before a later `!` exception could be undone by it, while an
        entry at the end decides for itself. A file without a final newline keeps having
        none; an empty (or BOM-only) file gets a final newline.
        """
        new = list(lines)
        if not new:
            raise ValueError("append_lines: nothing to append")
        for item in new:
            if "\n" in item or "\r" in item:
                raise ValueError(f"append_lines: {item!r} spans several lines")
        end = len(self.text)
        body = self.newline.join(new)
        if end == 0 or self.text == BOM:
            return Edit(end, end, body + self.newline)
        if self.text.endswith("\n"):
            return Edit(end, end, body + self.newline)
        return Edit(end, end, self.newline + body)

    def appended(self, lines: Iterable[str]) -> str:
        """The text with `lines` appended (see `append_lines`)."""
        edit = self.append_lines(lines)
        return self.text[: edit.start] + edit.content + self.text[edit.end :]
