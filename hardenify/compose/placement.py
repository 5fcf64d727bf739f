"""Where a compose fix's edits land, and the `Change` that verification checks.

A setting is edited where it lives: the service's own key, or the anchor/extension it is
merged from with `<<:`. When that place is also used by other services, the edit changes them
too: the fix is then unsafe whatever the image, and the message names them. When it is also
used outside services and `x-` extensions, there is no fix. New keys always go into the
service's own mapping (own keys override merged ones), so adding one never changes another
service, unless the whole service is an alias of another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardenify.compose.edits import append_items, insert_keys
from hardenify.compose.model import ComposeFile, Node, Path, Service, is_map, is_seq
from hardenify.compose.verify import Change, get
from hardenify.diagnostics import Edit


@dataclass
class Placed:
    """An edit and what it changes: the data paths and the other services it reaches."""

    edit: Edit
    paths: list[Path]
    others: list[str] = field(default_factory=list)  # other services the edit also changes


def reach(cf: ComposeFile, svc: Service, owner: Node, key: str) -> tuple[list[str], bool]:
    """Other services that editing `key` of `owner` changes, and whether it is ambiguous
    (something that is neither a service nor an `x-` extension shows it too)."""
    services, outside = cf.users(owner, key)
    others = sorted(name for doc, name in services if (doc, name) != (svc.doc, svc.name))
    return others, outside


def place_keys(cf: ComposeFile, svc: Service, items: Sequence[tuple[str, Any]]) -> Placed | None:
    """New keys in the service's own mapping."""
    edit = insert_keys(cf, svc.node, items)
    if edit is None:
        return None
    paths: list[Path] = []
    others: set[str] = set()
    for key, _ in items:
        o, outside = reach(cf, svc, svc.node, key)
        if outside:
            return None
        others.update(o)
        paths += cf.entry_paths(svc.node, key)
    return Placed(edit, paths, sorted(others))


def place_items(cf: ComposeFile, svc: Service, key: str, items: Sequence[Any]) -> Placed | None:
    """Append to the list `key` where it lives, or add the key with these items."""
    entry = svc.get(key)
    if entry is None:
        return place_keys(cf, svc, [(key, list(items))])
    if not is_seq(entry.value):
        return None
    others, outside = reach(cf, svc, entry.owner, key)
    if outside:
        return None
    edit = append_items(cf, entry.value, items)
    if edit is None:
        return None
    return Placed(edit, cf.entry_paths(entry.owner, key), others)


def place_nested(
    cf: ComposeFile, svc: Service, path: Sequence[str], items: Sequence[tuple[str, Any]]
) -> Placed | None:
    """Add `items` to the mapping at `path` under the service (e.g. deploy.resources.limits),
    creating the missing levels at the deepest existing one."""
    node = svc.node
    owner_path: list[str] = []
    for i, part in enumerate(path):
        entry = cf.lookup(node, part)
        if entry is None:
            value: Any = dict(items)
            for name in reversed(path[i + 1 :]):
                value = {name: value}
            items = [(part, value)]
            break
        if not is_map(entry.value):
            return None
        node = entry.value
        owner_path.append(part)
    edit = insert_keys(cf, node, items)
    if edit is None:
        return None
    if node is svc.node:
        return place_keys(cf, svc, items)
    # the deepest existing mapping may itself be shared through an anchor
    top = svc.get(path[0])
    if top is None:
        return None
    others, outside = reach(cf, svc, top.owner, path[0])
    if outside:
        return None
    paths = [p for p in cf.entry_paths(top.owner, path[0])]
    for occ_path in cf.node_paths(node):
        paths += [(*occ_path, k) for k, _ in items]
    return Placed(edit, paths, others)


def place_top(cf: ComposeFile, doc: int, key: str, items: Sequence[tuple[str, Any]]) -> Placed | None:
    """Add entries to a top-level mapping (`secrets:`), creating it at the end of the document."""
    root = cf.docs[doc] if 0 <= doc < len(cf.docs) else None
    if not is_map(root):
        return None
    entry = cf.own(root, key)
    if entry is None:
        edit = insert_keys(cf, root, [(key, dict(items))])
    elif is_map(entry.value) and not cf.is_alias(root, key):
        edit = insert_keys(cf, entry.value, items)
    else:
        return None
    return Placed(edit, [(doc, key)]) if edit is not None else None


def expect(path: Path, pred: Callable[[Any], bool]) -> Callable[[ComposeFile], bool]:
    """A verification predicate on the value at a data path of the re-loaded file."""
    return lambda new: pred(get(new.data(), path))


def change(placed: Sequence[Placed], check: Callable[[ComposeFile], bool] | None = None) -> Change:
    """One fix from several placed edits. Insertions at the same point become one edit, in
    the order given (list the innermost first: its lines must precede an outer key's)."""
    edits: list[Edit] = []
    for p in placed:
        e = p.edit
        same = next((i for i, f in enumerate(edits) if f.start == f.end == e.start == e.end), None)
        if same is None:
            edits.append(e)
        else:
            edits[same] = Edit(e.start, e.end, edits[same].content + e.content)
    paths = tuple(path for p in placed for path in p.paths)
    return Change(tuple(edits), paths, check)


def others_note(others: Sequence[str]) -> str:
    if not others:
        return ""
    names = ", ".join(others[:5]) + (" and more" if len(others) > 5 else "")
    return f"; the edit is in a shared anchor and also changes {names}"


def upper_list(value: Any) -> list[str]:
    """A plain-data list of strings, upper-cased (for capability and option comparisons)."""
    if not isinstance(value, list):
        return []
    return [str(v).upper() for v in value if isinstance(v, (str, int))]
