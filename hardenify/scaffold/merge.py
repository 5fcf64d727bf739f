"""Line-based 3-way merge for `hardenify new --update` (diff3 semantics, git-style markers).

`base` is a file as hardenify generated it last time, `ours` is that file as it is now (with
the user's edits), `theirs` is the newer template's output for the same answers. A hunk that
only one side changed takes that side; a hunk both changed the same way is taken once; a hunk
both changed differently is a conflict, written with git's markers (and the base, as with
`merge.conflictStyle=diff3`) so any merge tool understands it.

The algorithm: line matches between base and each side (difflib), intersected into "sync
regions" where base, ours and theirs all agree; what lies between two sync regions is
compared side by side.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

MARK_OURS = "<<<<<<<"
MARK_BASE = "|||||||"
MARK_SEP = "======="
MARK_THEIRS = ">>>>>>>"


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: int

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def _sync_regions(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[tuple[int, int, int, int, int, int]]:
    """(base_start, base_end, ours_start, ours_end, theirs_start, theirs_end) of every stretch
    of lines all three agree on, in order, ending with an empty region at the ends of all three."""
    a = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    b = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions = []
    ia = ib = 0
    while ia < len(a) and ib < len(b):
        a_base, a_side, a_len = a[ia]
        b_base, b_side, b_len = b[ib]
        lo = max(a_base, b_base)
        hi = min(a_base + a_len, b_base + b_len)
        if lo < hi:
            o = a_side + (lo - a_base)
            t = b_side + (lo - b_base)
            regions.append((lo, hi, o, o + (hi - lo), t, t + (hi - lo)))
        if a_base + a_len < b_base + b_len:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def _chunks(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> Iterator[tuple[str, Sequence[str], Sequence[str], Sequence[str]]]:
    """("same" | "ours" | "theirs" | "conflict", base_lines, our_lines, their_lines)."""
    zb = zo = zt = 0
    for b0, b1, o0, o1, t0, t1 in _sync_regions(base, ours, theirs):
        seg_b, seg_o, seg_t = base[zb:b0], ours[zo:o0], theirs[zt:t0]
        if seg_o or seg_t or seg_b:
            if list(seg_o) == list(seg_t):
                yield "same", seg_b, seg_o, seg_t
            elif list(seg_o) == list(seg_b):
                yield "theirs", seg_b, seg_o, seg_t
            elif list(seg_t) == list(seg_b):
                yield "ours", seg_b, seg_o, seg_t
            else:
                yield "conflict", seg_b, seg_o, seg_t
        if b1 > b0:
            yield "same", base[b0:b1], ours[o0:o1], theirs[t0:t1]
        zb, zo, zt = b1, o1, t1


def merge3(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "yours",
    base_label: str = "generated",
    theirs_label: str = "new template",
) -> MergeResult:
    """Merge `ours` and `theirs`, both derived from `base`; conflicts get git-style markers."""
    if ours == theirs:
        return MergeResult(ours, 0)
    if ours == base:
        return MergeResult(theirs, 0)
    if theirs == base:
        return MergeResult(ours, 0)
    b, o, t = (s.splitlines(keepends=True) for s in (base, ours, theirs))
    for lines in (b, o, t):
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"  # a missing final newline must not make the last line differ
    out: list[str] = []
    conflicts = 0
    for kind, seg_b, seg_o, seg_t in _chunks(b, o, t):
        if kind in ("same", "ours"):
            out.extend(seg_o)
        elif kind == "theirs":
            out.extend(seg_t)
        else:
            conflicts += 1
            out.append(f"{MARK_OURS} {ours_label}\n")
            out.extend(seg_o)
            out.append(f"{MARK_BASE} {base_label}\n")
            out.extend(seg_b)
            out.append(f"{MARK_SEP}\n")
            out.extend(seg_t)
            out.append(f"{MARK_THEIRS} {theirs_label}\n")
    return MergeResult("".join(out), conflicts)


def has_conflict_markers(text: str) -> bool:
    """Whether a file still holds unresolved markers from an earlier `--update`."""
    lines = text.splitlines()
    return any(line.startswith(MARK_OURS + " ") for line in lines) and any(
        line.startswith(MARK_THEIRS + " ") for line in lines
    )
