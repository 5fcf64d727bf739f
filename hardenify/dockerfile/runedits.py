"""Layout-preserving edits inside a RUN's shell script (the one RUN model, `runs`).

A rule finds a `runs.Script` and its `Cmd`s, then deletes a flag, a word or a whole `cmd &&`
segment, inserts text after a word, or appends a command at the end of the RUN, without
re-serialising anything else. Every helper returns None when it cannot keep the layout (it
would delete a comment line, leave a dangling continuation, or the script is not editable:
json, exec and nested `sh -c` scripts); the caller then offers no fix.
"""

from __future__ import annotations

import re

from hardenify.diagnostics import Edit
from hardenify.dockerfile.model import Comment, Dockerfile, Heredoc, Instruction, Node
from hardenify.dockerfile.runs import (
    HEREDOC_WORD,
    SHELL_KEYWORDS,
    Cmd,
    Script,
    effective,
    program_name,
    script_heredocs,
    script_view,
)
from hardenify.dockerfile.shell import Word, scan_quotes, tokenize

_WS = " \t"


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
    s = script.pos(a)
    e = script.pos(b, end=True)
    if e <= s:
        return None
    if "\n" in text[s:e] and _has_comment_line(text[s:e]):
        return None
    ls, ce, le = _line_bounds(text, s, e)
    left, right = text[ls:s], text[e:ce]
    lcore, rcore = left.strip(_WS), right.strip(_WS)
    # the continuation character of the source text: the file's escape for the arguments
    esc = df.escape if script.kind == "args" else script.escape
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
    s2 = script.pos(p, end=True)
    if s2 >= s or _has_comment_line(text[s2:e]):
        return None
    return Edit(s2, e, "")


def remove_command(df: Dockerfile, script: Script, cmds: list[Cmd], k: int) -> Edit | None:
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
    if not c.all_words or c.all_words[0].value in SHELL_KEYWORDS:
        return None
    nxt = cmds[k + 1].all_words if k + 1 < len(cmds) else []
    if nxt and nxt[0].value in SHELL_KEYWORDS:
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


def body_start(cmd: Cmd) -> int:
    """Index in `script.text` where the command starts after its leading shell keywords
    (`then sudo curl …` → at `sudo`): where a finding about the command begins."""
    words = _unkeyworded(cmd)
    return words[0].start if words else cmd.start


def is_case_pattern(pipeline: list[Cmd]) -> bool:
    """`case $x in a|b) …`: the `|` separates patterns, it is not a pipe."""
    if not pipeline or not pipeline[0].all_words:
        return False
    first = pipeline[0]
    if first.before == ";;" or first.all_words[0].value == "case":
        return True
    for c in pipeline[1:]:
        w = c.all_words
        if w and ((w[0].raw.endswith(")") and "(" not in w[0].raw) or (len(w) > 1 and w[1].raw == ")")):
            return True
    return False


def group_members(cmds: list[Cmd], i: int) -> list[Cmd]:
    """When command `i` closes a `{ …; }` or `( … )` group, the commands of that group."""
    c = cmds[i]
    words = _unkeyworded(c)
    if not words:
        return [c]
    if words[0].value == "}":
        for j in range(i - 1, -1, -1):
            w = _unkeyworded(cmds[j])
            if w and w[0].value == "{":
                return cmds[j : i + 1]
        return [c]
    last = words[-1].raw
    if last.endswith(")") and not last.startswith("$(") and "(" not in last:
        for j in range(i, -1, -1):
            w = _unkeyworded(cmds[j])
            if w and w[0].raw.startswith("("):
                return cmds[j : i + 1]
    return [c]


def _unkeyworded(cmd: Cmd) -> list[Word]:
    """The command's words after its leading shell keywords (`then { make` → `{ make`)."""
    words = cmd.all_words
    k = 0
    while k < len(words) - 1 and words[k].value in SHELL_KEYWORDS:
        k += 1
    return words[k:]


# ------------------------------------------------------------------- insert and append


def insert_after_word(cmd: Cmd, index: int, text: str) -> Edit | None:
    """Insert `text` right after cmd.words[index]; None for commands inside `sh -c "..."`."""
    if not cmd.editable:
        return None
    pos = cmd.word_end(index)
    return Edit(pos, pos, text)


_COMPOUND_END = frozenset({"fi", "done", "}", "esac"})
_BLOCKING_TAIL = ("&&", "||", "|", ";", "&", "\\", "{", "(", "then", "do", "else", "in", "elif")


