"""Start-up: the generated rule index stays in sync, and a run imports only the rules it runs.

No timing here (speed is measured in benchmarks/bench_startup.py): these tests check what is
imported, which is what start-up time follows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hardenify import rules
from hardenify.rules import all_rules, import_all_rules, index_entry

ROOT = Path(__file__).resolve().parent.parent


def test_the_rule_index_matches_the_rule_modules() -> None:
    """hardenify/rules_index.py is generated: rerun `python scripts/sync_readme.py` when this fails."""
    from hardenify.rules_index import RULES

    expected = [
        (r.check.__module__.rsplit(".", 1)[-1] if r.check else "", index_entry(r)) for r in import_all_rules()
    ]
    assert sorted(m for m, _ in RULES) == rules.rule_module_names(), "run: python scripts/sync_readme.py"
    assert [(m, e) for m, e in RULES] == expected, "run: python scripts/sync_readme.py"


def test_the_index_file_is_what_the_generator_writes() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import sync_readme
    finally:
        sys.path.pop(0)
    text = (ROOT / "hardenify" / "rules_index.py").read_text(encoding="utf-8")
    assert text == sync_readme._formatted(sync_readme.rule_index()), "run: python scripts/sync_readme.py"


def test_rules_from_the_index_equal_the_modules_rules() -> None:
    assert all_rules() == import_all_rules()  # every metadata field (check is not compared)


def test_a_lazy_check_imports_its_module_on_first_use_and_then_steps_aside() -> None:
    indexed = rules._from_index()
    assert indexed is not None
    rule = next(r for r in indexed if r.code == "HF403")
    assert isinstance(rule.check, rules._LazyCheck)
    from hardenify.engine import make_context
    from hardenify.settings import Settings

    ctx = make_context("Dockerfile", "FROM debian:12\nRUN apt-get update\n", "dockerfile", Settings())
    assert [d.code for d in rule.check(ctx)] == ["HF403"]
    assert not isinstance(rule.check, rules._LazyCheck)
    assert rule.check.__module__ == "hardenify.fixers.hf403_apt_lists_not_removed"


def test_a_stale_index_falls_back_to_importing_every_module(monkeypatch: pytest.MonkeyPatch) -> None:
    names = rules.rule_module_names()
    monkeypatch.setattr(rules, "rule_module_names", lambda: [*names, "hf999_new_rule"])
    assert rules._from_index() is None


def _imported_by(code: str, cwd: Path) -> dict[str, list[str]]:
    """The hardenify modules a CLI run in a fresh interpreter imported (it runs `code` first)."""
    script = (
        "import json, sys\n"
        "from hardenify.__main__ import main\n"
        f"{code}\n"
        "try:\n"
        "    main(ARGS)\n"
        "except SystemExit:\n"
        "    pass\n"
        "mods = sorted(m for m in sys.modules if m.startswith(('hardenify', 'ruamel', 'jinja2', 'dockerfile')))\n"
        "sys.stderr.write('MODULES=' + json.dumps(mods))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    line = r.stderr.rsplit("MODULES=", 1)[-1]
    mods: list[str] = json.loads(line)
    return {
        "rules": [m for m in mods if m.startswith("hardenify.fixers.hf")],
        "all": mods,
    }


def test_checking_a_dockerfile_imports_no_compose_rule(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN apt-get update\n")
    got = _imported_by("ARGS = ['check', '--no-cache', 'Dockerfile']", tmp_path)
    assert got["rules"], "the Dockerfile rules ran"
    assert not [m for m in got["rules"] if m.startswith("hardenify.fixers.hf6")]
    assert not [m for m in got["all"] if m.startswith(("ruamel", "jinja2", "hardenify.compose"))]


def test_a_warm_check_imports_no_rule_at_all(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN apt-get update\n")
    _imported_by("ARGS = ['check', 'Dockerfile']", tmp_path)  # fills the cache
    got = _imported_by("ARGS = ['check', 'Dockerfile']", tmp_path)
    assert got["rules"] == []
    assert "hardenify.dockerfile.model" not in got["all"]


def test_version_imports_no_command_and_no_rule(tmp_path: Path) -> None:
    got = _imported_by("ARGS = ['--version']", tmp_path)
    assert got["rules"] == []
    assert not [
        m for m in got["all"] if m.startswith(("hardenify.commands.", "hardenify.engine", "hardenify.rules"))
    ]
