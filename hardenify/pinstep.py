"""`fix --pin` / `bulk --pin`: pin what the fixer left unpinned, after the fixes.

The same scan, registry client, cache and edits as `hardenify pin` (so a file pinned here is
byte for byte what `pin` would write), run once over the fixed texts of a whole run so that
every distinct reference costs one lookup. A reference the registry cannot answer keeps its
tag and is reported: pinning is never a reason to refuse or fail a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome
    from hardenify.registry import RegistryConfig

# The rule a pin fixes, per file kind (counted as fixed, and its findings on pinned lines go).
PIN_RULE = {"dockerfile": "HF202", "compose": "HF615"}


@dataclass
class PinResult:
    pinned: int = 0
    # (the file's outcome, one redacted line "FILE:LINE: ...") for what was left unpinned
    notes: list[tuple[FileOutcome, str]] = field(default_factory=list)


def registry_config(*, timeout: float = 10.0) -> RegistryConfig:
    """`hardenify pin`'s defaults: the user's digest cache (or $HARDENIFY_CACHE_DIR), an hour's
    trust in it, credentials from ~/.docker/config.json, the OS trust store."""
    from hardenify.registry import RegistryConfig

    return RegistryConfig(timeout=timeout)


def pin_outcomes(outcomes: Sequence[FileOutcome], config: RegistryConfig) -> PinResult:
    """Pin every unpinned image reference in the outcomes' fixed (or original) texts, in place.

    Outcomes with an error or a refused fix are left alone: a file the fixer would not write
    is not written for a pin either.
    """
    from hardenify.diagnostics import Applicability, AppliedFix
    from hardenify.pinning import PinningError, plan, scan
    from hardenify.registry import Resolver
    from hardenify.rules import rules_by_code

    result = PinResult()
    scans = []
    for o in outcomes:
        if o.kind not in PIN_RULE or o.error or o.refused or o.original is None:
            continue
        text = o.fixed_text if o.fixed_text is not None else o.original
        try:
            scans.append((o, text, scan(text, o.kind)))  # type: ignore[arg-type]
        except PinningError as e:
            result.notes.append((o, o.redactor(f"{o.filename}: not pinned: {e}")))
    lookups = list(dict.fromkeys(ref for _, _, s in scans for ref in s.lookups(update=False)))
    if not lookups:
        return result
    with Resolver(config) as resolver:
        resolutions = resolver.resolve_many(lookups)
    for o, text, s in scans:
        p = plan(s, resolutions, update=False)
        for failure in p.failures:
            why = f"{failure.error.message} [{failure.error.kind.value}]"
            line = f"{o.filename}:{failure.site.line}: left unpinned: cannot resolve {failure.site.lookup} ({why})"
            result.notes.append((o, o.redactor(line + "; the tag stays as it is")))
        if not p.changes:
            continue
        o.fixed_text = p.apply(text)
        code = PIN_RULE[o.kind]
        o.fixed[code] += len(p.changes)
        rule = rules_by_code().get(code)
        for c in p.changes:
            what = f"pinned `{c.old}` to `{c.digest}`"
            o.applied.append(
                AppliedFix(code, rule.name if rule else "", c.site.line, what, what, Applicability.SAFE)
            )
        result.pinned += len(p.changes)
        lines = {c.site.line for c in p.changes}
        o.diagnostics = [d for d in o.diagnostics if not (d.code == code and d.location.row in lines)]
    return result
