"""The fleet report as Markdown: for an issue, a wiki page or a chat message to the security lead."""

from __future__ import annotations

from hardenify.bulk.report.markdown_util import code, escape, link, table
from hardenify.bulk.report.model import SEVERITIES, Fleet

MAX_PER_REPO = 100  # findings listed per repository; the JSON report has all of them


def _delta(before: int, after: int) -> str:
    d = after - before
    return "±0" if d == 0 else (f"+{d}" if d > 0 else f"−{-d}")


def render(fleet: Fleet) -> str:
    base = fleet.baseline
    sev = fleet.severity_counts()
    counts = fleet.by_rule()
    per_repo = fleet.repos_per_rule()
    out = [
        f"# {escape(fleet.title)}",
        "",
        f"{len(fleet.repos)} repositories · {fleet.files} files checked · **{fleet.total} findings** "
        f"({', '.join(f'{sev[s]} {s}' for s in SEVERITIES)}) · {fleet.failed_files} file(s) could not be checked · "
        f"hardenify {escape(fleet.version)}",
    ]
    if base:
        out += ["", f"Before → after: **{base.total} → {fleet.total}** ({_delta(base.total, fleet.total)})."]

    out += ["", "## Findings by rule", ""]
    header = ["Rule", "Severity", "Repositories", "Findings"]
    align = ["l", "l", "r", "r"]
    if base:
        header += ["Before", "Change"]
        align += ["r", "r"]
    rows = []
    for i in fleet.rule_rows():
        row = [link(f"{i.code} {i.name}", i.url), i.severity, str(per_repo[i.code]), str(counts[i.code])]
        if base:
            row += [str(base.by_rule[i.code]), _delta(base.by_rule[i.code], counts[i.code])]
        rows.append(row)
    out += table(header, rows, align) if rows else ["No findings."]

    out += ["", "## Findings by repository", ""]
    header = ["Repository", "Files", *SEVERITIES, "Findings"]
    align = ["l", "r", "r", "r", "r", "r", "r"]
    if base:
        header += ["Before", "Change"]
        align += ["r", "r"]
    rows = []
    for r in fleet.repos_by_severity():
        rc = r.severity_counts()
        name = escape(r.name) + (f" ({len(r.failed_files)} failed)" if r.failed_files else "")
        row = [name, str(r.files), *(str(rc[s]) for s in SEVERITIES), str(len(r.findings))]
        if base:
            before = base.by_repo.get(r.name, 0)
            row += [str(before), _delta(before, len(r.findings))]
        rows.append(row)
    out += table(header, rows, align)

    from hardenify.prove.report import fleet_markdown

    out += fleet_markdown([(r.name, r.proofs) for r in fleet.repos])
    out += ["", "## Details"]
    for r in fleet.repos_by_severity():
        out += ["", f"### {escape(r.name)}", ""]
        new = fleet.new_since_baseline(r)
        if new:
            listed = ", ".join(f"{code(c, cell=False)} ×{n}" for c, n in sorted(new.items()))
            out += [
                f"New since the baseline (with a baseline taken before a fix: brought in by it): {listed}",
                "",
            ]
        for p, why in r.failed_files:
            out.append(f"- **could not be checked**: {code(p, cell=False)}: {escape(why)}")
        if r.failed_files:
            out.append("")
        if not r.findings:
            out.append("No findings.")
            continue
        rows = [
            [code(f"{f.file}:{f.row}"), code(f.code), f.severity, escape(f.message)]
            for f in r.findings[:MAX_PER_REPO]
        ]
        out += table(["Where", "Rule", "Severity", "Finding"], rows)
        if len(r.findings) > MAX_PER_REPO:
            out += ["", f"… and {len(r.findings) - MAX_PER_REPO} more (see the JSON report)."]
    return "\n".join(out) + "\n"
