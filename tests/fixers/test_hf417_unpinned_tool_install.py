"""HF417: tools installed from language registries without a version (issue 17 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF417"


@pytest.mark.parametrize(
    ("line", "named"),
    [
        # corpus 1419 (photoprism ddns) and 1399 (chainguard-dev/dfc kind testdata)
        ("RUN go install github.com/skibish/ddns@latest", "github.com/skibish/ddns@latest"),
        ("RUN go install github.com/google/go-licenses@master", "go-licenses@master"),
        ("RUN cargo install ripgrep", "ripgrep"),
        ("RUN cargo install --git https://github.com/x/y", "https://github.com/x/y"),
        ("RUN npm install -g pnpm", "pnpm"),
        ("RUN npm i --global npm@latest", "npm@latest"),  # corpus: a dist-tag is not a version
        ("RUN yarn global add @vue/cli", "@vue/cli"),
        ("RUN pnpm add -g typescript", "typescript"),
        ("RUN pipx install poetry", "poetry"),
        ("RUN pip install --no-cache-dir checkov", "checkov"),  # corpus 1349 (checkov tests)
        ("RUN python3 -m pip install awscli", "awscli"),
        ("RUN gem install bundler", "bundler"),  # corpus 0672 (jessfraz consul)
    ],
)
def test_fires(line: str, named: str) -> None:
    ds = findings(f"FROM debian\n{line}\n", CODE)
    assert len(ds) == 1 and named in ds[0].message and "pin it" in ds[0].message
    assert ds[0].location.row == 2
    assert fixed(f"FROM debian\n{line}\n", CODE, unsafe=True) == f"FROM debian\n{line}\n"  # no fix


@pytest.mark.parametrize(
    "line",
    [
        "RUN go install github.com/skibish/ddns@v1.4.0",
        "RUN go install ./cmd/server",
        "RUN go install github.com/x/y/cmd/z",  # the module's go.mod decides the version
        "RUN cargo install ripgrep --version 14.1.0 --locked",
        "RUN cargo install ripgrep@14.1.0",
        "RUN cargo install --path .",
        "RUN cargo install --git https://github.com/x/y --rev 0123abc",
        "RUN npm install -g pnpm@9.1.0 @vue/cli@5.0.8",
        "RUN npm install express",  # a project dependency: HF418's
        "RUN npm ci",
        "RUN pipx install poetry==1.8.3",
        "RUN pip install poetry==1.8.3 'uv>=0.4'",
        "RUN pip install flask requests",  # not tools
        "RUN pip install -r requirements.txt",
        "RUN pip install -c constraints.txt poetry",
        "RUN gem install bundler -v 2.5.0",
        "RUN gem install rails:7.1.3",
        "RUN apt-get install -y curl",
    ],
)
def test_must_not_fire(line: str) -> None:
    assert codes(f"FROM debian\n{line}\n", CODE) == []


def test_corpus_hits(corpus_dir: Path) -> None:
    """Measured 2026-12-05: 54 hits in 33 files; 10 sampled were all unpinned tool installs."""
    hits = 0
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        hits += sum(
            d.code == CODE for d in lint(path.name, text, "dockerfile", Settings(select=(CODE,))).diagnostics
        )
    assert 20 <= hits <= 120, hits
