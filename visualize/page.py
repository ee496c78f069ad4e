"""visualize.interactive(root): the forward and backward pass of a recorded graph as an interactive web page.

    page = visualize.interactive(loss)        # before or after loss.backward()
    page.save("out/graph.html")               # ONE self-contained file: open it from disk, no server, no network
    page                                      # in Jupyter: the same page inline (_repr_html_)

On the page: ← / → (or the buttons) step through the forward pass, one op at a time, then the backward pass;
Home / End jump to either end.  The panel shows the op, its local derivative as a formula and a number, the
upstream gradient, their product, and "+=" where a value is reached by several paths.  Nodes fill in with
|grad| on the static pictures' log scale as the backward pass reaches them.  A click on a cluster's name
closes it into a box (a click on the box opens it); graphs above `collapse_above` nodes start with their
innermost clusters closed.  Scripting handle (tests, slides): `window.tinygradEdu.step(n)` and `.state()`.

Layout by Graphviz's `dot` (needed when the page is built, not when it is viewed); every number computed
here in Python, from the Stepper (visualize/stepper.py), which takes them from the ops' own backward.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os

import numpy as np

from tinygrad_edu import graph as tg_graph

from . import page_data, page_layout
from .collapse import span_cost
from .colors import HIGH_EXP, LOW_EXP, NONE, ZERO, font_color, grad_color
from .page_script import CSS, JS
from .stepper import Stepper

_counter = itertools.count()
COLLAPSE_ABOVE = 300
# The page lays out every node (closing a cluster happens in the browser), so the picture's pruning cannot help:
# above this summed rank span (collapse.span_cost, about Graphviz's virtual nodes) dot would take minutes.
LAYOUT_BUDGET = 12000


def _legend():
    cells = []
    for e in range(LOW_EXP, HIGH_EXP + 1):
        fill = grad_color(10.0 ** e)
        cells.append(["≤1e-8" if e == LOW_EXP else ("≥1" if e == 0 else f"1e{e}"), fill, font_color(fill)])
    return cells + [["0", ZERO, "#000000"], ["not computed", NONE, "#000000"]]


def _single_root(root):
    if isinstance(root, (list, tuple)):
        raise TypeError("interactive: give one output (the loss), not a sequence; for several outputs, sum them")
    if isinstance(root, np.ndarray):
        if root.dtype != object or root.size != 1:
            raise TypeError(f"interactive: expected a Tensor or a Scalar (an array of Scalars of size 1), got an array "
                            f"of shape {root.shape}; sum its entries into one loss first")
        return root.reshape(-1)[0]
    return root


class InteractiveGraph:
    """An interactive page of one graph: `.save(path)`, `.html()` (a whole document), `.fragment()` (a <div>
    with its script, for embedding), and inline display in Jupyter."""

    def __init__(self, root, title=None, gradient=None, collapse_above=COLLAPSE_ABOVE, rankdir=None,
                 layout_budget=LAYOUT_BUDGET):
        root = _single_root(root)
        graph = tg_graph.trace(root)
        cost = span_cost(graph, {})
        if layout_budget is not None and cost > layout_budget:
            raise ValueError(f"interactive: this graph ({len(graph.nodes):,} nodes) is too costly for Graphviz to lay "
                             f"out in reasonable time (its edges span {cost:,} ranks; the limit is layout_budget="
                             f"{layout_budget:,}): step through a shorter sequence or a smaller batch, or draw it "
                             "collapsed with visualize.draw(root, collapse='time') / draw_bptt")
        stepper, note = None, ""
        if graph.node(graph.roots[0]).requires_grad:
            try:
                stepper = Stepper(root, gradient)
            except (RuntimeError, ValueError) as error:
                note = (f"the backward pass cannot be replayed step by step ({error}); the last step shows the "
                        "gradients backward() kept")
        else:
            note = "forward steps only: the output does not require grad (no backward pass to step through)"
        self.graph, self.stepper = graph, stepper
        data = page_data.build(graph, stepper, title=title, note=note, collapse_above=collapse_above)
        # ids unique among the pages of one document (a notebook, a lesson page), and the same from run to run
        digest = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode() + str(next(_counter)).encode())
        self.prefix = "tg" + digest.hexdigest()[:8] + "_"
        self.dot = page_layout.dot_source(graph, data, self.prefix, rankdir)
        data["legend"] = _legend()
        data["collapsed_all"] = list(data["collapsed"]) or sorted(
            k for k, c in data["clusters"].items() if c["parent"] is None)
        self.data = data
        self.svg = page_layout.svg(self.dot)

    @property
    def total(self) -> int:
        return len(self.data["steps"])

    def fragment(self, standalone=False) -> str:
        """The page as one <div> (style, layout, data and script inside it)."""
        d = self.data
        payload = json.dumps(d, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        notes = "".join(f'<div class="tg-note">{html.escape(t)}</div>' for t in (d["note"], d["collapse_note"]) if t)
        title = html.escape(d["title"] or "forward and backward pass")
        bar = (f'<div class="tg-bar"><span class="tg-title">{title}</span>'
               '<button data-action="home" title="Home">|◀</button><button data-action="prev" title="←">◀</button>'
               '<button data-action="next" title="→">▶</button><button data-action="end" title="End">▶|</button>'
               '<button data-action="backward" title="first backward step">backward</button>'
               '<input type="range" min="0" value="0" aria-label="step"><span class="tg-step"></span>'
               '<button data-action="fit">fit</button><button data-action="open">open all</button>'
               '<button data-action="close">close groups</button></div>')
        cls = "tg-page tg-standalone" if standalone else "tg-page"
        return (f'<div class="{cls}" tabindex="0" data-prefix="{self.prefix}"><style>{CSS}</style>{bar}{notes}'
                f'<div class="tg-main"><div class="tg-view">{self.svg}</div>'
                '<div class="tg-side"><div class="tg-panel"></div><div class="tg-info"></div></div></div>'
                f'<script type="application/json" class="tg-data">{payload}</script>'
                f"<script>{JS}</script></div>")

    def html(self) -> str:
        """A whole document: open it from disk, nothing is fetched."""
        title = html.escape(self.data["title"] or "tinygrad_edu: forward and backward pass")
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                f'<body style="margin:8px">{self.fragment(standalone=True)}</body></html>\n')

    def save(self, path) -> str:
        """Write the page to `path` (".html" added when it has no suffix); returns the path."""
        path = os.fspath(path)
        if not path.endswith((".html", ".htm")):
            path += ".html"
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html())
        return path

    def _repr_html_(self):
        return self.fragment()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.fragment(), "text/plain": repr(self)}

    def __repr__(self):
        d = self.data
        return (f"<interactive graph: {len(d['nodes'])} nodes, {d['forward']} forward and "
                f"{self.total - d['forward']} backward steps; .save('graph.html') to open it in a browser>")


def interactive(root, title=None, gradient=None, collapse_above=COLLAPSE_ABOVE, rankdir=None,
                layout_budget=LAYOUT_BUDGET) -> InteractiveGraph:
    """The interactive page of everything `root` (a Scalar, or a Tensor; usually the loss) was computed from.

    Works before or after root.backward(): scalar mode replays from the recorded values; tensor mode needs the
    values the ops saved, so build the page before backward() (or after backward(retain_graph=True)); otherwise
    the page has the forward steps and says why the backward ones are missing.  gradient: the seed for an output
    with more than one entry.  collapse_above: graphs with more nodes start with their clusters closed.
    rankdir: "LR" or "TB" (default: chosen by the graph's depth).  layout_budget: a graph whose edges span more
    ranks than this raises ValueError instead of keeping Graphviz busy for minutes (None: no limit)."""
    return InteractiveGraph(root, title=title, gradient=gradient, collapse_above=collapse_above, rankdir=rankdir,
                            layout_budget=layout_budget)
