"""The README is part of the product: its commands and rule table must stay true."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sync_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sync_readme", ROOT / "scripts" / "sync_readme.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rule_table_is_generated_from_metadata() -> None:
    assert _sync_module().render(README) == README, "run: python scripts/sync_readme.py"


def test_every_rule_is_in_the_readme() -> None:
    from hardenify.rules import all_rules

    for r in all_rules():
        assert f"| {r.code} | {r.name} |" in README


def test_setup_commands_are_documented_and_match_ci() -> None:
    test_cmd = "pip install -e '.[test]' && pytest"
    assert test_cmd in README
    assert f'TEST_CMD="{test_cmd}"' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install . && hardenify check --exit-zero samples/legacy-python" in README
    assert (ROOT / "samples" / "legacy-python" / "Dockerfile").is_file()


def test_rule_pages_are_generated_from_metadata() -> None:
    pages = _sync_module().rule_pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert set(on_disk) == set(pages), "run: python scripts/sync_readme.py"
    stale = sorted(name for name, text in pages.items() if on_disk[name] != text)
    assert not stale, f"stale rule pages {stale}; run: python scripts/sync_readme.py"


def test_every_finding_url_is_a_page_in_this_repo() -> None:
    from hardenify.rules import DOCS_BASE_URL, all_rules

    prefix = "https://github.com/hardenify/hardenify/blob/main/"
    assert DOCS_BASE_URL.startswith(prefix)
    for r in all_rules():
        page = ROOT / r.url.removeprefix(prefix)
        assert page.is_file(), f"{r.code}: {r.url} has no page at {page}"
        assert page.read_text(encoding="utf-8").splitlines()[2] == f"# {r.code} {r.name}"


def test_rule_index_links_every_page() -> None:
    from hardenify.rules import all_rules

    index = (ROOT / "docs" / "rules" / "README.md").read_text(encoding="utf-8")
    for r in all_rules():
        assert f"[{r.code}]({r.code}.md)" in index
