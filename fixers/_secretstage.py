"""Stage facts and lossless deletions the HF3xx secret fixes need (interim home).

- stage facts at an instruction: `user_at`, `non_root_at`, `workdir_at`, `non_posix_shell`,
  `final_chain`, `descendants`, `runs_after`;
- `delete_word` / `delete_span` / `delete_command`: remove part of an instruction's logical
  line losslessly, across continuation lines, keeping comment lines and the file's
  final-newline state.
"""

from __future__ import annotations

import posixpath

from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Dockerfile, Instruction, split_words, unquote
from hardenify.dockerfile.shell import Command

POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})

# ---------------------------------------------------------------------------------- stages


def descendants(df: Dockerfile, index: int) -> list[int]:
    """Indices of the stages built FROM stage `index`, directly or not."""
    return [st.index for st in df.descendants(df.stages[index])]


def final_chain(df: Dockerfile) -> set[int]:
    """The final stage and the stages it is built FROM (their ENV reaches the running image)."""
    st = df.final_stage
    return {x.index for x in st.chain} if st is not None else set()


def _before(df: Dockerfile, ins: Instruction) -> list[Instruction]:
    """Instructions that take effect before `ins`: earlier ones in its stage, then (for the
    part not set there) those of the stages it is built FROM, nearest first."""
    st = df.stage_of(ins)
    if st is None:
        return []
    out = list(reversed([i for i in st.instructions if i.start < ins.start]))
    for parent in reversed(st.chain[:-1]):
        out.extend(reversed(parent.instructions))
    return out


def user_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The USER in effect at `ins` (None: the base image's default, usually root)."""
    for prev in _before(df, ins):
        if prev.cmd == "USER":
            words = prev.words()
            return words[0] if words else None
    return None


def non_root_at(df: Dockerfile, ins: Instruction) -> bool:
    user = user_at(df, ins)
    return user is not None and user.split(":")[0] not in ("root", "0")


def workdir_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The absolute WORKDIR at `ins`, or None when unknown (none set, or uses variables)."""
    parts: list[str] = []
    for prev in _before(df, ins):
        if prev.cmd != "WORKDIR":
            continue
        words = split_words(prev.args)
        if len(words) != 1 or "$" in words[0]:
            return None
        parts.append(unquote(words[0]))
        if parts[-1].startswith("/"):
            break
    if not parts or not parts[-1].startswith("/"):
        return None
    path = parts[-1]
    for p in reversed(parts[:-1]):
        path = posixpath.join(path, p)
    return posixpath.normpath(path)


def non_posix_shell(df: Dockerfile, ins: Instruction) -> bool:
    for prev in _before(df, ins):
        if prev.cmd == "SHELL":
            prog = (prev.json or [""])[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
            return prog.removesuffix(".exe") not in POSIX_SHELLS
    return False


def runs_after(df: Dockerfile, ins: Instruction, *, inherit: bool) -> list[Instruction]:
    """RUN instructions after `ins` in its stage (and, with `inherit`, in stages built FROM it)."""
    if ins.stage < 0 or ins.stage >= len(df.stages):
        return []
    st = df.stages[ins.stage]
    out = [i for i in st.instructions if i.cmd == "RUN" and i.start > ins.start]
    if inherit:
        for d in descendants(df, st.index):
            out.extend(i for i in df.stages[d].instructions if i.cmd == "RUN")
    return out


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


def delete_command(df: Dockerfile, ins: Instruction, cmds: list[Command], j: int) -> list[Edit] | None:
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
