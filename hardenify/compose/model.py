"""The compose model: ruamel.yaml's round-trip node graph plus the original text, never re-dumped.

Why this shape. A compose file must survive `hardenify fix` byte for byte outside the edited
spans: comments, key order, quoting, indentation, anchors and `<<:` merge keys, `x-` fields,
several documents, CRLF and a missing final newline. Dumping a loaded document normalises
several of those, so the model never dumps. It keeps the text and the node graph that
ruamel's round-trip loader composes (`YAML(typ="rt").compose_all`), whose marks give the exact
character offset of every key and value (more precise than `CommentedMap.lc`'s line/column,
which has no end position). Fixes are character-span `Edit`s on the text (see `edits`),
and every fix is re-loaded and compared before it is offered (see `verify`). Rendering an
unedited model returns the text itself, so an untouched file is byte-identical by design.

Anchors and merge keys. An alias in the node graph is the anchored node itself, so the model
records every place a node occurs (where it is written, where it is aliased, where it is
merged with `<<`) and answers "which plain-data paths show this value": a rule can then tell
whether editing the anchor would change one service, several, or something that is not a
service at all (see `entry_paths`).

ruamel is imported lazily (inside `parse`) because rule modules import this package and
`hardenify check` on Dockerfiles must never pay for ruamel.
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

# ruamel node classes (ScalarNode, SequenceNode, MappingNode); duck-typed through `node.id`.
Node = Any
# A path into the plain data: (document index, key or item index, ...).
Path = tuple[Any, ...]

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
MERGE_TAG = "tag:yaml.org,2002:merge"

# YAML line breaks (what ruamel's reader counts as a new line).
BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
# `# hardenify: ignore[HF601, HF602]`, `# hardenify: ignore` (all), `# hardenify: noqa[...]`.
_PRAGMA_RE = re.compile(
    r"#\s*hardenify\s*:\s*(?:ignore|noqa)\b(?!-)\s*(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE
)
_MAX_DEPTH = 64
# A file's values with every alias expanded. Without aliases a file within the 2 MiB read
# limit has about a million at most; more can only come from aliases nesting aliases.
MAX_EXPANDED_NODES = 2_000_000
# Mappings with more pairs than this get a key index in `ComposeFile.own` instead of a scan.
_SCAN_PAIRS = 16


def is_map(node: Node) -> bool:
    return getattr(node, "id", None) == "mapping"


def is_seq(node: Node) -> bool:
    return getattr(node, "id", None) == "sequence"


def is_scalar(node: Node) -> bool:
    return getattr(node, "id", None) == "scalar"


def is_flow(node: Node) -> bool:
    return bool(getattr(node, "flow_style", False))


def is_empty(node: Node) -> bool:
    """An empty value (`key:` with nothing after it), which has no characters of its own."""
    return is_scalar(node) and node.tag == NULL_TAG and node.start_mark.index == node.end_mark.index


def text_of(node: Node) -> str | None:
    """A scalar's value as a string (numbers and booleans as written); None for null/collections."""
    if not is_scalar(node) or node.tag == NULL_TAG:
        return None
    return str(node.value)


def is_true(node: Node) -> bool:
    """`true` as compose reads a boolean field (`true`, `"true"`, `True`)."""
    value = text_of(node)
    return value is not None and value.strip().lower() == "true"


@dataclass(frozen=True)
class Occurrence:
    """One place a node appears: written there, or reached through an alias or a `<<` merge."""

    kind: str  # "root" | "key" | "item" | "merge"
    parent: Node | None
    slot: Any  # document index (root), key name (key), item index (item), None (merge)
    alias: bool  # an alias (`*name`) stands here; the node is written elsewhere


@dataclass(frozen=True)
class Entry:
    """One `key: value` pair as a lookup found it."""

    key: Node
    value: Node
    owner: Node  # the mapping that holds the pair (an anchor's mapping when merged)
    index: int  # position of the pair in owner.value
    merged: bool = False  # found through a `<<` merge rather than among the own keys

    @property
    def name(self) -> str:
        return str(self.key.value)

    @property
    def start(self) -> int:
        return int(self.key.start_mark.index)


