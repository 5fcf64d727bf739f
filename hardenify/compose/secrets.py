"""Secrets anywhere in a compose file, beyond `environment:` (HF611's own analysis).

Two jobs, both for HF611:

- `register_all` registers every literal credential in the file with the redactor, wherever
  it is (comments, repeated keys that the model hides, `x-` blocks, anchors), so no output
  shows it whichever rules run. Runs even on a file the loader rejects (tokens only then).
- `findings` reports token-shaped values and credentials passed as options in a service's
  `command:`, `entrypoint:`, `healthcheck: test:` and `labels:`, which `docker inspect` and
  `docker compose config` show to anyone.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from hardenify.compose.findings import Finding, node_span
from hardenify.compose.model import ComposeFile, Entry, Node, Service, is_map, is_scalar, is_seq, text_of
from hardenify.context import CheckContext
from hardenify.dockerfile.shell import tokenize
from hardenify.secrets import (
    argv_secrets,
    find_tokens,
    is_hardcoded_secret,
    is_placeholder,
    register,
    shell_script,
)

ARGV_KEYS = ("command", "entrypoint")
_DEFAULT_RE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?[-?]([^}]*)\}")
_MAX_NODES = 200_000  # a bound on the walk; the loader already refuses alias bombs


def register_all(ctx: CheckContext, cf: ComposeFile | None) -> None:
    """Register every credential in the file (see the module docstring)."""
    text = ctx.text
    for m in find_tokens(text):
        register(ctx, m.value)
    pairs = _line_pairs(text) if cf is None or cf.error is not None else _pairs(cf)
    named: list[str] = []
    for key, value in pairs:
        for v in _literals(value):
            if is_hardcoded_secret(key, v):
                named.append(v.strip())
    low = text.lower()
    for v in set(named):
        # A value that is also written as something else (`POSTGRES_PASSWORD: postgres` beside
        # `image: postgres`) is public already: masking it would only garble every output.
        if low.count(v.lower()) <= named.count(v):
            register(ctx, v)
    if cf is None or cf.error is not None:
        return
    for svc in cf.services:
        for _entry, argv in _argvs(svc):
            for value, _ in _argv_hits(argv):
                register(ctx, value)


def findings(cf: ComposeFile) -> Iterator[Finding]:
    """Token-shaped values and option credentials in command/entrypoint/healthcheck/labels."""
    for svc in cf.services:
        pragma = (svc.start,)
        for entry, argv in _argvs(svc):
            where = "healthcheck test" if entry.name == "healthcheck" else entry.name
            scalars = list(_scalars(entry.value))
            hits = [(m.value, f"a {m.fmt.label}") for n in scalars for m in find_tokens(str(n.value))]
            hits += _argv_hits(argv)
            seen: set[str] = set()
            for value, what in hits:
                if value in seen:
                    continue
                seen.add(value)
                node = next((n for n in scalars if value in str(n.value)), entry.value)
                start, end = node_span(cf, node)
                msg = f"`{where}` of service `{svc.name}` holds {what}: `docker inspect` shows it"
                yield Finding(start, end, msg, (*pragma, entry.start), note=_NOTE)
        labels = svc.get("labels")
        if labels is not None:
            for node in _scalars(labels.value):
                found = find_tokens(str(node.value))
                if found:
                    start, end = node_span(cf, node)
                    msg = (
                        f"a label of service `{svc.name}` holds a {found[0].fmt.label}: "
                        "labels are readable by anyone who can inspect the container"
                    )
                    yield Finding(start, end, msg, (*pragma, labels.start), note=_NOTE)


_NOTE = (
    "pass it from the environment (`${VAR}`) or a compose secret the program reads from "
    "/run/secrets, and rotate it: it stays in the file's history"
)


# ---------------------------------------------------------------------------------- walking


def _nodes(cf: ComposeFile) -> Iterator[Node]:
    """Every node once (aliases are the same object), bounded."""
    seen: set[int] = set()
    stack: list[Node] = [d for d in cf.docs if d is not None]
    while stack and len(seen) < _MAX_NODES:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if is_map(node):
            for k, v in node.value:
                stack.extend((k, v))
        elif is_seq(node):
            stack.extend(node.value)


def _pairs(cf: ComposeFile) -> Iterator[tuple[str, str]]:
    """(name, value) of every `NAME: value` pair, repeated keys included, and `NAME=value` items."""
    for node in _nodes(cf):
        if is_map(node):
            for k, v in node.value:
                if is_scalar(k) and is_scalar(v):
                    name, value = text_of(k), text_of(v)
                    if name and value:
                        yield name.strip(), value
        elif is_seq(node):
            for item in node.value:
                text = text_of(item) if is_scalar(item) else None
                if text and "=" in text:
                    name, _, value = text.partition("=")
                    yield name.strip(), value


_LINE_PAIR_RE = re.compile(
    r"""^[ \t]*(?:-[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*(?:(["'])(.*?)\2|([^#\r\n]*?))[ \t]*(?:#.*)?$""",
    re.M,
)


def _line_pairs(text: str) -> Iterator[tuple[str, str]]:
    """`NAME: value` and `- NAME=value` lines, read line by line: a file the loader rejects
    still gets its credentials masked in the parse error's snippet."""
    for m in _LINE_PAIR_RE.finditer(text):
        value = m.group(3) if m.group(2) else m.group(4)
        if value:
            yield m.group(1), value


def _literals(value: str) -> list[str]:
    """The literal parts a value can hold: itself, or the defaults of its `${VAR:-default}`."""
    if "$" not in value:
        return [value]
    return [d for d in _DEFAULT_RE.findall(value) if d and "$" not in d]


def _scalars(node: Node) -> Iterator[Node]:
    """The scalar values under a node (a mapping's values, a list's items)."""
    if is_scalar(node):
        yield node
    elif is_map(node):
        for _, v in node.value:
            if is_scalar(v):
                yield v
    elif is_seq(node):
        for item in node.value:
            if is_scalar(item):
                yield item


def _argvs(svc: Service) -> Iterator[tuple[Entry, list[str]]]:
    """The argument vectors a service runs: command, entrypoint, healthcheck test."""
    for key in ARGV_KEYS:
        entry = svc.get(key)
        if entry is not None:
            argv = _argv_of(entry.value)
            if argv:
                yield entry, argv
    hc = svc.get("healthcheck")
    if hc is not None and is_map(hc.value):
        test = svc.file.lookup(hc.value, "test")
        if test is not None:
            argv = _argv_of(test.value)
            if argv and argv[0] == "CMD-SHELL":
                argv = ["sh", "-c", " ".join(argv[1:])]
            elif argv and argv[0] == "CMD":
                argv = argv[1:]
            elif argv and is_scalar(test.value):
                argv = ["sh", "-c", text_of(test.value) or ""]
            if argv:
                yield hc, argv


def _argv_of(node: Node) -> list[str]:
    if is_seq(node):
        return [text_of(i) or "" for i in node.value if is_scalar(i)]
    text = text_of(node) if is_scalar(node) else None
    if not text:
        return []
    try:
        return shlex.split(text)  # compose splits a string command the same way
    except ValueError:
        return text.split()


def _argv_hits(argv: list[str]) -> Iterator[tuple[str, str]]:
    """(secret value, what) for credentials passed as options, looking inside `sh -c SCRIPT`."""
    script = shell_script(argv)
    if script is None:
        vectors = [(argv, 0)]
    else:
        vectors = [([w.value for w in c.words], c.program_index()) for c in tokenize(script[1])]
    for words, start in vectors:
        for hit in argv_secrets(words, start):
            value = words[hit.word][hit.offset :]
            if not is_placeholder(value):
                yield value, hit.what
