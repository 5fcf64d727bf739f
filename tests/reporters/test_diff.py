"""`hardenify fix --diff` output and the fix summary line."""

from __future__ import annotations

import difflib

import pytest

from hardenify.diagnostics import Applicability, Edit, Fix, Redactor, Severity
from hardenify.outcome import FileOutcome
from hardenify.reporters.diff import fix_summary, split_lines, unified_diff
from tests.reporters.samples import SECRET, diag, error_outcome, fixed_outcome, secret_redactor


def test_simple_diff_exact() -> None:
    o = fixed_outcome("FROM a\nUSER root\nRUN x\n", "FROM a\nUSER app\nRUN x\n")
    assert unified_diff(o) == (
        "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,3 @@\n FROM a\n-USER root\n+USER app\n RUN x\n"
    )


def test_matches_difflib_for_plain_lf_files() -> None:
    old = "".join(f"RUN step{i}\n" for i in range(30))
    new = old.replace("RUN step3\n", "RUN step3 --safe\n").replace("RUN step20\n", "")
    new += "USER app\n"
    o = fixed_outcome(old, new, filename="sub/Dockerfile")
    expected = "".join(
        difflib.unified_diff(split_lines(old), split_lines(new), "a/sub/Dockerfile", "b/sub/Dockerfile")
    )
    assert unified_diff(o) == expected
    assert unified_diff(o).count("@@ -") == 3  # far-apart changes get their own hunks


def test_crlf_endings_are_stripped_for_display() -> None:
    o = fixed_outcome("FROM a\r\nUSER root\r\nRUN x\r\n", "FROM a\r\nUSER app\r\nRUN x\r\n")
    out = unified_diff(o)
    assert "\r" not in out
    assert out.endswith("@@ -1,3 +1,3 @@\n FROM a\n-USER root\n+USER app\n RUN x\n")


def test_crlf_only_change_is_marked() -> None:
    o = fixed_outcome("FROM a\r\nRUN x\r\nUSER app\r\n", "FROM a\r\nRUN x\nUSER app\r\n")
    assert unified_diff(o).endswith("@@ -1,3 +1,3 @@\n FROM a\n-RUN x  [CRLF]\n+RUN x  [LF]\n USER app\n")


def test_no_final_newline_like_git() -> None:
    o = fixed_outcome("FROM a\nUSER root", "FROM a\nUSER app\n")
    assert unified_diff(o).endswith(
        "@@ -1,2 +1,2 @@\n FROM a\n-USER root\n\\ No newline at end of file\n+USER app\n"
    )
    # Adding only the final newline is still a visible change.
    o = fixed_outcome("FROM a\nUSER app", "FROM a\nUSER app\n")
    assert unified_diff(o).endswith("-USER app\n\\ No newline at end of file\n+USER app\n")
    # Unchanged last line without a newline: the marker follows the context line.
    o = fixed_outcome("USER root\nFROM a", "USER app\nFROM a")
    assert unified_diff(o).endswith("-USER root\n+USER app\n FROM a\n\\ No newline at end of file\n")


def test_secret_is_redacted_in_every_diff_line() -> None:
    old = f"FROM a\nENV TOKEN={SECRET}\nUSER root\n"
    new = f"FROM a\nARG TOKEN # was {SECRET}\nUSER app\n"
    o = fixed_outcome(old, new, redactor=secret_redactor(), filename=f"x/{SECRET}/Dockerfile")
    out = unified_diff(o, color=True)
    assert SECRET not in out
    assert "-ENV TOKEN=***REDACTED***" in out
    assert "+ARG TOKEN # was ***REDACTED***" in out
    assert "--- a/x/***REDACTED***/Dockerfile" in out


def test_secret_spanning_lines_is_redacted_and_rows_stay_aligned() -> None:
    secret = "abcd\\\nefgh"
    r = Redactor()
    r.add(secret)
    old = f"ENV A={secret}\nUSER root\nRUN x\n"
    new = f"ENV A={secret}\nUSER app\nRUN x\n"
    out = unified_diff(fixed_outcome(old, new, redactor=r))
    assert "abcd" not in out and "efgh" not in out
    assert out.endswith(
        "@@ -1,4 +1,4 @@\n ENV A=***REDACTED***\n ***REDACTED***\n-USER root\n+USER app\n RUN x\n"
    )


def test_colour_only_when_asked() -> None:
    o = fixed_outcome("FROM a\nUSER root\n", "FROM a\nUSER app\n")
    assert "\x1b[" not in unified_diff(o)
    coloured = unified_diff(o, color=True)
    assert "\x1b[31m-USER root\x1b[0m" in coloured
    assert "\x1b[32m+USER app\x1b[0m" in coloured
    assert "\x1b[36m@@ -1,2 +1,2 @@\x1b[0m" in coloured
    assert "\x1b[1m--- a/Dockerfile\x1b[0m" in coloured


