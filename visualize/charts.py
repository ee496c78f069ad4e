"""Small SVG charts written by hand (no matplotlib needed): bars and lines on a log axis.  Each is returned as a
Chart (visualize/chart_files.py): the SVG text, which also saves itself as svg, png or pdf through matplotlib.

    svg = bar_chart(["0.weight", "2.weight"], [3e-7, 0.2], title="|grad| per parameter")
    svg = line_chart({"l0": [(0, 1e-4), (1, 3e-3), ...]}, title="|∂L/∂h_t| against t")
    save(svg, "out/flow.svg")

Values <= 0 or None are drawn as "0"/"n/a" at the left edge.  Bar colors follow the pictures' gradient scale.
"""

from __future__ import annotations

import math
import os
from xml.sax.saxutils import escape as _xml

from .chart_files import Chart
from .colors import grad_color
from .summary import fmt_norm

FONT = "Helvetica, Arial, sans-serif"
LINE_COLORS = ["#1f5fbf", "#d62728", "#1b7f4b", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]


def _decades(values, min_span=2):
    positive = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not positive:
        return -8, 0
    lo, hi = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    if hi == math.log10(max(positive)) and hi - lo < min_span:
        hi += 1
    while hi - lo < min_span:
        lo -= 1
    return lo, hi


def _text(x, y, s, size=11, anchor="start", weight="normal", fill="#222", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{_xml(str(s))}</text>')


def bar_chart(labels, values, title="", xlabel="|grad| (log scale)", width=720, decades=None) -> Chart:
    """Horizontal bars, one per label, on a log x axis spanning whole decades around the values, or the decades
    (lo, hi) given (e.g. (-8, 0), to compare charts side by side)."""
    labels, values = [str(v) for v in labels], list(values)
    lo, hi = decades if decades is not None else _decades(values)
    label_w = min(280, 12 + 7 * max((len(s) for s in labels), default=4))
    left, right, top, row = label_w, 70, 48, 22
    plot_w = width - left - right
    height = top + row * len(values) + 46
    x_of = lambda v: left + plot_w * (math.log10(v) - lo) / (hi - lo)   # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<rect width="{width}" height="{height}" fill="white"/>',
           _text(10, 22, title, 14, weight="bold")]
    for e in range(lo, hi + 1):
        x = left + plot_w * (e - lo) / (hi - lo)
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row * len(values)}" stroke="#ddd"/>')
        out.append(_text(x, top + row * len(values) + 16, f"1e{e}", 10, "middle", fill="#555"))
    out.append(_text(left + plot_w / 2, height - 8, xlabel, 11, "middle", fill="#333"))
    for i, (label, v) in enumerate(zip(labels, values)):
        y = top + row * i
        out.append(_text(left - 8, y + 15, label, 11, "end"))
        if v is None or not v > 0 or not math.isfinite(v):
            out.append(_text(left + 4, y + 15, "0" if v == 0 else "n/a", 10, fill="#777"))
            continue
        x = min(max(x_of(v), left + 1), left + plot_w)
        out.append(f'<rect x="{left}" y="{y + 4}" width="{x - left:.1f}" height="{row - 8}" '
                   f'fill="{grad_color(v)}" stroke="#555" stroke-width="0.6"><title>{_xml(label)}: {v:.3g}</title>'
                   "</rect>")
        out.append(_text(x + 5, y + 15, fmt_norm(v), 10, fill="#333"))
    out.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{top + row * len(values)}" stroke="#444"/>')
    out.append("</svg>")
    return Chart("\n".join(out), "bars", (labels, values), title, xlabel)


def line_chart(series, title="", xlabel="t", ylabel="|∂L/∂h_t| (log scale)", width=720, height=360) -> Chart:
    """Lines on a log y axis: series = {name: [(x, y), ...]}; points with y <= 0 or None are skipped."""
    points = [(x, y) for pts in series.values() for x, y in pts]
    lo, hi = _decades([y for _, y in points])
    xs = [x for x, _ in points] or [0, 1]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1
    left, right, top, bottom = 76, 130, 40, 48
    pw, ph = width - left - right, height - top - bottom
    px = lambda x: left + pw * (x - x0) / (x1 - x0)                      # noqa: E731
    py = lambda y: top + ph * (hi - math.log10(y)) / (hi - lo)           # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<rect width="{width}" height="{height}" fill="white"/>',
           _text(10, 22, title, 14, weight="bold")]
    for e in range(lo, hi + 1):
        y = top + ph * (hi - e) / (hi - lo)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(_text(left - 6, y + 4, f"1e{e}", 10, "end", fill="#555"))
    step = max(1, round((x1 - x0) / 10))
    for x in range(int(x0), int(x1) + 1, step):
        out.append(_text(px(x), top + ph + 16, x, 10, "middle", fill="#555"))
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append(_text(left + pw / 2, height - 10, xlabel, 11, "middle", fill="#333"))
    out.append(_text(16, top + ph / 2, ylabel, 11, "middle", fill="#333",
                     extra=f' transform="rotate(-90 16 {top + ph / 2:.1f})"'))
    for i, (name, pts) in enumerate(series.items()):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        good = [(x, y) for x, y in sorted(pts) if y is not None and y > 0 and math.isfinite(y)]
        if len(good) > 1:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in good)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in good:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}">'
                       f"<title>{_xml(str(name))} t={x}: {y:.3g}</title></circle>")
        ly = top + 14 + 18 * i
        out.append(f'<line x1="{left + pw + 12}" y1="{ly - 4}" x2="{left + pw + 32}" y2="{ly - 4}" stroke="{color}" '
                   'stroke-width="2"/>')
        out.append(_text(left + pw + 36, ly, name, 11))
    out.append("</svg>")
    return Chart("\n".join(out), "lines", {k: list(v) for k, v in series.items()}, title, xlabel, ylabel)


def save(svg: str, path) -> str:
    path = os.fspath(path)
    if not path.endswith(".svg"):
        path += ".svg"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(svg)
    return path
