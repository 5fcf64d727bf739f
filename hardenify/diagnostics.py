"""Value types shared by rules, the engine and the reporters.

Kept free of heavy imports so that `hardenify check` starts fast and reporters can be
tested without a parser.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


class Severity(str, enum.Enum):
    """How bad a finding is; ordered so a threshold can be compared."""

    INFO = "info"
    STYLE = "style"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.STYLE: 1, Severity.WARNING: 2, Severity.ERROR: 3}


class Applicability(str, enum.Enum):
    """Whether a fix keeps behaviour (safe) or may change it (unsafe), as in ruff.

    DISPLAY_ONLY (ruff's `DisplayOnly`): a change that must be shown but never applied, because
    only a human can tell whether it is right. `fix` never applies it, not even with
    `--unsafe-fixes`; `fix --diff`/`--show-fixes`, the JSON/SARIF output, the editor's code action
    descriptions and the PR body show it as a suggestion.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class FixAvailability(str, enum.Enum):
    """What a rule can do about its findings, shown in docs and `hardenify rules`."""

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"
    SOMETIMES = "sometimes"


@dataclass(frozen=True, order=True)
class Edit:
    """Replace text[start:end] (character offsets into the decoded file) with `content`."""

    start: int
    end: int
    content: str = ""

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad edit span {self.start}..{self.end}")


class Fix(NamedTuple):
    """A set of edits that must be applied together."""

    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    message: str = ""

    @property
    def span(self) -> tuple[int, int]:
        return min(e.start for e in self.edits), max(e.end for e in self.edits)


class Position(NamedTuple):
    """A 1-based row and column, as ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    """One finding in one file."""

    code: str
    name: str
    message: str
    severity: Severity
    start: int
    end: int
    location: Position
    end_location: Position
    fix: Fix | None = None
    filename: str = ""
    url: str | None = None
    # Why the finding exists beyond its message (e.g. "rotate the leaked credential").
    note: str | None = None

    @property
    def row(self) -> int:
        return self.location.row


class AppliedFix(NamedTuple):
    """A fix the fixer applied, kept so `fix`, the PR body and the report can say what was
    done and what the operator must do before merging (`note`: an action, such as "pass
    TOKEN at run time" or "rotate the credential")."""

    code: str
    name: str
    row: int  # in the text the fix was applied to (the original, unless an earlier pass moved it)
    message: str
    fix_message: str
    applicability: Applicability
    note: str | None = None


DECLINED_MARK = "left for a human"


def declined_reason(d: Diagnostic) -> str | None:
    """Why a fix was declined, when the finding says so ("left for a human: <why>"), else None.

    One meaning for "declined" across `fix`, the PR body and the fleet report."""
    if d.fix is not None:
        return None
    for text in (d.note, d.message):
        if text and DECLINED_MARK in text:
            why = text.split(DECLINED_MARK, 1)[1].lstrip(":; ").strip()
            return why or text
    return None


class ParseProblem(NamedTuple):
    """Something the lossless parser tolerated but BuildKit would reject or warn about."""

    line: int
    message: str
    column: int = 1


# ---------------------------------------------------------------------------------------------
# Secret redaction: one place so that every output path (text, diff, json, sarif, logs) uses it.

REDACTED = "***REDACTED***"
# `$NAME` / `${NAME}`: a reference names where a secret comes from and is never masked. A
# `${NAME:-default}` default is literal text, so only the `${NAME` part is protected.
_VAR_REF_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


@dataclass
class Redactor:
    """Replaces every known secret value with a fixed marker.

    The one redactor every writer uses: reporters, diffs, PR bodies, logs, error messages.
    It masks literal values only: a variable reference (`${PIP_TOKEN}`) stays as written,
    so a diff that moves a secret into a build secret still reads (and applies) as it is.
    """

    secrets: set[str] = field(default_factory=set)
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def add(self, value: str) -> None:
        value = value.strip().strip("\"'")
        # One- and two-character values would shred every output they appear in.
        # Values inside the marker itself would corrupt it when output is redacted twice.
        # A value that is only variable references is not a secret but where one comes from.
        if (
            len(value) >= 3
            and value not in self.secrets
            and value not in REDACTED
            and _VAR_REF_RE.sub("", value).strip(" \t\"'{}:-") != ""
        ):
            self.secrets.add(value)
            self._pattern = None

    def update(self, values: Iterable[str]) -> None:
        for v in values:
            self.add(v)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where secrets occur in `text`, longest first at each position, without overlaps;
        a match that lies inside a variable reference's name is left alone."""
        if not self.secrets or not text:
            return []
        if self._pattern is None:
            alts = sorted(self.secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(a) for a in alts))
        found = [m.span() for m in self._pattern.finditer(text)]
        if found and "$" in text:
            refs = [m.span() for m in _VAR_REF_RE.finditer(text)]
            found = [(s, e) for s, e in found if not any(a <= s and e <= b for a, b in refs)]
        return found

    def __call__(self, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for s, e in spans:
            parts.append(text[pos:s])
            parts.append(REDACTED)
            pos = e
        parts.append(text[pos:])
        return "".join(parts)
