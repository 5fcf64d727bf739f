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


def load(path: Path) -> AnswersFile:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersFileError(
            f"{path} not found: `--update` needs the answers file a previous `hardenify new` wrote"
        ) from None
    except (OSError, UnicodeError) as exc:
        raise AnswersFileError(f"{path}: cannot read: {exc}") from None
    try:
        doc = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise AnswersFileError(f"{path}: invalid YAML: {exc}") from None
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
    """`--data-file`: a YAML mapping of answers (an answers file's `answers:` is accepted too)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as exc:
        raise AnswersFileError(f"{path}: cannot read: {exc}") from None
    except YAMLError as exc:
        raise AnswersFileError(f"{path}: invalid YAML: {exc}") from None
    if doc is None:
        return {}
    if isinstance(doc, dict) and isinstance(doc.get("answers"), dict):
        doc = doc["answers"]
    if not isinstance(doc, dict):
        raise AnswersFileError(f"{path}: expected a mapping of question: answer")
    return {str(k): v for k, v in doc.items()}