def _clean_end(s: str) -> bool:
    """No open quote, `$(` or backtick at the end of a shell string."""
    quote, depth, closed = scan_quotes(s, len(s), backticks=True)
    return closed and not quote and depth == 0


def append_command(df: Dockerfile, outer: Instruction, run: Instruction, command: str) -> Edit | None:
    """An edit that runs `command` after everything else in the RUN (`... && command`).

    Shell form: appended after the last word; a multi-line RUN gets a new continuation line
    in its own style (leading `&&` or trailing `&& \\`, same indentation). A heredoc script
    gets ` && command` on its last command line. None when the tail is not a plain command
    (trailing operator, comment, open quote, `exit`...).
    """
    docs = script_heredocs(run)
    if docs:
        return _append_heredoc(df, docs[-1], command)
    return _append_shell(df, outer, run, command)


def _append_shell(df: Dockerfile, outer: Instruction, run: Instruction, command: str) -> Edit | None:
    args = run.args
    cmds = tokenize(args)
    if not cmds:
        return None
    last = cmds[-1]
    tail = args[last.end :].strip()
    if last.after or (tail and not tail.startswith("#")) or not _clean_end(args[: last.end]):
        return None
    _, words = effective(last)
    if not words and last.words[-1].value in _COMPOUND_END:
        words = last.words[-1:]  # `...; fi`: the compound command ends here
    if not words or program_name(words[0].value) in ("exit", "exec") or words[-1].value in _BLOCKING_TAIL:
        return None
    if any(HEREDOC_WORD.match(w.raw) for w in last.words):
        return None
    pos = run.arg_src(last.end, end=True)
    row = df.position(pos)[0]
    if tail and row != df.position(run.src(len(run.logical), end=True))[0]:
        # a comment that swallows later continuation lines: leave it alone
        return None
    first_row = outer.line
    if row == first_row:
        return Edit(pos, pos, f" && {command}")
    # Layout of the existing continuation lines.
    esc = df.escape
    rows = [r for r in range(first_row, row + 1)]
    content = []
    for r in rows:
        text = df.line_text(r)
        s = text.lstrip(" \t")
        if r != first_row and (not s or s.startswith("#")):
            continue
        content.append((r, text))
    lead_indent: str | None = None
    trail_indent: str | None = None
    for k, (r, text) in enumerate(content):
        s = text.lstrip(" \t")
        indent = text[: len(text) - len(s)]
        if r != first_row and re.match(r"(&&|\|\||;|\|)", s):
            lead_indent = indent
        body = text.rstrip(" \t")
        if body.endswith(esc):
            body = body[: -len(esc)].rstrip(" \t")
        if body.endswith("&&") and k + 1 < len(content):
            nxt = content[k + 1][1]
            trail_indent = nxt[: len(nxt) - len(nxt.lstrip(" \t"))]
    nl = outer.eol or df.newline
    if "\r" not in nl and "\n" not in nl:
        nl = df.newline
    if lead_indent is not None:
        return Edit(pos, pos, f" {esc}{nl}{lead_indent}&& {command}")
    if trail_indent is not None:
        return Edit(pos, pos, f" && {esc}{nl}{trail_indent}{command}")
    tab = any(t[len(outer.indent) :].startswith("\t") for r, t in content[1:])
    return Edit(pos, pos, f" {esc}{nl}{outer.indent}{chr(9) if tab else '    '}&& {command}")


def _append_heredoc(df: Dockerfile, doc: Heredoc, command: str) -> Edit | None:
    text = doc.content
    if re.search(r"<<", text):
        return None
    lines = text.split("\n")
    offset = len(text)
    for line in reversed(lines):
        offset -= len(line)
        body = line.rstrip("\r").rstrip(" \t")
        if body.strip() and not body.lstrip(" \t").startswith("#"):
            cmds = tokenize(script_view(body))
            if not cmds:
                return None
            last = cmds[-1]
            tail = body[last.end :].strip()
            if last.after or (tail and not tail.startswith("#")) or not _clean_end(body[: last.end]):
                return None
            _, words = effective(last)
            if not words and last.words[-1].value in _COMPOUND_END:
                words = last.words[-1:]
            if not words or program_name(words[0].value) in ("exit", "exec"):
                return None
            if words[-1].value in _BLOCKING_TAIL or body.endswith("\\"):
                return None
            pos = doc.start + offset + last.end
            return Edit(pos, pos, f" && {command}")
        offset -= 1  # the newline before this line
    return None
