"""The template library: `questions.yaml`, one `<stack>/stack.yaml` per stack, Jinja2 files.

Layout (hardenify's own `templates/` and an organisation's `--template-dir` share it):

    questions.yaml          version + the questions (an org file overrides fields by name,
                            adds questions, or removes one with `name: null`)
    _macros/*.j2            shared macros
    _common/<output>.j2     outputs every stack gets (compose.yaml, .dockerignore, README)
    _probes/*.j2            health-probe sources for bases without a usable interpreter
    <stack>/stack.yaml      label, defaults, bases (images, uid, health probe), extra questions
    <stack>/<output>.j2     per-stack templates; `<stack>/Dockerfile.j2` is required

An org directory is searched first, so any file in it replaces hardenify's file of the same
path, and a new `<stack>/` directory adds a stack. The template version recorded in the
answers file is hardenify's `version`, plus `+org.<version>` when an org set is in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

QUESTION_TYPES = ("str", "int", "bool", "choice", "secret")
#: Outputs rendered for every stack: (path in the project, template name under <stack>/ or _common/).
COMMON_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("Dockerfile", "Dockerfile.j2"),
    (".dockerignore", "dockerignore.j2"),
    ("compose.yaml", "compose.yaml.j2"),
    ("README.Docker.md", "README.Docker.md.j2"),
)
_QUESTION_KEYS = frozenset(
    {"type", "help", "default", "detected", "choices", "validator", "when", "required"}
)
_BASE_REQUIRED = ("runtime", "uid", "health")


class TemplateError(Exception):
    """The template library itself is broken (a bad stack.yaml, an unknown key): a bug report."""


@dataclass(frozen=True)
class Question:
    """One question of questions.yaml or a stack.yaml (see the header of questions.yaml)."""

    name: str
    type: str
    help: str
    default: Any = None
    detected: str | None = None
    choices: Any = None  # a list, or a Jinja expression yielding one
    validator: str | None = None
    when: str | None = None
    required: bool = False

    @property
    def secret(self) -> bool:
        return self.type == "secret"


@dataclass(frozen=True)
class Stack:
    name: str
    info: Mapping[str, Any]
    directory: Path

    @property
    def label(self) -> str:
        return str(self.info.get("label", self.name))

    @property
    def bases(self) -> Mapping[str, Mapping[str, Any]]:
        bases: Mapping[str, Mapping[str, Any]] = self.info["bases"]
        return bases


@dataclass(frozen=True)
class TemplateSet:
    """A loaded template library: where to find files, the questions and the stacks."""

    dirs: tuple[Path, ...]  # search order: org directory first, hardenify's own last
    version: str
    questions: tuple[Question, ...]
    stacks: Mapping[str, Stack]
    org_dir: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def questions_for(self, stack: str | None) -> list[Question]:
        """Common questions with the stack's own inserted after `version` (so after `base`)."""
        common = list(self.questions)
        if stack is None or stack not in self.stacks:
            return common
        own = _parse_questions(self.stacks[stack].info.get("questions") or {}, f"{stack}/stack.yaml")
        names = [q.name for q in common]
        at = names.index("version") + 1 if "version" in names else len(common)
        merged = common[:at] + [q for q in own if q.name not in names] + common[at:]
        overrides = {q.name: q for q in own if q.name in names}
        return [overrides.get(q.name, q) for q in merged]

    def template_name(self, stack: str, template: str) -> str:
        """`<stack>/<template>` when any directory has it, else `_common/<template>`."""
        for d in self.dirs:
            if (d / stack / template).is_file():
                return f"{stack}/{template}"
        return f"_common/{template}"


def builtin_dir() -> Path:
    """hardenify's own templates (the `hardenify.templates` package directory)."""
    import importlib

    # Installed from the top-level templates/ through setup.py's package_dir, so imported by name.
    templates = importlib.import_module("hardenify.templates")
    return Path(str(templates.__file__)).resolve().parent


