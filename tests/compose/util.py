"""Helpers for compose rule tests: lint or fix a snippet with only the rules under test."""

from __future__ import annotations

import textwrap

from hardenify.diagnostics import Diagnostic
from hardenify.engine import fix_text, lint
from hardenify.settings import Settings

# A name that never exists on disk, so no sibling file is read unless a test passes base_dir.
NAME = "no-such-dir/compose.yaml"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(text: str, code: str, *, base_dir: str | None = None, raw: bool = False) -> list[Diagnostic]:
    """Diagnostics of the selected rules on a compose snippet (dedented unless `raw`)."""
    src = text if raw else dedent(text)
    return lint(NAME, src, "compose", Settings(select=(code,)), base_dir=base_dir).diagnostics


def rows(text: str, code: str, **kw: object) -> list[tuple[str, int]]:
    return [(d.code, d.location.row) for d in findings(text, code, **kw)]  # type: ignore[arg-type]


def fixed(
    text: str, code: str, *, unsafe: bool = True, base_dir: str | None = None, raw: bool = False
) -> str:
    """Fix to a fixpoint; asserts the result is accepted and idempotent."""
    src = text if raw else dedent(text)
    settings = Settings(select=(code,), unsafe_fixes=unsafe)
    res = fix_text(NAME, src, "compose", settings, base_dir=base_dir)
    assert res.refused is None, res.refused
    again = fix_text(NAME, res.text, "compose", settings, base_dir=base_dir)
    assert again.text == res.text, "fix is not idempotent"
    return res.text
