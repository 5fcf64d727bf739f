"""Regenerate the README's rule table from the rule metadata (a test checks it is current).

Usage: python scripts/sync_readme.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def render(readme: str) -> str:
    from hardenify.commands.rules import rules_table_markdown

    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"{README}: markers {START} / {END} not found")
    return pattern.sub(lambda _: f"{START}\n{rules_table_markdown()}{END}", readme)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
