"""What a RUN executes: its shell scripts and their simple commands, mapped back to the file.

The one RUN model (issue 13). `run_scripts(ins)` lists the shell scripts an instruction runs:

- `args`: the shell-form arguments (`RUN apt-get update && ...`);
- `heredoc`: a heredoc body that runs as a script (`RUN <<EOF`, `RUN bash -e <<EOF`); not a
  data heredoc (`cat <<EOF >f`), not one fed to another program (`python3 <<EOF`), not one
  whose shebang names a non-shell interpreter;
- `json`: the `-c` string of an exec-form `["sh", "-c", "..."]`;
- `exec`: an exec form without a shell (one command, executed directly);
- `nested`: the `-c` string of a `sh -c '...'` / `bash -ec "..."` command inside one of the
  above (detection only: its text is one word of the enclosing script, so it is not editable).

Every script is tokenized once (`Script.commands()`): a heredoc, json or nested script is a
script file, so an unquoted newline ends a command, a quoted one does not, comments are
blanked and the bodies of heredocs nested in it are skipped (same length, so offsets hold).
`Instruction.commands` is the same token stream for the whole instruction, in execution order
(the commands of a nested script follow the `sh -c` command that runs them).

All of it is computed once per instruction and cached on it; treat it as read-only. Nothing
here raises on odd input: unknown shapes yield no commands.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

from hardenify.dockerfile.memo import Memo
from hardenify.dockerfile.model import Heredoc, Instruction, split_words
from hardenify.dockerfile.shell import KEYWORDS, POSIX_SHELLS, Command, Word, tokenize

# Reserved words that may precede the program of a simple command (`then chmod 777 x` runs
# chmod; `! grep`, `{ make; }`). Only unquoted ones are reserved. `fi`, `done`, `}` and `esac`
# end a compound command: a command made of them alone runs no program.
RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "(", "time", "esac"}
)
# Words that start or end compound commands (edits must not remove a command next to them).
SHELL_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!", "{", "}"}
)
HEREDOC_WORD = re.compile(r"^\d*<<-?(\S+)$")
KINDS = ("args", "heredoc", "json", "exec", "nested")
_NESTED_DEPTH = 3


def program_name(value: str) -> str:
    """The program's name as a rule tests it (`apt-get` for `/usr/bin/apt-get`, `(cd` → `cd`)."""
    return value.lstrip("(").rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------------- scripts


class Script:
    """One piece of shell an instruction runs, and how to map an index in `text` to the file.

    It refers to its instructions weakly: scripts are cached on the instruction, and strong
    references back would make every parsed file a cycle that only the cyclic GC frees.
    """

    __slots__ = (
        "__weakref__",
        "_commands",
        "_map",
        "_outer",
        "_run",
        "escape",
        "fixed",
        "heredoc",
        "kind",
        "text",
    )

    def __init__(
        self,
        outer: Instruction,
        run: Instruction,
        kind: str,
        text: str,
        *,
        heredoc: Heredoc | None = None,
        fixed: tuple[int, int] | None = None,
        escape: str = "\\",
    ) -> None:
        self._outer = weakref.ref(outer)
        self._run = weakref.ref(run)
        self.kind = kind  # one of KINDS
        self.text = text
        self.heredoc = heredoc  # kind "heredoc": the body
        # kinds "json", "exec", "nested": the file span every position maps to
        self.fixed = fixed
        self.escape = escape  # the line continuation character of the source text
        self._map = run.arg_mapper() if kind == "args" else None
        self._commands: list[Cmd] | None = None

    def __repr__(self) -> str:
        return f"Script(kind={self.kind!r}, text={self.text!r})"

    @property
    def outer(self) -> Instruction:
        """The node in df.nodes (the RUN, or the ONBUILD holding it); alive with its file."""
        return _alive(self._outer)

    @property
    def run(self) -> Instruction:
        """The RUN itself (== outer, or outer.sub)."""
        return _alive(self._run)

    @property
    def editable(self) -> bool:
        """Can an edit keep the layout (the text maps character by character to the file)?"""
        return self.kind in ("args", "heredoc")

    def pos(self, index: int, *, end: bool = False) -> int:
        """File offset of an index into `text` (the fixed span's start for json/exec/nested)."""
        if self.fixed is not None:
            return self.fixed[0]
        if self.heredoc is not None:
            return self.heredoc.start + index
        if self._map is not None:
            return self._map(index, end=end)
        return 0

    def span(self, start: int, end: int) -> tuple[int, int]:
        """File span of `text[start:end]` (the fixed span for json/exec/nested scripts)."""
        if self.fixed is not None:
            return self.fixed
        s = self.pos(start)
        return s, max(self.pos(end, end=True), s)

    def commands(self) -> list[Cmd]:
        """The script's simple commands, in order (computed once; shared, read-only).

        Every simple command is listed, also those that run no program (`fi`, `FOO=1`):
        their `words` are empty, `all_words` has them.
        """
        if self._commands is None:
            self._commands = _script_commands(self, 0, None, 0)[0]
        return self._commands


