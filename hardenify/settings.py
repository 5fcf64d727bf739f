"""Resolved settings for one run: CLI flags over config file over defaults.

`hardenify.config` finds and loads the config files; this module only holds the result so
the engine (which must stay pure and fast to import) can depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

from hardenify.diagnostics import Severity


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None  # None: all rules
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    # glob → codes ignored in matching files (ruff's per-file-ignores)
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # code → severity override
    severity: Mapping[str, Severity] = field(default_factory=dict)
    # findings below this severity do not make the exit code 1
    fail_on: Severity = Severity.INFO
    unsafe_fixes: bool = False
    # codes whose unsafe fixes are allowed without --unsafe-fixes (`fix --split-stages`)
    unsafe_fixes_for: frozenset[str] = frozenset()
    # options read by individual rules, e.g. {"trusted-registries": [...]}
    options: Mapping[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    # where the config came from (for `hardenify config --show` and error messages)
    source: str | None = None

    def ignored_for(self, filename: str) -> tuple[str, ...]:
        out: list[str] = []
        norm = filename.replace("\\", "/")
        for pattern, codes in self.per_file_ignores.items():
            if (
                fnmatch(norm, pattern)
                or fnmatch(norm.rsplit("/", 1)[-1], pattern)
                or fnmatch(norm, f"*/{pattern}")
            ):
                out.extend(codes)
        return tuple(out)
