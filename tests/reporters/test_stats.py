"""`--statistics`: the per-rule table and its JSON form."""

from __future__ import annotations

import json

from hardenify.reporters import render
from tests.reporters.samples import SECRET, sample_outcomes

ERROR_LINE = "broken/Dockerfile: error: internal error (ValueError: bad token ***REDACTED***)\n"


def test_table_sorted_by_count_then_code() -> None:
    assert render(sample_outcomes(), "text", statistics=True) == ERROR_LINE + (
        "2\tHF101\t[*] root-user\n"
        "1\tHF203\t[ ] unpinned-base-image\n"
        "1\tHF301\t[ ] secret-in-env\n"
        "1\tHF401\t[ ] apk-no-cache\n"
        "1\tHF402\t[ ] broad-copy\n"
    )


def test_unsafe_fixes_make_more_rules_fixable() -> None:
    out = render(sample_outcomes()[:2], "concise", statistics=True, unsafe_fixes=True)
    assert out == (
        "2\tHF101\t[*] root-user\n"
        "1\tHF203\t[*] unpinned-base-image\n"
        "1\tHF301\t[*] secret-in-env\n"
        "1\tHF401\t[ ] apk-no-cache\n"
        "1\tHF402\t[ ] broad-copy\n"
    )


def test_no_fix_column_without_fixes_or_when_hidden() -> None:
    out = render(sample_outcomes()[:2], "text", statistics=True, show_fixes=False)
    assert "[" not in out
    assert out.splitlines()[0] == "2\tHF101\troot-user"


def test_json_statistics() -> None:
    data = json.loads(render(sample_outcomes(), "json", statistics=True))
    assert data[0] == {"code": "HF101", "name": "root-user", "count": 2, "fixable": True}
    assert [d["code"] for d in data] == ["HF101", "HF203", "HF301", "HF401", "HF402", None]
    assert data[-1] == {"code": None, "name": "file-not-checked", "count": 1, "fixable": False}


def test_colour_and_redaction() -> None:
    out = render(sample_outcomes(), "text", statistics=True, color=True)
    assert "\x1b[31;1mHF101\x1b[0m" in out
    assert "\x1b[36m[*]\x1b[0m" in out
    assert "\x1b[" not in render(sample_outcomes(), "text", statistics=True)
    assert SECRET not in out


def test_nothing_to_count() -> None:
    assert render([], "text", statistics=True) == ""
    assert render([], "json", statistics=True) == "[]\n"