@dataclass
class Service:
    """One entry of a document's `services:` mapping."""

    name: str
    key: Node
    node: Node  # the service's mapping
    doc: int
    file: ComposeFile

    @property
    def start(self) -> int:
        return int(self.key.start_mark.index)

    @property
    def key_end(self) -> int:
        return int(self.key.end_mark.index)

    @property
    def path(self) -> Path:
        return (self.doc, "services", self.name)

    def get(self, key: str) -> Entry | None:
        """The service's own or merged (`<<:`) entry for `key`."""
        return self.file.lookup(self.node, key)

    def extends(self) -> tuple[Service | None, bool]:
        """The same-file service this one `extends`, and whether it extends another file."""
        entry = self.get("extends")
        if entry is None:
            return None, False
        target: str | None
        if is_map(entry.value):
            if self.file.lookup(entry.value, "file") is not None:
                return None, True
            sub = self.file.lookup(entry.value, "service")
            target = text_of(sub.value) if sub is not None else None
        else:
            target = text_of(entry.value)
        if target is None:
            return None, True
        for other in self.file.named(target, self.doc):
            if other is not self:
                return other, False
        return None, True

    def find(self, key: str) -> tuple[Entry | None, bool]:
        """Like `get`, following same-file `extends`; the flag says the answer is unknown
        (the chain extends another file, which rules cannot read)."""
        seen: set[int] = set()
        svc: Service | None = self
        while svc is not None and id(svc) not in seen:
            seen.add(id(svc))
            entry = svc.get(key)
            if entry is not None:
                return entry, False
            svc, external = svc.extends()
            if external:
                return None, True
        return None, False


