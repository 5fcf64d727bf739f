"""HF106: `USER name:group` drops supplementary groups the build configured (issue 17 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF106"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "FROM debian:bookworm-slim\nRUN useradd -u 10001 app && usermod -aG video app\nUSER app:app\n",
            "FROM debian:bookworm-slim\nRUN useradd -u 10001 app && usermod -aG video app\nUSER app\n",
        ),
        (
            "FROM debian:bookworm-slim\nRUN groupadd -g 2000 grp && useradd -u 10001 -g grp -G video app\nUSER app:grp\n",
            "FROM debian:bookworm-slim\nRUN groupadd -g 2000 grp && useradd -u 10001 -g grp -G video app\nUSER app\n",
        ),
        (
            "FROM alpine:3.20\nRUN adduser -D app && addgroup app wheel\nuser app:app\n",
            "FROM alpine:3.20\nRUN adduser -D app && addgroup app wheel\nuser app\n",
        ),
        (
            "FROM debian AS base\nRUN useradd app && gpasswd -a app audio\nFROM base\r\nUSER app:app\r\n",
            "FROM debian AS base\nRUN useradd app && gpasswd -a app audio\nFROM base\r\nUSER app\r\n",
        ),
    ],
)
def test_fires_and_fix_keeps_the_primary_group(before: str, after: str) -> None:
    ds = findings(before, CODE)
    assert len(ds) == 1 and "dropped" in ds[0].message
    assert fixed(before, CODE) == before
    assert fixed(before, CODE, unsafe=True) == after


def test_reports_without_fix_when_the_group_is_not_the_primary_one() -> None:
    for text in (
        "FROM debian\nRUN useradd -u 10001 app && adduser app video\nUSER app:video\n",
        # the uid is matched to the user; the gid useradd chose is unknown
        "FROM debian\nRUN useradd -u 10001 app && usermod -aG video app\nUSER 10001:10001\n",
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None and "`app`" in ds[0].message
        assert fixed(text, CODE, unsafe=True) == text


@pytest.mark.parametrize(
    "text",
    [
        "FROM debian\nRUN useradd app\nUSER app:app\n",  # no supplementary groups: the usual form
        "FROM debian\nUSER 1000:1000\n",
        "FROM debian\nRUN useradd app && usermod -aG video app\nUSER app\n",
        "FROM debian\nRUN useradd -G video app\nUSER other:other\n",
        "FROM debian\nUSER app:app\nRUN usermod -aG video app\n",  # added after the USER line
        "FROM debian\nRUN useradd -G video app\nUSER ${APP_USER}:app\n",
        "FROM debian AS a\nRUN useradd -G video app\nFROM debian\nUSER app:app\n",  # another chain
    ],
)
def test_must_not_fire(text: str) -> None:
    assert codes(text, CODE) == []


def test_corpus_is_quiet(corpus_dir: Path) -> None:
    """Measured 2026-12-05: the corpus has 5 `USER a:b` lines and none with supplementary groups."""
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        ds = [
            d
            for d in lint(path.name, text, "dockerfile", Settings(select=(CODE,))).diagnostics
            if d.code == CODE
        ]
        assert ds == [], path.name
