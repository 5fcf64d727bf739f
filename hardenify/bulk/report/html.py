"""The fleet report as one self-contained HTML file (inline CSS and SVG, no script, no fetches).

Every value comes from `Fleet` (already redacted) and is escaped here: a repository name,
a path or a message is untrusted text and must never become markup. Per-repository detail
uses <details>, so the page stays navigable without JavaScript.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from hardenify.bulk.report.model import SEVERITIES, Fleet, RepoReport
from hardenify.bulk.report.svg import SEVERITY_COLORS, bar_chart

TOP_RULES = 10

CSS = """
:root { color-scheme: light; --fg:#1d2329; --muted:#5f6b76; --line:#dde3e8; --bg:#f6f8fa; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--fg); background:var(--bg); }
main { max-width:1100px; margin:0 auto; padding:28px 24px 48px; }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:18px; margin:32px 0 12px; padding-bottom:6px; border-bottom:1px solid var(--line); }
.sub { color:var(--muted); margin:0 0 20px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; flex:1 1 110px; }
.card .n { font-size:26px; font-weight:600; }
.card .l { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; overflow-x:auto; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; background:#eef1f4;
  padding:1px 4px; border-radius:4px; word-break:break-all; }
a { color:#0b5cad; }
.sev { display:inline-block; padding:0 8px; border-radius:10px; color:#fff; font-size:12px; font-weight:600; }
.delta-down { color:#2e7d32; font-weight:600; } .delta-up { color:#c62828; font-weight:600; }
details { background:var(--card); border:1px solid var(--line); border-radius:8px; margin:8px 0; }
summary { cursor:pointer; padding:10px 14px; font-weight:600; }
details > div { padding:0 14px 14px; overflow-x:auto; }
.failed { color:#c62828; }
.chart-title { font-weight:600; font-size:14px; fill:var(--fg); }
.bar-label { font-size:12px; fill:var(--fg); font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
.bar-value { font-size:12px; fill:var(--muted); font-weight:600; }
footer { color:var(--muted); font-size:12px; margin-top:40px; }
@media print { details { break-inside:avoid; } details:not([open]) > div { display:block; } }
"""


def _sev(severity: str) -> str:
    color = SEVERITY_COLORS.get(severity, "#546e7a")
    return f'<span class="sev sev-{escape(severity)}" style="background:{color}">{escape(severity)}</span>'


def _delta(before: int, after: int) -> str:
    d = after - before
    if d == 0:
        return '<td class="num">±0</td>'
    cls = "delta-down" if d < 0 else "delta-up"
    return f'<td class="num {cls}">{"+" if d > 0 else "−"}{abs(d)}</td>'


def _rule_link(code: str, url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}"><code>{escape(code)}</code></a>'
    return f"<code>{escape(code)}</code>"


def render(fleet: Fleet) -> str:
    """The whole page."""
    e = escape
    sev = fleet.severity_counts()
    base = fleet.baseline
    rules = fleet.rule_rows()
    counts = fleet.by_rule()
    per_repo = fleet.repos_per_rule()
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network: even a stray URL in the page cannot be fetched by the browser.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{e(fleet.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{e(fleet.title)}</h1>",
        f'<p class="sub">{len(fleet.repos)} repositories · {fleet.files} files checked · '
        f"hardenify {e(fleet.version)}</p>",
        '<section class="cards" id="totals">',
        _card("Findings", fleet.total, base.total if base else None),
        *(_card(s.capitalize(), sev[s]) for s in SEVERITIES),
        _card("Repositories", len(fleet.repos)),
        _card("Files failed", fleet.failed_files),
        "</section>",
    ]
    chart = bar_chart([(i.code, i.name, counts[i.code], i.severity) for i in rules[:TOP_RULES]])
    out += ["<h2>Top rules</h2>", f'<div class="panel">{chart or "<p>No findings.</p>"}</div>']

    out += ["<h2>Findings by rule</h2>", '<div class="panel"><table id="by-rule">', "<thead><tr>"]
    out.append(
        "<th>Rule</th><th>Name</th><th>Severity</th><th class=num>Repositories</th><th class=num>Findings</th>"
    )
    if base:
        out.append("<th class=num>Before</th><th class=num>Change</th>")
    out.append("</tr></thead><tbody>")
    for i in rules:
        row = (
            f"<tr><td>{_rule_link(i.code, i.url)}</td><td>{e(i.name)}<br><small>{e(i.summary)}</small></td>"
            f"<td>{_sev(i.severity)}</td><td class=num>{per_repo[i.code]}</td><td class=num>{counts[i.code]}</td>"
        )
        if base:
            row += f"<td class=num>{base.by_rule[i.code]}</td>{_delta(base.by_rule[i.code], counts[i.code])}"
        out.append(row + "</tr>")
    if not rules:
        out.append('<tr><td colspan="7">No findings.</td></tr>')
    out.append("</tbody></table></div>")

    out += ["<h2>Findings by repository</h2>", '<div class="panel"><table id="by-repo">', "<thead><tr>"]
    out.append("<th>Repository</th><th class=num>Files</th>")
    out += [f"<th class=num>{e(s)}</th>" for s in SEVERITIES]
    out.append("<th class=num>Findings</th>")
    if base:
        out.append("<th class=num>Before</th><th class=num>Change</th>")
    out.append("</tr></thead><tbody>")
    for r in fleet.repos_by_severity():
        rc = r.severity_counts()
        failed = f' <span class="failed">({len(r.failed_files)} failed)</span>' if r.failed_files else ""
        row = f'<tr><td><a href="#repo-{e(_anchor(r.name))}">{e(r.name)}</a>{failed}</td><td class=num>{r.files}</td>'
        row += "".join(f"<td class=num>{rc[s]}</td>" for s in SEVERITIES)
        row += f"<td class=num>{len(r.findings)}</td>"
        if base:
            before = base.by_repo.get(r.name, 0)
            row += f"<td class=num>{before}</td>{_delta(before, len(r.findings))}"
        out.append(row + "</tr>")
    out.append("</tbody></table></div>")

    out.append("<h2>Details</h2>")
    out += [_repo_details(r, fleet.new_since_baseline(r)) for r in fleet.repos_by_severity()]
    out += [
        f"<footer>Generated by hardenify {e(fleet.version)}. Secrets found in the files are redacted. "
        "Rule documentation: <code>hardenify rule CODE</code> or the links above.</footer>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


def _card(label: str, n: int, before: int | None = None) -> str:
    extra = ""
    if before is not None:
        d = n - before
        cls = "delta-down" if d < 0 else ("delta-up" if d > 0 else "")
        sign = "+" if d > 0 else ("−" if d < 0 else "±")
        extra = f'<div class="l">before {before} · <span class="{cls}">{sign}{abs(d)}</span></div>'
    return f'<div class="card"><div class="n">{n}</div><div class="l">{escape(label)}</div>{extra}</div>'


def _anchor(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


def _repo_details(r: RepoReport, new: Counter[str] | None = None) -> str:
    e = escape
    out = [
        f'<details id="repo-{e(_anchor(r.name))}" class="repo">',
        f"<summary>{e(r.name)} — {len(r.findings)} finding(s) in {r.files} file(s)</summary>",
        "<div>",
        f"<p><code>{e(r.path)}</code></p>",
    ]
    if new:
        listed = ", ".join(f"<code>{e(c)}</code> ×{n}" for c, n in sorted(new.items()))
        out.append(
            f'<p class="new">New since the baseline (taken before a fix: brought in by it): {listed}</p>'
        )
    if r.failed_files:
        out.append('<p class="failed">Files that could not be checked:</p><ul>')
        out += [f"<li><code>{e(p)}</code>: {e(why)}</li>" for p, why in r.failed_files]
        out.append("</ul>")
    if r.findings:
        out.append(
            "<table><thead><tr><th>Where</th><th>Rule</th><th>Severity</th><th>Finding</th></tr></thead><tbody>"
        )
        for f in r.findings:
            out.append(
                f"<tr><td><code>{e(f.file)}:{f.row}</code></td><td><code>{e(f.code)}</code> {e(f.name)}</td>"
                f"<td>{_sev(f.severity)}</td><td>{e(f.message)}</td></tr>"
            )
        out.append("</tbody></table>")
    elif not r.failed_files:
        out.append("<p>No findings.</p>")
    out += ["</div>", "</details>"]
    return "\n".join(out)
