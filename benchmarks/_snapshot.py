"""A frozen copy of hardenify's code for the CLI benchmarks.

The result cache is keyed by the code itself (every module's size and mtime), so a checkout
being edited while a benchmark runs (other work, a rebase) would turn warm runs cold. The
benchmarks run the CLI from this copy, laid out as installed (`fixers/` as `hardenify.fixers`,
`templates/` as `hardenify.templates`), through PYTHONPATH, which comes before the editable
install's import hook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def snapshot(dest: Path) -> Path:
    """Copy the package to `dest/hardenify` and return `dest` (the PYTHONPATH entry)."""
    pkg = dest / "hardenify"
    shutil.copytree(ROOT / "hardenify", pkg, ignore=_IGNORE)
    shutil.copytree(ROOT / "fixers", pkg / "fixers", ignore=_IGNORE)
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", pkg / "templates", ignore=_IGNORE)
    return dest
