"""The `render` entry point: format names, and the promise that secrets never leak."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hardenify.reporters import FORMATS, render
from hardenify.reporters.diff import fix_summary, unified_diff
from tests.reporters.samples import SECRET, fixed_outcome, sample_outcomes, secret_redactor


def test_formats() -> None:
    assert FORMATS == ("text", "concise", "json", "sarif", "github", "gitlab")


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render(sample_outcomes(), "xml")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("statistics", [False, True])
@pytest.mark.parametrize("unsafe_fixes", [False, True])
@pytest.mark.parametrize("color", [False, True])
def test_secret_never_leaks(fmt: str, statistics: bool, unsafe_fixes: bool, color: bool) -> None:
    out = render(sample_outcomes(), fmt, color=color, statistics=statistics, unsafe_fixes=unsafe_fixes)
    assert out.endswith("\n")
    assert SECRET not in out
    # Not even a recognisable fragment of it.
    assert SECRET[:8] not in out and SECRET[-8:] not in out
    if not statistics:
        assert "***REDACTED***" in out


def test_secret_never_leaks_from_diff_or_summary() -> None:
    o = fixed_outcome(
        f"ENV T={SECRET}\n",
        f"ARG T # {SECRET}\n",
        redactor=secret_redactor(),
        fixed={"HF301": 1},
        refused=f"refused near {SECRET}",
    )
    for out in (unified_diff(o), unified_diff(o, color=True), fix_summary([o], False, True)):
        assert SECRET not in out


def test_machine_formats_are_deterministic() -> None:
    for fmt in ("json", "sarif", "github", "gitlab"):
        assert render(sample_outcomes(), fmt) == render(sample_outcomes(), fmt)


def test_importing_reporters_stays_light() -> None:
    """The default text path must not drag in the rule registry, json or hashlib."""
    code = (
        "import sys, hardenify.reporters as r, hardenify.reporters.text, hardenify.reporters.concise\n"
        "heavy = {'hardenify.rules', 'hardenify.fixers', 'json', 'hashlib', 'difflib', 'rich'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
