"""Rule metadata, the registry of rule modules under `fixers/`, and code selectors.

Each module `hardenify/fixers/hfNNN_<name>.py` defines `RULE` (a `Rule`) and
`check(ctx) -> Iterable[Diagnostic]`. Everything a user sees about a rule (code, name,
severity, docs, cross-references, fix safety) lives in that one `Rule` value.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from hardenify.diagnostics import Diagnostic, FixAvailability, Severity

if TYPE_CHECKING:
    from hardenify.context import CheckContext

# One page per rule, generated from the metadata by scripts/sync_readme.py (a test keeps them current).
DOCS_BASE_URL = "https://github.com/hardenify/hardenify/blob/main/docs/rules"


def rule_url(code: str) -> str:
    """The rule's docs page; needs no rule module loaded (reporters call it per finding)."""
    return f"{DOCS_BASE_URL}/{code}.md"


CATEGORIES = {
    "HF0": "parse",
    "HF1": "user-privilege",
    "HF2": "base-image",
    "HF3": "secrets",
    "HF4": "build-hygiene",
    "HF5": "instructions-runtime",
    "HF6": "compose",
    "HF7": "ci-pipeline",
}


class References(NamedTuple):
    """Ids of the same check in other tools, so pragmas and reports can cross-reference."""

    hadolint: tuple[str, ...] = ()
    trivy: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    buildkit: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()

    def items(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            ("hadolint", self.hadolint),
            ("trivy", self.trivy),
            ("checkov", self.checkov),
            ("buildkit", self.buildkit),
            ("cis", self.cis),
        ]


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule; `check` is filled in by the registry from the module."""

    code: str
    name: str
    severity: Severity
    summary: str
    what: str
    why: str
    example: str
    fix: str = ""
    fix_availability: FixAvailability = FixAvailability.NONE
    fix_safety: str = ""
    references: References = field(default_factory=References)
    # Which files the rule reads: "dockerfile", "dockerignore", "compose".
    kinds: tuple[str, ...] = ("dockerfile",)
    # Rules that find secret values run even when not selected, so that every output is
    # redacted whatever --select says (their findings are then discarded).
    registers_secrets: bool = False
    # Off by default (noisy or a matter of policy): the rule runs only when a selector names its
    # exact code (`--select HF418`, `extend-select = ["HF418"]`); `ALL` and prefixes do not.
    default_enabled: bool = True
    check: Callable[[CheckContext], Iterable[Diagnostic]] | None = field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if not re.fullmatch(r"HF\d{3}", self.code):
            raise ValueError(f"rule code {self.code!r} must look like HF123")
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", self.name):
            raise ValueError(f"rule name {self.name!r} must be kebab-case")

    @property
    def category(self) -> str:
        return CATEGORIES.get(self.code[:3], "other")

    @property
    def url(self) -> str:
        return rule_url(self.code)

    def docs(self) -> str:
        """The rule's full documentation in Markdown (what `hardenify rule CODE` prints)."""
        refs = [f"{tool} {', '.join(ids)}" for tool, ids in self.references.items() if ids]
        parts = [
            f"# {self.code} {self.name}",
            "",
            f"Severity: {self.severity.value} · Category: {self.category} · "
            f"Fix: {self.fix_availability.value}"
            + ("" if self.default_enabled else f" · Off by default (enable with `--select {self.code}`)"),
            "",
            self.summary,
            "",
            "## What it does",
            self.what.strip(),
            "",
            "## Why is this bad?",
            self.why.strip(),
            "",
            "## Example",
            "```yaml" if self.kinds in (("compose",), ("workflow",)) else "```dockerfile",
            self.example.strip("\n"),
            "```",
        ]
        if self.fix:
            parts += ["", "## Fix", self.fix.strip()]
        if self.fix_safety:
            parts += ["", "## Fix safety", self.fix_safety.strip()]
        if refs:
            parts += ["", "## References", *[f"- {r}" for r in refs]]
        return "\n".join(parts) + "\n"


