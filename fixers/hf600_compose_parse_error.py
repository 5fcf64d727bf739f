"""HF600: a compose file is not valid YAML, or repeats a key."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.model import ComposeFile, Node, is_map, is_scalar, is_seq
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF600",
    name="compose-parse-error",
    severity=Severity.ERROR,
    summary="A compose file is not valid YAML, or a mapping repeats a key.",
    what="Reports where the YAML loader stops on a compose file (with its message), and keys written "
    "twice in the same mapping. The other compose rules (HF601-HF616) need a loadable file: without "
    "this finding a broken file would pass silently.",
    why="`docker compose` refuses such a file (a duplicate key is an error for it, not a silent "
    "override), so nothing in it is deployed as written; a duplicated key also hides which value a "
    "reader should trust.",
    example="services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.26",
    fix="Correct the YAML at the reported line (indentation, an unclosed quote or bracket, a tab used "
    "for indentation) or remove one of the duplicated keys.",
    references=References(),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = ctx.compose
    if ctx.kind != "compose" or not isinstance(cf, ComposeFile):
        return
    if cf.error is not None:
        start = cf.error_offset
        end = max(cf.line_span(start)[1], start)
        yield ctx.diagnostic(RULE, start, end, f"not valid YAML: {cf.error}")
        return
    for key, first in _duplicates(cf):
        start = int(key.start_mark.index)
        msg = f"key `{key.value}` is repeated (first at line {cf.row(first)}); `docker compose` rejects the file"
        yield ctx.diagnostic(RULE, start, int(key.end_mark.index), msg)


def _duplicates(cf: ComposeFile) -> Iterator[tuple[Node, int]]:
    seen_nodes: set[int] = set()
    stack = [d for d in cf.docs if d is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if is_map(node):
            firsts: dict[str, int] = {}
            for k, v in node.value:
                stack.append(v)
                if not is_scalar(k) or k.tag == "tag:yaml.org,2002:merge":
                    continue
                name = str(k.value)
                if name in firsts:
                    yield k, firsts[name]
                else:
                    firsts[name] = int(k.start_mark.index)
        elif is_seq(node):
            stack.extend(node.value)