@dataclass
class ComposeFile:
    """A parsed compose file: the text, the composed documents and what was learned about them."""

    text: str
    docs: list[Node] = field(default_factory=list)
    error: str | None = None
    error_offset: int = 0  # where the loader stopped, for the parse-error finding
    # Reads a file relative to the compose file's directory (None: no file access, e.g. stdin).
    reader: Callable[[str], str | None] | None = field(default=None, repr=False)
    _occ: dict[int, list[Occurrence]] = field(default_factory=dict, repr=False)
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _services: list[Service] | None = field(default=None, repr=False)
    _data: list[Any] | None = field(default=None, repr=False)
    _style: dict[str, Any] = field(default_factory=dict, repr=False)
    # id(mapping) → (mapping, own key → first pair index): `own` is called for every service
    # on the `services:` mapping, which a scan would make quadratic in the number of services.
    _keys: dict[int, tuple[Node, dict[str, int]]] = field(default_factory=dict, repr=False)
    _by_name: dict[tuple[int, str], list[Service]] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------------------ basics

    def render(self, edits: Any = ()) -> str:
        """The text with `edits` applied; with none, exactly the text that was parsed."""
        from hardenify.dockerfile.edits import apply

        return apply(self.text, edits)

    @property
    def newline(self) -> str:
        m = BREAK_RE.search(self.text)
        return m.group(0) if m and m.group(0) in ("\r\n", "\n", "\r") else "\n"

    @property
    def services(self) -> list[Service]:
        if self._services is None:
            self._services = list(self._find_services())
        return self._services

    def _find_services(self) -> Iterator[Service]:
        for i, doc in enumerate(self.docs):
            if not is_map(doc):
                continue
            entry = self.own(doc, "services")
            if entry is None or not is_map(entry.value):
                continue
            for k, v in entry.value.value:
                if is_scalar(k) and k.tag != MERGE_TAG and is_map(v):
                    yield Service(str(k.value), k, v, i, self)

    def named(self, name: str, doc: int = 0) -> list[Service]:
        """The services called `name` in document `doc` (more than one only in a broken file)."""
        if self._by_name is None:
            self._by_name = {}
            for s in self.services:
                self._by_name.setdefault((s.doc, s.name), []).append(s)
        return self._by_name.get((doc, name), [])

    def service(self, name: str, doc: int = 0) -> Service | None:
        found = self.named(name, doc)
        return found[0] if found else None

    def top(self, doc: int, key: str) -> Entry | None:
        root = self.docs[doc] if 0 <= doc < len(self.docs) else None
        return self.own(root, key) if is_map(root) else None

    # ----------------------------------------------------------------------------- lookups

    def own(self, mapping: Node, key: str) -> Entry | None:
        """The pair `key` among the mapping's own keys (the first, if written twice)."""
        if not is_map(mapping):
            return None
        pairs = mapping.value
        if len(pairs) <= _SCAN_PAIRS:
            for i, (k, v) in enumerate(pairs):
                if is_scalar(k) and k.tag != MERGE_TAG and str(k.value) == key:
                    return Entry(k, v, mapping, i)
            return None
        cached = self._keys.get(id(mapping))
        if cached is None or cached[0] is not mapping:
            index: dict[str, int] = {}
            for i, (k, _) in enumerate(pairs):
                if is_scalar(k) and k.tag != MERGE_TAG:
                    index.setdefault(str(k.value), i)
            cached = self._keys[id(mapping)] = (mapping, index)
        found = cached[1].get(key)
        if found is None:
            return None
        k, v = pairs[found]
        return Entry(k, v, mapping, found)

    def merge_sources(self, mapping: Node) -> list[Node]:
        """The mappings a `<<:` key merges in, highest precedence first."""
        out: list[Node] = []
        if not is_map(mapping):
            return out
        for k, v in mapping.value:
            if is_scalar(k) and k.tag == MERGE_TAG:
                for src in v.value if is_seq(v) else [v]:
                    if is_map(src):
                        out.append(src)
        return out

    def lookup(self, mapping: Node, key: str, _depth: int = 0) -> Entry | None:
        """`key` as YAML merge semantics resolve it: own keys first, then each merge source."""
        entry = self.own(mapping, key)
        if entry is not None or _depth > _MAX_DEPTH:
            return entry
        for src in self.merge_sources(mapping):
            found = self.lookup(src, key, _depth + 1)
            if found is not None:
                return replace(found, merged=True)
        return None

    def keys(self, mapping: Node, _depth: int = 0) -> list[str]:
        """Every key the mapping has after merges, in first-seen order."""
        seen: dict[str, None] = {}
        if not is_map(mapping) or _depth > _MAX_DEPTH:
            return []
        for k, _ in mapping.value:
            if is_scalar(k) and k.tag != MERGE_TAG:
                seen.setdefault(str(k.value))
        for src in self.merge_sources(mapping):
            for key in self.keys(src, _depth + 1):
                seen.setdefault(key)
        return list(seen)

    def is_alias(self, parent: Node, slot: Any) -> bool:
        """Does an alias (`*name`) stand at parent's key `slot` (name) or item index?"""
        child = None
        if is_map(parent):
            entry = self.own(parent, slot)
            child = entry.value if entry is not None else None
        elif is_seq(parent) and isinstance(slot, int) and slot < len(parent.value):
            child = parent.value[slot]
        if child is None:
            return False
        return any(o.parent is parent and o.slot == slot and o.alias for o in self._occ.get(id(child), []))

    def occurrences(self, node: Node) -> list[Occurrence]:
        return list(self._occ.get(id(node), []))

    def _index(self) -> None:
        seen: set[int] = set()

        def visit(node: Node, occ: Occurrence, depth: int) -> None:
            alias = id(node) in seen
            self._occ.setdefault(id(node), []).append(replace(occ, alias=alias))
            if alias or depth > _MAX_DEPTH:
                return
            seen.add(id(node))
            if is_map(node):
                for k, v in node.value:
                    if is_scalar(k) and k.tag == MERGE_TAG:
                        for src in v.value if is_seq(v) else [v]:
                            visit(src, Occurrence("merge", node, None, False), depth + 1)
                        seen.add(id(v))
                    elif is_scalar(k):
                        visit(v, Occurrence("key", node, str(k.value), False), depth + 1)
            elif is_seq(node):
                for i, item in enumerate(node.value):
                    visit(item, Occurrence("item", node, i, False), depth + 1)

        for i, doc in enumerate(self.docs):
            if doc is not None:
                visit(doc, Occurrence("root", None, i, False), 0)

    # -------------------------------------------------------------------- where data shows

    def spread(self, node: Node, _depth: int = 0) -> list[tuple[Path, Node]]:
        """Where a mapping's keys show in the plain data: (path, the mapping whose lookup decides)."""
        out: list[tuple[Path, Node]] = []
        if _depth > _MAX_DEPTH:
            return out
        for occ in self._occ.get(id(node), []):
            if occ.kind == "merge":
                out += self.spread(occ.parent, _depth + 1)
            else:
                out += [(p, node) for p in self.value_paths(node, occ, _depth + 1)]
        return out

    def value_paths(self, node: Node, occ: Occurrence, _depth: int = 0) -> list[Path]:
        """The data paths of one direct (written or aliased) occurrence of a node."""
        if _depth > _MAX_DEPTH:
            return []
        if occ.kind == "root":
            return [(occ.slot,)]
        if occ.kind == "item":
            return [(*p, occ.slot) for p in self.node_paths(occ.parent, _depth + 1)]
        if occ.kind == "key":
            out = []
            for path, decider in self.spread(occ.parent, _depth + 1):
                found = self.lookup(decider, occ.slot)
                if found is not None and found.value is node and found.owner is occ.parent:
                    out.append((*path, occ.slot))
            return out
        return []

    def node_paths(self, node: Node, _depth: int = 0) -> list[Path]:
        """Every data path at which a node's value appears (merges excluded: they spread)."""
        out: list[Path] = []
        for occ in self._occ.get(id(node), []):
            if occ.kind != "merge":
                out += self.value_paths(node, occ, _depth)
        return out

    def entry_paths(self, owner: Node, key: str) -> list[Path]:
        """Data paths whose value is the pair `key` of mapping `owner`, or would be if added."""
        out: list[Path] = []
        for path, decider in self.spread(owner):
            found = self.lookup(decider, key)
            if found is None or found.owner is owner:
                out.append((*path, key))
        return out

    def users(self, owner: Node, key: str) -> tuple[set[tuple[int, str]], bool]:
        """Services whose `key` is this pair (doc, name), and whether anything that is not a
        service or an `x-` extension also shows it (so editing it is ambiguous)."""
        services: set[tuple[int, str]] = set()
        outside = False
        for path in self.entry_paths(owner, key):
            if len(path) >= 3 and path[1] == "services":
                services.add((path[0], str(path[2])))
            elif len(path) >= 2 and isinstance(path[1], str) and path[1].startswith("x-"):
                continue
            else:
                outside = True
        return services, outside

    # --------------------------------------------------------------------------- plain data

    def data(self) -> list[Any]:
        """Every document as plain data (merges applied), for comparing before and after a fix.

        Raises ValueError for duplicate keys, recursive aliases or alias bombs: such a file
        gets no fixes.
        """
        if self._data is None:
            from hardenify.compose.verify import to_data

            self._data = [to_data(self, d) for d in self.docs]
        return self._data

    def baseline(self) -> list[Any]:
        """`data()` as the verification loader reads this text (see `parse(quick=True)`): the
        same, since folding markers are dropped (`verify.scalar_value`)."""
        return self.data()

    # ------------------------------------------------------------------------------ text

    @property
    def line_starts(self) -> list[int]:
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in BREAK_RE.finditer(self.text)]
        return self._line_starts

    def row(self, offset: int) -> int:
        """1-based line of an offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def line_start(self, offset: int) -> int:
        return self.line_starts[self.row(offset) - 1]

    def line_end(self, offset: int) -> int:
        """Offset of the line break ending the line of `offset` (or the end of the text)."""
        m = BREAK_RE.search(self.text, offset)
        return m.start() if m else len(self.text)

    def column(self, offset: int) -> int:
        return offset - self.line_start(offset)

    def at_line_start(self, offset: int) -> bool:
        return offset == 0 or (offset <= len(self.text) and self.text[offset - 1] in _BREAK_CHARS)

    def line_span(self, offset: int) -> tuple[int, int]:
        """The visible part of the line holding `offset` (indentation and line break excluded)."""
        start = self.line_start(offset)
        end = self.line_end(offset)
        line = self.text[start:end]
        return start + len(line) - len(line.lstrip(" \t")), start + len(line.rstrip(" \t"))

    # ---------------------------------------------------------------------------- pragmas

    def ignored(self, code: str, *offsets: int) -> bool:
        """Is `code` silenced by a `# hardenify: ignore[...]` comment on one of these lines
        (trailing) or on the own-line comments directly above them?"""
        code = code.upper()
        for off in offsets:
            start = self.line_start(off)
            if _pragma_matches(self.text[start : self.line_end(off)], code, trailing=True):
                return True
            row = self.row(off) - 1
            while row >= 1:
                ls = self.line_starts[row - 1]
                line = self.text[ls : self.line_end(ls)].strip()
                if not line.startswith("#"):
                    break
                if _pragma_matches(line, code, trailing=False):
                    return True
                row -= 1
        return False

    # ------------------------------------------------------------------------------ style

    def style(self) -> dict[str, Any]:
        """How this file writes things, so inserted lines look like their neighbours:
        indent (mapping step), seq_indent (dash offset under a key), flow_lists, quote."""
        if self._style:
            return self._style
        steps: Counter[int] = Counter()
        dashes: Counter[int] = Counter()
        flows: Counter[bool] = Counter()
        quotes: Counter[str] = Counter()

        def walk(node: Node, depth: int) -> None:
            if depth > _MAX_DEPTH:
                return
            if is_map(node):
                for k, v in node.value:
                    if not is_scalar(k) or k.tag == MERGE_TAG or self.is_alias(node, str(k.value)):
                        continue
                    if k.style in ("'", '"'):
                        quotes[k.style] += 1
                    kcol = k.start_mark.column
                    if is_map(v) and not is_flow(v) and v.value:
                        steps[v.value[0][0].start_mark.column - kcol] += 1
                    if is_seq(v) and v.value:
                        if is_flow(v):
                            flows[True] += 1
                        else:
                            flows[False] += 1
                            dashes[v.start_mark.column - kcol] += 1
                    walk(v, depth + 1)
            elif is_seq(node):
                for i, item in enumerate(node.value):
                    if not self.is_alias(node, i):  # written elsewhere: walked there
                        walk(item, depth + 1)
            elif is_scalar(node) and node.style in ("'", '"'):
                quotes[node.style] += 1

        for doc in self.docs:
            if doc is not None:
                walk(doc, 0)
        indent = _most_common(steps, lambda n: 1 <= n <= 8, 2)
        self._style = {
            "indent": indent,
            "seq_indent": _most_common(dashes, lambda n: 0 <= n <= 8, indent),
            "flow_lists": flows[True] > flows[False],
            "quote": "'" if quotes["'"] > quotes['"'] else '"',
        }
        return self._style


def _most_common(counts: Counter[int], ok: Callable[[int], bool], default: int) -> int:
    for value, _ in counts.most_common():
        if ok(value):
            return value
    return default


def _pragma_matches(line: str, code: str, *, trailing: bool) -> bool:
    if "hardenify" not in line.lower():
        return False
    for m in _PRAGMA_RE.finditer(line):
        if trailing and m.start() > 0 and line[m.start() - 1] not in " \t":
            continue
        raw = m.group("codes")
        if raw is None or not raw.strip():
            return True
        codes = {c.upper() for c in re.split(r"[,\s]+", raw.strip()) if c}
        if code in codes or "ALL" in codes or any(code.startswith(c) for c in codes if len(c) < len(code)):
            return True
    return False


def parse(
    text: str, reader: Callable[[str], str | None] | None = None, *, quick: bool = False
) -> ComposeFile:
    """Compose `text` with ruamel's round-trip loader; never raises (see `ComposeFile.error`).

    `quick` composes with ruamel's safe loader instead: the same nodes and marks (minus the
    round-trip folding markers in `>` scalars) about three times faster, since it does not
    collect comments. Verification re-loads use it; such a model has no occurrence index.
    """
    from ruamel.yaml import YAML

    cf = ComposeFile(text=text, reader=reader)
    yaml = YAML(typ="safe", pure=True) if quick else YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cf.docs = list(yaml.compose_all(text))
    except RecursionError:
        cf.error = "nested too deeply"
    except Exception as exc:  # ruamel raises several unrelated types on odd input
        problem = getattr(exc, "problem", None)
        msg = str(exc).strip().splitlines()
        cf.error = str(problem) if problem else (msg[0] if msg else type(exc).__name__)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        cf.error_offset = min(max(int(getattr(mark, "index", 0) or 0), 0), len(text))
        cf.docs = []
    if cf.error is None:
        bomb = _alias_bomb(cf.docs)
        if bomb is not None:
            cf.error = (
                f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values "
                '(a "billion laughs" alias bomb); no tool can load it'
            )
            cf.error_offset = min(max(int(bomb.start_mark.index), 0), len(text))
            cf.docs = []
    if cf.error is None and not quick:
        cf._index()
    return cf


class _Bomb(Exception):
    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node = node


def _alias_bomb(docs: list[Node]) -> Node | None:
    """The first node whose value, with every alias expanded, passes MAX_EXPANDED_NODES.

    ruamel composes an alias as a reference to the anchored node, so composing a "billion
    laughs" file is cheap; anything that walks it as data (a rule, `docker compose`) is not.
    Sizes are memoised per node, so this is linear in the nodes written. A node met inside
    its own value (a recursive alias) counts once here; `verify.to_data` refuses it.
    """
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1
        total = 1
        if is_map(node):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    raise _Bomb(node)
        elif is_seq(node):
            for item in node.value:
                total += size(item)
                if total > MAX_EXPANDED_NODES:
                    raise _Bomb(node)
        sizes[id(node)] = total
        return total

    try:
        grand = 0
        for doc in docs:
            if doc is not None:
                grand += size(doc)
                if grand > MAX_EXPANDED_NODES:
                    raise _Bomb(doc)
    except _Bomb as found:
        return found.node
    except RecursionError:
        return docs[0] if docs else None
    return None
