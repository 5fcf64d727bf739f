"""Root test configuration: the shared corpus fixture and its marker.

Keep this file small: fixtures that only one test package needs belong in that package's conftest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"


def corpus_path() -> Path:
    """Where the corpus should be: `$HARDENIFY_CORPUS`, else `../shared/corpus` beside the repo root."""
    override = os.environ.get("HARDENIFY_CORPUS")
    return Path(override).expanduser().resolve() if override else DEFAULT_CORPUS


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real-world corpus (Dockerfiles, compose files, .dockerignore files); skips the test when absent."""
    path = corpus_path()
    if not path.is_dir():
        pytest.skip(f"corpus not found at {path}: run from a checkout with ../shared beside it")
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`hardenify check` caches results in the user's cache dir: tests use a directory of their own
    (inherited by the CLI subprocesses they start), never the developer's."""
    os.environ["HARDENIFY_CACHE_DIR"] = str(tmp_path_factory.mktemp("hardenify-cache"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the corpus, so `-m corpus` / `-m "not corpus"` select them."""
    for item in items:
        if "corpus_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)
