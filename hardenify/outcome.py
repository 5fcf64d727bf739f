"""What running the engine on one file produced: the types reporters, writeback and the CLI share.

Kept apart from `runner` (the process pool and file reading) and `engine` (the fix loop) so that
a reporter, which only formats results, imports neither. Stdlib and `diagnostics` only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hardenify.diagnostics import AppliedFix, Diagnostic, Redactor, declined_reason


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]
    redactor: Redactor


@dataclass
class FixResult:
    """Outcome of fixing one file's text."""

    original: str
    text: str  # the fixed text (== original when nothing changed or refused)
    fixed: Counter[str] = field(default_factory=Counter)
    remaining: list[Diagnostic] = field(default_factory=list)
    # findings that would be fixed with --unsafe-fixes
    unsafe_available: int = 0
    refused: str | None = None  # why a result was not accepted
    redactor: Redactor = field(default_factory=Redactor)
    applied: list[AppliedFix] = field(default_factory=list)  # in the order the passes applied them
    # Findings the fixed text has that the original did not (per code): what a fix brought in.
    introduced: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class FileOutcome:
    """What happened to one file; everything reporters and the summary need."""

    filename: str
    kind: str
    status: str  # "success" | "failure" | "skip"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    redactor: Redactor = field(default_factory=Redactor)
    original: str | None = None
    fixed_text: str | None = None
    fixed: Counter[str] = field(default_factory=Counter)
    refused: str | None = None
    unsafe_available: int = 0
    applied: list[AppliedFix] = field(default_factory=list)
    introduced: Counter[str] = field(default_factory=Counter)
    # With Task.record_reads: the hash of the text analysed, and (path, signature) of every other
    # file the run read or probed (hardenify.cache.signature).
    source_hash: str | None = None
    reads: list[tuple[str, object]] | None = None

    @property
    def changed(self) -> bool:
        return self.fixed_text is not None and self.original is not None and self.fixed_text != self.original

    def actions(self) -> list[tuple[AppliedFix, str]]:
        """(applied fix, what the operator must do before merging), redacted; only for fixes
        that were written (a refused file applied nothing)."""
        if not self.changed:
            return []
        return [(a, self.redactor(a.note)) for a in self.applied if a.note]

    def declined(self) -> list[tuple[Diagnostic, str]]:
        """(finding, why its fix was declined), redacted, in file order."""
        out = []
        for d in sorted(self.diagnostics, key=lambda d: (d.location.row, d.location.column, d.code)):
            why = declined_reason(d)
            if why is not None:
                out.append((d, self.redactor(why)))
        return out
