"""Charts written as files in any format `--format` offers, drawn with matplotlib (the optional `charts` extra).

    chart = visualize.state_grads_svg(norms)        # a Chart: the hand-written SVG text, and what it plots
    chart.save("out/grads", "png")                  # out/grads.png, drawn by matplotlib (svg, png or pdf)
    chart.table()                                   # the same numbers as a rich Table

Without matplotlib, `save` writes the hand-written SVG for format "svg" and raises ChartUnavailable for png/pdf;
lessons then print the chart's table and the install command instead (lessons/runner.py).
"""

from __future__ import annotations

import math
import os

from rich.table import Table

from .colors import grad_color
from .summary import fmt_norm

INSTALL = "pip install 'tinygrad-edu[charts]' (or: .venv/bin/pip install matplotlib)"
FORMATS = ("svg", "png", "pdf")


class ChartUnavailable(RuntimeError):
    """A chart was asked for in a format only matplotlib draws, and matplotlib is not installed."""


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


class Chart(str):
    """The hand-written SVG of a chart (a str, as the chart functions always returned) that also knows its data:
    kind "bars" (labels, values) or "lines" (series {name: [(x, y), ...]}), title and axis labels."""

    def __new__(cls, svg, kind, data, title="", xlabel="", ylabel=""):
        chart = super().__new__(cls, svg)
        chart.kind, chart.data, chart.title, chart.xlabel, chart.ylabel = kind, data, title, xlabel, ylabel
        return chart

    def _repr_svg_(self):
        """Jupyter draws the chart instead of echoing its SVG source as a string."""
        return str(self)

    def save(self, path, format="svg") -> str:
        """Write path.<format>; matplotlib draws it when installed, else the hand-written SVG (svg only)."""
        if format not in FORMATS:
            raise ValueError(f"Chart.save: format must be one of {FORMATS}, got {format!r}")
        base = os.fspath(path)
        base = base[: -len(format) - 1] if base.endswith("." + format) else base
        os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
        out = f"{base}.{format}"
        if matplotlib_available():
            self.figure().savefig(out, format=format, dpi=120, bbox_inches="tight")
            return out
        if format != "svg":
            raise ChartUnavailable(f"chart {self.title!r}: drawing it as {format} needs matplotlib; install it with "
                                   f"{INSTALL}")
        with open(out, "w", encoding="utf-8") as f:
            f.write(str(self))
        return out

    def figure(self):
        """The chart as a matplotlib Figure (no pyplot, so no global state and no display needed)."""
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        if self.kind == "bars":
            labels, values = self.data
            fig = Figure(figsize=(7.5, 0.9 + 0.3 * max(len(labels), 1)))
            ax = fig.add_subplot()
            good = [v is not None and v > 0 and math.isfinite(v) for v in values]
            base = 10.0 ** math.floor(math.log10(min((v for v, g in zip(values, good) if g), default=1e-8)) - 1)
            # a log axis has no 0: bars start a decade below the smallest value; 0 and n/a get no bar
            ax.barh(range(len(labels)), [v - base if g else 0 for v, g in zip(values, good)], left=base,
                    color=[grad_color(v) if g else "#ffffff" for v, g in zip(values, good)], edgecolor="#555",
                    linewidth=0.6)
            ax.set_yticks(range(len(labels)), labels)
            ax.invert_yaxis()                                  # first row at the top, as in the tables
            ax.set_xscale("log")
            for i, v in enumerate(values):
                ax.annotate("0" if v == 0 else ("n/a" if not (v and v > 0) else fmt_norm(v)), (1, i),
                            xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=8)
        else:
            fig = Figure(figsize=(7.5, 3.8))
            ax = fig.add_subplot()
            for name, pts in self.data.items():
                good = sorted((x, y) for x, y in pts if y is not None and y > 0 and math.isfinite(y))
                if good:
                    ax.plot([x for x, _ in good], [y for _, y in good], marker="o", markersize=3, label=str(name))
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # time steps are whole numbers
            if len(self.data) > 1:
                ax.legend(fontsize=8, loc="best")
        ax.set_title(self.title, fontsize=11, loc="left")
        ax.set_xlabel(self.xlabel)
        if self.ylabel:
            ax.set_ylabel(self.ylabel)
        ax.grid(True, which="major", color="#ddd", linewidth=0.6)
        return fig

    def table(self) -> Table:
        """The chart's numbers as a rich Table (what a lesson prints when it cannot draw the chart)."""
        t = Table(title=self.title, title_justify="left")
        if self.kind == "bars":
            t.add_column("")
            t.add_column(self.xlabel or "value", justify="right")
            for label, v in zip(*self.data):
                t.add_row(str(label), fmt_norm(v) if v is not None else "n/a")
            return t
        xs = sorted({x for pts in self.data.values() for x, _ in pts})
        t.add_column(self.xlabel or "x", justify="right")
        for name in self.data:
            t.add_column(str(name), justify="right")
        values = {name: dict(pts) for name, pts in self.data.items()}
        for x in xs:
            t.add_row(str(x), *[fmt_norm(values[n].get(x)) if values[n].get(x) is not None else "" for n in values])
        return t
