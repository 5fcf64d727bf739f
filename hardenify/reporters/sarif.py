"""The `sarif` format: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; `tool.driver.rules` holds every rule a result refers to (registered rules with
their full docs, unknown codes with a minimal entry), results carry stable partial
fingerprints so alerts survive unrelated edits, and fixes are expressed as replacements.
Files that could not be checked become tool execution notifications, not fake results.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hardenify import __version__
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.reporters._common import (
    LineIndex,
    Options,
    SourceView,
    clean,
    normalized_line,
    path_of,
    relative_uri_path,
    sorted_diagnostics,
    source_text,
)

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome
    from hardenify.rules import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/hardenify/hardenify"
FINGERPRINT_KEY = "hardenify/v1"

SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.STYLE: "note",
    Severity.INFO: "note",
}
# GitHub reads `security-severity` as CVSS-like: >= 9 critical, >= 7 high, >= 4 medium, else low.
SECURITY_SEVERITY = {
    Severity.ERROR: "8.0",
    Severity.WARNING: "5.5",
    Severity.STYLE: "3.0",
    Severity.INFO: "1.0",
}


def render(
    outcomes: Sequence[FileOutcome],
    opts: Options,
    rules: Mapping[str, Rule] | None = None,
) -> str:
    """SARIF JSON text; `rules` overrides the registry (tests, or callers that already loaded it)."""
    return json.dumps(build(outcomes, rules), indent=2, ensure_ascii=False) + "\n"


def build(outcomes: Sequence[FileOutcome], rules: Mapping[str, Rule] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (key order chosen for readability, stable across runs)."""
    pending: list[tuple[FileOutcome, Diagnostic, SourceView | None, str]] = []
    first_seen: dict[str, Diagnostic] = {}
    for o in outcomes:
        text = source_text(o)
        view = SourceView(text, o.redactor) if text is not None and o.diagnostics else None
        uri = _uri(path_of(o))
        for d in sorted_diagnostics(o):
            pending.append((o, d, view, uri))
            first_seen.setdefault(d.code, d)

    codes = sorted(first_seen)
    if rules is None and codes:
        from hardenify.rules import rules_by_code

        rules = rules_by_code()
    known = rules or {}
    rule_entries = [_rule_entry(known[c]) if c in known else _minimal_rule(first_seen[c]) for c in codes]
    rule_index = {c: i for i, c in enumerate(codes)}

    results: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for o, d, view, uri in pending:
        results.append(_result(o, d, view, uri, rule_index[d.code], seen))

    notifications = [
        {
            "level": "error",
            "message": {"text": clean(o.error, o.redactor)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path_of(o))}}}],
            "descriptor": {"id": "file-not-checked"},
        }
        for o in outcomes
        if o.error is not None
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "hardenify",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rule_entries,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
        # Our columns count code points (Python str indices), not UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _uri(path: str) -> str:
    """A relative, forward-slash, percent-encoded URI reference for a display path."""
    return quote(relative_uri_path(path), safe="/:@!$&'()*+,;=-._~")


def _region(index: LineIndex, start: int, end: int) -> dict[str, int]:
    srow, scol = index.position(start)
    erow, ecol = index.position(end)
    return {"startLine": srow, "startColumn": scol, "endLine": erow, "endColumn": ecol}


def _result(
    o: FileOutcome,
    d: Diagnostic,
    view: SourceView | None,
    uri: str,
    rule_index: int,
    seen: Counter[str],
) -> dict[str, Any]:
    r = o.redactor
    message = clean(d.message, r)
    if d.note:
        message = f"{message}\n\n{clean(d.note, r)}"
    region = {
        "startLine": d.location.row,
        "startColumn": d.location.column,
        "endLine": d.end_location.row,
        "endColumn": d.end_location.column,
    }
    base = hashlib.sha256(
        "\0".join((d.code, relative_uri_path(path_of(o)), normalized_line(view, d))).encode(
            "utf-8", "surrogatepass"
        )
    ).hexdigest()[:32]
    seen[base] += 1  # the same code on two identical lines: keep fingerprints unique
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL[d.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: f"{base}:{seen[base]}"},
    }
    # Without the text the edits' offsets cannot be placed, and a wrong region is worse than none.
    if d.fix is not None and view is not None:
        index = view.index
        fix: dict[str, Any] = {
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": uri},
                    "replacements": [
                        {
                            "deletedRegion": _region(index, e.start, e.end),
                            "insertedContent": {"text": clean(e.content, r)},
                        }
                        for e in sorted(d.fix.edits)
                    ],
                }
            ],
        }
        if d.fix.message:
            fix = {"description": {"text": clean(d.fix.message, r)}, **fix}
        result["fixes"] = [fix]
        result["properties"] = {"fixApplicability": d.fix.applicability.value}
    return result


def _tags(category: str, refs: Sequence[tuple[str, Sequence[str]]] = ()) -> list[str]:
    tags = ["security", category]
    for tool, ids in refs:
        tags.extend(f"{tool}:{i}" for i in ids)
    return tags


def _rule_entry(rule: Rule) -> dict[str, Any]:
    help_text = "\n\n".join(p.strip() for p in (rule.summary, rule.what, rule.why) if p.strip())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what.strip() or rule.summary},
        "help": {"text": help_text, "markdown": rule.docs()},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {
            "tags": _tags(rule.category, rule.references.items()),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }


def _minimal_rule(d: Diagnostic) -> dict[str, Any]:
    """A code with no registered rule (a plugin, or a stale baseline): describe what we know."""
    from hardenify.rules import CATEGORIES

    entry: dict[str, Any] = {
        "id": d.code,
        "name": d.name,
        "shortDescription": {"text": f"{d.code} {d.name}"},
        "defaultConfiguration": {"level": SARIF_LEVEL[d.severity]},
        "properties": {
            "tags": _tags(CATEGORIES.get(d.code[:3], "other")),
            "security-severity": SECURITY_SEVERITY[d.severity],
            "precision": "medium",
        },
    }
    if d.url:
        entry["helpUri"] = d.url
    return entry
