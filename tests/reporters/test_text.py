"""The text (ruff "full") and concise formats: exact output, colour, fix markers, snippets."""

from __future__ import annotations

import re

from hardenify.diagnostics import Applicability, Edit, Fix, Redactor, Severity
from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from tests.reporters.samples import SECRET, diag, sample_outcomes, span

ANSI = re.compile(r"\x1b\[[0-9;]*m")

EXPECTED_TEXT = """\
app/Dockerfile:2:1: HF301 API_TOKEN holds a secret (***REDACTED***)
  |
2 | ENV API_TOKEN=***REDACTED***
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ HF301
  |
  = help: Move API_TOKEN to a build secret
  = note: rotate ***REDACTED***: it is in the image history

app/Dockerfile:3:1: HF101 [*] Container runs as root
  |
3 | USER root
  | ^^^^^^^^^ HF101
  |
  = help: Switch to an unprivileged user

app/Dockerfile:4:1: HF401 apk add without --no-cache keeps the package index
  |
4 | RUN apk add \\
  | ^^^^^^^^^^^^^
5 |     curl \\
  |     ^^^^^^
6 |     git
  |     ^^^ HF401
  |

svc/Dockerfile:1:1: HF203 Base image python:3.12 is not pinned by digest
  |
1 | FROM python:3.12
  | ^^^^^^^^^^^^^^^^ HF203
  |
  = help: Pin the digest

svc/Dockerfile:2:1: HF402 COPY . copies the whole build context
  |
2 | COPY . /app
  | ^^^^^^^^^^^ HF402
  |
  = note: add a .dockerignore

svc/Dockerfile:3:1: HF101 [*] Container runs as root
  |
3 | USER root
  | ^^^^^^^^^ HF101
  |
  = help: Create and switch to user app

broken/Dockerfile: error: internal error (ValueError: bad token ***REDACTED***)

Found 6 findings; 1 file could not be checked.
[*] 2 fixable with `hardenify fix` (2 hidden fixes can be enabled with `hardenify fix --unsafe-fixes`).
"""

EXPECTED_CONCISE = """\
app/Dockerfile:2:1: HF301 API_TOKEN holds a secret (***REDACTED***)
app/Dockerfile:3:1: HF101 [*] Container runs as root
app/Dockerfile:4:1: HF401 apk add without --no-cache keeps the package index
svc/Dockerfile:1:1: HF203 Base image python:3.12 is not pinned by digest
svc/Dockerfile:2:1: HF402 COPY . copies the whole build context
svc/Dockerfile:3:1: HF101 [*] Container runs as root
broken/Dockerfile: error: internal error (ValueError: bad token ***REDACTED***)
Found 6 findings; 1 file could not be checked.
[*] 2 fixable with `hardenify fix` (2 hidden fixes can be enabled with `hardenify fix --unsafe-fixes`).
"""


def one(text: str, d_start: int, d_end: int, **kw: object) -> FileOutcome:
    """An outcome with a single finding over text[d_start:d_end]."""
    redactor = kw.pop("redactor", None)
    d = diag(text, "HF999", "test-rule", d_start, d_end, "msg", **kw)  # type: ignore[arg-type]
    return FileOutcome(
        "Dockerfile",
        "dockerfile",
        "success",
        [d],
        original=text,
        redactor=redactor if isinstance(redactor, Redactor) else Redactor(),
    )


def snippet(out: str) -> list[str]:
    """The lines between the header and the summary."""
    return out.split("\n\n")[0].splitlines()[1:]


def test_text_exact_output() -> None:
    assert render(sample_outcomes(), "text") == EXPECTED_TEXT


def test_text_is_the_default_and_deterministic() -> None:
    assert render(sample_outcomes(), "text") == render(list(sample_outcomes()), "text")


def test_concise_exact_output() -> None:
    assert render(sample_outcomes(), "concise") == EXPECTED_CONCISE


def test_unsafe_fixes_marks_unsafe_fixes_fixable() -> None:
    out = render(sample_outcomes(), "concise", unsafe_fixes=True)
    assert "app/Dockerfile:2:1: HF301 [*] API_TOKEN" in out
    assert "svc/Dockerfile:1:1: HF203 [*] Base image" in out
    assert out.endswith("[*] 4 fixable with `hardenify fix --unsafe-fixes`.\n")
    assert "hidden" not in out


def test_show_fixes_false_hides_fix_hints_but_keeps_notes() -> None:
    out = render(sample_outcomes(), "text", show_fixes=False)
    assert "[*]" not in out
    assert "= help:" not in out
    assert "  = note: add a .dockerignore" in out
    assert out.endswith("Found 6 findings; 1 file could not be checked.\n")


def test_only_hidden_fixes_summary() -> None:
    t = "FROM python:3.12\n"
    o = one(t, 0, 16, fix=Fix((Edit(16, 16, "@sha256:a"),), Applicability.UNSAFE, "Pin"))
    out = render([o], "concise")
    assert out == (
        "Dockerfile:1:1: HF999 msg\n"
        "Found 1 finding.\n"
        "No fixes available (1 hidden fix can be enabled with `hardenify fix --unsafe-fixes`).\n"
    )


def test_clean_run_and_error_only_run() -> None:
    clean = FileOutcome("Dockerfile", "dockerfile", "success", original="FROM a\n")
    assert render([clean], "text") == "All checks passed!\n"
    assert render([clean], "concise") == "All checks passed!\n"
    assert render([], "text") == "All checks passed!\n"
    failed = FileOutcome("x/Dockerfile", "dockerfile", "failure", error="is a directory")
    assert render([clean, failed], "text") == (
        "x/Dockerfile: error: is a directory\n\nNo findings; 1 file could not be checked.\n"
    )


