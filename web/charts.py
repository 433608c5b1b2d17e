"""Bar charts as hand-written SVG, drawn on the server: no script, no CDN, nothing fetched at run time.

Each chart is an <svg role="img"> with a <title>; the page puts the same numbers in a table
next to it (the chart is a picture of the table, never the only copy of a figure). Colours
come from CSS classes, so the print stylesheet and a high-contrast theme can change them.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW_H = 22
LABEL_W = 250
BAR_W = 300
VALUE_W = 60


def _fmt(v: float) -> str:
    return f"{int(v):,}".replace(",", ".") if float(v).is_integer() else f"{v:.1f}".replace(".", ",")


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _open(width: float, height: float, title: str) -> str:
    return (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')


def hbar(title: str, rows: Sequence[tuple[str, float]], css: str = "bar") -> Markup:
    """One horizontal bar per (label, value), scaled to the largest value; labels truncated, full in <title>."""
    n = max(1, len(rows))
    height = n * ROW_H + 8
    width = LABEL_W + BAR_W + VALUE_W
    top = max((v for _, v in rows), default=0) or 1
    parts = [_open(width, height, title)]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW_H
        w = 0 if not value else max(1.0, BAR_W * value / top)
        parts.append(
            f'<g><title>{escape(label)}: {_fmt(value)}</title>'
            f'<text class="chart-label" x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="{css}" x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}" rx="2"></rect>'
            f'<text class="chart-value" x="{LABEL_W + w + 4:.1f}" y="{y + 15}">{_fmt(value)}</text></g>'
        )  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]) -> Markup:
    """Grouped vertical bars (e.g. opened and closed per month); `series` is (name, css class, values)."""
    n = max(1, len(labels))
    group_w = 48
    plot_h = 160
    left, bottom = 36, 34
    width = left + n * group_w + 10
    height = plot_h + bottom + 22
    top = max((v for _, _, vals in series for v in vals), default=0) or 1
    bar_w = (group_w - 10) / max(1, len(series))
    parts = [_open(width, height, title)]
    for k, (name, css, _vals) in enumerate(series):  # legend
        x = left + k * 120
        parts.append(f'<rect class="{css}" x="{x}" y="2" width="10" height="10"></rect>'
                     f'<text class="chart-label" x="{x + 14}" y="11">{escape(name)}</text>')  # fmt: skip
    base = 20 + plot_h
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{width - 5}" y2="{base}"></line>')
    parts.append(f'<text class="chart-value" x="{left - 4}" y="{20 + 10}" text-anchor="end">{_fmt(top)}</text>')
    for i, label in enumerate(labels):
        gx = left + i * group_w + 5
        for k, (name, css, vals) in enumerate(series):
            v = vals[i] if i < len(vals) else 0
            h = 0 if not v else max(1.0, plot_h * v / top)
            parts.append(f'<rect class="{css}" x="{gx + k * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}"><title>{escape(label)} – {escape(name)}: {_fmt(v)}</title></rect>')  # fmt: skip
        parts.append(f'<text class="chart-label" x="{gx + (group_w - 10) / 2:.1f}" y="{base + 14}" '
                     f'text-anchor="middle">{escape(label)}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
