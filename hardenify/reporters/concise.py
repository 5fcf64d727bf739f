"""The `concise` format: one line per finding, then the summary, as ruff's `concise`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hardenify.reporters._common import Options, sorted_diagnostics, summary_lines
from hardenify.reporters.text import error_line, header

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome


def render(outcomes: Sequence[FileOutcome], opts: Options) -> str:
    lines: list[str] = []
    for o in outcomes:
        if o.error is not None:
            lines.append(error_line(o, opts))
        lines.extend(header(o, d, opts) for d in sorted_diagnostics(o))
    if not opts.quiet:
        lines.extend(summary_lines(outcomes, opts))
    return "".join(f"{line}\n" for line in lines)
