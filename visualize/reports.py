"""Gradient-flow reports: how big the gradients are, per parameter, per layer and per time step.

    rows = visualize.parameter_flow(loss)         # after backward: one Flow per parameter, forward order
    visualize.print_gradient_flow(loss)           # a rich table: ‖grad‖, ‖data‖, grad:data, a log-scale bar
    visualize.print_gradient_flow(loss, by="layer")
    norms = visualize.state_grad_norms(loss)      # {"lstm/l0": [(t, ‖∂L/∂h_t‖), ...]} (needs tg.watch())
    visualize.print_state_grads(norms)            # also takes RNNBase.state_grad_norms()'s dict
    svg = visualize.gradient_flow_svg(rows)       # the same as SVG charts (hand-written, no matplotlib)

‖·‖ is the L2 (Frobenius) norm; grad:data is ‖grad‖ / ‖data‖, the size of a gradient step relative to the
weights (multiply by the learning rate for the update:data ratio; around 1e-3 is healthy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tinygrad_edu import graph as tg_graph

from . import charts, scopes
from .colors import grad_color, level
from .notebook import FlowReport
from .summary import fmt_norm, norm

BAR_WIDTH = 16
_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True)
class Flow:
    name: str
    layer: str
    shape: tuple | None
    grad_norm: float | None       # None: no gradient reached it (or it was not kept)
    data_norm: float
    count: int = 1                # parameters merged into this row (layer_flow)

    @property
    def ratio(self) -> float | None:
        if self.grad_norm is None or not self.data_norm:
            return None
        return self.grad_norm / self.data_norm


def parameter_flow(*roots) -> list:
    """One Flow per parameter the roots depend on, in the order the forward pass first used them."""
    graph = tg_graph.trace(*roots)
    rows = []
    for k, n in enumerate(p for p in graph.values() if p.is_parameter):
        name = n.name or f"param{k}"
        rows.append(Flow(name=name, layer=name.rsplit(".", 1)[0] if "." in name else name, shape=n.shape,
                         grad_norm=norm(n.grad), data_norm=norm(n.data)))
    return rows


def layer_flow(rows) -> list:
    """Parameters merged per layer (the name up to its last dot): norms combine as sqrt(sum of squares)."""
    out: dict = {}
    for r in rows:
        g, d, c, first = out.get(r.layer, (None, 0.0, 0, r))
        if r.grad_norm is not None:
            g = (g or 0.0) + r.grad_norm ** 2
        out[r.layer] = (g, d + r.data_norm ** 2, c + 1, first)
    return [Flow(name=layer, layer=layer, shape=None, grad_norm=None if g is None else math.sqrt(g),
                 data_norm=math.sqrt(d), count=c) for layer, (g, d, c, _) in out.items()]


def state_grad_norms(*roots, state="h") -> dict:
    """{lane: [(t, ‖∂L/∂state_t‖), ...]} for the values named `state` in time-step scopes (lane: module, layer and
    direction, e.g. 'lstm/l0/reverse').  Run forward and backward inside tg.watch() so the states keep .grad."""
    graph = tg_graph.trace(*roots)
    found: dict = {}
    for n in graph.values():
        if n.name == state:
            s = scopes.step_of(n.scope)
            if s is not None:
                found.setdefault(s.lane, {})[s.t] = norm(n.grad)
    return {lane: sorted(by_t.items()) for lane, by_t in sorted(found.items(), key=lambda kv: scopes.lane_sort_key(
        kv[0]))}


def _as_series(norms) -> dict:
    """Accept {lane: [(t, v), ...]} or RNNBase.state_grad_norms()'s {lane: [v_0, v_1, ...]}."""
    series = {}
    for lane, values in norms.items():
        values = list(values)
        if values and not isinstance(values[0], (tuple, list)):
            values = list(enumerate(values))
        series[str(lane) or "state"] = [(int(t), None if v is None else float(v)) for t, v in values]
    return series


