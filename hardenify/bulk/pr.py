"""Commit message and pull-request body for one repository's fix.

Both are deterministic (no dates, stable order) so a rerun produces the same text, and every
string taken from a file goes through that file's redactor: a PR body is public.
"""

from __future__ import annotations

from collections import Counter

from hardenify import __version__
from hardenify.bulk.report.markdown_util import code, escape, inline, link, table
from hardenify.bulk.treefix import FixOptions, TreeFix
from hardenify.diagnostics import Applicability, Diagnostic, declined_reason
from hardenify.rules import Rule, rules_by_code


def _rule(code_: str) -> Rule | None:
    return rules_by_code().get(code_)


def _detail(codes: Counter[str]) -> str:
    return ", ".join(f"{c} ×{codes[c]}" if codes[c] > 1 else c for c in sorted(codes))


def commit_message(tf: TreeFix, opts: FixOptions) -> str:
    """Subject listing the fixed codes, then one line per rule and the files touched."""
    codes = tf.fixed_codes()
    subject = f"hardenify: fix {', '.join(sorted(codes))}" if codes else "hardenify: fix container builds"
    if len(subject) > 72:
        subject = f"hardenify: fix {len(codes)} rules ({', '.join(sorted(codes)[:5])}, ...)"
    lines = [subject, ""]
    mode = "safe and unsafe fixes" if opts.unsafe_fixes else "safe fixes"
    lines.append(f"Applied by `hardenify bulk` (hardenify {__version__}, {mode}):")
    lines.append("")
    for c in sorted(codes):
        r = _rule(c)
        name = f" {r.name}" if r else ""
        lines.append(f"- {c}{name} ×{codes[c]}")
    lines.append("")
    lines.append("Files:")
    for path, added, removed in tf.diffstat():
        lines.append(f"- {path} (+{added} -{removed})")
    return "\n".join(lines) + "\n"


def secret_wiring(tf: TreeFix) -> list[tuple[str, list[str]]]:
    """(file, `docker build` flags) for every file whose secrets now come from BuildKit mounts."""
    from hardenify.writeback import secret_wiring as notes

    return notes([o for _, o in tf.changed()])


def left_for_human(tf: TreeFix, opts: FixOptions) -> list[tuple[str, Diagnostic]]:
    """Remaining findings with a fix the run did not apply: unsafe ones without --unsafe-fixes,
    and display-only ones (suggestions, never applied) always."""
    out = []
    for o in tf.outcomes:
        for d in sorted(o.diagnostics, key=lambda d: (d.location.row, d.location.column, d.code)):
            if d.fix is None:
                continue
            a = d.fix.applicability
            if a is Applicability.DISPLAY_ONLY or (a is Applicability.UNSAFE and not opts.unsafe_fixes):
                out.append((o.filename, d))
    return out


def proof_table(tf: TreeFix) -> list[str]:
    """`--prove`: per changed Dockerfile, whether it was proven, with the evidence."""
    if not tf.proofs:
        return []
    from hardenify.prove.report import markdown

    return markdown(tf.proofs)