def test_colour_only_when_asked() -> None:
    plain = render(sample_outcomes(), "text")
    coloured = render(sample_outcomes(), "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" not in render(sample_outcomes(), "concise")
    assert "\x1b[1mapp/Dockerfile\x1b[0m" in coloured  # bold path
    assert "\x1b[31;1mHF101\x1b[0m" in coloured  # red bold code
    assert "\x1b[36m[*]\x1b[0m" in coloured  # cyan fix marker
    assert ANSI.sub("", coloured) == plain
    concise = render(sample_outcomes(), "concise", color=True)
    assert ANSI.sub("", concise) == render(sample_outcomes(), "concise")
    assert render([], "text", color=True) == "\x1b[32;1mAll checks passed!\x1b[0m\n"


def test_tabs_and_wide_characters_keep_carets_aligned() -> None:
    t = 'LABEL a="日本"\tb=1\n'
    start, end = span(t, "b=1")
    lines = snippet(render([one(t, start, end)], "text"))
    # "日本" takes four cells, the tab pads from column 14 to 16.
    assert lines[1] == '1 | LABEL a="日本"  b=1'
    assert lines[2] == "  |                 ^^^ HF999"


def test_control_characters_cannot_reach_the_terminal() -> None:
    t = "RUN echo \x1b[2J done\n"
    out = render([one(t, 0, len(t) - 1, note="bad \x07 note")], "text")
    assert "\x1b" not in out and "\x07" not in out
    assert "1 | RUN echo \u241b[2J done" in out
    assert "= note: bad \u2407 note" in out


def test_undecodable_bytes_render_as_replacement_characters() -> None:
    t = "RUN echo \udcff\n"
    out = render([one(t, 0, len(t) - 1)], "text")
    assert "RUN echo \ufffd" in out
    out.encode("utf-8")  # would raise on a lone surrogate


def test_span_inside_a_secret_underlines_the_whole_marker() -> None:
    t = f"ENV A={SECRET} B=2\n"
    r = Redactor()
    r.add(SECRET)
    # Only the middle of the secret: carets must cover the marker, and nothing leaks.
    start = t.index(SECRET) + 3
    lines = snippet(render([one(t, start, start + 5, redactor=r)], "text"))
    assert lines[1] == "1 | ENV A=***REDACTED*** B=2"
    assert lines[2] == "  |       ^^^^^^^^^^^^^^ HF999"
    # A span starting after the secret shifts by the length difference.
    start, end = span(t, "B=2")
    lines = snippet(render([one(t, start, end, redactor=r)], "text"))
    assert lines[2] == "  |                      ^^^ HF999"


def test_secret_spanning_a_line_break_is_redacted_on_both_rows() -> None:
    secret = "abcd\\\nefgh"
    t = f"ENV A={secret}\nUSER root\n"
    r = Redactor()
    r.add(secret)
    out = render([one(t, 0, t.index("\nUSER"), redactor=r)], "text")
    assert "abcd" not in out and "efgh" not in out
    lines = snippet(out)
    assert lines[1] == "1 | ENV A=***REDACTED***"
    assert lines[3] == "2 | ***REDACTED***"


def test_long_multiline_span_is_elided() -> None:
    t = "RUN a \\\n" + "".join(f"  && step{i} \\\n" for i in range(10)) + "  && done\n"
    out = render([one(t, 0, len(t) - 1)], "text")
    lines = snippet(out)
    rows = [m.group(1) for ln in lines if (m := re.match(r"\s*(\d+) \| ", ln))]
    assert rows == ["1", "2", "3", "4", "11", "12"]
    assert "..." in lines
    assert lines[-2].endswith("^^^^^^^ HF999")


def test_span_ending_at_start_of_next_row_stops_before_it() -> None:
    t = "USER root\nRUN x\n"
    lines = snippet(render([one(t, 0, t.index("RUN"))], "text"))
    assert lines == ["  |", "1 | USER root", "  | ^^^^^^^^^ HF999", "  |"]


def test_empty_span_gets_one_caret() -> None:
    t = "FROM a\n"
    lines = snippet(render([one(t, 6, 6)], "text"))
    assert lines[2] == "  |       ^ HF999"


def test_fix_mode_outcome_points_into_the_fixed_text() -> None:
    # After `hardenify fix`, remaining diagnostics are positions in the fixed text.
    original = "USER root\n"
    fixed = "RUN adduser app\nUSER app\n"
    d = diag(fixed, "HF999", "test-rule", *span(fixed, "USER app"), "still here", Severity.WARNING)
    o = FileOutcome("Dockerfile", "dockerfile", "success", [d], original=original, fixed_text=fixed)
    assert "2 | USER app" in render([o], "text")


def test_outcome_without_text_prints_header_only() -> None:
    d = diag("FROM a\n", "HF999", "test-rule", 0, 6, "msg")
    o = FileOutcome("Dockerfile", "dockerfile", "success", [d])
    assert render([o], "text") == "Dockerfile:1:1: HF999 msg\n\nFound 1 finding.\n"


def test_quiet_prints_findings_without_summary() -> None:
    assert render(sample_outcomes(), "concise", quiet=True) == EXPECTED_CONCISE.rsplit("Found", 1)[0]
    assert render(sample_outcomes(), "text", quiet=True) == EXPECTED_TEXT.rsplit("\nFound", 1)[0]
    clean = FileOutcome("Dockerfile", "dockerfile", "success", original="FROM a\n")
    assert render([clean], "text", quiet=True) == ""
    assert render([clean], "concise", quiet=True) == ""
