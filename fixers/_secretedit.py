"""Lossless deletions inside one instruction, for the HF3xx secret fixes.

`delete_word` / `delete_span` / `delete_command` remove part of an instruction's logical line
across continuation lines, keeping comment lines and the file's final-newline state. Commands
are those of the one RUN model (`hardenify.dockerfile.runs`): `shell_commands` gives a
shell-form RUN's argument commands, whose spans index `ins.args`.
"""

from __future__ import annotations

from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.runs import Cmd, run_scripts


def shell_commands(ins: Instruction) -> list[Cmd]:
    """The simple commands of a shell-form RUN's arguments, heredoc bodies excluded (the part
    `delete_command` can edit); [] for exec-form and other instructions."""
    scripts = run_scripts(ins, onbuild=False) if ins.cmd == "RUN" else []
    return scripts[0].commands() if scripts and scripts[0].kind == "args" else []


# ----------------------------------------------------------------------- lossless deletion


def _line_bounds(text: str, pos: int) -> tuple[int, int, int]:
    """(line start, content end, end incl. newline) of the physical line holding `pos`."""
    ls = text.rfind("\n", 0, pos) + 1
    nl = text.find("\n", pos)
    if nl == -1:
        return ls, len(text), len(text)
    ce = nl - 1 if nl > ls and text[nl - 1] == "\r" else nl
    return ls, ce, nl + 1


def delete_span(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    """Delete `ins.logical[s:e]`, which may cross continuation lines.

    Comment lines inside the continuation are kept. A content line left with only
    whitespace (and its escape) is removed whole; when that is the instruction's last line,
    the escape of the previous content line goes too, so the instruction ends there.
    Returns None when the deletion would touch the keyword line's keyword.
    """
    text = df.text
    segs = ins.segments
    if not segs or s >= e:
        return []
    cuts: dict[int, tuple[int, int]] = {}
    for i, seg in enumerate(segs):
        a, b = max(s, seg.lstart), min(e, seg.lstart + seg.length)
        if a < b:
            cuts[i] = (a - seg.lstart, b - seg.lstart)
    if not cuts:
        return []

    def piece(i: int) -> str:
        seg = segs[i]
        return ins.logical[seg.lstart : seg.lstart + seg.length]

    def remaining(i: int) -> str:
        p = piece(i)
        if i not in cuts:
            return p
        a, b = cuts[i]
        return p[:a] + p[b:]

    empty = {i for i in cuts if i > 0 and not remaining(i).strip(" \t")}
    if 0 in cuts and not remaining(0).strip(" \t"):
        return None
    last = len(segs) - 1
    out: list[Edit] = []
    esc_seg: int | None = None
    if last in empty:
        esc_seg = max(j for j in range(last) if j not in empty)
    for i in sorted(set(cuts) | ({esc_seg} if esc_seg is not None else set())):
        seg = segs[i]
        if i in empty:
            ls, ce, le = _line_bounds(text, seg.sstart)
            if le == ce and i == last and ls > 0:
                # the file ends on this line without a newline: remove the newline before it
                cut = 2 if text[ls - 2 : ls] == "\r\n" else 1
                out.append(Edit(ls - cut, ce, ""))
            else:
                out.append(Edit(ls, le, ""))
            continue
        if i == esc_seg:
            p = piece(i)
            a, b = cuts.get(i, (len(p), len(p)))
            kept = [k for k in range(len(p)) if not (a <= k < b) and p[k] not in " \t"]
            if not kept:
                return None
            pos = kept[-1] + 1
            _, ce, _ = _line_bounds(text, seg.sstart)
            if pos <= a:
                out.append(Edit(seg.sstart + pos, ce, ""))
            else:
                out.append(Edit(seg.sstart + a, seg.sstart + b, ""))
                out.append(Edit(seg.sstart + pos, ce, ""))
            continue
        a, b = cuts[i]
        out.append(Edit(seg.sstart + a, seg.sstart + b, ""))
    return out


def _segment_of(ins: Instruction, index: int) -> int:
    for i, seg in enumerate(ins.segments):
        if seg.lstart <= index < seg.lstart + seg.length:
            return i
    return -1


def delete_word(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    """Delete the word at `ins.logical[s:e]` with one run of whitespace next to it.

    The edits include an empty insertion at the instruction's start: two such insertions
    conflict in `engine.apply_edits`, so one pass removes at most one word of an instruction.
    Fixes removing its other words run on the next pass, which sees the last word left and
    removes the whole instruction instead of leaving a bare `ENV`/`ARG`/`LABEL`.
    """
    out = _delete_word(df, ins, s, e)
    return None if out is None else [Edit(ins.start, ins.start, ""), *out]


def _delete_word(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    si = _segment_of(ins, s)
    if si < 0 or _segment_of(ins, e - 1) != si:
        return None
    seg = ins.segments[si]
    lo, hi = seg.lstart, seg.lstart + seg.length
    log = ins.logical
    a = s
    while a > lo and log[a - 1] in " \t":
        a -= 1
    if a > lo and a < s:
        return delete_span(df, ins, a, e)
    b = e
    while b < hi and log[b] in " \t":
        b += 1
    if b < hi and b > e:
        return delete_span(df, ins, s, b)
    return delete_span(df, ins, s, e)


def delete_command(df: Dockerfile, ins: Instruction, cmds: list[Cmd], j: int) -> list[Edit] | None:
    """Delete simple command `cmds[j]` of a RUN (spans relative to `ins.args`) with its `&&`/`;`.

    Refuses inside pipelines and `||` chains, where dropping a command changes the logic.
    """
    c = cmds[j]
    if c.before not in ("", "&&", ";") or c.after not in ("", "&&", ";"):
        return None
    off = ins.args_offset
    log = ins.logical
    if len(cmds) == 1:
        if ins.heredocs or ins.args.strip() != ins.args[c.start : c.end].strip():
            return None
        return [edits.delete(df, ins)]
    if j > 0:
        prev = cmds[j - 1]
        op = ins.args.rfind(c.before, prev.end, c.start)
        if op < 0:
            return None
        a, b = off + op, off + c.end
        # keep the separation before the operator: take the whitespace *before* it if the
        # operator shares a line with the previous command, else the whitespace after it.
        sa = _segment_of(ins, a)
        if sa >= 0 and _segment_of(ins, off + prev.end - 1) == sa:
            while a > off + prev.end and log[a - 1] in " \t":
                a -= 1
        return delete_span(df, ins, a, b)
    nxt = cmds[j + 1]
    return delete_span(df, ins, off + c.start, off + nxt.start)
