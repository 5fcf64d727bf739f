"""Per-file memos of `_users` helpers that several HF1xx rules call with the same input.

`_users` recomputes on every call (`looks_windows` scans the whole text, `run_scripts`
re-tokenizes a RUN); these share one result per parsed file through `Dockerfile.cached`.
The results are shared: treat them as read-only.
"""

from __future__ import annotations

from hardenify.dockerfile.model import Dockerfile, Instruction

from . import _users


def looks_windows(df: Dockerfile) -> bool:
    """`_users.looks_windows`, once per file."""
    return df.cached("users.looks_windows", lambda: _users.looks_windows(df))


def run_scripts(df: Dockerfile, ins: Instruction) -> list[_users.Script]:
    """`_users.run_scripts(ins)`, once per instruction."""
    return df.cached_for("users.run_scripts", ins, lambda: _users.run_scripts(ins))