# ---------------------------------------------------------------------------------------------- terminal
def bar(size, width=BAR_WIDTH) -> Text:
    """A log-scale bar, 1e-8 (empty) .. 1e0 (full), colored like the pictures."""
    if size is None:
        return Text("n/a", style="dim")
    if size == 0:
        return Text("0", style="dim")
    cells = level(size) * width
    full = int(cells)
    text = "█" * full + (_EIGHTHS[int((cells - full) * 8)] if full < width else "")
    return Text(text or "▏", style=grad_color(size))


def _ratio_text(r) -> str:
    return "n/a" if r is None else f"{r:.1e}"


def flow_table(rows, title="gradient flow") -> Table:
    t = Table(title=title, title_justify="left")
    name = "parameter" if not rows or rows[0].count == 1 else "layer"
    t.add_column(name, min_width=9, overflow="fold")
    for col in ("shape", "‖grad‖", "‖data‖", "grad:data"):
        t.add_column(col, justify="left" if col == "shape" else "right", no_wrap=True)
    t.add_column("‖grad‖ 1e-8 .. 1", no_wrap=True, overflow="crop", max_width=BAR_WIDTH + 1)
    for r in rows:
        shape = "" if r.shape is None else str(r.shape)
        if r.count > 1:
            shape = f"{r.count} tensors"
        t.add_row(r.name, shape, fmt_norm(r.grad_norm), fmt_norm(r.data_norm), _ratio_text(r.ratio),
                  bar(r.grad_norm))
    return t


def print_gradient_flow(*roots, by="parameter", console=None, title=None) -> list:
    """Print the per-parameter (by="parameter") or per-layer (by="layer") table; returns its rows (a list of Flow
    that displays as the table in a notebook)."""
    if by not in ("parameter", "layer"):
        raise ValueError(f"print_gradient_flow: by must be 'parameter' or 'layer', got {by!r}")
    rows = parameter_flow(*roots)
    if by == "layer":
        rows = layer_flow(rows)
    console = console or Console()
    title = title or f"gradient flow per {by}, input side first"
    if not rows:
        console.print("no parameters in this graph (nn.Parameter, or Tensors registered in a Module)")
        return FlowReport(rows, title)
    console.print(flow_table(rows, title))
    return FlowReport(rows, title)                 # a list of Flow that a notebook shows as the table


def state_table(norms, state="h") -> Table:
    series = _as_series(norms)
    t = Table(title=f"‖∂L/∂{state}_t‖ against t", title_justify="left")
    t.add_column("t", justify="right")
    for lane in series:
        t.add_column(lane or "state", justify="right")
        t.add_column("", justify="left", no_wrap=True)
    steps = sorted({x for pts in series.values() for x, _ in pts})
    lookup = {lane: dict(pts) for lane, pts in series.items()}
    for step in steps:
        cells = [str(step)]
        for lane in series:
            v = lookup[lane].get(step)
            cells.extend([fmt_norm(v), bar(v, 16)])
        t.add_row(*cells)
    return t


def print_state_grads(norms, console=None, state="h"):
    """Print ‖∂L/∂h_t‖ per time step with bars: norms from state_grad_norms() or RNNBase.state_grad_norms()."""
    console = console or Console()
    if not norms:
        console.print(f"no states named {state!r} in time-step scopes, or no gradients kept (run forward and "
                      "backward inside tg.watch(), or use track_state_grads=True)")
        return
    console.print(state_table(norms, state))


# ---------------------------------------------------------------------------------------------- SVG
def gradient_flow_svg(rows, title="|grad| per parameter (forward order: input side at the top)", decades=None) -> str:
    """A bar chart of rows (parameter_flow or layer_flow) as SVG text; charts.save writes it.  decades: the x axis
    as (lo, hi) powers of ten, e.g. (-8, 0) for the pictures' scale; default: fitted to the values."""
    return charts.bar_chart([r.name for r in rows], [r.grad_norm for r in rows], title=title, decades=decades)


def state_grads_svg(norms, title="|∂L/∂h_t| against t", state="h") -> str:
    return charts.line_chart(_as_series(norms), title=title, ylabel=f"|∂L/∂{state}_t| (log scale)")
