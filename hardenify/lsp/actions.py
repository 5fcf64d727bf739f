"""Findings as LSP diagnostics, and the code actions on them: each fix, fix-all, a pragma.

Every edit comes from the engine (a rule's `Fix`, the fix loop's result, or the pragma the
engine's own suppression reads), converted from character offsets with `positions`.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from hardenify.diagnostics import Applicability, Diagnostic, Edit, Redactor, Severity
from hardenify.lsp.documents import Analysis
from hardenify.lsp.positions import LineIndex

SOURCE = "hardenify"
FIX_ALL_KIND = "source.fixAll.hardenify"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    # Hints are not listed in VS Code's Problems panel; style and info findings should be.
    Severity.STYLE: types.DiagnosticSeverity.Information,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def lsp_range(index: LineIndex, start: int, end: int) -> types.Range:
    sl, sc = index.position(start)
    el, ec = index.position(end)
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def text_edit(index: LineIndex, edit: Edit) -> types.TextEdit:
    return types.TextEdit(lsp_range(index, edit.start, edit.end), edit.content)


def to_lsp(d: Diagnostic, index: LineIndex, redactor: Redactor) -> types.Diagnostic:
    """One finding as the editor shows it; the text passes the file's redactor once more, as
    every reporter's does."""
    message = d.message if not d.note else f"{d.message}\n{d.note}"
    return types.Diagnostic(
        range=lsp_range(index, d.start, d.end),
        message=redactor(message),
        severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
        code=d.code,
        code_description=types.CodeDescription(href=d.url or _rule_url(d.code)),
        source=SOURCE,
    )


def _rule_url(code: str) -> str:
    from hardenify.rules import rule_url

    return rule_url(code)


def problem(message: str) -> types.Diagnostic:
    """A document hardenify cannot check (bad config, unreadable, internal error), at its top."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        message=f"hardenify: {message}",
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
    )


def overlapping(analysis: Analysis, rng: types.Range) -> list[Diagnostic]:
    """The findings whose span touches the requested range (a cursor is an empty range)."""
    idx = analysis.index
    start = idx.offset(rng.start.line, rng.start.character)
    end = idx.offset(rng.end.line, rng.end.character)
    return [d for d in analysis.outcome.diagnostics if d.start <= end and start <= d.end]


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """LSP's `only` filter: a requested kind covers its dotted sub-kinds."""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(
    analysis: Analysis,
    uri: str,
    version: int | None,
    rng: types.Range,
    only: Sequence[str] | None = None,
    fix_all: str | None = None,
) -> list[types.CodeAction]:
    """Quick fixes and pragmas for the findings in `rng`, then fix-all when there is one.

    `fix_all` is the text after every safe fix (computed by the caller only when asked for).
    """
    out: list[types.CodeAction] = []
    idx, redactor = analysis.index, analysis.outcome.redactor
    doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)

    def edit(edits: Sequence[Edit]) -> types.WorkspaceEdit:
        changes = [text_edit(idx, e) for e in sorted(edits)]
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(doc, changes)])

    here = overlapping(analysis, rng)
    if wants(only, types.CodeActionKind.QuickFix):
        for d in here:
            diag = to_lsp(d, idx, redactor)
            if d.fix is not None and d.fix.applicability is Applicability.DISPLAY_ONLY:
                # a suggestion: described, never applied from the editor either (no edit)
                title = redactor(d.fix.message or f"Fix {d.code}")
                out.append(
                    types.CodeAction(
                        title=f"(suggestion, not applied) {title} ({d.code})",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        disabled=types.CodeActionDisabled(
                            reason="a display-only fix: review the change and make it by hand"
                        ),
                    )
                )
            elif d.fix is not None:
                safe = d.fix.applicability is Applicability.SAFE
                title = redactor(d.fix.message or f"Fix {d.code}")
                out.append(
                    types.CodeAction(
                        title=f"{title} ({d.code})" if safe else f"(unsafe) {title} ({d.code})",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=safe,
                        edit=edit(d.fix.edits),
                    )
                )
        seen: set[str] = set()
        for d in here:
            if d.code in seen:
                continue
            seen.add(d.code)
            pragma, scope = pragma_edit(analysis, d)
            out.append(
                types.CodeAction(
                    title=f"Suppress {d.code} {scope} with a pragma",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[to_lsp(x, idx, redactor) for x in here if x.code == d.code],
                    edit=edit([pragma]),
                )
            )
    if fix_all is not None and wants(only, FIX_ALL_KIND):
        out.append(
            types.CodeAction(
                title="Fix all safe fixes (hardenify)",
                kind=FIX_ALL_KIND,
                edit=edit([whole_text_edit(analysis.text, fix_all)]),
            )
        )
    return out


def has_safe_fix(analysis: Analysis) -> bool:
    return any(
        d.fix is not None and d.fix.applicability is Applicability.SAFE for d in analysis.outcome.diagnostics
    )


def whole_text_edit(old: str, new: str) -> Edit:
    """The one edit turning `old` into `new`: the differing middle, so the editor keeps the
    cursor and folds outside it. Never splits a CRLF pair."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    if 0 < head < len(old) and old[head - 1] == "\r" and old[head] == "\n":
        head -= 1
    end = len(old) - tail
    if 0 < end < len(old) and old[end - 1] == "\r" and old[end] == "\n":
        tail -= 1
        end += 1
    return Edit(head, end, new[head : len(new) - tail])


def pragma_edit(analysis: Analysis, d: Diagnostic) -> tuple[Edit, str]:
    """The pragma that suppresses `d`, as the engine's `suppressions_for` reads pragmas:
    `# hardenify: ignore[CODE]` on the line before the Dockerfile instruction holding the
    finding, else `# hardenify: ignore-file[CODE]` at the top (after a BOM and after a
    Dockerfile's parser directives, which a comment before them would turn into comments).
    Returns the edit and the scope for the title."""
    text = analysis.text
    if analysis.kind == "dockerfile":
        from hardenify.dockerfile import edits
        from hardenify.engine import parse_dockerfile

        df = parse_dockerfile(text)
        for ins in df.instructions:
            if ins.start <= d.start < ins.end:
                return edits.insert_before(df, ins, f"# hardenify: ignore[{d.code}]"), "here"
        line = f"# hardenify: ignore-file[{d.code}]"
        if df.directives:
            return edits.insert_after(df, df.directives[-1], line), "in this file"
        start = 1 if df.bom else 0
        return Edit(start, start, line + df.newline), "in this file"
    start = 1 if text.startswith("\ufeff") else 0
    nl = "\r\n" if "\r\n" in text else "\n"
    return Edit(start, start, f"# hardenify: ignore-file[{d.code}]{nl}"), "in this file"
