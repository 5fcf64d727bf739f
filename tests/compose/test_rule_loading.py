"""The compose rules load only when a compose file is processed.

The registry picks rules by `Rule.kinds` from the generated index, and imports a rule's module
on its first check. That is why HF6xx modules import `hardenify.compose` at the top: a
Dockerfile run never imports them (`tests/test_startup.py` checks that side).
"""

from __future__ import annotations

from pathlib import Path

from hardenify.rules_index import RULES
from tests.test_startup import _imported_by


def test_checking_a_compose_file_loads_only_the_rules_that_read_compose(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n    privileged: true\n")
    got = _imported_by("ARGS = ['check', '--no-cache', 'compose.yaml']", tmp_path)
    expected = sorted(
        f"hardenify.fixers.{module}"
        for module, entry in RULES
        if "compose" in entry["kinds"] and (entry["default_enabled"] or entry["registers_secrets"])
    )
    assert [m for m in expected if m.startswith("hardenify.fixers.hf6")], "the compose rules are indexed"
    # every compose rule ran; a few other rule modules load as imports of one (HF614 shares
    # HF201's examples)
    assert set(expected) <= set(got["rules"])
    assert "hardenify.compose.findings" in got["all"]
