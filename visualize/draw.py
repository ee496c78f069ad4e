"""draw(): the forward (or backward) graph of Tensors or Scalars as a graphviz.Digraph.

Value nodes are boxes (name, shape and dtype, data, grad), op nodes are ellipses (op name and
hyper-parameters), constants are small plain numbers. Nodes made inside a scope (a module, a time step)
are grouped in a cluster per scope. Fill color is the gradient's size on a log scale.
"""

from __future__ import annotations

import html

import graphviz

from tinygrad_edu import graph as tg_graph

from .colors import grad_color, legend_label
from .summary import norm, summarize

DIRECTIONS = ("forward", "backward")


def _op_label(node) -> str:
    shown = [f"{k}={v}" for k, v in node.params.items() if v is not None and k not in ("keepdim",)]
    return node.op + (f"\n{', '.join(shown)}" if shown else "")


def _value_label(node, show) -> str:
    rows = []
    title = node.name or ("param" if node.is_parameter else "")
    head = html.escape(title) if title else ""
    if node.shape is not None:
        head += f" {node.shape} {node.dtype}" if head else f"{node.shape} {node.dtype}"
    if head:
        rows.append(f"<b>{head}</b>" if title else head)
    if "data" in show:
        rows.append("data " + html.escape(summarize(node.data)))
    if "grad" in show and node.grad is not None:
        rows.append("grad " + html.escape(summarize(node.grad)))
    return "<" + "<br/>".join(rows or ["value"]) + ">"


def draw(*roots, direction="forward", show=("data", "grad"), rankdir="LR", max_nodes=2000, title=None):
    """A picture of everything the roots were computed from.

    roots: Tensors, Scalars or arrays of Scalars.  direction: "forward" (inputs -> outputs) or "backward"
    (edges reversed, labelled with the size of the gradient they carry).  show: which of "data"/"grad"
    each value node prints.  Returns an unrendered graphviz.Digraph (see visualize.render).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"draw: direction must be one of {DIRECTIONS}, got {direction!r}")
    g = tg_graph.trace(*roots)
    if len(g.nodes) > max_nodes:
        raise ValueError(f"draw: the graph has {len(g.nodes)} nodes, more than max_nodes={max_nodes}; "
                         "draw a smaller input or raise max_nodes")
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    caption = [title] if title else []
    caption.append(f"{direction} graph; {legend_label()}")
    dot.attr(label="\n".join(caption), labelloc="t")

    # group node statements by scope so each scope becomes a (nested) cluster
    by_scope: dict[str, list] = {}
    for n in g.nodes:
        by_scope.setdefault(n.scope, []).append(n)

    def emit(target, n):
        if n.kind == "op":
            target.node(n.id, _op_label(n), shape="ellipse", style="filled", fillcolor="#e8eef9")
        elif n.kind == "const":
            target.node(n.id, summarize(n.data), shape="plaintext")
        else:
            size = norm(n.grad)
            target.node(n.id, _value_label(n, show), shape="box", style="filled,rounded" if not n.is_leaf else "filled",
                        fillcolor=grad_color(size), penwidth="2" if n.is_parameter else "1")

    def add_scope(parent, path):
        children = sorted({s for s in by_scope if s.startswith(path + "/") and "/" not in s[len(path) + 1:]})
        with parent.subgraph(name=f"cluster_{path}") as sub:
            sub.attr(label=path.rsplit("/", 1)[-1], style="rounded,dashed", color="#888888")
            for n in by_scope.get(path, []):
                emit(sub, n)
            for child in children:
                add_scope(sub, child)

    for n in by_scope.get("", []):
        emit(dot, n)
    all_paths = set()
    for s in by_scope:
        parts = s.split("/") if s else []
        all_paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    by_scope.update({p: by_scope.get(p, []) for p in all_paths})
    for top in sorted(p for p in all_paths if "/" not in p):
        add_scope(dot, top)

    values = {n.id: n for n in g.nodes}
    for e in g.edges:
        if direction == "forward":
            dot.edge(e.src, e.dst)
        else:
            carrier = values[e.dst] if values[e.dst].kind == "value" else values[e.src]
            size = norm(carrier.grad) if carrier.kind == "value" else None
            dot.edge(e.dst, e.src, label=f"{size:.3g}" if size is not None else "", color="#c0392b")
    return dot