def pr_body(
    tf: TreeFix, opts: FixOptions, *, repo_name: str, branch: str, tool: str = "hardenify bulk"
) -> str:
    """The Markdown a reviewer reads: what changed and why, build wiring, what is left."""
    codes = tf.fixed_codes()
    files = len(tf.diffstat())
    mode = "safe and unsafe fixes" if opts.unsafe_fixes else "safe fixes only"
    out = [
        "## Harden container builds with hardenify",
        "",
        f"This change was made by {code(tool, cell=False)} (hardenify {__version__}, {mode}) in "
        f"{escape(repo_name)}: **{sum(codes.values())} finding(s) fixed in {files} file(s)**. "
        "Every fixed Dockerfile was re-parsed with BuildKit's own parser before it was written, "
        "the rest of each file is unchanged byte for byte, and running the fix again changes nothing.",
        "",
        "### What changed and why",
        "",
    ]
    rows = []
    for c in sorted(codes):
        r = _rule(c)
        label = f"{c} {r.name}" if r else c
        cell = link(label, r.url) if r else escape(label)
        rows.append([cell, r.severity.value if r else "", str(codes[c]), escape(r.summary if r else "")])
    out += table(["Rule", "Severity", "Fixed", "Why it matters"], rows, ["l", "l", "r", "l"])
    out += ["", "Files:", ""]
    created = {tf.relpath(nf.path): nf.reason for nf in tf.created}
    per_file: dict[str, Counter[str]] = {o.filename: o.fixed for _, o in tf.changed()}
    frows = []
    for path, added, removed in tf.diffstat():
        what = _detail(per_file.get(path, Counter()))
        if path in created:
            what = escape(created[path]) + " (new file, HF304)"
        frows.append([code(path), what, f"+{added} −{removed}"])
    out += table(["File", "Fixes", "Lines"], frows, ["l", "l", "r"])
    out += proof_table(tf)

    wiring = secret_wiring(tf)
    if wiring:
        out += [
            "",
            "### New `docker build` secret wiring",
            "",
            "Secrets no longer travel in build arguments or image layers: the Dockerfile reads them "
            "from BuildKit secret mounts, so builds (CI included) must pass them in:",
            "",
        ]
        for path, flags in wiring:
            out += [f"{code(path, cell=False)}:", "", "```sh", f"docker build {' '.join(flags)} .", "```", ""]
        out.append(
            "**Rotate any credential that was hard-coded**: it is still in this repository's history "
            "and in every image built before this change."
        )

    out += checklist(tf, opts, wiring)
    if tf.pin_notes:
        out += [
            "",
            "### Images left unpinned",
            "",
            "The registry could not resolve these, so their tags stay:",
            "",
        ]
        out += [f"- {inline(note, cell=False)}" for note in tf.pin_notes]
    out += _left_for_human(tf, opts)
    out += [
        "",
        "---",
        f"<sub>hardenify {__version__} · branch {code(branch, cell=False)} · rerunning "
        f"{code(tool, cell=False)} with the same version and flags is a no-op when nothing changed.</sub>",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def _rule_cell(code_: str, name: str) -> str:
    r = _rule(code_)
    return link(f"{code_} {name or (r.name if r else '')}".strip(), r.url) if r else escape(code_)


def checklist(tf: TreeFix, opts: FixOptions, wiring: list[tuple[str, list[str]]]) -> list[str]:
    """Per file: what the operator must do before merging (checkboxes), then every fix applied
    (rule, safety, what it did) and every fix declined (with why): the reviewer's checklist."""
    flags = dict(wiring)
    created = {tf.relpath(nf.path): nf.reason for nf in tf.created}
    out: list[str] = []
    for o in tf.outcomes:
        path = o.filename
        todo: list[str] = []
        if path in flags:
            todo.append(
                f"Pass the new build secrets to every build (CI included): "
                f"{code('docker build ' + ' '.join(flags[path]) + ' .', cell=False)}"
            )
        todo += [
            f"{inline(action, cell=False)} ({a.code}, line {a.row})"
            for a, action in (o.actions() if o.changed else [])
        ]
        rows: list[list[str]] = []
        if o.changed:
            for a in o.applied:
                what = o.redactor(a.fix_message or a.message)
                rows.append([str(a.row), _rule_cell(a.code, a.name), a.applicability.value, inline(what)])
        for d, why in o.declined():
            rows.append([str(d.location.row), _rule_cell(d.code, d.name), "declined", inline(why)])
        if not (todo or rows):
            continue
        if not out:
            out += ["", "### Reviewer checklist", ""]
        out += [f"#### {code(path, cell=False)}", ""]
        if todo:
            out += ["Before merging:", ""] + [f"- [ ] {t}" for t in todo] + [""]
        if rows:
            out += table(["Line", "Rule", "Fix", "What was done, or why not"], rows, ["r", "l", "l", "l"])
            out.append("")
    for rel, reason in sorted(created.items()):
        if not out:
            out += ["", "### Reviewer checklist", ""]
        out += [f"#### {code(rel, cell=False)} (new file)", "", f"- [ ] Review it: {escape(reason)}", ""]
    return out


def _left_for_human(tf: TreeFix, opts: FixOptions) -> list[str]:
    """Unsafe fixes not applied, refused files, and every finding with no automatic fix, listed."""
    human = left_for_human(tf, opts)
    refused = [(o.filename, o.redactor(o.refused)) for o in tf.outcomes if o.refused]
    listed = {(path, id(d)) for path, d in human}
    rest = [
        (o.filename, d)
        for o in tf.outcomes
        for d in sorted(o.diagnostics, key=lambda d: (d.location.row, d.location.column, d.code))
        if (o.filename, id(d)) not in listed and declined_reason(d) is None  # declined: in the checklist
    ]
    out: list[str] = []
    if not (human or refused or rest):
        return out
    out += ["", "### Left for a human", ""]
    suggested = [
        (p, d) for p, d in human if d.fix is not None and d.fix.applicability is Applicability.DISPLAY_ONLY
    ]
    human = [(p, d) for p, d in human if (p, d) not in suggested]
    if suggested:
        out += [
            "Suggested changes (display-only fixes: shown, never applied; make them by hand where they fit):",
            "",
        ]
        srows = [
            [
                code(f"{path}:{d.location.row}"),
                _rule_cell(d.code, d.name),
                inline(d.fix.message if d.fix else ""),
            ]
            for path, d in suggested
        ]
        out += table(["Where", "Rule", "Suggestion"], srows)
        out.append("")
    if human:
        out += [
            "These findings have a fix that can change how the image behaves, so it was not applied. "
            "Read the rule's *Fix safety* section, then run `hardenify fix --unsafe-fixes` or fix them by hand:",
            "",
        ]
        hrows = [
            [code(f"{path}:{d.location.row}"), _rule_cell(d.code, d.name), inline(d.message)]
            for path, d in human
        ]
        out += table(["Where", "Rule", "Finding"], hrows)
        out.append("")
    if refused:
        out += ["Fixes refused (the file was left unchanged):", ""]
        out += [f"- {code(path, cell=False)}: {escape(reason)}" for path, reason in refused]
        out.append("")
    if rest:
        out += [
            "<details>",
            f"<summary>{len(rest)} other finding(s) have no automatic fix</summary>",
            "",
        ]
        rrows = [
            [code(f"{path}:{d.location.row}"), _rule_cell(d.code, d.name), inline(d.message)]
            for path, d in rest
        ]
        out += table(["Where", "Rule", "Finding"], rrows)
        out += ["", "`hardenify check .` lists them with the rule documentation.", "</details>"]
    return out