def _alive(ref: weakref.ReferenceType[Instruction]) -> Instruction:
    ins = ref()
    if ins is None:
        raise ReferenceError("the instruction of this script is gone (keep its Dockerfile alive)")
    return ins


# ---------------------------------------------------------------------------------- commands


class Cmd(Memo):
    """A simple command: `words` start at its program; what precedes it is `prefix`.

    The prefix holds unquoted reserved words (`then`, `!`, `{`), assignments (`FOO=1`) and
    wrappers with their options (`sudo -u app`, `env`, `exec`, `nohup`, `time`, `xargs`).
    `all_words` is every word (`prefix + words`); `start`/`end`/`before`/`after` describe the
    whole simple command in `script.text`.
    """

    __slots__ = ("_memo", "_script", "command", "order", "parent", "prefix", "prog", "words")

    def __init__(
        self,
        script: Script,
        command: Command,
        order: int = 0,
        parent: Cmd | None = None,
    ) -> None:
        # Weak: a script caches its commands, so a strong reference back would make every
        # parsed file a cycle that only the cyclic GC frees. Keep the script while using this.
        self._script = weakref.ref(script)
        self.command = command
        k = program_index(command)
        self.prefix = command.words[:k]
        self.words = command.words[k:]
        self.order = order  # position among all commands of the instruction
        # Set for commands of a `sh -c "..."` script: visible to checks, but their words have
        # no file spans (positions and edits refer to the enclosing command).
        self.parent = parent
        # The program's name (`apt-get` for `/usr/bin/apt-get`); "" when none runs.
        self.prog = program_name(self.words[0].value) if self.words else ""
        self._memo: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Cmd(words={[w.value for w in self.words]!r}, before={self.before!r}, after={self.after!r})"

    @property
    def script(self) -> Script:
        """The script this command is part of (alive while its instruction or caller holds it)."""
        script = self._script()
        if script is None:
            raise ReferenceError("the script of this command is gone (keep the Script alive)")
        return script

    @property
    def program(self) -> str:
        return self.prog

    @property
    def all_words(self) -> list[Word]:
        return self.command.words

    @property
    def program_index(self) -> int:
        """Index of the program word in `all_words` (== len(prefix))."""
        return len(self.prefix)

    @property
    def before(self) -> str:
        """The operator before the command ('' for the first; ';' for a newline)."""
        return self.command.before

    @property
    def after(self) -> str:
        return self.command.after

    @property
    def start(self) -> int:
        """Index in `script.text` of the command's first word (prefix included)."""
        return self.command.start

    @property
    def end(self) -> int:
        return self.command.end

    @property
    def values(self) -> list[str]:
        """Arguments after the program (quotes removed)."""
        return [w.value for w in self.words[1:]]

    @property
    def argv(self) -> list[str]:
        """The program word and its arguments (quotes removed)."""
        return [w.value for w in self.words]

    @property
    def sudo(self) -> bool:
        return any(program_name(w.value) == "sudo" for w in self.prefix)

    @property
    def editable(self) -> bool:
        """Do the word spans map to the file (False inside `sh -c "..."` and exec forms)?"""
        return self.parent is None and self.script.editable

    def pos(self, index: int, *, end: bool = False) -> int:
        return self.script.pos(index, end=end)

    def span(self, last: int | None = None) -> tuple[int, int]:
        """File span from the program word to words[last] (default: the last word).

        A nested command answers its enclosing command's span; json/exec the instruction's.
        """
        if self.parent is not None:
            return self.parent.span()
        if self.script.fixed is not None:
            return self.script.fixed
        if not self.words:
            p = self.script.pos(self.start)
            return p, p
        w = self.words[-1 if last is None else min(last, len(self.words) - 1)]
        return self.pos(self.words[0].start), self.pos(w.end, end=True)

    def word_end(self, index: int) -> int:
        """File offset right after words[index] (for inserting text after a word)."""
        return self.pos(self.words[index].end, end=True)

    # -- options (getopt-style: `--` ends options, `-` alone is an operand)
    def sub(self, value_opts: Iterable[str] = ()) -> str:
        """The first non-option argument (`install` in `apt-get -q install x`), or ""."""
        i = subcommand(self, value_opts)
        return self.words[i].value if i is not None else ""

    def opt(self, *names: str) -> str | None:
        """Value of the last `-o x` / `-ox` / `--out=x` / `--out x` among `names`."""
        found: str | None = None
        for n in names:
            vals = option_values(
                self.values, "" if n.startswith("--") else n, n if n.startswith("--") else ""
            )
            if vals:
                found = vals[-1]
        return found

    def has(self, *flags: str) -> bool:
        """Any of the options present as written (`--name` also as `--name=value`)."""
        return any(o in flags or o.split("=", 1)[0] in flags for o in options(self.values))


