"""The sarif format: valid SARIF 2.1.0, rule metadata, fingerprints, fixes, notifications."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hardenify import __version__
from hardenify.diagnostics import FixAvailability, Severity
from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from hardenify.reporters._common import Options
from hardenify.reporters.sarif import FINGERPRINT_KEY
from hardenify.reporters.sarif import render as render_sarif
from hardenify.rules import References, Rule
from tests.reporters.samples import SECRET, diag, sample_outcomes

SCHEMA_CANDIDATES = [
    Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "sarif-schema-2.1.0.json",
    Path("/work/shared/schemas/sarif-schema-2.1.0.json"),
]

ROOT_RULE = Rule(
    code="HF101",
    name="root-user",
    severity=Severity.ERROR,
    summary="The container runs as root.",
    what="Checks that the final stage switches to a non-root USER.",
    why="A process running as root turns a container escape into host root.",
    example="FROM alpine\nUSER root\n",
    fix="Add `USER 10001`.",
    fix_availability=FixAvailability.SAFE,
    references=References(hadolint=("DL3002",), cis=("4.1",), trivy=("DS002",)),
)


def schema() -> dict[str, Any]:
    for p in SCHEMA_CANDIDATES:
        if p.is_file():
            data = json.loads(p.read_text(encoding="utf-8"))
            assert isinstance(data, dict)
            return data
    pytest.skip("SARIF 2.1.0 schema not found (expected ../shared/schemas/sarif-schema-2.1.0.json)")


def validate(log: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test dependency")
    jsonschema.Draft4Validator(schema()).validate(log)


def sarif(outcomes: list[FileOutcome], rules: dict[str, Rule] | None = None) -> dict[str, Any]:
    data = json.loads(render_sarif(outcomes, Options(), rules=rules if rules is not None else {}))
    assert isinstance(data, dict)
    return data


def test_valid_against_the_schema_with_known_and_unknown_rules() -> None:
    log = sarif(sample_outcomes(), {"HF101": ROOT_RULE})
    validate(log)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hardenify"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    # Every referenced rule once, sorted; every result points at its own rule.
    assert [r["id"] for r in driver["rules"]] == ["HF101", "HF203", "HF301", "HF401", "HF402"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert len(run["results"]) == 6


def test_through_render_with_the_registry() -> None:
    log = json.loads(render(sample_outcomes(), "sarif"))
    validate(log)
    (run,) = log["runs"]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == sorted({"HF101", "HF203", "HF301", "HF401", "HF402"})


def test_registered_rule_metadata() -> None:
    log = sarif(sample_outcomes(), {"HF101": ROOT_RULE})
    entry = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert entry["id"] == "HF101"
    assert entry["name"] == "root-user"
    assert entry["shortDescription"] == {"text": ROOT_RULE.summary}
    assert entry["fullDescription"] == {"text": ROOT_RULE.what}
    assert entry["help"]["markdown"] == ROOT_RULE.docs()
    assert ROOT_RULE.why in entry["help"]["text"]
    assert entry["helpUri"] == ROOT_RULE.url
    assert entry["defaultConfiguration"] == {"level": "error"}
    props = entry["properties"]
    assert props["tags"] == ["security", "user-privilege", "hadolint:DL3002", "trivy:DS002", "cis:4.1"]
    assert props["security-severity"] == "8.0"
    assert props["precision"] == "high"


def test_unknown_code_gets_a_minimal_rule() -> None:
    log = sarif(sample_outcomes())
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    entry = rules["HF402"]
    assert entry["name"] == "broad-copy"
    assert entry["shortDescription"] == {"text": "HF402 broad-copy"}
    assert entry["defaultConfiguration"] == {"level": "note"}
    assert entry["properties"]["tags"] == ["security", "build-hygiene"]
    assert "help" not in entry


def test_results_levels_regions_and_uris() -> None:
    results = sarif(sample_outcomes())["runs"][0]["results"]
    levels = [(r["ruleId"], r["level"]) for r in results]
    assert levels == [
        ("HF301", "error"),
        ("HF101", "error"),
        ("HF401", "warning"),
        ("HF203", "warning"),
        ("HF402", "note"),
        ("HF101", "error"),
    ]
    loc = results[2]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app/Dockerfile"}
    assert loc["region"] == {"startLine": 4, "startColumn": 1, "endLine": 6, "endColumn": 5}


def test_uri_is_relative_forward_slash_and_percent_encoded() -> None:
    t = "USER root\n"
    d = diag(t, "HF101", "root-user", 0, 9, "root")
    o = FileOutcome(".\\my app\\Dockerfile", "dockerfile", "success", [d], original=t)
    log = sarif([o])
    validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20app/Dockerfile"


def test_fixes_as_replacements() -> None:
    results = sarif(sample_outcomes())["runs"][0]["results"]
    secret = results[0]
    (fix,) = secret["fixes"]
    assert fix["description"] == {"text": "Move API_TOKEN to a build secret"}
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "app/Dockerfile"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "ARG API_TOKEN # was ***REDACTED***\r\n"},
        }
    ]
    assert secret["properties"] == {"fixApplicability": "unsafe"}
    svc_root = results[5]
    regions = [r["deletedRegion"] for r in svc_root["fixes"][0]["artifactChanges"][0]["replacements"]]
    assert regions == [
        {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 1},
        {"startLine": 3, "startColumn": 6, "endLine": 3, "endColumn": 10},
    ]
    assert "fixes" not in results[2]


def test_errors_become_tool_execution_notifications() -> None:
    run = sarif(sample_outcomes())["runs"][0]
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].startswith("internal error (ValueError")
    assert "***REDACTED***" in note["message"]["text"]
    assert run["results"][-1]["ruleId"] == "HF101"  # no fake result for the error
    clean = sarif(sample_outcomes()[:2])["runs"][0]["invocations"][0]
    assert clean == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_secret_never_in_sarif() -> None:
    out = render_sarif(sample_outcomes(), Options(), rules={"HF101": ROOT_RULE})
    assert SECRET not in out
    assert "***REDACTED***" in out


def fingerprints(outcomes: list[FileOutcome]) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif(outcomes)["runs"][0]["results"]]


def test_fingerprints_stable_when_lines_move_and_unique_for_twins() -> None:
    def outcome(text: str) -> FileOutcome:
        spans = [m.span() for m in re.finditer(r"USER\s+root", text)]
        diags = [diag(text, "HF101", "root-user", s, e, "root") for s, e in spans]
        return FileOutcome("Dockerfile", "dockerfile", "success", diags, original=text)

    before = fingerprints([outcome("USER root\nRUN x\nUSER root\n")])
    after = fingerprints([outcome("# a comment\n\nUSER   root\nRUN x\nUSER root\n")])
    assert len(set(before)) == 2
    assert before == after  # moved down two rows and re-spaced: same alerts
    other = fingerprints([outcome("USER root\n")])
    renamed = [FileOutcome("other/Dockerfile", "dockerfile", "success", outcome("USER root\n").diagnostics)]
    renamed[0].original = "USER root\n"
    assert fingerprints(renamed) != other


def test_fingerprint_hashes_the_redacted_line() -> None:
    app = sample_outcomes()[0]
    first = fingerprints([app])[0]
    app.redactor.secrets.clear()
    app.redactor._pattern = None
    assert fingerprints([app])[0] != first  # the secret itself was not part of the hash
