"""The language-server fixtures, registered only where pytest-lsp is installed (the tests
then skip with a reason through `pytest.importorskip`)."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("pytest_lsp") is not None:
    from tests.lsp.editor import editor, editor_client  # noqa: F401 (fixtures)