def program_index(command: Command) -> int:
    """Index of the program word of a simple command: skips unquoted reserved words,
    assignments and wrappers with their options (once per command)."""
    return command.cached("runs.program_index", lambda: _program_index(command))


def _program_index(command: Command) -> int:
    words = command.words
    i = 0
    while i < len(words):
        w = words[i]
        if w.value in RESERVED or w.value in KEYWORDS:
            if w.raw != w.value:
                break  # a quoted reserved word is an ordinary word: the program
            i += 1
            continue
        k = i + command.program_index(i)
        if k == i:
            break
        i = k
    return i


def _script_commands(
    script: Script, order: int, parent: Cmd | None, depth: int
) -> tuple[list[Cmd], list[Cmd], list[Script]]:
    """(the script's own commands, every command in execution order, nested scripts found)."""
    text = script.text if script.kind in ("args", "exec") else script_view(script.text)
    own: list[Cmd] = []
    flat: list[Cmd] = []
    found: list[Script] = []
    for command in tokenize(text):
        cmd = Cmd(script, command, order + len(flat), parent)
        own.append(cmd)
        flat.append(cmd)
        nested = _nested_script(script, cmd) if depth < _NESTED_DEPTH else None
        if nested is not None:
            sub_own, sub_flat, sub_found = _script_commands(nested, order + len(flat), cmd, depth + 1)
            nested._commands = sub_own
            flat += sub_flat
            found += [nested, *sub_found]
    return own, flat, found


def _c_string(args: list[str]) -> int | None:
    """Index in `args` (a shell's arguments) of the `-c` string, or None (a script file...)."""
    k = 0
    while k < len(args) - 1:
        v = args[k]
        if v in ("-o", "+o"):
            k += 2
            continue
        if v.startswith("-") and not v.startswith("--") and "c" in v[1:]:
            return k + 1
        if not v.startswith(("-", "+")):
            return None
        k += 1
    return None


def _nested_script(script: Script, cmd: Cmd) -> Script | None:
    """The `-c` string of `sh -c '...'` as a nested script (fixed span: its word)."""
    if cmd.prog not in POSIX_SHELLS:
        return None
    words = cmd.words[1:]
    k = _c_string([w.value for w in words])
    if k is None or not words[k].value:
        return None
    inner = words[k]
    fixed = script.fixed or (script.pos(inner.start), script.pos(inner.end, end=True))
    return Script(script.outer, script.run, "nested", inner.value, fixed=fixed, escape=script.escape)


