"""What a RUN executes: its simple commands, with spans mapped back to file offsets.

`Instruction.commands` is the entry point (computed once per instruction and shared by every
rule). A RUN's shell text is its shell-form arguments plus the heredoc bodies that run as a
script (`RUN <<EOF`, `RUN bash -e <<EOF`), tokenized per line with nested heredoc bodies
skipped; `sh -c "..."` strings are looked into for detection. Nothing here raises on odd
input: unknown shapes yield no commands.
"""

from __future__ import annotations

import re
import weakref

from hardenify.dockerfile.model import Heredoc, Instruction, split_words
from hardenify.dockerfile.shell import POSIX_SHELLS, Command, Word, tokenize

# Shell words that may precede the program of a simple command.
_LEADING_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
HEREDOC_WORD = re.compile(r"^\d*<<-?(\S+)$")


class Script:
    """One piece of shell a RUN executes: its shell-form arguments or a heredoc script body.

    It refers to its instructions weakly and keeps what `pos` needs itself: the commands are
    cached on the instruction (`Instruction.commands`), and strong references back would
    make every parsed file a reference cycle that only the cyclic GC frees.
    """

    __slots__ = ("_arg_src", "_outer", "_run", "heredoc", "text")

    def __init__(self, outer: Instruction, run: Instruction, text: str, heredoc: Heredoc | None = None):
        self._outer = weakref.ref(outer)
        self._run = weakref.ref(run)
        self.text = text
        self.heredoc = heredoc
        self._arg_src = run.arg_mapper()

    @property
    def outer(self) -> Instruction:
        """The node in df.nodes (RUN, or the ONBUILD holding it); alive with its file."""
        return _alive(self._outer)

    @property
    def run(self) -> Instruction:
        """The RUN itself (== outer, or outer.sub)."""
        return _alive(self._run)

    def pos(self, index: int, *, end: bool = False) -> int:
        """File offset of an index into `text`."""
        if self.heredoc is not None:
            return self.heredoc.start + index
        return self._arg_src(index, end=end)

    def __repr__(self) -> str:
        return f"Script(text={self.text!r}, heredoc={self.heredoc!r})"


def _alive(ref: weakref.ReferenceType[Instruction]) -> Instruction:
    ins = ref()
    if ins is None:
        raise ReferenceError("the instruction of this script is gone (keep its Dockerfile alive)")
    return ins


class Cmd:
    """A simple command, starting at its program word (env assignments, sudo... are `prefix`)."""

    __slots__ = ("after", "before", "order", "parent", "prefix", "prog", "script", "words")

    def __init__(
        self,
        script: Script,
        words: list[Word],
        prefix: list[Word] | None = None,
        before: str = "",
        after: str = "",
        order: int = 0,
        parent: Cmd | None = None,
    ):
        self.script = script
        self.words = words
        self.prefix = [] if prefix is None else prefix
        self.before = before
        self.after = after
        self.order = order  # position among all commands of the RUN
        # Set for commands found inside `sh -c "..."`: visible to checks, but their words
        # have no file spans (positions and edits refer to the enclosing command).
        self.parent = parent
        # The program's name (`apt-get` for `/usr/bin/apt-get`); rules test it many times.
        self.prog = program_name(words[0].value) if words else ""

    def __repr__(self) -> str:
        return f"Cmd(words={[w.value for w in self.words]!r}, before={self.before!r}, after={self.after!r})"

    @property
    def values(self) -> list[str]:
        """Arguments after the program (quotes removed)."""
        return [w.value for w in self.words[1:]]

    @property
    def sudo(self) -> bool:
        return any(program_name(w.value) == "sudo" for w in self.prefix)

    @property
    def editable(self) -> bool:
        """Do the word spans map to the file (False inside `sh -c "..."`)?"""
        return self.parent is None

    def pos(self, index: int, *, end: bool = False) -> int:
        return self.script.pos(index, end=end)

    def span(self, last: int | None = None) -> tuple[int, int]:
        """File span from the program word to words[last] (default: the last word)."""
        if self.parent is not None:
            return self.parent.span()
        if not self.words:
            return (self.script.pos(0), self.script.pos(0))
        w = self.words[-1 if last is None else min(last, len(self.words) - 1)]
        return self.pos(self.words[0].start), self.pos(w.end, end=True)

    def word_end(self, index: int) -> int:
        """File offset right after words[index] (for inserting text after a word)."""
        return self.pos(self.words[index].end, end=True)


def program_name(value: str) -> str:
    return value.lstrip("(").rsplit("/", 1)[-1]


