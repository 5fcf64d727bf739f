"""An inline SVG bar chart of the rules with the most findings: no script, no external asset.

Inline so the HTML report is one file that opens anywhere (a mail attachment, an artifact
viewer, an air-gapped laptop) and prints; every label is escaped, since rule names and
counts end up in markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SEVERITY_COLORS = {"error": "#c62828", "warning": "#ef6c00", "style": "#6a1b9a", "info": "#1565c0"}


def bar_chart(
    rows: Sequence[tuple[str, str, int, str]],
    *,
    title: str = "Top rules by findings",
    width: int = 720,
    chart_id: str = "top-rules-chart",
) -> str:
    """Horizontal bars for (code, name, count, severity) rows, largest first; "" when empty."""
    rows = [r for r in rows if r[2] > 0]
    if not rows:
        return ""
    bar_h, gap, top, label_w, value_w = 22, 8, 34, 260, 56
    height = top + len(rows) * (bar_h + gap) + 4
    plot_w = width - label_w - value_w
    peak = max(r[2] for r in rows)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for i, (code, name, count, severity) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(2, round(plot_w * count / peak))
        color = SEVERITY_COLORS.get(severity, "#546e7a")
        label = f"{code} {name}"
        if len(label) > 34:
            label = label[:33] + "…"
        parts += [
            f'<g class="bar" data-code="{escape(code)}">',
            f"<title>{escape(f'{code} {name}: {count} finding(s), {severity}')}</title>",
            f'<text x="{label_w - 8}" y="{y + bar_h - 6}" text-anchor="end" class="bar-label">{escape(label)}</text>',
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3" fill="{color}"/>',
            f'<text x="{label_w + w + 6}" y="{y + bar_h - 6}" class="bar-value">{count}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)