def test_unchanged_or_refused_gives_no_diff() -> None:
    assert unified_diff(fixed_outcome("FROM a\n", "FROM a\n")) == ""
    assert unified_diff(FileOutcome("Dockerfile", "dockerfile", "success", original="FROM a\n")) == ""
    assert unified_diff(error_outcome()) == ""


def test_control_characters_in_diff_are_visible_not_executed() -> None:
    o = fixed_outcome("RUN echo \x1b[31m\n", "RUN echo hi\n")
    out = unified_diff(o)
    assert "\x1b" not in out
    assert "-RUN echo \u241b[31m\n" in out


def test_windows_path_uses_forward_slashes() -> None:
    o = fixed_outcome("USER root\n", "USER app\n", filename="svc\\Dockerfile")
    assert unified_diff(o).startswith("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n")


def _remaining_unsafe(text: str) -> FileOutcome:
    d = diag(
        text,
        "HF203",
        "unpinned-base-image",
        0,
        6,
        "not pinned",
        Severity.WARNING,
        fix=Fix((Edit(6, 6, "@sha256:a"),), Applicability.UNSAFE, "Pin"),
    )
    o = fixed_outcome(
        text, text.replace("root", "app"), filename="a/Dockerfile", fixed={"HF401": 2, "HF101": 1}
    )
    o.diagnostics = [d]
    o.unsafe_available = 1
    return o


def test_fix_summary() -> None:
    a = _remaining_unsafe("FROM a\nUSER root\n")
    b = fixed_outcome("USER root\n", "USER app\n", filename="b/Dockerfile", fixed={"HF401": 1})
    c = fixed_outcome(
        "USER root\n",
        "USER root\n",
        filename="c/Dockerfile",
        redactor=secret_redactor(),
        refused=f"the fixed file would not parse with BuildKit (near {SECRET}); left unchanged",
    )
    out = fix_summary([a, b, c, error_outcome()], unsafe_fixes=False, diff_mode=False)
    assert out == (
        "c/Dockerfile: not fixed: the fixed file would not parse with BuildKit "
        "(near ***REDACTED***); left unchanged\n"
        "Fixed 4 findings (HF101 ×1, HF401 ×3) in 2 files; 1 remaining, "
        "1 more fixable with --unsafe-fixes, 1 file could not be checked.\n"
    )
    assert fix_summary([a, b], unsafe_fixes=False, diff_mode=True) == (
        "Would fix 4 findings (HF101 ×1, HF401 ×3) in 2 files; "
        "1 remaining, 1 more fixable with --unsafe-fixes.\n"
    )
    # With --unsafe-fixes there is nothing more to unlock.
    a.unsafe_available = 0
    assert fix_summary([a], unsafe_fixes=True, diff_mode=False) == (
        "Fixed 3 findings (HF101 ×1, HF401 ×2) in 1 file; 1 remaining.\n"
    )


def test_fix_summary_when_nothing_changes() -> None:
    clean = fixed_outcome("FROM a\n", "FROM a\n")
    assert fix_summary([clean], unsafe_fixes=False, diff_mode=False) == "Nothing to fix.\n"
    left = _remaining_unsafe("FROM a\nUSER root\n")
    left.fixed.clear()
    assert fix_summary([left], unsafe_fixes=False, diff_mode=True) == (
        "No fixes would be applied; 1 remaining, 1 more fixable with --unsafe-fixes.\n"
    )
    assert fix_summary([left], unsafe_fixes=False, diff_mode=False).startswith("No fixes applied; ")
    assert fix_summary([fixed_outcome("a", "b", fixed={"HF101": 1})], False, False) == (
        "Fixed 1 finding (HF101 ×1) in 1 file.\n"
    )


@pytest.mark.parametrize(
    "text", ["", "a", "a\n", "a\r\n", "a\r", "a\r\nb\r", "\r\n\r\n", "x\ny\r\nz", "\n", "\r", "a\rb\n"]
)
def test_masked_lines_fast_path_matches_the_source_view(text: str) -> None:
    """Without secrets, masked_lines skips the SourceView; the rows must be the view's rows."""
    from hardenify.diagnostics import Redactor
    from hardenify.reporters._common import SourceView, masked_lines

    view = SourceView(text, Redactor())
    assert masked_lines(text, Redactor()) == [
        view.shown_line(r).text for r in range(1, view.index.line_count + 1)
    ]
