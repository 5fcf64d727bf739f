"""HF418: package versions not pinned, per package manager; off by default (issue 17 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.engine import lint
from hardenify.rules import get_rule, resolve_selection
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF418"


def test_off_by_default_and_on_when_named() -> None:
    text = "FROM debian\nRUN apt-get install -y curl\n"
    for settings in (
        Settings(),
        Settings(select=("ALL",)),
        Settings(select=("HF4",)),
        Settings(select=("HF41",)),
    ):
        assert [
            d for d in lint("Dockerfile", text, "dockerfile", settings).diagnostics if d.code == CODE
        ] == []
    assert CODE in resolve_selection(None, (), (CODE,))  # extend-select
    assert CODE not in resolve_selection((CODE,), (CODE,))  # ignore still wins over an equal select
    assert codes(text, CODE) == [CODE]
    rule = get_rule(CODE)
    assert rule is not None and not rule.default_enabled and "Off by default" in rule.docs()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # corpus 0087 (docker-library php)
        (
            "RUN apt-get install -y --no-install-recommends ca-certificates curl xz-utils=5.4.1-1",
            "`ca-certificates`, `curl` installed with apt",
        ),
        ("RUN apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.5-r0", "`gcc` installed with apk"),
        ("RUN pip install --upgrade pip setuptools==70.0.0", "`pip` installed with pip"),
        ("RUN npm install express left-pad@latest", "`express`, `left-pad@latest` installed with npm"),
        ("RUN gem install rails", "`rails` installed with gem"),
    ],
)
def test_fires_per_manager(line: str, message: str) -> None:
    ds = findings(f"FROM debian\n{line}\n", CODE)
    assert len(ds) == 1 and message in ds[0].message, [d.message for d in ds]
    assert fixed(f"FROM debian\n{line}\n", CODE, unsafe=True) == f"FROM debian\n{line}\n"


@pytest.mark.parametrize(
    "line",
    [
        "RUN apt-get install -y curl=7.88.1-10+deb12u5 git=1:2.39.*",
        "RUN apt-get update",
        "RUN apt-get install -y ./local.deb $EXTRA",
        "RUN apk add --no-cache curl~8 git=2.45.2-r0",
        "RUN pip install 'requests>=2.31' flask~=3.0 -r requirements.txt -e .",
        "RUN pip install https://example.com/x.whl ./pkg",
        "RUN npm ci",
        "RUN npm install",
        "RUN npm install left-pad@1.3.0 @scope/pkg@2.0.0",
        "RUN gem install rails -v 7.1.3",
    ],
)
def test_must_not_fire(line: str) -> None:
    assert codes(f"FROM debian\n{line}\n", CODE) == []


def test_corpus_hits(corpus_dir: Path) -> None:
    """Measured 2026-12-05: 1642 findings in 874 of 1455 files when enabled: why it is off by default."""
    files = 0
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if any(
            d.code == CODE for d in lint(path.name, text, "dockerfile", Settings(select=(CODE,))).diagnostics
        ):
            files += 1
        assert not any(d.code == CODE for d in lint(path.name, text, "dockerfile", Settings()).diagnostics)
    assert files >= 300, files
