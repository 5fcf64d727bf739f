"""`Memo`: derived data computed once per parsed object and shared by every rule.

Parsed files, instructions and shell commands are never edited after parsing (a fix edits the
text and the engine parses again), so what a helper module derives from one of them stays valid
for the object's life. Rules ask for the same things many times per file; this is the one
place that stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


class Memo:
    """Mixin for a dataclass that declares `_memo: dict[str, Any] | None = None`."""

    _memo: dict[str, Any] | None

    def cached(self, key: str, build: Callable[[], _T]) -> _T:
        """`build()` the first time `key` is asked for, then the stored result.

        Keys are namespaced by the caller (`"users.run_scripts"`). The result is shared, so
        treat it as read-only.
        """
        memo = self._memo
        if memo is None:
            memo = self._memo = {}
        elif key in memo:
            return memo[key]  # type: ignore[no-any-return]
        value = memo[key] = build()
        return value
