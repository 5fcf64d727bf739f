"""The `github` format: GitHub Actions workflow commands that annotate the pull request.

Escaping follows the runner's own rules (`%`, CR and LF in the message; additionally `:`
and `,` in property values). Without it a finding message could end the command early
or smuggle in a second workflow command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hardenify.diagnostics import Severity
from hardenify.reporters._common import Options, clean, path_of, relative_uri_path, sorted_diagnostics

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome

COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.STYLE: "notice",
    Severity.INFO: "notice",
}


def escape_data(text: str) -> str:
    """Escape a command's message (after `::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (`file=…`, `title=…`), where `:` and `,` are separators too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(outcomes: Sequence[FileOutcome], opts: Options) -> str:
    lines: list[str] = []
    for o in outcomes:
        path = escape_property(relative_uri_path(path_of(o)))
        if o.error is not None:
            title = escape_property("hardenify (error)")
            lines.append(f"::error file={path},title={title}::{escape_data(clean(o.error, o.redactor))}")
        for d in sorted_diagnostics(o):
            props = (
                f"file={path},line={d.location.row},col={d.location.column},"
                f"endLine={d.end_location.row},endColumn={d.end_location.column},"
                f"title={escape_property(f'hardenify ({d.code})')}"
            )
            message = escape_data(f"{d.code} {clean(d.message, o.redactor)}")
            lines.append(f"::{COMMAND[d.severity]} {props}::{message}")
    return "".join(f"{line}\n" for line in lines)