def _load_yaml(path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe").load(path.read_text(encoding="utf-8"))  # the C loader when installed
    except (OSError, UnicodeError) as exc:
        raise TemplateError(f"{path}: cannot read: {exc}") from None
    except YAMLError as exc:
        raise TemplateError(f"{path}: invalid YAML: {exc}") from None


def _parse_question(name: str, raw: Any, where: str) -> Question:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: question {name!r} must be a mapping")
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        raise TemplateError(f"{where}: question {name!r} has unknown keys {sorted(unknown)}")
    qtype = raw.get("type", "str")
    if qtype not in QUESTION_TYPES:
        raise TemplateError(f"{where}: question {name!r} has type {qtype!r}; use one of {QUESTION_TYPES}")
    if qtype == "choice" and raw.get("choices") is None:
        raise TemplateError(f"{where}: choice question {name!r} needs `choices`")
    if qtype == "secret" and raw.get("default") is not None:
        raise TemplateError(f"{where}: secret question {name!r} cannot have a default")
    from hardenify.scaffold.validators import VALIDATORS

    validator = raw.get("validator")
    if validator is not None and validator not in VALIDATORS:
        raise TemplateError(f"{where}: question {name!r} uses unknown validator {validator!r}")
    return Question(
        name=name,
        type=qtype,
        help=str(raw.get("help", name)),
        default=raw.get("default"),
        detected=raw.get("detected"),
        choices=raw.get("choices"),
        validator=validator,
        when=raw.get("when"),
        required=bool(raw.get("required", False)),
    )


def _parse_questions(raw: Any, where: str) -> list[Question]:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: `questions` must be a mapping of name → question")
    return [_parse_question(str(name), q, where) for name, q in raw.items()]


def _merge_questions(base: list[Question], overlay: Mapping[str, Any], where: str) -> list[Question]:
    """An org file's questions: a mapping replaces fields, `null` removes, a new name appends."""
    by_name = {q.name: q for q in base}
    order = [q.name for q in base]
    for name, raw in overlay.items():
        if raw is None:
            by_name.pop(name, None)
            order = [n for n in order if n != name]
            continue
        if name in by_name:
            if not isinstance(raw, dict) or set(raw) - _QUESTION_KEYS:
                raise TemplateError(
                    f"{where}: override of question {name!r} must be a mapping of question keys"
                )
            by_name[name] = replace(by_name[name], **{str(k): v for k, v in raw.items()})
            _parse_question(name, _as_raw(by_name[name]), where)  # re-validate the result
        else:
            by_name[name] = _parse_question(str(name), raw, where)
            order.append(str(name))
    return [by_name[n] for n in order]


def _as_raw(q: Question) -> dict[str, Any]:
    return {
        "type": q.type,
        "help": q.help,
        "default": q.default,
        "detected": q.detected,
        "choices": q.choices,
        "validator": q.validator,
        "when": q.when,
        "required": q.required,
    }


def _load_stack(directory: Path) -> Stack:
    where = f"{directory.name}/stack.yaml"
    info = _load_yaml(directory / "stack.yaml")
    if not isinstance(info, dict):
        raise TemplateError(f"{where}: must be a mapping")
    bases = info.get("bases")
    if not isinstance(bases, dict) or not bases:
        raise TemplateError(f"{where}: `bases` must map base names to images")
    for bname, base in bases.items():
        if not isinstance(base, dict):
            raise TemplateError(f"{where}: base {bname!r} must be a mapping")
        missing = [k for k in _BASE_REQUIRED if k not in base]
        if missing:
            raise TemplateError(f"{where}: base {bname!r} lacks {', '.join(missing)}")
    if info.get("default_base") not in bases:
        raise TemplateError(f"{where}: default_base must be one of {sorted(bases)}")
    info.setdefault("label", directory.name)
    for key in ("port", "version", "command"):
        info.setdefault(key, None)
    return Stack(directory.name, info, directory)


def load(template_dir: Path | None = None) -> TemplateSet:
    """hardenify's templates, overlaid by `template_dir` (an org set) when given."""
    builtin = builtin_dir()
    dirs: list[Path] = [builtin]
    org = None
    if template_dir is not None:
        org = template_dir.resolve()
        if not org.is_dir():
            raise TemplateError(f"template directory {template_dir} does not exist")
        dirs.insert(0, org)

    raw = _load_yaml(builtin / "questions.yaml")
    if not isinstance(raw, dict) or "questions" not in raw:
        raise TemplateError(f"{builtin / 'questions.yaml'}: needs `version` and `questions`")
    version = str(raw.get("version", "0"))
    questions = _parse_questions(raw["questions"], "questions.yaml")
    if org is not None and (org / "questions.yaml").is_file():
        oraw = _load_yaml(org / "questions.yaml") or {}
        if not isinstance(oraw, dict):
            raise TemplateError(f"{org / 'questions.yaml'}: must be a mapping")
        questions = _merge_questions(questions, oraw.get("questions") or {}, str(org / "questions.yaml"))
        version = f"{version}+org.{oraw.get('version', '0')}"
    elif org is not None:
        version = f"{version}+org"

    stacks: dict[str, Stack] = {}
    for d in reversed(dirs):  # org last, so its stacks replace hardenify's
        for child in sorted(d.iterdir()):
            if child.is_dir() and not child.name.startswith(("_", ".")) and (child / "stack.yaml").is_file():
                stacks[child.name] = _load_stack(child)
    for name in stacks:
        if not any((d / name / "Dockerfile.j2").is_file() for d in dirs):
            raise TemplateError(f"stack {name!r} has no Dockerfile.j2")
    return TemplateSet(tuple(dirs), version, tuple(questions), stacks, org)
