"""A small POSIX-shell tokenizer for RUN lines, with spans so fixers can edit words in place.

It is not a shell: it splits a command line into simple commands separated by `&&`, `||`,
`;`, `|` and `&`, and each command into words, keeping quotes in `raw` and removing them
in `value`. Subshells and `$(...)` are kept inside one word. That is what rules need to
answer "does this RUN call `apt-get install` without `-y`?" and to insert a flag after a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from hardenify.dockerfile.memo import Memo

OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&")
# Shells that run POSIX shell scripts (the program of `sh -c`, `RUN bash <<EOF`, a SHELL).
POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
# words that start a compound command; the program is the word after them
KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time", "xargs", "doas"})
_SUDO_VALUE_OPTS = frozenset({"-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-D"})


class Word(NamedTuple):
    """One shell word: `raw` as written, `value` with quotes and escapes removed.

    A NamedTuple rather than a frozen dataclass: the tokenizer makes one per word, and a
    tuple is several times cheaper to build (same fields, equality, hash and repr).
    """

    raw: str
    value: str
    start: int  # span in the tokenized string
    end: int


@dataclass
class Command(Memo):
    """A simple command: its words and the operator that came before it ('' for the first)."""

    words: list[Word] = field(default_factory=list)
    before: str = ""
    after: str = ""
    # program_index() and program(), computed once: rules ask every command for its program.
    _program: int | None = field(default=None, repr=False, compare=False)
    _program_name: str | None = field(default=None, repr=False, compare=False)
    _memo: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def argv(self) -> list[str]:
        return [w.value for w in self.words]

    @property
    def start(self) -> int:
        return self.words[0].start if self.words else 0

    @property
    def end(self) -> int:
        return self.words[-1].end if self.words else 0

    def program(self) -> str:
        """The program name, skipping env assignments, `sudo`, `env`, `exec`, `command` and paths."""
        if self._program_name is None:
            i = self.program_index()
            self._program_name = self.words[i].value.rsplit("/", 1)[-1] if i < len(self.words) else ""
        return self._program_name

    def program_index(self, start: int = 0) -> int:
        """Index of the program word, looking from words[start] (the result is relative to it)."""
        if start == 0:
            if self._program is None:
                self._program = self._program_index(0)
            return self._program
        return self._program_index(start)

    def _program_index(self, start: int) -> int:
        i = start
        words = self.words
        while i < len(words):
            v = words[i].value
            if "=" in v and not v.startswith("=") and v.split("=", 1)[0].replace("_", "").isalnum():
                i += 1
                continue
            if v in KEYWORDS:
                i += 1
                continue
            base = v.rsplit("/", 1)[-1]
            if base in _WRAPPERS:
                i += 1
                while i < len(words) and words[i].value.startswith("-"):
                    takes_value = base == "sudo" and words[i].value in _SUDO_VALUE_OPTS
                    i += 2 if takes_value else 1
                continue
            break
        return i - start

    def args(self) -> list[str]:
        """Arguments after the program name."""
        return [w.value for w in self.words[self.program_index() + 1 :]]

    def subcommand(self) -> str:
        """First non-option argument (`install` in `apt-get -q install x`)."""
        for a in self.args():
            if not a.startswith("-"):
                return a
        return ""

    def has_flag(self, *names: str) -> bool:
        """True when any of the flags is present, including combined short flags (-qy has -y)."""
        for a in self.args():
            if a == "--":
                break
            for n in names:
                if a == n or (n.startswith("--") and a.startswith(n + "=")):
                    return True
                if (
                    len(n) == 2
                    and n[0] == "-"
                    and n[1] != "-"
                    and a.startswith("-")
                    and not a.startswith("--")
                ):
                    if n[1] in a[1:]:
                        return True
        return False


_OP_START = frozenset("&|;")
_SPACE = frozenset(" \t\r\n")
_TWO_CHAR_OPS = frozenset({"&&", "||", ";;", "|&"})  # the rest of OPERATORS are one character
# Runs of characters that need no decision inside a word: at the top level (blanks and
# operators end the word) and inside `$(...)` (they do not); in double quotes.
_PLAIN = re.compile(r"[^ \t\r\n&|;\\'\"$()`]+")
_PLAIN_NESTED = re.compile(r"[^\\'\"$()`]+")
_PLAIN_DQ = re.compile(r'[^"\\]+')
_BLANKS = re.compile(r"[ \t\r]*")


def tokenize(s: str) -> list[Command]:
    """Split a shell line into simple commands. Never raises; an open quote runs to the end.

    Memoised: several rules tokenize the same RUN line on every pass of the fix loop.
    Callers must treat the result (the list is fresh, the commands are shared) as read-only.
    """
    return list(_tokenize_cached(s))


@lru_cache(maxsize=256)
def _tokenize_cached(s: str) -> tuple[Command, ...]:
    return tuple(_tokenize_impl(s))


def _tokenize_impl(s: str) -> list[Command]:
    commands: list[Command] = [Command()]
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\n":
            # a newline ends a command, as `;` does (heredoc scripts, `sh -c` bodies)
            if commands[-1].words:
                commands[-1].after = ";"
                commands.append(Command(before=";"))
            i += 1
            continue
        if c == "\\" and s.startswith("\n", i + 1):  # line continuation between words
            i += 2
            continue
        if c in _SPACE:
            i = _BLANKS.match(s, i).end()  # type: ignore[union-attr]
            continue
        if c == "#" and (i == 0 or s[i - 1] in " \t\r\n;&|("):
            nl = s.find("\n", i)
            i = n if nl == -1 else nl
            continue
        if c in _OP_START:
            op = s[i : i + 2]
            if op not in _TWO_CHAR_OPS:
                op = c
            commands[-1].after = op
            commands.append(Command(before=op))
            i += len(op)
            continue
        start = i
        m = _PLAIN.match(s, i)
        if m is not None:
            j = m.end()
            if j >= n or s[j] in _SPACE or s[j] in _OP_START:  # a plain word (most of them)
                word = m.group()
                commands[-1].words.append(Word(word, word, start, j))
                i = j
                continue
        value: list[str] = []
        depth = 0
        while i < n:
            m = (_PLAIN_NESTED if depth else _PLAIN).match(s, i)
            if m is not None:
                value.append(m.group())
                i = m.end()
                if i >= n:
                    break
            c = s[i]
            if depth == 0 and (c in _SPACE or c in _OP_START):
                break
            if c == "\\" and i + 1 < n:
                if s[i + 1] != "\n":
                    value.append(s[i + 1])
                i += 2
                continue
            if c == "'":
                j = s.find("'", i + 1)
                j = n if j == -1 else j
                value.append(s[i + 1 : j])
                i = j + 1
                continue
            if c == '"':
                j = i + 1
                while j < n and s[j] != '"':
                    dm = _PLAIN_DQ.match(s, j)
                    if dm is not None:
                        value.append(dm.group())
                        j = dm.end()
                        continue
                    if j + 1 < n:  # a backslash: keep the next character
                        value.append(s[j + 1])
                        j += 2
                        continue
                    value.append(s[j])
                    j += 1
                i = j + 1
                continue
            if c == "$" and i + 1 < n and s[i + 1] == "(":
                depth += 1
                value.append("$(")
                i += 2
                continue
            if c == "(" and depth > 0:
                depth += 1
            elif c == ")" and depth > 0:
                depth -= 1
            elif c == "`":
                j = s.find("`", i + 1)
                j = n if j == -1 else j
                value.append(s[i : j + 1])
                i = j + 1
                continue
            value.append(c)
            i += 1
        end = min(i, n)
        commands[-1].words.append(Word(s[start:end], "".join(value), start, end))
    return [c for c in commands if c.words]


def scan_quotes(s: str, end: int, *, backticks: bool = False) -> tuple[str, int, bool]:
    """The shell state at `s[end]`: (open quote "", "'" or '"', `$(` depth, backticks closed).

    A backslash escapes the next character outside single quotes. With `backticks`, a
    `` `...` `` is skipped whole, and an unclosed one stops the scan (third item False).
    """
    quote = ""
    depth = 0
    i = 0
    n = min(end, len(s))
    while i < n:
        c = s[i]
        if quote == "'":
            if c == "'":
                quote = ""
        elif c == "\\":
            i += 1
        elif quote == '"':
            if c == '"':
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "`" and backticks:
            j = s.find("`", i + 1)
            if j == -1:
                return quote, depth, False
            i = j
        elif c == "$" and s.startswith("(", i + 1):
            depth += 1
            i += 1
        elif c == ")" and depth > 0:
            depth -= 1
        i += 1
    return quote, depth, True


def quote_state(s: str, index: int) -> str:
    """The shell quoting in force at `s[index]`: "" (none), "'" or '"'."""
    return scan_quotes(s, index)[0]


def uses_shell_features(s: str) -> bool:
    """True when a command line needs a shell: operators, expansion, globbing, redirection."""
    quote = ""
    prev = ""
    for ch in s:
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "$" and quote == '"':
                return True
            prev = ch
            continue
        if ch in "'\"":
            quote = ch
        elif (
            ch in "$|&;<>*?`(){}[]~"
            or (ch == "\\" and prev != "\\")
            or (ch == "#" and prev in ("", " ", "\t"))
        ):
            return True
        prev = ch
    return bool(quote)
