"""Shell scripts of RUN instructions and layout-preserving edits inside them.

Used by HF409-HF412 and HF5xx. A `Script` is shell text an instruction runs (the shell form
arguments, a heredoc script, or the `-c` string of an exec-form `sh -c`), with a map from
an index in that text back to a file offset, so a rule can delete a flag, a word or a whole
`cmd &&` segment without re-serialising anything else. Every edit helper returns None when
it cannot keep the layout (it would delete a comment line, or leave a dangling
continuation); the caller then offers no fix.
"""

from __future__ import annotations

import re

from hardenify.diagnostics import Edit
from hardenify.dockerfile.model import Comment, Dockerfile, Instruction, Node
from hardenify.dockerfile.shell import POSIX_SHELLS, Command, tokenize

SHELLS = POSIX_SHELLS
_HEREDOC_WORD = re.compile(r"^\d*<<-?")
_WS = " \t"


class Script:
    """Shell text run by `ins` and how to map it back to the file."""

    __slots__ = ("_commands", "base", "escape", "ins", "kind", "text")

    def __init__(self, text: str, ins: Instruction, kind: str, base: int = 0, escape: str = "\\"):
        self.text = text
        self.ins = ins
        self.kind = kind  # "args" (shell form), "heredoc" (body run as a script), "json" (sh -c in exec form)
        self.base = base  # heredoc: file offset of the body
        self.escape = escape  # line continuation character in the source of this text
        self._commands: list[Command] | None = None

    def __repr__(self) -> str:
        return f"Script(text={self.text!r}, kind={self.kind!r}, base={self.base})"

    @property
    def editable(self) -> bool:
        return self.kind != "json"

    def src(self, index: int, *, end: bool = False) -> int:
        if self.kind == "args":
            return self.ins.arg_src(index, end=end)
        if self.kind == "heredoc":
            return self.base + index
        return self.ins.arg_src(0)

    def commands(self) -> list[Command]:
        """The simple commands of the text (computed once; the list is the caller's)."""
        if self._commands is None:
            if self.kind == "args":
                self._commands = tokenize(self.text)
            else:
                # a script file: a newline ends a command (same length, so spans stay valid)
                self._commands = tokenize(script_view(self.text))
        return list(self._commands)


def script_view(text: str) -> str:
    """`text` with command-ending newlines turned into `;` and comments blanked (same length)."""
    out = list(text)
    quote = ""
    last = ""  # last significant character outside quotes
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
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif c == "\n":
            if last and last not in "&|(;":
                out[i] = ";"
            last = ""
        elif c not in " \t\r":
            last = c
        i += 1
    return "".join(out)


def run_instructions(df: Dockerfile, *, onbuild: bool = True) -> list[Instruction]:
    """RUN instructions, plus the RUN inside `ONBUILD RUN` when `onbuild`."""
    out: list[Instruction] = []
    for ins in df.instructions:
        if ins.cmd == "RUN":
            out.append(ins)
        elif onbuild and ins.cmd == "ONBUILD" and ins.sub is not None and ins.sub.cmd == "RUN":
            out.append(ins.sub)
    return out


def run_scripts(df: Dockerfile, ins: Instruction) -> list[Script]:
    """The shell scripts a RUN executes (not data heredocs such as `cat <<EOF >file`).

    Computed once per instruction and shared by HF409-HF412 and HF503 (read-only).
    """
    return df.cached_for("runedit.run_scripts", ins, lambda: _run_scripts(df, ins))


def _run_scripts(df: Dockerfile, ins: Instruction) -> list[Script]:
    out: list[Script] = []
    if ins.cmd != "RUN":
        return out
    if ins.json is not None:
        argv = ins.json
        if (
            len(argv) >= 3
            and argv[0].rsplit("/", 1)[-1] in SHELLS
            and argv[1].startswith("-")
            and "c" in argv[1]
        ):
            out.append(Script(argv[2], ins, "json"))
        return out
    top = Script(ins.args, ins, "args", escape=df.escape)
    out.append(top)
    if ins.heredocs:
        cmds = top.commands()
        if cmds:
            first = cmds[0]
            words = first.words
            is_script = bool(words) and (
                _HEREDOC_WORD.match(words[0].raw) is not None
                or (first.program() in SHELLS and any(_HEREDOC_WORD.match(w.raw) for w in words[1:]))
            )
            body = ins.heredocs[0]
            shebang = body.content.split("\n", 1)[0]
            if is_script and (not shebang.startswith("#!") or _shebang_is_shell(shebang)):
                out.append(Script(body.content, ins, "heredoc", base=body.start))
    return out


def _shebang_is_shell(line: str) -> bool:
    words = line[2:].split()
    if not words:
        return False
    prog = words[0].rsplit("/", 1)[-1]
    if prog == "env" and len(words) > 1:
        prog = words[1]
    return prog in SHELLS


# ------------------------------------------------------------------------------------ edits


def _has_comment_line(text: str) -> bool:
    return any(line.lstrip(" \t").startswith("#") for line in text.split("\n")[1:])


def _line_bounds(text: str, s: int, e: int) -> tuple[int, int, int]:
    """(start of the line holding s, content end and end of the line holding e)."""
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", e)
    if le == -1:
        le = len(text)
        ce = le
    else:
        ce = le - 1 if le - 1 >= e and text[le - 1] == "\r" else le
        le += 1
    return ls, ce, le


