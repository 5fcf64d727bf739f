"""The `gitlab` format: a GitLab Code Quality report (a JSON array of issues).

GitLab compares fingerprints between the base and the merge request to decide which
findings are new, so a fingerprint must survive edits elsewhere in the file (it hashes the
code, path and the finding's normalised, redacted line) yet differ for every finding.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hardenify.diagnostics import Severity
from hardenify.reporters._common import (
    Options,
    SourceView,
    clean,
    last_row,
    normalized_line,
    path_of,
    relative_uri_path,
    sorted_diagnostics,
    source_text,
)

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome

SEVERITY = {
    Severity.INFO: "info",
    Severity.STYLE: "minor",
    Severity.WARNING: "major",
    Severity.ERROR: "critical",
}
# A file we could not check at all may hide anything: the loudest level GitLab has.
ERROR_SEVERITY = "blocker"
ERROR_CHECK_NAME = "hardenify-error"


def fingerprint(*parts: str) -> str:
    """MD5 hex, as GitLab's examples use; not a security boundary, hence usedforsecurity=False."""
    data = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def render(outcomes: Sequence[FileOutcome], opts: Options) -> str:
    return json.dumps(issues(outcomes), indent=2, ensure_ascii=False) + "\n"


def issues(outcomes: Sequence[FileOutcome]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: Counter[tuple[str, ...]] = Counter()

    def unique(*parts: str) -> str:
        seen[parts] += 1
        return fingerprint(*parts, str(seen[parts]))

    for o in outcomes:
        path = relative_uri_path(path_of(o))
        if o.error is not None:
            out.append(
                {
                    "type": "issue",
                    "description": f"error: {clean(o.error, o.redactor)}",
                    "check_name": ERROR_CHECK_NAME,
                    "fingerprint": unique(ERROR_CHECK_NAME, path),
                    "severity": ERROR_SEVERITY,
                    "location": {"path": path, "lines": {"begin": 1, "end": 1}},
                }
            )
        text = source_text(o)
        view = SourceView(text, o.redactor) if text is not None and o.diagnostics else None
        for d in sorted_diagnostics(o):
            out.append(
                {
                    "type": "issue",
                    "description": f"{d.code} {clean(d.message, o.redactor)}",
                    "check_name": d.code,
                    "fingerprint": unique(d.code, path, normalized_line(view, d)),
                    "severity": SEVERITY[d.severity],
                    "location": {
                        "path": path,
                        "lines": {"begin": d.location.row, "end": last_row(d)},
                    },
                }
            )
    return out
