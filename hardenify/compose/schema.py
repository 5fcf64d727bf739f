"""Is a compose file one `docker compose` accepts? The compose-spec schema plus what it cannot say.

Two sources of problems, both with the character span of the offending key or value:

- the Compose Specification's JSON schema (`compose-spec.json`, vendored from
  compose-spec/compose-spec; draft-07), which `docker compose` validates every file against:
  unknown keys, wrong types, values outside an enum;
- duplicates the schema cannot express: an `environment:` or `labels:` list that sets one name
  twice (the schema only refuses byte-identical items), and a service that mounts one secret or
  config at the same target twice.

Keys repeated in one mapping are HF600's (the YAML layer) and are not reported again here.

Messages name keys and paths, never values: a value may be a secret, and jsonschema's own
messages quote the instance. `jsonschema` is imported on first use only, so `hardenify check`
on Dockerfiles never loads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any

from hardenify.compose.model import MERGE_TAG, ComposeFile, Node, is_map, is_scalar, is_seq
from hardenify.compose.verify import scalar_value

SCHEMA_PATH = FsPath(__file__).with_name("compose-spec.json")
_RESET_TAG = "!reset"
_OVERRIDE_TAG = "!override"
#: Service keys `docker compose` accepts that the vendored schema predates, with a loose schema
#: (`pre_start` hooks, a list of one-off containers, are in docker/compose's own e2e tests).
NEWER_THAN_SCHEMA: dict[str, dict[str, Any]] = {"pre_start": {"type": "array", "items": {"type": "object"}}}
_MAX_NODES = 500_000
_MAX_PROBLEMS = 50
_TWICE = " lists the same item twice"


@dataclass(frozen=True)
class Problem:
    """Where (character span) and what, in words that never quote a value."""

    start: int
    end: int
    message: str


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    service = schema["definitions"]["service"]["properties"]
    for key, loose in NEWER_THAN_SCHEMA.items():
        service.setdefault(key, loose)
    return jsonschema.Draft7Validator(schema)


# --------------------------------------------------------------------------- data with places


class _TooBig(Exception):
    pass


class _Places:
    """Plain data for a document, and for every data path the span of the key or value that
    wrote it (for a merged key, its line in the anchor it came from)."""

    def __init__(self, cf: ComposeFile) -> None:
        self.cf = cf
        self.spans: dict[tuple[Any, ...], tuple[int, int]] = {}
        self.budget = _MAX_NODES

    def span(self, node: Node) -> tuple[int, int]:
        start = int(node.start_mark.index)
        if is_scalar(node):
            end = int(node.end_mark.index)
            if not self.cf.text.count("\n", start, end):
                return start, max(end, start + 1)
        end = self.cf.line_end(start)
        return start, max(len(self.cf.text[start:end].rstrip()) + start, start + 1)

    def conv(self, node: Node, path: tuple[Any, ...], depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > 100:
            raise _TooBig
        if node is None:
            return None
        self.spans.setdefault(path, self.span(node))
        if is_scalar(node):
            value = scalar_value(node)
            if isinstance(value, tuple):  # a tag the core schema does not know: its text
                return None if node.tag == _RESET_TAG else str(value[1])
            return value
        if is_seq(node):
            return [self.conv(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if is_map(node):
            out: dict[str, Any] = {}
            for src in reversed(self.cf.merge_sources(node)):
                merged = self.conv(src, path, depth + 1)
                if isinstance(merged, dict):
                    out.update(merged)
            for k, v in node.value:
                if is_scalar(k) and k.tag == MERGE_TAG:
                    continue
                if is_scalar(k):
                    raw = scalar_value(k)
                    key = str(raw[1] if isinstance(raw, tuple) else raw)
                else:  # a complex key: compose refuses it; its text names it
                    key = self.cf.text[int(k.start_mark.index) : int(k.end_mark.index)]
                if v is not None and getattr(v, "tag", None) == _RESET_TAG:
                    out.pop(key, None)
                    continue
                where = (*path, key)
                self.spans[where] = self.span(k)
                out[key] = self.conv(v, where, depth + 1)
            return out
        return None

    def where(self, path: tuple[Any, ...]) -> tuple[int, int]:
        """The span of the longest prefix of `path` that the file wrote."""
        p = tuple(path)
        while p:
            if p in self.spans:
                return self.spans[p]
            p = p[:-1]
        return self.spans.get((), (0, 1))


def show(path: tuple[Any, ...]) -> str:
    """`services.web.environment[2]`: a data path as people write it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "the file"


# ------------------------------------------------------------------------------------ schema


def _describe(error: Any) -> tuple[tuple[Any, ...], str]:
    """(path to point at, message without values) for one jsonschema error."""
    from jsonschema import exceptions

    path = tuple(error.absolute_path)
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        # The branches whose type fits the value say what is wrong inside it; when none fits,
        # the value has the wrong type altogether.
        fitting = [e for e in error.context if not (e.validator == "type" and tuple(e.absolute_path) == path)]
        if fitting:
            return _describe(exceptions.best_match(fitting))
        types = _types(error.schema)
        if types:
            return path, f"`{show(path)}` must be {types}"
        return path, f"`{show(path)}` does not match any form the compose spec allows"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties") or {})
        import re

        patterns = [re.compile(p) for p in (error.schema.get("patternProperties") or {})]
        extra = [k for k in error.instance if k not in known and not any(p.search(k) for p in patterns)]
        if extra:
            where = "the top level" if not path else f"`{show(path)}`"
            return (*path, extra[0]), f"unknown key `{extra[0]}` in {where} (not in the compose spec)"
    if kind == "type":
        return path, f"`{show(path)}` must be {_types(error.schema) or error.validator_value}"
    if kind == "required":
        missing = [
            r for r in error.validator_value if isinstance(error.instance, dict) and r not in error.instance
        ]
        return path, f"`{show(path)}` lacks the required key `{missing[0] if missing else '?'}`"
    if kind == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return path, f"`{show(path)}` must be one of: {choices}"
    if kind == "uniqueItems":
        return path, f"`{show(path)}`{_TWICE}"
    if kind in ("minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern", "const"):
        return path, f"`{show(path)}` breaks the compose spec's `{kind}: {error.validator_value}`"
    return path, f"`{show(path)}` does not match the compose spec ({kind})"