def script_heredocs(run: Instruction) -> list[Heredoc]:
    """Heredocs whose body runs as shell: `RUN <<EOF` or `RUN bash -e <<EOF`."""
    if not run.heredocs:
        return []
    rest = [w for w in split_words(run.args) if not HEREDOC_WORD.match(w)]
    if rest:
        if program_name(rest[0]) not in POSIX_SHELLS:
            return []
        i = 1
        while i < len(rest):
            if rest[i] == "-o" and i + 1 < len(rest):
                i += 2
                continue
            if not rest[i].startswith("-") or rest[i] == "-c":
                return []
            i += 1
        docs = [h for h in run.heredocs if h.fd in (None, 0)][:1]
    else:
        docs = list(run.heredocs)
    out = []
    for h in docs:
        first = h.content.split("\n", 1)[0].strip()
        if first.startswith("#!"):
            interp = first[2:].split()
            names = [program_name(x) for x in interp]
            if not names or not (
                names[0] in POSIX_SHELLS
                or (names[0] == "env" and len(names) > 1 and names[1] in POSIX_SHELLS)
            ):
                continue
        out.append(h)
    return out


def scripts(outer: Instruction, run: Instruction) -> list[Script]:
    out = [Script(outer, run, run.args)]
    out += [Script(outer, run, h.content, h) for h in script_heredocs(run)]
    return out


def effective(command: Command) -> tuple[list[Word], list[Word]]:
    """Split a command into (prefix words, words from the program on)."""
    words = command.words
    i = 0
    while i < len(words):
        i += command.program_index(i)
        if i < len(words) and words[i].value in _LEADING_KEYWORDS:
            i += 1
            continue
        break
    return words[:i], words[i:]


def tokenize_lines(text: str) -> list[Command]:
    """Tokenize a multi-line script: newlines separate commands; skips nested heredoc bodies."""
    out: list[Command] = []
    lines = text.split("\n")
    offset = 0
    chunk_start = 0
    chunk: list[str] = []
    pending_delims: list[tuple[str, bool]] = []
    for line in lines:
        line_start = offset
        offset += len(line) + 1
        if pending_delims:
            name, chomp = pending_delims[0]
            cmp = line.rstrip("\r")
            if (cmp.lstrip("\t") if chomp else cmp) == name:
                pending_delims.pop(0)
            continue
        if not chunk:
            chunk_start = line_start
        chunk.append(line)
        stripped = line.rstrip("\r").rstrip(" \t")
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            continue
        body = "\n".join(chunk)
        chunk = []
        # `\r` before a newline is line-ending noise, not part of a word: blank it (same length).
        body = body.replace("\r\n", " \n")
        if body.endswith("\r"):
            body = body[:-1] + " "
        for cmd in tokenize(body):
            out.append(_shifted(cmd, chunk_start))
            for w in cmd.words:
                if "<<" not in w.raw:
                    continue
                m = HEREDOC_WORD.match(w.raw)
                if m:
                    name = m.group(1).strip("'\"")
                    pending_delims.append((name, w.raw.lstrip("0123456789").startswith("<<-")))
    if chunk:
        body = "\n".join(chunk).replace("\r\n", " \n")
        for cmd in tokenize(body):
            out.append(_shifted(cmd, chunk_start))
    return out


def _shifted(cmd: Command, by: int) -> Command:
    if not by:
        return Command(list(cmd.words), cmd.before, cmd.after)
    words = [Word(w.raw, w.value, w.start + by, w.end + by) for w in cmd.words]
    return Command(words, cmd.before, cmd.after)


def script_commands(script: Script, start_order: int = 0) -> list[Cmd]:
    raw = tokenize_lines(script.text) if script.heredoc is not None else tokenize(script.text)
    out: list[Cmd] = []
    for command in raw:
        prefix, words = effective(command)
        if not words:
            continue
        cmd = Cmd(script, words, prefix, command.before, command.after, start_order + len(out))
        out.append(cmd)
        if cmd.prog in POSIX_SHELLS:
            out += _nested(cmd, start_order + len(out), 0)
    return out


def _nested(cmd: Cmd, order: int, depth: int) -> list[Cmd]:
    """Commands of `sh -c "..."` / `bash -ec '...'` (detection only, see Cmd.parent)."""
    if depth > 3 or cmd.prog not in POSIX_SHELLS:
        return []
    vals = cmd.values
    code = None
    for k, v in enumerate(vals):
        if v.startswith("-") and not v.startswith("--") and "c" in v[1:]:
            code = vals[k + 1] if k + 1 < len(vals) else None
            break
        if not v.startswith("-"):
            return []
    if not code:
        return []
    out: list[Cmd] = []
    for command in tokenize_lines(code):
        prefix, words = effective(command)
        if not words:
            continue
        sub = Cmd(cmd.script, words, prefix, command.before, command.after, order + len(out), parent=cmd)
        out.append(sub)
        out += _nested(sub, order + len(out), depth + 1)
    return out


def commands(outer: Instruction, run: Instruction) -> list[Cmd]:
    """Every simple command the RUN executes, in order (prefer the cached `outer.commands`)."""
    out: list[Cmd] = []
    for sc in scripts(outer, run):
        out += script_commands(sc, len(out))
    return out


def run_text(run: Instruction) -> str:
    """The shell text of a RUN (arguments and script heredoc bodies), for substring checks."""
    return "\n".join([run.args, *(h.content for h in script_heredocs(run))])