def delete_span(df: Dockerfile, script: Script, a: int, b: int) -> Edit | None:
    """Delete `script.text[a:b]` (whole words/operators) and the blanks that separated it.

    A line left holding only a continuation is removed; a last line left empty is joined to
    the previous one. Returns None when that would delete a comment line.
    """
    if not script.editable or a >= b:
        return None
    text = df.text
    s = script.src(a)
    e = script.src(b, end=True)
    if e <= s:
        return None
    if "\n" in text[s:e] and _has_comment_line(text[s:e]):
        return None
    ls, ce, le = _line_bounds(text, s, e)
    left, right = text[ls:s], text[e:ce]
    lcore, rcore = left.strip(_WS), right.strip(_WS)
    esc = script.escape
    if rcore and rcore != esc:
        n = len(right) - len(right.lstrip(_WS))
        return Edit(s, e + n, "")
    if lcore:
        n = len(left) - len(left.rstrip(_WS))
        return Edit(s - n, e, "")
    if rcore == esc:
        # the words were alone on a continued line: drop the whole line
        return Edit(ls, le, "")
    # alone on the last line: join to the previous content, dropping its continuation
    p = a
    t = script.text
    while p > 0:
        ch = t[p - 1]
        if ch in " \t\r\n" or (ch == "\\" and p < len(t) and t[p] in "\r\n"):
            p -= 1
        else:
            break
    if p <= 0:
        return None
    s2 = script.src(p, end=True)
    if s2 >= s or _has_comment_line(text[s2:e]):
        return None
    return Edit(s2, e, "")


def remove_command(df: Dockerfile, script: Script, cmds: list[Command], k: int) -> Edit | None:
    """Delete command `k` with the `&&`/`;` that joins it to its neighbour.

    None when the command is alone, or in a pipeline, `||` list or background job (removing
    it would change what the rest means).
    """
    if not (0 <= k < len(cmds)):
        return None
    c = cmds[k]
    text = script.text
    if script.kind != "args":
        return None
    if not c.words or c.words[0].value in SHELL_KEYWORDS:
        return None
    if k + 1 < len(cmds) and cmds[k + 1].words and cmds[k + 1].words[0].value in SHELL_KEYWORDS:
        return None
    if c.before in ("", "&&", ";") and c.after in ("&&", ";") and k + 1 < len(cmds):
        op = text.find(c.after, c.end)
        if op < 0 or op >= cmds[k + 1].start:
            return None
        return delete_span(df, script, c.start, op + len(c.after))
    if k == len(cmds) - 1 and k > 0 and c.before in ("&&", ";") and c.after == "":
        prev = cmds[k - 1]
        op = text.find(c.before, prev.end)
        if op < 0 or op >= c.start:
            return None
        return delete_span(df, script, op, c.end)
    return None


def comment_anchor(df: Dockerfile, ins: Instruction) -> Node:
    """The first of the comment lines directly above `ins` (no blank line between), or `ins`.

    New instructions go above those comments so that pragmas (`# hadolint ignore=...`) keep
    applying to the instruction they were written for.
    """
    nodes = df.nodes
    try:
        i = nodes.index(ins)
    except ValueError:
        return ins
    j = i
    while j > 0 and isinstance(nodes[j - 1], Comment):
        j -= 1
    return nodes[j]


def insert_line_before(df: Dockerfile, ins: Instruction, line: str) -> Edit:
    """Insert one instruction line above `ins` (and above its comment block), indented like it."""
    anchor = comment_anchor(df, ins)
    return Edit(anchor.start, anchor.start, ins.indent + line + df.newline)


def inner_comment_lines(df: Dockerfile, ins: Instruction) -> bool:
    """Does the instruction hold comment lines inside its continuation?"""
    return _has_comment_line(df.text[ins.start : ins.content_end])


SHELL_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!", "{", "}"}
)


def strip_keywords(cmd: Command) -> Command:
    """The command without leading shell keywords (`then curl …` → `curl …`); spans kept."""
    k = 0
    while k < len(cmd.words) - 1 and cmd.words[k].value in SHELL_KEYWORDS:
        k += 1
    if k == 0:
        return cmd
    return Command(words=cmd.words[k:], before=cmd.before, after=cmd.after)


def is_case_pattern(pipeline: list[Command]) -> bool:
    """`case $x in a|b) …`: the `|` separates patterns, it is not a pipe."""
    if not pipeline or not pipeline[0].words:
        return False
    first = pipeline[0]
    if first.before == ";;" or first.words[0].value == "case":
        return True
    for c in pipeline[1:]:
        w = c.words
        if w and ((w[0].raw.endswith(")") and "(" not in w[0].raw) or (len(w) > 1 and w[1].raw == ")")):
            return True
    return False


def group_members(cmds: list[Command], i: int) -> list[Command]:
    """When command `i` closes a `{ …; }` or `( … )` group, the commands of that group."""
    c = cmds[i]
    if not c.words:
        return [c]
    if c.words[0].value == "}":
        for j in range(i - 1, -1, -1):
            if cmds[j].words and cmds[j].words[0].value == "{":
                return cmds[j : i + 1]
        return [c]
    last = c.words[-1].raw
    if last.endswith(")") and not last.startswith("$(") and "(" not in last:
        for j in range(i, -1, -1):
            if cmds[j].words and cmds[j].words[0].raw.startswith("("):
                return cmds[j : i + 1]
    return [c]
