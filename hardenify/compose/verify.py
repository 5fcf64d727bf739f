"""Re-load a fixed compose file and check that the fix did what it said and nothing else.

Each planned fix (`Change`) carries its edits, the plain-data paths it is allowed to change
and a predicate the re-loaded result must satisfy ("the change landed"). Everything outside
those paths must load to the same data as before. A fix that fails is not offered.

Fixes are checked in batches, the way the engine applies them (non-overlapping edits together):
one re-parse per batch instead of one per fix keeps `fix` fast on files with dozens of
services. A failing batch is split in halves until the culprit is alone. Re-loads use ruamel's
safe composer (`parse(quick=True)`): the same node graph as the round-trip loader without its
comment gathering, about three times faster; before and after are both read that way.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hardenify.compose.model import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    MERGE_TAG,
    NULL_TAG,
    STR_TAG,
    ComposeFile,
    Node,
    Path,
    is_map,
    is_scalar,
    is_seq,
    parse,
)
from hardenify.diagnostics import Edit
from hardenify.dockerfile.edits import apply

MAX_NODES = 200_000  # alias bombs ("billion laughs") must not explode memory


class _Masked:
    def __repr__(self) -> str:
        return "<masked>"


MASKED = _Masked()


@dataclass(frozen=True, eq=False)
class Change:
    """A planned fix: edits, the data paths it may change, and what must hold afterwards."""

    edits: tuple[Edit, ...]
    paths: tuple[Path, ...]
    expect: Callable[[ComposeFile], bool] | None = None


def scalar_value(node: Node) -> Any:
    """A scalar as YAML 1.2's core schema reads it (tagged values stay (tag, text) pairs)."""
    value = str(node.value)
    if node.style == ">":
        value = value.replace("\a", "")  # the round-trip loader's markers of folded line breaks
    tag = node.tag
    if tag == STR_TAG:
        return value
    if tag == NULL_TAG:
        return None
    if tag == BOOL_TAG:
        return value.lower() == "true"
    if tag == INT_TAG:
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return ("int", value)
    if tag == FLOAT_TAG:
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return ("float", value)
    return (str(tag), value)


def to_data(cf: ComposeFile, node: Node) -> Any:
    """Plain data for a node with merges applied; raises ValueError on duplicate keys."""
    budget = [MAX_NODES]

    def conv(n: Node, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > 100:
            raise ValueError("document too large or recursive to compare")
        if n is None:
            return None
        if is_scalar(n):
            return scalar_value(n)
        if is_seq(n):
            return [conv(i, depth + 1) for i in n.value]
        if is_map(n):
            out: dict[Any, Any] = {}
            for src in reversed(cf.merge_sources(n)):
                out.update(conv(src, depth + 1))
            own: set[Any] = set()
            for k, v in n.value:
                if is_scalar(k) and k.tag == MERGE_TAG:
                    continue
                key = scalar_value(k) if is_scalar(k) else repr(conv(k, depth + 1))
                if isinstance(key, (list, dict)):
                    key = repr(key)
                if key in own:
                    raise ValueError(f"duplicate key {key!r}")
                own.add(key)
                out[key] = conv(v, depth + 1)
            return out
        raise ValueError(f"unknown node {n!r}")

    return conv(node, 0)


def get(data: Any, path: Path) -> Any:
    """The value at a data path, or None."""
    cur = data
    for p in path:
        if (isinstance(cur, dict) and p in cur) or (
            isinstance(cur, list) and isinstance(p, int) and 0 <= p < len(cur)
        ):
            cur = cur[p]
        else:
            return None
    return cur


def _mask(data: Any, path: Path) -> None:
    cur = data
    for p in path[:-1]:
        if (isinstance(cur, dict) and p in cur) or (
            isinstance(cur, list) and isinstance(p, int) and 0 <= p < len(cur)
        ):
            cur = cur[p]
        else:
            return
    last = path[-1]
    if isinstance(cur, dict):
        cur.pop(last, None)
    elif isinstance(cur, list) and isinstance(last, int) and 0 <= last < len(cur):
        cur[last] = MASKED


def _masked(docs: list[Any], paths: Sequence[Path]) -> list[Any]:
    out = copy.deepcopy(docs)
    # longest first, so masking a list item never shifts a shorter path's target
    for path in sorted(paths, key=len, reverse=True):
        if path and isinstance(path[0], int) and 0 <= path[0] < len(out):
            if len(path) == 1:
                out[path[0]] = MASKED
            else:
                _mask(out[path[0]], path[1:])
    return out


def _spans_conflict(a: int, b: int, c: int, d: int) -> bool:
    """Can edits of spans [a, b) and [c, d) not be applied together (overlapping, or two
    insertions at one point, or an insertion inside a replaced span)?"""
    if a < d and c < b:
        return True
    if a == b == c == d:
        return True
    if a == b and c < a < d:
        return True
    if c == d and a < c < b:
        return True
    return (a, b) == (c, d)


class _Round:
    """Changes checked together: none of their edits conflict with another's.

    The spans are kept sorted; since no two conflict, their ends are sorted too, so the only
    spans an edit can conflict with sit just before its end (found by bisection). Comparing
    every pair made planning quadratic in the number of services. (Should a change's own
    edits overlap, a conflict may go unseen: the batch then fails to apply and is split.)
    """

    def __init__(self) -> None:
        self.members: list[int] = []
        self.spans: list[tuple[int, int]] = []

    def clashes(self, change: Change) -> bool:
        for e in change.edits:
            i = bisect.bisect_right(self.spans, (e.end, e.end))
            while i > 0 and self.spans[i - 1][1] >= e.start:
                i -= 1
                if _spans_conflict(e.start, e.end, *self.spans[i]):
                    return True
        return False

    def add(self, i: int, change: Change) -> None:
        self.members.append(i)
        for e in change.edits:
            bisect.insort(self.spans, (e.start, e.end))


def verify(cf: ComposeFile, changes: Sequence[Change]) -> list[bool]:
    """Which changes re-load to the data they promise (one bool per change, in order)."""
    result = [False] * len(changes)
    if not changes or cf.error is not None:
        return result
    try:
        before = cf.baseline()
    except (ValueError, RecursionError):
        return result
    rounds: list[_Round] = []
    for i, ch in enumerate(changes):
        for r in rounds:
            if not r.clashes(ch):
                r.add(i, ch)
                break
        else:
            rounds.append(_Round())
            rounds[-1].add(i, ch)
    for r in rounds:
        _check(cf, before, changes, r.members, result)
    return result


def _check(
    cf: ComposeFile, before: list[Any], changes: Sequence[Change], idx: list[int], result: list[bool]
) -> None:
    try:
        text = apply(cf.text, [e for i in idx for e in changes[i].edits])
    except ValueError:
        text = None
    new = parse(text, quick=True) if text is not None else None
    ok = new is not None and new.error is None and len(new.docs) == len(cf.docs)
    if ok and new is not None:
        paths = [p for i in idx for p in changes[i].paths]
        try:
            ok = _masked(before, paths) == _masked(new.data(), paths)
        except (ValueError, RecursionError):
            ok = False
    if ok and new is not None:
        for i in idx:
            expect = changes[i].expect
            try:
                result[i] = expect is None or bool(expect(new))
            except Exception:  # a predicate on an unexpected shape is a failed check, not a crash
                result[i] = False
        return
    if len(idx) > 1:
        half = len(idx) // 2
        _check(cf, before, changes, idx[:half], result)
        _check(cf, before, changes, idx[half:], result)
