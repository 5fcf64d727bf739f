"""Lint → suppress → fix to a fixpoint → verify. Pure: text in, results out, no file I/O.

The engine is the only place that changes text. Rules return diagnostics with optional
fixes; the engine applies non-overlapping edits, re-parses, and loops. A result that
BuildKit's parser rejects, or that a further pass would change again, is refused.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hardenify.context import CheckContext
from hardenify.diagnostics import Applicability, AppliedFix, Diagnostic, Fix, Redactor, Severity
from hardenify.outcome import FixResult, LintResult
from hardenify.rules import Rule, all_rules, hadolint_index, matches, resolve_selection
from hardenify.settings import Settings

if TYPE_CHECKING:
    from hardenify.dockerfile.model import Dockerfile

MAX_PASSES = 10

_PRAGMA_RE = re.compile(
    r"^\s*hardenify\s*:\s*(?P<kind>ignore-file|ignore|noqa)\b\s*(?:\[(?P<codes>[^\]]*)\])?", re.I
)
_HADOLINT_RE = re.compile(r"^\s*hadolint\s+(?P<global>global\s+)?ignore\s*=\s*(?P<codes>[\w, -]+)", re.I)


# --------------------------------------------------------------------------- context building


def make_context(
    filename: str,
    text: str,
    kind: str,
    settings: Settings,
    *,
    dockerignore_text: str | None = None,
    has_dockerignore: bool = False,
    base_dir: str | None = None,
    path: str | None = None,
) -> CheckContext:
    ctx = CheckContext(
        filename=filename, text=text, kind=kind, options=dict(settings.options), path=path or ""
    )
    if kind == "dockerfile":
        ctx.dockerfile = parse_dockerfile(text)
        ctx.has_dockerignore = has_dockerignore
        if dockerignore_text is not None:
            from hardenify.dockerignore import DockerIgnore

            ctx.dockerignore = DockerIgnore.parse(dockerignore_text)
    elif kind == "dockerignore":
        from hardenify.dockerignore import DockerIgnore

        ctx.dockerignore = DockerIgnore.parse(text)
        ctx.has_dockerignore = True
    elif kind == "compose":
        from hardenify.compose import load  # lazy: ruamel is heavy, Dockerfile runs never import it

        ctx.compose = load(text, filename=filename, base_dir=base_dir)
    return ctx


@lru_cache(maxsize=16)
def parse_dockerfile(text: str) -> Dockerfile:
    """`parse`, memoised for the last few texts: the fix loop's `_verify` compares the texts
    its first and last passes parsed. The model is read-only after parsing, so sharing it
    between passes and rules is safe."""
    from hardenify.dockerfile.model import parse

    return parse(text)


def enabled_rules(settings: Settings, kind: str, filename: str) -> list[Rule]:
    codes = resolve_selection(settings.select, settings.ignore, settings.extend_select)
    per_file = settings.ignored_for(filename)
    return [
        r
        for r in all_rules()
        if r.code in codes and kind in r.kinds and not (per_file and matches(r.code, per_file))
    ]


# --------------------------------------------------------------------------------- suppression


@dataclass
class Suppressions:
    file_codes: set[str] = field(default_factory=set)  # "ALL" for everything
    spans: list[tuple[int, int, set[str]]] = field(default_factory=list)

    def suppressed(self, d: Diagnostic) -> bool:
        if "ALL" in self.file_codes or d.code in self.file_codes:
            return True
        for start, end, codes in self.spans:
            if start <= d.start < end and ("ALL" in codes or d.code in codes):
                return True
        return False


def _pragma_codes(raw: str | None, hado: dict[str, list[str]] | None = None) -> set[str]:
    if raw is None or not raw.strip():
        return {"ALL"}
    out: set[str] = set()
    for tok in re.split(r"[,\s]+", raw.strip()):
        if not tok:
            continue
        if hado is not None:
            out.update(hado.get(tok.upper(), []))
        else:
            out.add(tok.upper())
    return out


def suppressions_for(ctx: CheckContext) -> Suppressions:
    """hardenify and hadolint pragmas, mapped to spans of the instruction they precede."""
    sup = Suppressions()
    if ctx.dockerfile is None:
        # Other kinds: only file-level pragmas in `#` comments.
        for m in re.finditer(r"#([^\n]*)", ctx.text):
            pm = _PRAGMA_RE.match(m.group(1))
            if pm and pm.group("kind").lower() == "ignore-file":
                sup.file_codes |= _pragma_codes(pm.group("codes"))
        return sup
    from hardenify.dockerfile.model import Comment, Instruction

    hado: dict[str, list[str]] | None = None
    pending: set[str] = set()
    for node in ctx.dockerfile.nodes:
        if isinstance(node, Comment):
            body = node.body
            pm = _PRAGMA_RE.match(body)
            if pm:
                codes = _pragma_codes(pm.group("codes"))
                if pm.group("kind").lower() == "ignore-file":
                    sup.file_codes |= codes
                else:
                    pending |= codes
                continue
            hm = _HADOLINT_RE.match(body)
            if hm:
                if hado is None:
                    hado = hadolint_index()
                codes = _pragma_codes(hm.group("codes"), hado)
                if hm.group("global"):
                    sup.file_codes |= codes
                else:
                    pending |= codes
            continue
        if isinstance(node, Instruction):
            if pending:
                sup.spans.append((node.start, node.end, pending))
            pending = set()
        else:  # a blank line ends a pragma block
            pending = set()
    return sup


# ------------------------------------------------------------------------------------ linting


def lint(
    filename: str,
    text: str,
    kind: str,
    settings: Settings,
    **ctx_kwargs: Any,
) -> LintResult:
    ctx = make_context(filename, text, kind, settings, **ctx_kwargs)
    return LintResult(_run_rules(ctx, settings), ctx.redactor)


def _run_rules(ctx: CheckContext, settings: Settings) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    enabled = enabled_rules(settings, ctx.kind, ctx.filename)
    for rule in enabled:
        assert rule.check is not None
        diags.extend(rule.check(ctx))
    codes = {r.code for r in enabled}
    for rule in all_rules():
        if rule.registers_secrets and ctx.kind in rule.kinds and rule.code not in codes:
            assert rule.check is not None
            for _ in rule.check(ctx):  # only for the secrets it registers
                pass
    sup = suppressions_for(ctx)
    out = []
    for d in diags:
        if sup.suppressed(d):
            continue
        sev = settings.severity.get(d.code)
        if sev is not None:
            d = replace(d, severity=sev)
        out.append(_redact(d, ctx.redactor))
    out.sort(key=lambda d: (d.start, d.code))
    return out


def _redact(d: Diagnostic, r: Redactor) -> Diagnostic:
    """Redact what people read. Never the edits: they are spliced into the file, and the
    reporters redact them (like every other string) when they are displayed."""
    if not r.secrets:
        return d
    fix = d.fix
    if fix is not None:
        fix = Fix(fix.edits, fix.applicability, r(fix.message))
    return replace(d, message=r(d.message), note=r(d.note) if d.note else d.note, fix=fix)


def is_applicable(fix: Fix, settings: Settings, code: str = "") -> bool:
    """Would this run apply the fix? A display-only fix: never."""
    if fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    return (
        fix.applicability is Applicability.SAFE or settings.unsafe_fixes or code in settings.unsafe_fixes_for
    )


def fails(d: Diagnostic, settings: Settings) -> bool:
    """Does this finding make the exit code 1 (at or above the fail-on threshold)?"""
    return d.severity.rank >= settings.fail_on.rank


# -------------------------------------------------------------------------------------- fixing


def apply_edits(text: str, fixes: Sequence[Fix]) -> tuple[str, list[Fix]]:
    """`dockerfile.edits.apply_fixes`, imported when a fix is applied: a warm cached `check`
    must not import the Dockerfile model (the LSP's tests also call it by this name)."""
    from hardenify.dockerfile.edits import apply_fixes

    return apply_fixes(text, fixes)


def fix_text(
    filename: str,
    text: str,
    kind: str,
    settings: Settings,
    *,
    verify: bool = True,
    **ctx_kwargs: Any,
) -> FixResult:
    """Fix to a fixpoint (at most MAX_PASSES), then verify the result.

    The loop stops only when a pass has no applicable fix left, so the accepted text is a
    fixpoint by construction: fixing it again changes nothing (idempotence). Hitting the
    pass cap means two fixes fight each other, and the file is refused.
    """
    result = FixResult(original=text, text=text)
    current = text
    first: list[Diagnostic] | None = None
    last: list[Diagnostic] = []
    settled = False
    for _ in range(MAX_PASSES):
        ctx = make_context(filename, current, kind, settings, **ctx_kwargs)
        last = _run_rules(ctx, settings)
        if first is None:
            first = last
        result.redactor.update(ctx.redactor.secrets)
        fixable = [d for d in last if d.fix is not None and is_applicable(d.fix, settings, d.code)]
        if not fixable:
            settled = True
            break
        by_fix = {id(d.fix): d for d in fixable}
        new, applied = apply_edits(current, [d.fix for d in fixable if d.fix is not None])
        if new == current:
            settled = True
            break
        for f in applied:
            d = by_fix[id(f)]
            result.fixed[d.code] += 1
            result.applied.append(
                AppliedFix(d.code, d.name, d.location.row, d.message, f.message, f.applicability, d.note)
            )
        current = new
    refused = None
    if not settled:
        refused = f"fixes did not settle after {MAX_PASSES} passes (a second pass would change it again)"
    elif current != text and verify:
        refused = _verify(text, current, kind)
    if refused is not None:
        result.refused = refused
        result.fixed.clear()
        result.applied.clear()
        current, last = text, first or []
    result.text = current
    result.remaining = last
    if current != text:
        result.introduced = Counter(d.code for d in last) - Counter(d.code for d in first or [])
    if not settings.unsafe_fixes:
        result.unsafe_available = sum(
            1
            for d in last
            if d.fix is not None
            and d.fix.applicability is Applicability.UNSAFE
            and d.code not in settings.unsafe_fixes_for
        )
    return result


def _verify(before: str, after: str, kind: str) -> str | None:
    """Refuse results that hardenify's own parse rules (HF001) or BuildKit's parser reject
    when the original did not, or that reorder/rename existing stages."""
    if kind != "dockerfile":
        return None
    bk = buildkit_error(after)
    if bk is not None and buildkit_error(before) is None:
        return f"the fixed file would not parse with BuildKit ({bk}); left unchanged"
    new_problem = _new_parse_problem(parse_dockerfile(before), parse_dockerfile(after))
    if new_problem is not None:
        return f"the fixed file would not parse ({new_problem}); left unchanged"
    stages_before = [(s.name or "").lower() for s in parse_dockerfile(before).stages]
    stages_after = [(s.name or "").lower() for s in parse_dockerfile(after).stages]
    if len(stages_after) == len(stages_before) and stages_after != stages_before:
        return "a fix would rename or reorder stages; left unchanged"
    return None


def _new_parse_problem(before: Dockerfile, after: Dockerfile) -> str | None:
    """The first parse problem of `after` that `before` did not have (compared by message,
    as many times as it occurs: fixes move lines), as "line N: message"."""
    seen = Counter(p.message for p in before.problems)
    for p in after.problems:
        if seen[p.message] > 0:
            seen[p.message] -= 1
            continue
        return f"line {p.line}: {p.message}"
    return None


def buildkit_error(text: str) -> str | None:
    """BuildKit's own parser (the `dockerfile` package) on the text; None when it parses."""
    try:
        import dockerfile  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - dependency declared, but stay usable without it
        return None
    try:
        dockerfile.parse_string(_for_binding(text))
    except dockerfile.GoParseError as e:
        return str(e).strip().splitlines()[0] if str(e).strip() else "parse error"
    except UnicodeDecodeError:
        # The Go parser accepted the text; the binding then failed to turn one of its values
        # into a Python str. BuildKit's line parser splits some words byte by byte and cuts a
        # character such as U+00A0 in two (`HEALTHCHECK CMD<U+00A0>x`), and the binding decodes
        # the halves strictly. Parse errors come back as GoParseError, so this one parsed.
        return None
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _for_binding(text: str) -> str:
    """The text as the binding can take it. It encodes strictly and crashes the whole process
    on a lone surrogate (an undecodable byte, kept by `runner.decode`), and stops at a NUL (a C
    string). Both become U+FFFD, a character with no meaning to the parser, as the bytes have none."""
    if text.isascii() and "\x00" not in text:
        return text
    return _SURROGATE.sub("\ufffd", text.replace("\x00", "\ufffd"))


def worst(diags: Iterable[Diagnostic]) -> Severity | None:
    ranks = [d.severity for d in diags]
    return max(ranks, key=lambda s: s.rank) if ranks else None
