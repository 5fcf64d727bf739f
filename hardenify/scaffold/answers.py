"""`.hardenify-answers.yml`: what `hardenify new` was asked and what it wrote.

It holds the hardenify and template versions, the answers (never a secret: secret questions
are dropped before anything is written), the template directory when an organisation's set
was used, and `rendered`: every generated file exactly as it was written.

Why keep the rendered files? `--update` needs the *base* of a 3-way merge: the file as the old
template produced it. copier gets it by re-rendering the old template version from git, which
needs the template's history at hand; hardenify's templates ship inside the package (an upgrade
replaces them) and an org's directory may have moved on, so the old output cannot be rebuilt
reliably. Storing it costs a few kilobytes, makes `--update` work offline and with any template
source, and stays readable and reviewable in a diff (literal YAML blocks).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILENAME = ".hardenify-answers.yml"
_HEADER = (
    "# Written by `hardenify new`; `hardenify new --update` reads it. It never holds secret values.\n"
    "# `rendered` keeps each generated file as it was written: the base --update merges your edits against.\n"
)


#: Bounds on an answers file: `--data-file` holds a few answers; the saved file adds the
#: generated files' text. Any real file is far below them.
MAX_BYTES = 1024 * 1024
MAX_BYTES_SAVED = 8 * 1024 * 1024
MAX_VALUES = 20_000
MAX_DEPTH = 32


class AnswersFileError(Exception):
    """The answers file is missing or malformed; the message says how to recover."""


@dataclass
class AnswersFile:
    hardenify_version: str
    template_version: str
    answers: dict[str, Any]
    rendered: dict[str, str] = field(default_factory=dict)
    template_dir: str | None = None


def dump(data: AnswersFile, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """YAML text of the answers file; secret answers are dropped here as a last line of defence."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    doc: dict[str, Any] = {
        "hardenify_version": data.hardenify_version,
        "template_version": data.template_version,
    }
    if data.template_dir is not None:
        doc["template_dir"] = data.template_dir
    doc["answers"] = {k: v for k, v in data.answers.items() if k not in secrets}
    doc["rendered"] = {path: LiteralScalarString(text) for path, text in data.rendered.items()}
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return _HEADER + buf.getvalue()


def load_yaml(path: Path, limit: int = MAX_BYTES) -> Any:
    """The data of a small YAML file the user or the project supplies, or AnswersFileError.

    Both answers files are hostile input (`.hardenify-answers.yml` sits in the repository,
    and `--data-file` may be anything a shell can name): only a regular file is opened (a
    FIFO would block, a device never ends), at most `limit` bytes are read, nesting is
    bounded by the parser's recursion, and the loaded data may hold at most `MAX_VALUES`
    values with every alias counted each time it is used (a "billion laughs" file is
    refused before anything walks it).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from hardenify.safeio import read_bytes

    try:
        text = read_bytes(path, limit).decode("utf-8")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise AnswersFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise AnswersFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        doc = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise AnswersFileError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise AnswersFileError(f"{path}: nested too deeply to be an answers file") from None
    _check_bounded(doc, path)
    return doc


def _check_bounded(doc: Any, path: Path) -> None:
    """Walk the data as it would be expanded; stop at MAX_VALUES values or MAX_DEPTH levels."""
    budget = MAX_VALUES
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise AnswersFileError(
                f"{path}: more than {MAX_VALUES} values once aliases are expanded; not an answers file"
            )
        if depth > MAX_DEPTH:
            raise AnswersFileError(f"{path}: nested more than {MAX_DEPTH} levels deep; not an answers file")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for kv in node.items() for v in kv)
        elif isinstance(node, (list, tuple, set)):
            stack.extend((v, depth + 1) for v in node)


def load(path: Path) -> AnswersFile:
    try:
        doc = load_yaml(path, MAX_BYTES_SAVED)
    except FileNotFoundError:
        raise AnswersFileError(
            f"{path} not found: `--update` needs the answers file a previous `hardenify new` wrote"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        raise AnswersFileError(f"{path}: not a hardenify answers file (no `answers` mapping)")
    rendered = doc.get("rendered") or {}
    if not isinstance(rendered, dict) or not all(isinstance(v, str) for v in rendered.values()):
        raise AnswersFileError(f"{path}: `rendered` must map file paths to their text")
    template_dir = doc.get("template_dir")
    return AnswersFile(
        hardenify_version=str(doc.get("hardenify_version", "")),
        template_version=str(doc.get("template_version", "")),
        answers=dict(doc["answers"]),
        rendered={str(k): v for k, v in rendered.items()},
        template_dir=str(template_dir) if template_dir is not None else None,
    )


def load_data_file(path: Path) -> Mapping[str, Any]:
    """`--data-file`: a YAML mapping of answers (an answers file's `answers:` is accepted too).

    Every answer is a scalar (text, a number, yes/no): no question takes a list or a mapping.
    """
    try:
        doc = load_yaml(path)
    except FileNotFoundError:
        raise AnswersFileError(f"{path}: not found") from None
    if doc is None:
        return {}
    if isinstance(doc, dict) and isinstance(doc.get("answers"), dict):
        doc = doc["answers"]
    if not isinstance(doc, dict):
        raise AnswersFileError(f"{path}: expected a mapping of question: answer, not {_kind(doc)}")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise AnswersFileError(f"{path}: {_kind(key)} is not a question name")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise AnswersFileError(
                f"{path}: answer {str(key)!r} must be text, a number or yes/no, not {_kind(value)}"
            )
        out[str(key)] = value
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple, set)):
        return "a list"
    return f"a {type(value).__name__}" if value is not None else "nothing"
