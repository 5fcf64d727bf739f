"""Helpers for rule tests: lint or fix a snippet with only the rule under test enabled."""

from __future__ import annotations

import textwrap
from typing import Any

from hardenify.diagnostics import Diagnostic
from hardenify.engine import fix_text, lint
from hardenify.settings import Settings


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(text: str, code: str, kind: str = "dockerfile", **ctx: object) -> list[Diagnostic]:
    """Diagnostics of one rule on `text` (dedented)."""
    return lint("Dockerfile", dedent(text), kind, Settings(select=(code,)), **ctx).diagnostics  # type: ignore[arg-type]


def codes(text: str, code: str, **ctx: Any) -> list[str]:
    return [d.code for d in findings(text, code, **ctx)]


def fixed(text: str, code: str, *, unsafe: bool = False, kind: str = "dockerfile", **ctx: object) -> str:
    """Apply one rule's fixes to a fixpoint; asserts the result is idempotent."""
    settings = Settings(select=(code,), unsafe_fixes=unsafe)
    res = fix_text("Dockerfile", dedent(text), kind, settings, **ctx)  # type: ignore[arg-type]
    assert res.refused is None, res.refused
    again = fix_text("Dockerfile", res.text, kind, settings, **ctx)  # type: ignore[arg-type]
    assert again.text == res.text, "fix is not idempotent"
    return res.text