def _types(schema: Any) -> str:
    """`a string or a list`: the JSON types a schema (or its oneOf branches) allows."""
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "number": "a number",
        "integer": "an integer",
        "boolean": "true or false",
        "null": "null",
    }
    found: list[str] = []

    def add(s: Any) -> None:
        if not isinstance(s, dict):
            return
        t = s.get("type")
        for one in [t] if isinstance(t, str) else t or []:
            if names.get(one, one) not in found:
                found.append(names.get(one, one))
        for branch in (s.get("oneOf") or []) + (s.get("anyOf") or []):
            add(branch)

    add(schema)
    if not found:
        return ""
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " or " + found[-1]


# -------------------------------------------------------------------------------- duplicates


def _name_of(item: Any) -> str | None:
    """`FOO` of `FOO=bar` or `FOO` in an environment/labels list."""
    if not isinstance(item, str):
        return None
    name = item.split("=", 1)[0].strip()
    return name or None


def _duplicates(data: dict[str, Any], places: _Places, doc: int) -> Iterator[tuple[tuple[Any, ...], Problem]]:
    """(path of the list, problem) for each repeated name or mount target."""
    services = data.get("services")
    if not isinstance(services, dict):
        return
    for sname, svc in services.items():
        if not isinstance(svc, dict):
            continue
        base = (doc, "services", sname)
        for key in ("environment", "labels"):
            items = svc.get(key)
            if not isinstance(items, list):
                continue
            first: dict[str, int] = {}
            for i, item in enumerate(items):
                name = _name_of(item)
                if name is None:
                    continue
                if name in first:
                    start, end = places.where((*base, key, i))
                    same = "the same entry" if items[first[name]] == item else "a second value"
                    yield (
                        (*base, key),
                        Problem(
                            start,
                            end,
                            f"service `{sname}` sets `{name}` twice in `{key}:` ({same}; first at line "
                            f"{places.cf.row(places.where((*base, key, first[name]))[0])}); "
                            "`docker compose` rejects or silently overrides it",
                        ),
                    )
                else:
                    first[name] = i
        for key, root in (("secrets", "/run/secrets/"), ("configs", "/")):
            items = svc.get(key)
            if not isinstance(items, list):
                continue
            targets: dict[str, int] = {}
            for i, item in enumerate(items):
                if isinstance(item, str):
                    source, target = item, None
                elif isinstance(item, dict) and isinstance(item.get("source"), str):
                    source, target = item["source"], item.get("target")
                else:
                    continue
                at = str(target) if target else root + source
                if not at.startswith("/") and key == "secrets":
                    at = root + at
                if at in targets:
                    start, end = places.where((*base, key, i))
                    yield (
                        (*base, key),
                        Problem(
                            start,
                            end,
                            f"service `{sname}` mounts {key[:-1]} `{source}` at `{at}` twice (first at line "
                            f"{places.cf.row(places.where((*base, key, targets[at]))[0])}); `docker compose` "
                            "refuses the duplicate mount",
                        ),
                    )
                else:
                    targets[at] = i


# ------------------------------------------------------------------------------------- entry


def problems(cf: ComposeFile) -> list[Problem]:
    """Every reason `docker compose` would refuse this (loadable) file, in file order."""
    if cf.error is not None:
        return []
    out: list[Problem] = []
    for doc, node in enumerate(cf.docs):
        if node is None:
            continue
        places = _Places(cf)
        try:
            data = places.conv(node, (doc,))
        except (_TooBig, RecursionError):
            continue
        if not is_map(node) or not isinstance(data, dict):
            start, end = places.span(node)
            out.append(Problem(start, end, "a compose file must be a mapping (`services:` and friends)"))
            continue
        dup = list(_duplicates(data, places, doc))
        dup_paths = {path for path, _ in dup}
        seen: set[tuple[int, str]] = set()
        for error in _validator().iter_errors(data):
            path, message = _describe(error)
            if message.endswith(_TWICE) and (doc, *path) in dup_paths:
                continue  # the duplicate check names the entry itself
            start, end = places.where((doc, *path))
            if (start, message) not in seen:
                seen.add((start, message))
                out.append(Problem(start, end, message))
            if len(out) >= _MAX_PROBLEMS:
                break
        out.extend(p for _, p in dup)
    return sorted(out, key=lambda p: (p.start, p.message))


def validate_text(text: str) -> list[str]:
    """`line N: message` for every problem of a compose text (for `hardenify new`'s own output)."""
    from hardenify.compose.model import parse

    cf = parse(text)
    if cf.error is not None:
        return [f"line {cf.row(cf.error_offset)}: not valid YAML: {cf.error}"]
    return [f"line {cf.row(p.start)}: {p.message}" for p in problems(cf)]
