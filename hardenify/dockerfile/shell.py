"""A small POSIX-shell tokenizer for RUN lines, with spans so fixers can edit words in place.

It is not a shell: it splits a command line into simple commands separated by `&&`, `||`,
`;`, `|` and `&`, and each command into words, keeping quotes in `raw` and removing them
in `value`. Subshells and `$(...)` are kept inside one word. That is what rules need to
answer "does this RUN call `apt-get install` without `-y`?" and to insert a flag after a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&")
# words that start a compound command; the program is the word after them
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time", "xargs", "doas"})
_SUDO_VALUE_OPTS = frozenset({"-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-D"})


@dataclass(frozen=True)
class Word:
    raw: str
    value: str
    start: int  # span in the tokenized string
    end: int


@dataclass
class Command:
    """A simple command: its words and the operator that came before it ('' for the first)."""

    words: list[Word] = field(default_factory=list)
    before: str = ""
    after: str = ""

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
        i = self.program_index()
        return self.words[i].value.rsplit("/", 1)[-1] if i < len(self.words) else ""

    def program_index(self) -> int:
        i = 0
        words = self.words
        while i < len(words):
            v = words[i].value
            if "=" in v and not v.startswith("=") and v.split("=", 1)[0].replace("_", "").isalnum():
                i += 1
                continue
            if v in _KEYWORDS:
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
        return i

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


def tokenize(s: str) -> list[Command]:
    """Split a shell line into simple commands. Never raises; an open quote runs to the end.

    Memoised: several rules tokenize the same RUN line on every pass of the fix loop.
    Callers must treat the result as read-only.
    """
    return _tokenize(s)


@lru_cache(maxsize=4096)
def _tokenize_cached(s: str) -> tuple[Command, ...]:
    return tuple(_tokenize_impl(s))


def _tokenize(s: str) -> list[Command]:
    return list(_tokenize_cached(s))


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
            i += 1
            continue
        if c == "#" and (i == 0 or s[i - 1] in " \t\r\n;&|("):
            nl = s.find("\n", i)
            i = n if nl == -1 else nl
            continue
        op = next((o for o in OPERATORS if s.startswith(o, i)), None) if c in _OP_START else None
        if op is not None:
            commands[-1].after = op
            commands.append(Command(before=op))
            i += len(op)
            continue
        start = i
        value: list[str] = []
        depth = 0
        while i < n:
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
                    if s[j] == "\\" and j + 1 < n:
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
