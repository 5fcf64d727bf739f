"""Refresh hardenify/knowledge/eol.json from the public endoflife.date API (maintainers only).

Usage: python scripts/refresh_eol.py [--dry-run]

`hardenify check` never goes to the network: it reads the committed table. Run this, review
the diff (a changed date is a changed finding for every user), and commit it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import httpx

TABLE = Path(__file__).resolve().parent.parent / "hardenify" / "knowledge" / "eol.json"
API = "https://endoflife.date/api/{product}.json"
# Products whose images' tags name a codename as well as a number.
CODENAMES = {"debian", "ubuntu"}


def _eol(entry: dict[str, object], product: str) -> str | None:
    """The date images stop getting fixes: Debian's LTS end (`extendedSupport`), else `eol`."""
    keys = ("extendedSupport", "eol") if product == "debian" else ("eol",)
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str):
            return value
    return None  # `false`: no date announced yet, so not end of life


def refresh(table: dict[str, object], client: httpx.Client) -> dict[str, object]:
    products = table["products"]
    assert isinstance(products, dict)
    for product, meta in products.items():
        resp = client.get(API.format(product=product), timeout=30)
        resp.raise_for_status()
        cycles = []
        for entry in resp.json():
            date = _eol(entry, product)
            if date is None:
                continue
            row: dict[str, str] = {"cycle": str(entry["cycle"]), "eol": date}
            codename = entry.get("codename")
            if product in CODENAMES and isinstance(codename, str) and codename:
                row["codename"] = codename.split()[0].lower()
            cycles.append(row)
        cycles.sort(key=lambda r: tuple(int(p) for p in r["cycle"].split(".") if p.isdigit()))
        meta["cycles"] = cycles
    table["refreshed"] = dt.date.today().isoformat()
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dry-run", action="store_true", help="print the new table instead of writing it")
    args = ap.parse_args()
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    with httpx.Client(follow_redirects=False) as client:
        new = refresh(table, client)
    text = json.dumps(new, indent=1) + "\n"
    if args.dry_run:
        sys.stdout.write(text)
    else:
        TABLE.write_text(text, encoding="utf-8")
        print(f"updated {TABLE}; review the diff and commit it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
