"""Small SVG charts on linear axes for the lessons (visualize's charts are log-scale): a curve with the
gradient-descent steps walked on it (lesson 1), and training curves side by side (lesson 5).

    svg = descent_svg(lambda w: (w - 3) ** 2, {"eta = 0.1": [0, 0.6, ...]}, title="L(w) = (w - 3)^2")
    svg = curves_svg({"sigmoid": [(1, 2.30), (2, 2.30), ...], "relu": [...]}, title="loss per epoch")

Both return the SVG text (lesson.chart writes it).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

FONT = "Helvetica, Arial, sans-serif"
COLORS = ["#1f5fbf", "#d62728", "#1b7f4b", "#9467bd", "#ff7f0e"]


def _text(x, y, s, size=11, anchor="start", fill="#222", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(str(s))}</text>')


class _Axes:
    """A plot area mapping data (x0..x1, y0..y1) to pixels, with ticks and labels."""

    def __init__(self, x0, x1, y0, y1, width=720, height=380, left=64, right=150, top=52, bottom=46):
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1
        self.width, self.height = width, height
        self.left, self.top = left, top
        self.pw, self.ph = width - left - right, height - top - bottom

    def px(self, x):
        return self.left + self.pw * (x - self.x0) / (self.x1 - self.x0)

    def py(self, y):
        return self.top + self.ph * (self.y1 - y) / (self.y1 - self.y0)

    def frame(self, title, xlabel, ylabel, ticks=5, xticks=None):
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'viewBox="0 0 {self.width} {self.height}">',
               f'<rect width="{self.width}" height="{self.height}" fill="white"/>', _text(10, 22, title, 14,
                                                                                            weight="bold")]
        for x in xticks if xticks is not None else [self.x0 + (self.x1 - self.x0) * i / ticks
                                                     for i in range(ticks + 1)]:
            out.append(_text(self.px(x), self.top + self.ph + 16, f"{x:.3g}", 10, "middle", "#555"))
        for i in range(ticks + 1):
            y = self.y0 + (self.y1 - self.y0) * i / ticks
            out.append(_text(self.left - 6, self.py(y) + 4, f"{y:.3g}", 10, "end", "#555"))
            out.append(f'<line x1="{self.left}" y1="{self.py(y):.1f}" x2="{self.left + self.pw}" '
                       f'y2="{self.py(y):.1f}" stroke="#eee"/>')
        out.append(f'<rect x="{self.left}" y="{self.top}" width="{self.pw}" height="{self.ph}" fill="none" '
                   'stroke="#444"/>')
        out.append(_text(self.left + self.pw / 2, self.height - 8, xlabel, 11, "middle", "#333"))
        out.append(_text(12, self.top - 10, ylabel, 11, "start", "#333"))
        return out

    def legend(self, i, name, color):
        y = self.top + 14 + 18 * i
        x = self.left + self.pw + 12
        return [f'<line x1="{x}" y1="{y - 4}" x2="{x + 20}" y2="{y - 4}" stroke="{color}" stroke-width="2"/>',
                _text(x + 24, y, name, 11)]


def descent_svg(f, walks, title="", xlabel="w", ylabel="L(w)", x_range=None, y_max=None) -> str:
    """The curve f on x_range, and each walk (name -> the w of every step) as dots joined by arrows on it."""
    every = [w for ws in walks.values() for w in ws]
    x0, x1 = x_range or (min(every) - 0.5, max(every) + 0.5)
    grid = [x0 + (x1 - x0) * i / 200 for i in range(201)]
    top = y_max if y_max is not None else max(f(x) for x in grid)
    ax = _Axes(x0, x1, 0.0, top)
    out = ax.frame(title, xlabel, ylabel)
    curve = " ".join(f"{ax.px(x):.1f},{ax.py(min(f(x), top)):.1f}" for x in grid)
    out.append(f'<polyline points="{curve}" fill="none" stroke="#888" stroke-width="2"/>')
    for i, (name, ws) in enumerate(walks.items()):
        color = COLORS[i % len(COLORS)]
        shown = [w for w in ws if x0 <= w <= x1 and f(w) <= top]
        for a, b in zip(shown, shown[1:]):
            out.append(f'<line x1="{ax.px(a):.1f}" y1="{ax.py(f(a)):.1f}" x2="{ax.px(b):.1f}" y2="{ax.py(f(b)):.1f}" '
                       f'stroke="{color}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        for k, w in enumerate(shown):
            out.append(f'<circle cx="{ax.px(w):.1f}" cy="{ax.py(f(w)):.1f}" r="4" fill="{color}">'
                       f"<title>{escape(name)} step {k}: w = {w:.4g}, L = {f(w):.4g}</title></circle>")
        out += ax.legend(i, name, color)
    out.append("</svg>")
    return "\n".join(out)


def curves_svg(series, title="", xlabel="epoch", ylabel="loss") -> str:
    """Lines on linear axes: series = {name: [(x, y), ...]}."""
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts]
    ax = _Axes(min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1, 0.0, max(ys) * 1.05)
    whole = all(float(x).is_integer() for x in xs) and max(xs) - min(xs) <= 20
    out = ax.frame(title, xlabel, ylabel, xticks=range(int(min(xs)), int(max(xs)) + 1) if whole else None)
    for i, (name, pts) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        out.append(f'<polyline points="{" ".join(f"{ax.px(x):.1f},{ax.py(y):.1f}" for x, y in pts)}" fill="none" '
                   f'stroke="{color}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{ax.px(x):.1f}" cy="{ax.py(y):.1f}" r="3" fill="{color}">'
                       f"<title>{escape(name)} {x}: {y:.4g}</title></circle>")
        out += ax.legend(i, name, color)
    out.append("</svg>")
    return "\n".join(out)
