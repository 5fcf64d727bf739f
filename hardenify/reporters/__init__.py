"""Reporters: turn `FileOutcome`s into text for humans, CI systems and other tools.

`render` is the one entry point. Each format lives in its own module and is imported only
when asked for, so `hardenify check` pays for the default text format and nothing else.
Every string a reporter takes from an outcome goes through that outcome's redactor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome

FORMATS: tuple[str, ...] = ("text", "concise", "json", "sarif", "github", "gitlab")


def render(
    outcomes: Sequence[FileOutcome],
    fmt: str,
    *,
    color: bool = False,
    statistics: bool = False,
    unsafe_fixes: bool = False,
    show_fixes: bool = True,
    quiet: bool = False,
) -> str:
    """Render every outcome in `fmt`; the result is the complete output, newline-terminated.

    `color` only affects the human formats (text, concise and the statistics table);
    `unsafe_fixes` decides which fixes count as available (`[*]`), as in ruff;
    `show_fixes=False` hides fix hints in the human formats (machine formats keep them);
    `statistics` replaces the findings by per-rule counts (JSON for fmt="json");
    `quiet` drops the closing summary of text/concise, as ruff's `--quiet` does.
    """
    from hardenify.reporters._common import Options

    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    opts = Options(color=color, unsafe_fixes=unsafe_fixes, show_fixes=show_fixes, quiet=quiet)
    if statistics:
        from hardenify.reporters import stats

        return stats.render(outcomes, opts, as_json=fmt == "json")
    if fmt == "text":
        from hardenify.reporters import text

        return text.render(outcomes, opts)
    if fmt == "concise":
        from hardenify.reporters import concise

        return concise.render(outcomes, opts)
    if fmt == "json":
        from hardenify.reporters import json_format

        return json_format.render(outcomes, opts)
    if fmt == "sarif":
        from hardenify.reporters import sarif

        return sarif.render(outcomes, opts)
    if fmt == "github":
        from hardenify.reporters import github

        return github.render(outcomes, opts)
    from hardenify.reporters import gitlab

    return gitlab.render(outcomes, opts)
