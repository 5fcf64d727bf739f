"""The json format: ruff's field names, edit positions, errors as `"code": null` entries."""

from __future__ import annotations

import json
from typing import Any

from hardenify.diagnostics import Redactor
from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from tests.reporters.samples import SECRET, diag, sample_outcomes

FINDING_KEYS = {
    "code",
    "name",
    "severity",
    "message",
    "note",
    "filename",
    "location",
    "end_location",
    "noqa_row",
    "fix",
    "url",
}


def load(outcomes: list[FileOutcome]) -> list[dict[str, Any]]:
    out = render(outcomes, "json")
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def by_code(items: list[dict[str, Any]], code: str, filename: str) -> dict[str, Any]:
    (hit,) = [i for i in items if i["code"] == code and i["filename"] == filename]
    return hit


def test_one_array_with_every_finding_and_error_in_order() -> None:
    items = load(sample_outcomes())
    assert [(i["filename"], i["code"]) for i in items] == [
        ("app/Dockerfile", "HF301"),
        ("app/Dockerfile", "HF101"),
        ("app/Dockerfile", "HF401"),
        ("svc/Dockerfile", "HF203"),
        ("svc/Dockerfile", "HF402"),
        ("svc/Dockerfile", "HF101"),
        ("broken/Dockerfile", None),
    ]
    for item in items:
        assert set(item) == FINDING_KEYS


def test_keys_sorted_indent_two_and_deterministic() -> None:
    out = render(sample_outcomes(), "json")
    assert out == json.dumps(json.loads(out), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert out == render(sample_outcomes(), "json")
    assert out.startswith('[\n  {\n    "code": "HF301",')


def test_finding_fields() -> None:
    items = load(sample_outcomes())
    root = by_code(items, "HF101", "app/Dockerfile")
    assert root["name"] == "root-user"
    assert root["severity"] == "error"
    assert root["message"] == "Container runs as root"
    assert root["location"] == {"row": 3, "column": 1}
    assert root["end_location"] == {"row": 3, "column": 10}
    assert root["noqa_row"] == 3
    assert root["note"] is None
    # No url on the diagnostic: the rule's docs anchor is derived from code and name.
    assert root["url"].endswith("docs/rules/HF101.md")
    assert root["fix"] == {
        "applicability": "safe",
        "message": "Switch to an unprivileged user",
        "edits": [
            {
                "content": "10001",
                "location": {"row": 3, "column": 6},
                "end_location": {"row": 3, "column": 10},
            }
        ],
    }
    run = by_code(items, "HF401", "app/Dockerfile")
    assert run["fix"] is None
    assert (run["location"], run["end_location"]) == ({"row": 4, "column": 1}, {"row": 6, "column": 5})
    assert run["severity"] == "warning"


def test_edit_positions_from_crlf_text_and_multi_edit_fixes() -> None:
    items = load(sample_outcomes())
    secret = by_code(items, "HF301", "app/Dockerfile")
    (edit,) = secret["fix"]["edits"]
    assert secret["fix"]["applicability"] == "unsafe"
    # The edit replaces the whole row including its CRLF: it ends at column 1 of row 3.
    assert edit["location"] == {"row": 2, "column": 1}
    assert edit["end_location"] == {"row": 3, "column": 1}
    assert edit["content"] == "ARG API_TOKEN # was ***REDACTED***\r\n"
    svc_root = by_code(items, "HF101", "svc/Dockerfile")
    # Edits sorted by position (the diagnostic listed them the other way round).
    assert [(e["location"], e["end_location"], e["content"]) for e in svc_root["fix"]["edits"]] == [
        ({"row": 3, "column": 1}, {"row": 3, "column": 1}, "RUN adduser -D app\n"),
        ({"row": 3, "column": 6}, {"row": 3, "column": 10}, "app"),
    ]


def test_error_entry_follows_ruff_null_code() -> None:
    items = load(sample_outcomes())
    err = items[-1]
    assert err == {
        "code": None,
        "name": None,
        "severity": "error",
        "message": "internal error (ValueError: bad token ***REDACTED***)",
        "note": None,
        "filename": "broken/Dockerfile",
        "location": {"row": 1, "column": 1},
        "end_location": {"row": 1, "column": 1},
        "noqa_row": None,
        "fix": None,
        "url": None,
    }


def test_secret_redacted_in_message_note_and_edits() -> None:
    out = render(sample_outcomes(), "json")
    assert SECRET not in out
    item = by_code(json.loads(out), "HF301", "app/Dockerfile")
    assert item["message"] == "API_TOKEN holds a secret (***REDACTED***)"
    assert item["note"] == "rotate ***REDACTED***: it is in the image history"


def test_empty_run_is_an_empty_array() -> None:
    assert render([], "json") == "[]\n"


def test_explicit_url_and_undecodable_text_survive() -> None:
    t = "RUN echo \udcff\n"
    d = diag(t, "HF999", "test-rule", 0, len(t) - 1, "bad byte \udcff", url="https://example.test/r")
    o = FileOutcome("Dockerfile", "dockerfile", "success", [d], original=t, redactor=Redactor())
    out = render([o], "json")
    out.encode("utf-8")
    (item,) = json.loads(out)
    assert item["url"] == "https://example.test/r"
    assert item["message"] == "bad byte \ufffd"
