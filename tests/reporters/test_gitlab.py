"""The gitlab format: Code Quality fields, severity mapping, stable unique fingerprints."""

from __future__ import annotations

import json
import re
from typing import Any

from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from tests.reporters.samples import SECRET, diag, sample_outcomes


def load(outcomes: list[FileOutcome]) -> list[dict[str, Any]]:
    data = json.loads(render(outcomes, "gitlab"))
    assert isinstance(data, list)
    return data


def test_fields_and_severities() -> None:
    issues = load(sample_outcomes())
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("HF301", "critical"),
        ("HF101", "critical"),
        ("HF401", "major"),
        ("HF203", "major"),
        ("HF402", "info"),
        ("HF101", "critical"),
        ("hardenify-error", "blocker"),
    ]
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert set(issue["location"]) == {"path", "lines"}
    run = issues[2]
    assert run["description"] == "HF401 apk add without --no-cache keeps the package index"
    assert run["location"] == {"path": "app/Dockerfile", "lines": {"begin": 4, "end": 6}}
    assert issues[-1]["location"] == {"path": "broken/Dockerfile", "lines": {"begin": 1, "end": 1}}


def test_fingerprints_unique_and_stable() -> None:
    first = [i["fingerprint"] for i in load(sample_outcomes())]
    assert len(set(first)) == len(first)
    assert first == [i["fingerprint"] for i in load(sample_outcomes())]

    def outcome(text: str) -> FileOutcome:
        spans = [m.span() for m in re.finditer("USER root", text)]
        diags = [diag(text, "HF101", "root-user", s, e, "root") for s, e in spans]
        return FileOutcome("Dockerfile", "dockerfile", "success", diags, original=text)

    twins = [i["fingerprint"] for i in load([outcome("USER root\nUSER root\n")])]
    moved = [i["fingerprint"] for i in load([outcome("FROM a\nUSER root\nRUN b\nUSER root\n")])]
    assert len(set(twins)) == 2
    assert twins == moved


def test_span_ending_at_column_one_ends_on_the_row_above() -> None:
    t = "USER root\nRUN x\n"
    d = diag(t, "HF101", "root-user", 0, t.index("RUN"), "root")
    (issue,) = load([FileOutcome("Dockerfile", "dockerfile", "success", [d], original=t)])
    assert issue["location"]["lines"] == {"begin": 1, "end": 1}


def test_secret_redacted() -> None:
    out = render(sample_outcomes(), "gitlab")
    assert SECRET not in out
    assert "HF301 API_TOKEN holds a secret (***REDACTED***)" in out


def test_empty_report() -> None:
    assert render([], "gitlab") == "[]\n"
