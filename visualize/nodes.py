"""How one node looks: value boxes, op ellipses, constants and collapsed boxes (labels and Graphviz attributes).

Labels are HTML-like and escaped here; the builders (draw, bptt, stepper) only choose what to show.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .colors import NONE, OP_FILL, font_color, grad_color
from .labels import escape, op_title, short
from .summary import fmt_norm, is_tiny, norm, summarize

COLOR_BY = ("grad", "ratio", None)


def size_of(grad, data, color_by):
    """The number a node's fill shows: |grad|, or |grad|/|data| for color_by='ratio'; None when not kept."""
    if color_by is None or grad is None:
        return None
    g = norm(grad)
    if color_by == "ratio":
        d = norm(data)
        return None if not d else g / d
    return g


def fill_attrs(size, color_by):
    fill = grad_color(size) if color_by is not None else NONE
    return {"style": "filled", "fillcolor": fill, "fontcolor": font_color(fill)}


def _small(text, size=9):
    return f'<font point-size="{size}">{text}</font>'


def grad_text(grad, compact=False) -> str:
    """'grad 0.07065', 'grad [0.1, -0.2]' or '|grad| 0.031' (always the norm for an array when compact);
    'grad —' when none has arrived."""
    if grad is None:
        return "grad —"
    if np.ndim(grad) == 0 or (is_tiny(grad) and not compact):
        return "grad " + summarize(grad)
    return "|grad| " + fmt_norm(norm(grad))


def value_label(n, show=("data", "grad"), grad=None, title=None, compact=False) -> str:
    """A value node: name (shape dtype), data, grad.  `grad` overrides the node's own (the stepper's running
    sums); `title` overrides its name; compact: no dtype, and gradient norms instead of numbers."""
    rows = []
    name = title if title is not None else n.name
    head = f"<b>{escape(short(name))}</b>" if name else ""
    if n.shape is not None:
        head += (" " if head else "") + _small(escape(f"{n.shape}" if compact else f"{n.shape} {n.dtype}"))
    if head:
        rows.append(head)
    if "data" in show:
        rows.append(_small("data " + escape(summarize(n.data))))
    if "grad" in show and (grad is not None or n.requires_grad):
        rows.append(_small(escape(grad_text(grad, compact))))
    return "<br/>".join(rows) or "value"


def value_attrs(n, grad, color_by, is_root=False):
    attrs = {"shape": "box"}
    attrs.update(fill_attrs(size_of(grad, n.data, color_by), color_by))
    if not n.is_leaf:
        attrs["style"] += ",rounded"
    if n.is_parameter:
        attrs["penwidth"] = "2"
    if is_root:
        attrs["peripheries"] = "2"
    return attrs


def op_label(n, inputs) -> str:
    return f"<b>{escape(op_title(n, inputs))}</b>"


def op_attrs():
    return {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "fontcolor": "#000000"}


def const_label(n) -> str:
    return _small(escape(summarize(n.data)))


def const_attrs():
    """A constant is bare text; no invisible box around it (a plaintext node's default size), so its arrow starts
    at the number instead of in empty space beside it."""
    return {"shape": "plaintext", "width": "0", "height": "0", "margin": "0.04"}


def box_label(graph, key, members, member_set, show_grads=True, state=None):
    """A collapsed box: its scope, the ops inside, the parameters it absorbed, and what leaves it, each with
    |grad|.  Returns (label, |grad| of its largest output or None)."""
    path = key[4:] if key.startswith("box:") else key
    comps = path.split("/")
    rows = [f"<b>{escape(short(comps[-1]))}</b>" + (" " + _small(escape(short(path)), 8) if len(comps) > 1 else "")]
    ops = Counter()
    for node_id in members:
        n = graph.node(node_id)
        if n.kind == "op":
            ops[op_title(n, graph.inputs_of(n.id))] += 1
    if len(ops) <= 3:
        rows.append(escape(" · ".join(f"{o}" + (f" ×{c}" if c > 1 else "") for o, c in ops.items())))
    else:
        top = ", ".join(f"{o.split(' ')[0]}×{c}" for o, c in ops.most_common(4))
        rows.append(escape(f"{sum(ops.values())} ops: {top}" + (", …" if len(ops) > 4 else "")))
    sizes = []
    params = [graph.node(i) for i in members if graph.node(i).is_parameter]
    for p in params[:4]:
        g = norm(p.grad)
        text = f"{(p.name or 'param').rsplit('.', 1)[-1]} {p.shape}"
        rows.append(_small(escape(text + (f"  |grad| {fmt_norm(g)}" if show_grads and g is not None else ""))))
    if len(params) > 4:
        rows.append(_small(escape(f"+{len(params) - 4} more parameters")))
    roots = set(graph.roots)
    outputs = [graph.node(i) for i in members if graph.node(i).kind == "value" and not graph.node(i).is_parameter
               and (i in roots or any(c.id not in member_set for c in graph.consumers_of(i)))]
    for o in outputs[:3]:
        g = norm(o.grad)
        sizes.append(g)
        name = o.name or "out"
        text = f"{name} {o.shape}" if o.shape is not None else name
        rows.append(_small(escape(text + (f"  |grad| {fmt_norm(g)}" if show_grads and g is not None else ""))))
    if state is not None:
        named = [graph.node(i) for i in members if graph.node(i).name == state]
        if named and named[-1] not in outputs[:3]:
            g = norm(named[-1].grad)
            rows.append(_small(escape(f"|∂L/∂{state}| {fmt_norm(g)}")))
    rows.append(_small(f"{len(members)} nodes", 8))
    known = [s for s in sizes if s is not None]
    return "<br/>".join(rows), (max(known) if known else None)


def earlier_label(graph, members) -> str:
    ops = Counter(graph.node(i).op for i in members if graph.node(i).kind == "op")
    top = ", ".join(f"{o}×{c}" for o, c in ops.most_common(4))
    return (f"<b>{len(members):,} earlier nodes</b><br/>" + _small(escape(f"not drawn: {top}" if top else "not drawn"))
            + "<br/>" + _small("raise max_nodes or collapse to see them", 8))
