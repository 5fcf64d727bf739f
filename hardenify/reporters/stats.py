"""`--statistics`: how many findings of each rule, instead of the findings themselves.

Like ruff: a tab-separated table (count, code, `[*]` when fixable, name) sorted by count
then code, or with `--output-format json` an array of {code, name, count, fixable}.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from hardenify.reporters._common import BOLD, CYAN, RED, Options, applies, paint
from hardenify.reporters.text import error_line

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome


class Statistic(NamedTuple):
    code: str
    name: str
    occurrences: int
    fixable: bool


def statistics(outcomes: Sequence[FileOutcome], unsafe_fixes: bool) -> list[Statistic]:
    """One row per code; a code counts as fixable when any of its findings can be fixed now."""
    counts: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for o in outcomes:
        for d in o.diagnostics:
            row = counts.setdefault(d.code, [0, 0])
            row[0] += 1
            row[1] += applies(d.fix, unsafe_fixes)
            names.setdefault(d.code, d.name)
    rows = [Statistic(code, names[code], n, fixable > 0) for code, (n, fixable) in counts.items()]
    rows.sort(key=lambda s: (-s.occurrences, s.code))
    return rows


def render(outcomes: Sequence[FileOutcome], opts: Options, *, as_json: bool = False) -> str:
    rows = statistics(outcomes, opts.unsafe_fixes)
    errors = [o for o in outcomes if o.error is not None]
    if as_json:
        from hardenify.reporters.json_format import dumps

        items: list[dict[str, object]] = [
            {"code": s.code, "name": s.name, "count": s.occurrences, "fixable": s.fixable} for s in rows
        ]
        if errors:  # ruff lists files it could not read under a null code
            items.append({"code": None, "name": "file-not-checked", "count": len(errors), "fixable": False})
        return dumps(items)
    c = opts.color
    count_w = max((len(str(s.occurrences)) for s in rows), default=0)
    code_w = max((len(s.code) for s in rows), default=0)
    any_fixable = opts.show_fixes and any(s.fixable for s in rows)
    lines = [error_line(o, opts) for o in errors]
    for s in rows:
        marker = ""
        if any_fixable:
            marker = (paint("[*]", CYAN, enabled=c) if s.fixable else "[ ]") + " "
        code = paint(s.code.ljust(code_w), RED, BOLD, enabled=c)
        lines.append(f"{str(s.occurrences).rjust(count_w)}\t{code}\t{marker}{s.name}")
    return "".join(f"{line}\n" for line in lines)
