"""Regenerate the docs made from the rule metadata (a test checks they are current):
the README's rule table, one page per rule under docs/rules/, and that folder's index.

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


def main() -> int:
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
