"""The closing summary of `hardenify bulk`: one row per repository, then the counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from hardenify.bulk.fleet import RepoResult, State
from hardenify.reporters._common import printable


def render_table(results: Sequence[RepoResult]) -> str:
    """A plain aligned table (stdout may be a log file: no colour, no box drawing)."""
    header = ("REPO", "STATE", "FIXES", "DETAIL")
    rows = []
    for r in results:
        fixes = str(sum(r.fixed.values())) if r.fixed else "-"
        detail = r.reason
        if r.state in (State.COMMITTED, State.PUSHED):
            detail = f"{r.branch} @ {r.commit[:12]}" + (f"; {r.reason}" if r.reason else "")
        elif r.state is State.CHANGED:
            detail = f"{r.reason}; would commit on {r.branch}: " + ", ".join(
                f"{p} +{a} -{d}" for p, a, d in r.diffstat
            )
        rows.append((printable(r.name), r.state.value, fixes, printable(detail)))
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header[:3])
    ]
    lines = []
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    lines.append("")
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"


def summary_line(results: Sequence[RepoResult]) -> str:
    counts = Counter(r.state for r in results)
    parts = [f"{counts[s]} {s.value}" for s in State if counts[s]]
    n = len(results)
    return f"{n} repositor{'y' if n == 1 else 'ies'}: {', '.join(parts) if parts else 'none'}."


def render_json(results: Sequence[RepoResult]) -> str:
    return json.dumps([r.as_json() for r in results], indent=2, sort_keys=True, ensure_ascii=False) + "\n"
