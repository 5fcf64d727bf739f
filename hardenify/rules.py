"""Rule metadata, the registry of rule modules under `fixers/`, and code selectors.

Each module `hardenify/fixers/hfNNN_<name>.py` defines `RULE` (a `Rule`) and
`check(ctx) -> Iterable[Diagnostic]`. Everything a user sees about a rule (code, name,
severity, docs, cross-references, fix safety) lives in that one `Rule` value.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
    """A regex compiled on its first use, for rule modules: every rule module is imported on
    every run, so start-up should pay only for the patterns a run needs (`_RE().search(...)`)."""
    return cache(lambda: re.compile(pattern, flags))


class RuleLoadError(RuntimeError):
    """A module under fixers/ is malformed; a developer error, reported loudly."""


@cache
def all_rules() -> tuple[Rule, ...]:
    """Import every `hfNNN_*` module under hardenify.fixers, sorted by code."""
    pkg = importlib.import_module("hardenify.fixers")
    rules: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if not re.match(r"hf\d{3}_", info.name):
            continue
        mod = importlib.import_module(f"hardenify.fixers.{info.name}")
        rule = _rule_from_module(mod, info.name)
        if rule.code in rules:
            raise RuleLoadError(f"{info.name}: duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return tuple(rules[c] for c in sorted(rules))


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
