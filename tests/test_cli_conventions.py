"""ruff's conventions on `check`: --fix, --fix-only, --diff, --show-fixes, unknown selectors, --statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.cli import app

# HF403 (safe fix) and HF402 (no safe fix here) and a USER so HF101 stays quiet
DOCKERFILE = (
    "FROM debian:12\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends git\n"
    "USER 1000\n"
    'CMD ["bash"]\n'
)
FIXED_LINE = (
    "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n"
)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_check_fix_applies_safe_fixes_then_reports_what_remains(work: Path) -> None:
    code, out, _ = invoke("check", "--fix", "--output-format", "concise", "Dockerfile")
    text = (work / "Dockerfile").read_text()
    assert FIXED_LINE in text
    assert "HF403" not in out  # fixed, so not reported
    assert "HF202" in out  # no fix: still reported
    assert code == 1
    code, out, _ = invoke("check", "--fix", "Dockerfile")  # a second run has nothing left to fix
    assert (work / "Dockerfile").read_text() == text
    assert code == 1


def test_check_fix_with_nothing_left_exits_0(work: Path) -> None:
    code, out, _ = invoke("check", "--fix", "--select", "HF403", "Dockerfile")
    assert code == 0, out
    assert "All checks passed!" in out
    assert FIXED_LINE in (work / "Dockerfile").read_text()


def test_check_fix_only_fixes_and_reports_nothing(work: Path) -> None:
    code, out, _ = invoke("check", "--fix-only", "Dockerfile")
    assert code == 0
    assert "HF202" not in out
    assert FIXED_LINE in (work / "Dockerfile").read_text()


def test_check_diff_writes_nothing_and_exits_1(work: Path) -> None:
    code, out, _ = invoke("check", "--diff", "Dockerfile")
    assert code == 1
    assert out.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "+" + FIXED_LINE in out
    assert (work / "Dockerfile").read_text() == DOCKERFILE
    code, out, _ = invoke("check", "--diff", "--select", "HF202", "Dockerfile")
    assert (code, out) == (0, "")  # nothing to change


def test_check_diff_is_the_fix_commands_diff(work: Path) -> None:
    assert invoke("check", "--diff", "Dockerfile")[:2] == invoke("fix", "--diff", "Dockerfile")[:2]


def test_show_fixes_lists_each_files_fixes(work: Path) -> None:
    code, _, err = invoke("check", "--fix", "--show-fixes", "--select", "HF403", "Dockerfile")
    assert code == 0
    assert "Fixed 2 findings:\n- Dockerfile:\n    2 × HF403 (apt-lists-not-removed)\n" in err
    code, _, err = invoke("check", "--fix", "--show-fixes", "--select", "HF403", "Dockerfile")
    assert "No fixes applied." in err


def test_show_fixes_with_diff_says_would(work: Path) -> None:
    _, _, err = invoke("check", "--diff", "--show-fixes", "Dockerfile")
    assert "Would fix 2 findings:" in err


def test_check_fix_from_stdin_prints_the_fixed_text(work: Path) -> None:
    r = CliRunner().invoke(app, ["check", "--fix", "-", "--stdin-filename", "Dockerfile"], input=DOCKERFILE)
    assert FIXED_LINE in r.stdout
    assert r.exit_code == 0


@pytest.mark.parametrize("command", ["check", "fix", "bulk"])
@pytest.mark.parametrize(
    "flag,token",
    [("--select", "HF999"), ("--ignore", "HF77"), ("--extend-select", "E501"), ("--select", "hf9")],
)
def test_an_unknown_selector_exits_2_with_one_line(work: Path, command: str, flag: str, token: str) -> None:
    code, out, err = invoke(command, flag, f"HF101,{token}", ".")
    assert code == 2
    assert err == f"hardenify: error: unknown rule selector '{token}'\n"
    assert "All checks passed" not in out
    assert (work / "Dockerfile").read_text() == DOCKERFILE


@pytest.mark.parametrize("token", ["HF1", "HF40", "HF403", "ALL", "hf4"])
def test_known_selectors_still_work(work: Path, token: str) -> None:
    code, _, err = invoke("check", "--select", token, "Dockerfile")
    assert "unknown rule selector" not in err
    assert code in (0, 1)


def test_statistics_are_sorted_by_count_then_code(work: Path) -> None:
    (work / "b.Dockerfile").write_text("FROM alpine\nRUN apk add curl\nRUN apk add git\nRUN apk add jq\n")
    code, out, _ = invoke("check", "--statistics", "--no-cache", "Dockerfile", "b.Dockerfile")
    assert code == 1
    rows = [line.split("\t") for line in out.splitlines() if line[:1].strip().isdigit()]
    counts = [(-int(r[0].strip()), r[1].strip()) for r in rows]
    assert counts == sorted(counts)
    assert len({c for c, _ in counts}) > 1  # more than one count, so the order was tested
    assert rows[0][1].strip() == "HF405"  # three `apk add` without --no-cache lead
