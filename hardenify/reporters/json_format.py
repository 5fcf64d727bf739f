"""The `json` format: one array, ruff's field names, so tools that read ruff's JSON read ours.

Keys are sorted (ruff's serde output is too), so the output is byte-for-byte deterministic.
A file that could not be checked becomes an entry with `"code": null`, the way ruff reports
a file it cannot parse, so a consumer sees every file's fate in one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hardenify.diagnostics import Diagnostic, Position
from hardenify.reporters._common import (
    LineIndex,
    Options,
    clean,
    path_of,
    sorted_diagnostics,
    source_text,
)

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome


def render(outcomes: Sequence[FileOutcome], opts: Options) -> str:
    return dumps(findings(outcomes))


def dumps(value: Any) -> str:
    """Indented, key-sorted, UTF-8 (not \\u-escaped) JSON ending in a newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def findings(outcomes: Sequence[FileOutcome]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for o in outcomes:
        if o.error is not None:
            items.append(_error(o))
        text = source_text(o)
        index = LineIndex(text) if text is not None and o.diagnostics else None
        items.extend(_finding(o, d, index) for d in sorted_diagnostics(o))
    return items


def _loc(p: Position) -> dict[str, int]:
    return {"row": p.row, "column": p.column}


def _offset(index: LineIndex | None, offset: int) -> dict[str, int] | None:
    if index is None:
        return None
    row, column = index.position(offset)
    return {"row": row, "column": column}


def _finding(o: FileOutcome, d: Diagnostic, index: LineIndex | None) -> dict[str, Any]:
    r = o.redactor
    fix: dict[str, Any] | None = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": clean(d.fix.message, r) or None,
            "edits": [
                {
                    "content": clean(e.content, r),
                    "location": _offset(index, e.start),
                    "end_location": _offset(index, e.end),
                }
                for e in sorted(d.fix.edits)
            ],
        }
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "message": clean(d.message, r),
        "note": clean(d.note, r) if d.note else None,
        "filename": path_of(o),
        "location": _loc(d.location),
        "end_location": _loc(d.end_location),
        "noqa_row": d.location.row,
        "fix": fix,
        "url": d.url or _rule_url(d.code, d.name),
    }


def _error(o: FileOutcome) -> dict[str, Any]:
    assert o.error is not None
    start = {"row": 1, "column": 1}
    return {
        "code": None,
        "name": None,
        "severity": "error",
        "message": clean(o.error, o.redactor),
        "note": None,
        "filename": path_of(o),
        "location": start,
        "end_location": dict(start),
        "noqa_row": None,
        "fix": None,
        "url": None,
    }


def _rule_url(code: str, name: str) -> str:
    """The docs page a registered rule has; hardenify.rules loads no rule modules."""
    from hardenify.rules import rule_url

    return rule_url(code)
