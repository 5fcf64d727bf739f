"""Regenerate what is made from the rule metadata (tests check each is current): the README's
rule table, one page per rule under docs/rules/, that folder's index, and the rule index
`hardenify/rules_index.py` the CLI loads instead of importing every rule module.

Usage: python scripts/sync_readme.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RULE_DOCS = ROOT / "docs" / "rules"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
INDEX = ROOT / "hardenify" / "rules_index.py"
HEADER = "<!-- Generated from the rule metadata by scripts/sync_readme.py: edit fixers/, not this file. -->\n"


def render(readme: str) -> str:
    from hardenify.commands.rules import rules_table_markdown

    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"{README}: markers {START} / {END} not found")
    return pattern.sub(lambda _: f"{START}\n{rules_table_markdown()}{END}", readme)


def rule_pages() -> dict[str, str]:
    """File name under docs/rules/ → its content: `HF101.md` per rule and `README.md`, the index."""
    from hardenify.commands.rules import rules_table_markdown
    from hardenify.rules import all_rules

    pages = {f"{r.code}.md": HEADER + "\n" + r.docs() for r in all_rules()}
    table = re.sub(
        r"^\| (HF\d{3}) \|", lambda m: f"| [{m[1]}]({m[1]}.md) |", rules_table_markdown(), flags=re.M
    )
    pages["README.md"] = (
        HEADER
        + "\n# hardenify rules\n\n"
        + "Each page says what the rule checks, why it matters, an example, what the fix does, "
        + "how safe the fix is and when it declines, and the same check in other tools.\n"
        + "`hardenify rule CODE` prints the same page in a terminal.\n\n"
        + table
    )
    return pages


def rule_index() -> str:
    """The source of `hardenify/rules_index.py`: every rule's metadata as literals, by module.

    Built from the modules themselves (`import_all_rules`), never from an older index."""
    import pprint

    from hardenify.rules import import_all_rules, index_entry, rule_from_entry

    entries = []
    for r in import_all_rules():
        module = r.check.__module__.rsplit(".", 1)[-1] if r.check is not None else ""
        entry = index_entry(r)
        if rule_from_entry(entry, None) != r:
            raise SystemExit(f"{r.code}: a Rule field does not survive the index; teach rules.index_entry")
        entries.append((module, entry))
    body = pprint.pformat(tuple(entries), width=110, sort_dicts=False)
    return (
        '"""Generated from the rule modules by scripts/sync_readme.py: do not edit (rerun it).\n\n'
        "Every rule's metadata, so the CLI can select rules without importing their modules\n"
        '(hardenify.rules.all_rules). A test checks it matches the modules."""\n\n'
        "from typing import Any\n\n"
        f"RULES: tuple[tuple[str, dict[str, Any]], ...] = {body}\n"
    )


def _formatted(source: str) -> str:
    """`source` as `ruff format` writes it (when ruff is installed), so the file stays format-clean."""
    import shutil
    import subprocess

    ruff = shutil.which("ruff")
    if ruff is None:
        return source
    r = subprocess.run(
        [ruff, "format", "--stdin-filename", str(INDEX), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    return r.stdout if r.returncode == 0 else source


def main() -> int:
    # The index first, and the docs from a registry built from the modules: with a stale index
    # loaded, one run would write the index and the docs of the previous metadata.
    index = _formatted(rule_index())
    if not INDEX.exists() or INDEX.read_text(encoding="utf-8") != index:
        INDEX.write_text(index, encoding="utf-8")
        print(f"updated {INDEX}")
    import hardenify.rules as rules_mod

    sys.modules.pop("hardenify.rules_index", None)
    rules_mod.all_rules.cache_clear()
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"updated {README}")
    RULE_DOCS.mkdir(parents=True, exist_ok=True)
    pages = rule_pages()
    for old in RULE_DOCS.glob("*.md"):
        if old.name not in pages:
            old.unlink()
            print(f"removed {old}")
    for name, content in pages.items():
        path = RULE_DOCS / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
