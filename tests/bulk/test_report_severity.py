"""The fleet report puts the worst repositories first and names findings a fix brought in
(issue 14 item 14): pure model tests, no git or pool needed."""

from __future__ import annotations

import json
from pathlib import Path

from hardenify.bulk.report.html import render as render_html
from hardenify.bulk.report.markdown import render as render_markdown
from hardenify.bulk.report.model import Finding, Fleet, RepoReport, load_baseline


def _f(code: str, severity: str, row: int = 1) -> Finding:
    return Finding("Dockerfile", row, 1, code, "rule", severity, "message")


def _fleet() -> Fleet:
    return Fleet(
        repos=[
            RepoReport("many-warnings", "/r/a", 1, [_f("HF202", "warning", i) for i in range(1, 6)]),
            RepoReport("one-error", "/r/b", 1, [_f("HF101", "error")]),
            RepoReport("clean", "/r/c", 1, []),
            RepoReport("error-and-style", "/r/d", 1, [_f("HF101", "error"), _f("HF504", "style")]),
        ]
    )


def test_repositories_are_sorted_worst_severity_first() -> None:
    fleet = _fleet()
    assert [r.name for r in fleet.repos_by_severity()] == [
        "error-and-style",
        "one-error",
        "many-warnings",
        "clean",
    ]
    assert [r["name"] for r in fleet.as_json()["repositories"]] == [
        "error-and-style",
        "one-error",
        "many-warnings",
        "clean",
    ]
    md = render_markdown(fleet)
    details = md.split("## Details", 1)[1]
    assert details.index("### error-and-style") < details.index("### one-error") < details.index("### clean")


def test_findings_new_since_a_pre_fix_baseline_are_named(tmp_path: Path) -> None:
    before = _fleet()
    baseline = tmp_path / "before.json"
    baseline.write_text(before.to_json())
    after = _fleet()
    # after the fix: one-error's HF101 is gone, and a split brought in an unpinned runtime FROM
    after.repos[1].findings = [_f("HF202", "warning", 3)]
    after.baseline = load_baseline(baseline)
    assert after.new_since_baseline(after.repos[1]) == {"HF202": 1}
    assert not after.new_since_baseline(after.repos[0])  # same five HF202 as before
    data = json.loads(after.to_json())
    by_name = {r["name"]: r for r in data["repositories"]}
    assert by_name["one-error"]["new_since_baseline"] == {"HF202": 1}
    assert by_name["many-warnings"]["new_since_baseline"] == {}
    assert "New since the baseline" in render_markdown(after).split("### one-error", 1)[1].split("###", 1)[0]
    assert "New since the baseline" in render_html(after)
    assert not Fleet(repos=_fleet().repos).new_since_baseline(after.repos[1])  # no baseline, nothing new
