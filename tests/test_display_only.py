"""Display-only fixes (ruff's `DisplayOnly`): shown as a suggestion, never applied.

A test-only rule stands in for a real one: it offers `FROM alpine:3` → `FROM alpine:3.20`, a
change only a human can judge, marked display-only. The engine must not apply it even with
`--unsafe-fixes`; the reporters, `fix --diff` and the PR body must show it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify import engine
from hardenify.cli import app
from hardenify.context import CheckContext
from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Severity
from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from hardenify.reporters._common import applies
from hardenify.settings import Settings

TEXT = "FROM alpine:3\nRUN true\n"
OLD = "alpine:3"


def _suggestion(text: str) -> Diagnostic:
    start = text.index(OLD)
    end = start + len(OLD)
    fix = Fix(
        (Edit(start, end, "alpine:3.20"),), Applicability.DISPLAY_ONLY, "Pin the minor version: alpine:3.20"
    )
    return Diagnostic(
        "HF999",
        "test-suggestion",
        "A suggestion only",
        Severity.INFO,
        start,
        end,
        Position(1, 6),
        Position(1, 14),
        fix,
    )


@pytest.fixture
def suggesting_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every run's findings are the one display-only suggestion (while the text still has it)."""

    def run_rules(ctx: CheckContext, settings: Settings) -> list[Diagnostic]:
        return [_suggestion(ctx.text)] if OLD + "\n" in ctx.text else []

    monkeypatch.setattr(engine, "_run_rules", run_rules)
    yield


@pytest.mark.usefixtures("suggesting_rule")
@pytest.mark.parametrize("unsafe", [False, True])
def test_the_engine_never_applies_a_display_only_fix(unsafe: bool) -> None:
    res = engine.fix_text(
        "Dockerfile", TEXT, "dockerfile", Settings(unsafe_fixes=unsafe, unsafe_fixes_for=frozenset({"HF999"}))
    )
    assert res.text == TEXT
    assert not res.fixed and not res.applied
    assert res.unsafe_available == 0  # not "hidden": --unsafe-fixes would not apply it either
    assert [d.code for d in res.remaining] == ["HF999"]


def test_reporters_show_it_as_a_suggestion_not_as_fixable() -> None:
    o = FileOutcome("Dockerfile", "dockerfile", "success", [_suggestion(TEXT)], original=TEXT)
    assert not applies(_suggestion(TEXT).fix, unsafe_fixes=True)
    text = render([o], "text", show_fixes=True, unsafe_fixes=True)
    assert "[*]" not in text
    assert "= suggestion: Pin the minor version: alpine:3.20" in text
    data = json.loads(render([o], "json"))
    assert data[0]["fix"]["applicability"] == "display-only"
    sarif = json.loads(render([o], "sarif"))
    assert sarif["runs"][0]["results"][0]["properties"]["fixApplicability"] == "display-only"


@pytest.mark.usefixtures("suggesting_rule")
def test_fix_shows_it_with_diff_and_never_writes_it(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(TEXT)
    r = CliRunner().invoke(app, ["fix", "--diff", "--unsafe-fixes", str(df)])
    assert "HF999 suggestion (not applied): Pin the minor version: alpine:3.20" in r.output
    r = CliRunner().invoke(app, ["fix", "--unsafe-fixes", str(df)])
    assert df.read_text() == TEXT