def script_view(text: str) -> str:
    """A script file's text for `tokenize` (same length, so offsets hold).

    An unquoted, unescaped newline ends a command (becomes `;`) unless the line ends with an
    operator that continues it (`&&`, `|`, `(`); comments are blanked; the bodies (and
    delimiter lines) of heredocs started in the script are blanked: they are data.
    """
    out = list(text)
    quote = ""
    last = ""  # last significant character outside quotes
    pending: list[tuple[str, bool]] = []  # heredocs started on the current line
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
                last = c
            elif c == "\\" and quote == '"':
                i += 1
            i += 1
            continue
        if c in "'\"":
            quote = c
        elif c == "\\":
            i += 2
            last = "x"
            continue
        elif c == "#" and (i == 0 or text[i - 1] in " \t\r\n;&|("):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif c == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
            m = _HEREDOC_START.match(text, i)
            if m is not None:
                pending.append((m.group(2).strip("'\""), bool(m.group(1))))
                last = "x"
                i = m.end()
                continue
        elif c == "\n":
            if last and last not in "&|(;":
                out[i] = ";"
            last = ""
            i += 1
            if pending:
                i = _blank_heredoc_bodies(text, out, i, pending)
                pending = []
            continue
        elif c not in " \t\r":
            last = c
        i += 1
    return "".join(out)


_HEREDOC_START = re.compile(r"<<(-?)[ \t]*('[^'\n]*'|\"[^\"\n]*\"|[^\s;&|<>()]+)")


def _blank_heredoc_bodies(text: str, out: list[str], i: int, pending: list[tuple[str, bool]]) -> int:
    """Blank the bodies of `pending` heredocs starting at `text[i]`; where scanning resumes
    (the newline after the last delimiter line, which then ends nothing)."""
    n = len(text)
    for idx, (name, chomp) in enumerate(pending):
        while i < n:
            nl = text.find("\n", i)
            stop = n if nl == -1 else nl
            line = text[i:stop].rstrip("\r")
            for k in range(i, stop):
                out[k] = " "
            if nl == -1:
                return n
            ended = (line.lstrip("\t") if chomp else line) == name
            if ended and idx == len(pending) - 1:
                return nl
            out[nl] = " "
            i = nl + 1
            if ended:
                break
    return i


# --------------------------------------------------------------------------------- run_scripts


def run_scripts(ins: Instruction, *, onbuild: bool = True) -> list[Script]:
    """The shell scripts a RUN (or, with `onbuild`, an ONBUILD RUN) executes, nested included.

    Order: the args (or json/exec) script, its script heredoc, then nested `sh -c` scripts.
    Computed once per instruction (cached on it): treat the list as read-only.
    """
    if ins.cmd == "ONBUILD" and not onbuild:
        return []
    return _build(ins)[0]


def instruction_commands(ins: Instruction) -> list[Cmd]:
    """Every simple command of `run_scripts(ins)`, in execution order (`Instruction.commands`)."""
    return _build(ins)[1]


def _build(outer: Instruction) -> tuple[list[Script], list[Cmd]]:
    return outer.cached("runs.build", lambda: _build_now(outer))


def _build_now(outer: Instruction) -> tuple[list[Script], list[Cmd]]:
    run = outer.run
    if run is None:
        return [], []
    top: list[Script] = []
    if run.json is not None:
        argv = run.json
        fixed = (run.arg_src(0), run.content_end)
        k = _c_string(argv[1:]) if argv and program_name(argv[0]) in POSIX_SHELLS else None
        if k is not None:
            top.append(Script(outer, run, "json", argv[k + 1], fixed=fixed))
        elif argv:
            text = " ".join(_shell_quote(a) for a in argv)
            top.append(Script(outer, run, "exec", text, fixed=fixed))
    else:
        top.append(Script(outer, run, "args", run.args))
        top += [Script(outer, run, "heredoc", h.content, heredoc=h) for h in script_heredocs(run)]
    nested: list[Script] = []
    flat: list[Cmd] = []
    for script in top:
        own, all_, found = _script_commands(script, len(flat), None, 0)
        script._commands = own
        flat += all_
        nested += found
    return top + nested, flat


