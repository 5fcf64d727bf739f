"""The one Jinja2 environment class every scaffold template is rendered in: a sandbox.

Templates are code. hardenify's own, an organisation's and the expressions of a questions.yaml
all run in `jinja2.sandbox.SandboxedEnvironment`, so no template can reach Python internals
(`cycler.__init__.__globals__.os`, `''.__class__.__mro__`, `lipsum.__globals__`…): the
sandbox refuses every underscore attribute and unsafe callable with a `SecurityError`.
On top, `*` and `**` are bounded, so `'x' * 10**12` or `9**9**9` fails at once instead of
eating the machine (the sandbox already caps `range`).

`describe` turns any error raised while rendering into one line naming the template file
and line, for the `hardenify new: FILE:LINE: …` message.
"""

from __future__ import annotations

import operator
from collections.abc import Sized
from types import TracebackType
from typing import Any

#: The longest string or sequence an operator may build, and the largest power it may compute.
MAX_SIZE = 1_000_000
MAX_POWER_BITS = 65_536


def environment(**options: Any) -> Any:
    """A new sandboxed environment (jinja2 is imported here: `hardenify check` never pays for it)."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
            if op == "**":
                if (
                    isinstance(left, int)
                    and isinstance(right, int)
                    and left.bit_length() * right > MAX_POWER_BITS
                ):
                    raise SecurityError(f"the power would be larger than {MAX_POWER_BITS} bits")
                return operator.pow(left, right)
            for seq, count in ((left, right), (right, left)):  # op == "*"
                if isinstance(seq, Sized) and isinstance(count, int) and len(seq) * count > MAX_SIZE:
                    raise SecurityError(f"the result would be longer than {MAX_SIZE}")
            return operator.mul(left, right)

    return Sandbox(**options)


def describe(exc: BaseException, fallback: str) -> str:
    """`file:line: message` of an error raised while rendering a template.

    Jinja rewrites tracebacks so a frame of template code carries the template's file name
    and line; the innermost such frame is where the template went wrong. `fallback` names
    the template when no frame does (a string template, a syntax error without a name).
    """
    where = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if not isinstance(where, str) or not isinstance(line, int):
        frame = _template_frame(exc.__traceback__)
        if frame is not None:
            where, line = frame
    if not isinstance(where, str) or where.startswith("<"):  # "<template>": a string template
        where, line = fallback, None  # whose line 1 is no line of the file it came from
    message = _message(exc)
    return f"{where}:{line}: {message}" if isinstance(line, int) else f"{where}: {message}"


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if "__jinja_exception__" in tb.tb_frame.f_globals or "__jinja_template__" in tb.tb_frame.f_globals:
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _message(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the template recurses without end (an include or macro calls itself)"
    if isinstance(exc, MemoryError):
        return "the template ran out of memory"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