def lazy_regex(pattern: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """A regex compiled on its first use, for rule modules: start-up should pay only for the
    patterns a run needs (`_RE().search(...)`)."""
    return cache(lambda: re.compile(pattern, flags))


class RuleLoadError(RuntimeError):
    """A module under fixers/ is malformed; a developer error, reported loudly."""


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code.

    From the generated index (`hardenify/rules_index.py`, written by scripts/sync_readme.py)
    when it lists exactly the rule modules present: a rule's module is then imported only when
    its check first runs, so a Dockerfile run never imports the compose rules. When a module was
    added or removed since the index was generated, every module is imported instead.
    """
    indexed = _from_index()
    return indexed if indexed is not None else import_all_rules()


@cache
def import_all_rules() -> tuple[Rule, ...]:
    """Import every `hfNNN_*` module under hardenify.fixers, sorted by code (the index's source)."""
    rules: dict[str, Rule] = {}
    for name in rule_module_names():
        mod = importlib.import_module(f"hardenify.fixers.{name}")
        rule = _rule_from_module(mod, name)
        if rule.code in rules:
            raise RuleLoadError(f"{name}: duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return tuple(rules[c] for c in sorted(rules))


def rule_module_names() -> list[str]:
    """The rule modules under hardenify.fixers, found by listing the package: nothing imported."""
    pkg = importlib.import_module("hardenify.fixers")
    return sorted({info.name for info in pkgutil.iter_modules(pkg.__path__) if _RULE_MODULE.match(info.name)})


_RULE_MODULE = re.compile(r"hf\d{3}_")
# Fields of `Rule` stored as something else in the index, and how to turn them back.
_INDEX_DECODE: dict[str, Callable[[Any], Any]] = {
    "severity": Severity,
    "fix_availability": FixAvailability,
    "references": lambda d: References(**{k: tuple(v) for k, v in d.items()}),
}


def index_entry(rule: Rule) -> dict[str, Any]:
    """A rule's metadata as plain literals for the generated index (`check` is not stored)."""
    out: dict[str, Any] = {}
    for f in fields(Rule):
        if f.name == "check":
            continue
        v = getattr(rule, f.name)
        if isinstance(v, enum.Enum):
            v = v.value
        elif isinstance(v, References):
            v = {k: ids for k, ids in v.items() if ids}
        out[f.name] = v
    return out


def rule_from_entry(
    entry: dict[str, Any], check: Callable[[CheckContext], Iterable[Diagnostic]] | None
) -> Rule:
    values = {k: _INDEX_DECODE[k](v) if k in _INDEX_DECODE else v for k, v in entry.items()}
    return Rule(**values, check=check)


def _from_index() -> tuple[Rule, ...] | None:
    try:
        from hardenify.rules_index import RULES
    except ImportError:
        return None
    if sorted(module for module, _ in RULES) != rule_module_names():
        return None
    out = []
    for module, entry in RULES:
        rule = rule_from_entry(entry, None)
        object.__setattr__(rule, "check", _LazyCheck(module, rule))
        out.append(rule)
    return tuple(sorted(out, key=lambda r: r.code))


def load_checks(kinds: Iterable[str]) -> None:
    """Import now the rule modules that files of these kinds run (before a process pool forks,
    so the workers inherit them instead of each importing them)."""
    wanted = set(kinds)
    for r in all_rules():
        if wanted.intersection(r.kinds) and isinstance(r.check, _LazyCheck):
            mod = importlib.import_module(f"hardenify.fixers.{r.check.module}")
            object.__setattr__(r, "check", _rule_from_module(mod, r.check.module).check)


class _LazyCheck:
    """A rule's `check` that imports the rule's module on its first call, then hands over to it."""

    __slots__ = ("module", "rule")

    def __init__(self, module: str, rule: Rule) -> None:
        self.module = module
        self.rule = rule

    def __call__(self, ctx: CheckContext) -> Iterable[Diagnostic]:
        mod = importlib.import_module(f"hardenify.fixers.{self.module}")
        check = _rule_from_module(mod, self.module).check
        assert check is not None
        object.__setattr__(self.rule, "check", check)  # later calls skip this stub
        return check(ctx)


def _rule_from_module(mod: Any, name: str) -> Rule:
    rule = getattr(mod, "RULE", None)
    check = getattr(mod, "check", None)
    if not isinstance(rule, Rule) or not callable(check):
        raise RuleLoadError(f"{name}: a rule module defines RULE = Rule(...) and check(ctx)")
    if not name.startswith(rule.code.lower() + "_"):
        raise RuleLoadError(f"{name}: module name must start with {rule.code.lower()}_")
    object.__setattr__(rule, "check", check)
    return rule


def rules_by_code() -> dict[str, Rule]:
    return {r.code: r for r in all_rules()}


def get_rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    for r in all_rules():
        if r.code == key.upper() or r.name == key.lower():
            return r
    return None


def hadolint_index() -> dict[str, list[str]]:
    """Map a hadolint DL/SC id to the hardenify codes that cover it (for `# hadolint ignore=`)."""
    out: dict[str, list[str]] = {}
    for r in all_rules():
        for ref in r.references.hadolint:
            out.setdefault(ref.upper(), []).append(r.code)
    return out


def is_selector(token: str) -> bool:
    return token.upper() == "ALL" or bool(re.fullmatch(r"HF\d{0,3}", token.upper()))


def selects_any(token: str) -> bool:
    """Is `token` a selector (`is_selector`) that names at least one rule?"""
    if not is_selector(token):
        return False
    t = token.upper()
    return t == "ALL" or any(r.code.startswith(t) for r in all_rules())


def matches(code: str, selectors: Iterable[str]) -> bool:
    """True when `code` is selected by any selector (a code, a prefix such as HF3, or ALL)."""
    for sel in selectors:
        s = sel.upper()
        if s == "ALL" or code.startswith(s):
            return True
    return False


def _specificity(selectors: Iterable[str], code: str) -> int:
    best = -1
    for sel in selectors:
        s = sel.upper()
        if s == "ALL":
            best = max(best, 0)
        elif code.startswith(s):
            best = max(best, len(s))
    return best


def resolve_selection(
    select: Sequence[str] | None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> frozenset[str]:
    """The enabled codes, with ruff's rule: the more specific of select/ignore wins.

    Memoised per rule set (the engine asks for every file with the same settings).
    """
    rules = all_rules()
    key = (tuple(select) if select is not None else None, tuple(ignore), tuple(extend_select), id(rules))
    hit = _selections.get(key)
    if hit is not None and hit[0] is rules:  # the entry keeps `rules` alive: ids are not reused
        return hit[1]
    if len(_selections) > 64:
        _selections.clear()
    codes = _resolve_selection(rules, select, ignore, extend_select)
    _selections[key] = (rules, codes)
    return codes


_selections: dict[tuple[Any, ...], tuple[tuple[Rule, ...], frozenset[str]]] = {}


def _resolve_selection(
    rules: Iterable[Rule], select: Sequence[str] | None, ignore: Sequence[str], extend_select: Sequence[str]
) -> frozenset[str]:
    chosen = list(select) if select is not None else ["ALL"]
    chosen += list(extend_select)
    exact = {c.upper() for c in chosen}
    enabled = set()
    for r in rules:
        if not r.default_enabled and r.code not in exact:
            continue
        s = _specificity(chosen, r.code)
        i = _specificity(ignore, r.code)
        if s >= 0 and s > i:
            enabled.add(r.code)
    return frozenset(enabled)