def _shell_quote(s: str) -> str:
    if s and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def script_heredocs(run: Instruction) -> list[Heredoc]:
    """Heredocs whose body runs as shell: `RUN <<EOF` or `RUN bash -e <<EOF`.

    Not a data heredoc (`cat <<EOF >f`), not one fed to another program (`python3 <<EOF`),
    not one whose shebang names a non-shell interpreter.
    """
    if not run.heredocs or run.json is not None:
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
            names = [program_name(x) for x in first[2:].split()]
            if not names or not (
                names[0] in POSIX_SHELLS
                or (names[0] == "env" and len(names) > 1 and names[1] in POSIX_SHELLS)
            ):
                continue
        out.append(h)
    return out


def run_text(run: Instruction) -> str:
    """The shell text of a RUN (arguments and script heredoc bodies), for substring checks."""
    return "\n".join([run.args, *(h.content for h in script_heredocs(run))])


def all_commands(instructions: Iterable[Instruction]) -> list[tuple[Script, Cmd]]:
    """(script, command) for every command the instructions' RUNs execute, in order."""
    return [(c.script, c) for ins in instructions for c in instruction_commands(ins)]


# ----------------------------------------------------------------------------------- options


def subcommand(cmd: Cmd, value_opts: Iterable[str] = (), start: int = 1) -> int | None:
    """Index into cmd.words of the first non-option argument, skipping option values."""
    vo = frozenset(value_opts)
    i = start
    words = cmd.words
    while i < len(words):
        v = words[i].value
        if v == "--":
            return i + 1 if i + 1 < len(words) else None
        if v.startswith("-") and len(v) > 1:
            i += 2 if v in vo else 1
            continue
        return i
    return None


def options(values: Iterable[str]) -> list[str]:
    """Option words (before a `--`)."""
    out = []
    for v in values:
        if v == "--":
            break
        if v.startswith("-") and len(v) > 1:
            out.append(v)
    return out


def has_long(values: Iterable[str], *names: str) -> bool:
    """`--name` or `--name=value` among the options."""
    for o in options(values):
        for n in names:
            if o == n or o.startswith(n + "="):
                return True
    return False


def short_letters(values: Iterable[str], value_letters: str = "") -> list[str]:
    """Letters of short option clusters (`-qqy` → q, q, y); stops a cluster at a value option."""
    out: list[str] = []
    for o in options(values):
        if o.startswith("--") or not re.fullmatch(r"-[A-Za-z0-9][^\s]*", o):
            continue
        for ch in o[1:]:
            if not ch.isalpha():
                break
            out.append(ch)
            if ch in value_letters:
                break
    return out


def option_values(values: list[str], short: str, long: str) -> list[str]:
    """Values of an option given as `-oX`, `-o X`, `--long=X` or `--long X` ("" = no such form)."""
    out = []
    i = 0
    while i < len(values):
        v = values[i]
        if v == "--":
            break
        if v and v in (short, long):
            if i + 1 < len(values):
                out.append(values[i + 1])
            i += 2
            continue
        if long and v.startswith(long + "="):
            out.append(v[len(long) + 1 :])
        elif short and v.startswith(short) and not v.startswith("--") and len(v) > len(short):
            out.append(v[len(short) :])
        i += 1
    return out


def positional(cmd: Cmd, start: int, value_opts: Iterable[str] = ()) -> list[Word]:
    """Non-option words of cmd.words from `start`, skipping option values."""
    vo = frozenset(value_opts)
    out = []
    i = start
    words = cmd.words
    opts_done = False
    while i < len(words):
        v = words[i].value
        if not opts_done and v == "--":
            opts_done = True
        elif not opts_done and v.startswith("-") and len(v) > 1:
            if v in vo:
                i += 1
        else:
            out.append(words[i])
        i += 1
    return out


def effective(command: Command) -> tuple[list[Word], list[Word]]:
    """Split a simple command into (prefix words, words from the program on)."""
    k = program_index(command)
    return command.words[:k], command.words[k:]
