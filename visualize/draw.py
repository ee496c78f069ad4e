"""draw(): the forward, backward or both-ways graph of Tensors or Scalars as a graphviz.Digraph.

    dot = visualize.draw(loss)                          # forward: values (data, grad) and ops
    dot = visualize.draw(loss, direction="backward")    # arrows from the loss back, each labelled with the
                                                        # gradient it carries (a number, or |·| for tensors)
    dot = visualize.draw(loss, direction="both", collapse="module")

Value nodes are boxes (name, shape and dtype, data, grad), op nodes are ellipses (op name and hyper-parameters,
"Conv2d 3x3 s1 p1"), constants are plain numbers.  Nodes made inside a scope (a module, a time step) sit in a
cluster per scope.  Fill is the gradient's size on one fixed log scale (legend in the caption).  Reads
tinygrad_edu.graph only.
"""

from __future__ import annotations

from tinygrad_edu import graph as tg_graph

from . import collapse as collapse_mod
from . import nodes as look
from . import scopes
from .colors import BACKWARD_EDGE, FORWARD_EDGE, HIGHLIGHT, legend_cells
from .derivatives import carried
from .labels import escape
from .picture import Picture, Scene, caption
from .summary import fmt_norm, is_tiny, norm, num, summarize

DIRECTIONS = ("forward", "backward", "both")
RANKDIRS = ("LR", "RL", "TB", "BT")


def draw(*roots, direction="forward", show=("data", "grad"), color_by="grad", collapse=None, max_nodes=500,
         rankdir=None, title=None, legend=True) -> Picture:
    """A picture of everything the roots were computed from.

    roots: Tensors, Scalars or arrays of Scalars (for gradients on every node, run forward and backward inside
    `with tg.watch():`; Scalars keep theirs anyway).
    direction: "forward" (inputs -> outputs), "backward" (arrows reversed, labelled with the gradient each one
    carries) or "both" (forward arrows, and backward ones dashed red).
    show: which of "data", "grad" each value node prints.  color_by: "grad" (|grad|), "ratio" (|grad|/|data|)
    or None.  collapse: None, "module", "time" or a scope depth (see visualize.collapse); above max_nodes nodes the
    picture collapses itself and says so in its caption.  rankdir: "LR" or "TB" (or "RL", "BT"); default: by the
    graph's shape, left to right for a short graph and top to bottom for a deep one (a chain of 25 layers laid left
    to right is a picture 26 times wider than high, which PNG viewers refuse or shrink to nothing).
    Returns an unrendered graphviz.Digraph (visualize.render writes it; a notebook displays it); its `roots` are
    the objects it was drawn from.
    """
    picture = draw_graph(tg_graph.trace(*roots), direction=direction, show=show, color_by=color_by,
                         collapse=collapse, max_nodes=max_nodes, rankdir=rankdir, title=title, legend=legend)
    picture.roots = roots              # what it was drawn from (a lesson's b key steps its backward pass)
    return picture


def check_options(direction="forward", show=("data", "grad"), color_by="grad", rankdir="LR"):
    if direction not in DIRECTIONS:
        raise ValueError(f"draw: direction must be one of {DIRECTIONS}, got {direction!r}")
    show = (show,) if isinstance(show, str) else tuple(show or ())
    bad = [s for s in show if s not in ("data", "grad")]
    if bad:
        raise ValueError(f"draw: show may contain 'data' and 'grad', got {bad}")
    if color_by not in look.COLOR_BY:
        raise ValueError(f"draw: color_by must be one of {look.COLOR_BY}, got {color_by!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    return show


DEEP = 12          # more ranks than this: top to bottom


def auto_rankdir(graph, plan) -> str:
    """'TB' when the picture (after collapsing) is more than DEEP ranks deep, else 'LR'."""
    unit = lambda node_id: plan.box_of.get(node_id, node_id)   # noqa: E731
    level = {}
    for n in graph.nodes:                          # inputs come before outputs
        u = unit(n.id)
        ins = [unit(e.src) for e in graph.in_edges(n.id) if unit(e.src) != u]
        level[u] = max(level.get(u, 1), 1 + max((level.get(i, 1) for i in ins), default=0))
    return "TB" if max(level.values(), default=0) > DEEP else "LR"


def gradient_text(value) -> str:
    """What a backward arrow says: the number in scalar mode, the numbers of a tiny tensor, else |·|."""
    if value is None:
        return ""
    if isinstance(value, float):
        return num(value) if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    if is_tiny(value):
        return summarize(value)
    return "|" + fmt_norm(norm(value)) + "|"


def home_scope(graph, n) -> str:
    """Where a node sits: the scope it was made in.  Leaves (inputs, parameters) stay outside the module
    clusters: inside, Graphviz would pull every layer's cluster sideways and draw a deep network as a staircase
    (their names already say which module they belong to)."""
    return n.scope


def add_scope_clusters(scene, scope):
    """The nested clusters of a scope path; returns the cluster path."""
    path = tuple(scopes.ancestors(scope))
    for p in path:
        scene.cluster(p, f"<b>{escape(p.rsplit('/', 1)[-1])}</b>")
    return path


def draw_graph(graph, direction="forward", show=("data", "grad"), color_by="grad", collapse=None, max_nodes=500,
               rankdir=None, title=None, legend=True, grads=None, highlight=(), highlight_edges=(),
               edge_labels=None, extra_caption=()) -> Picture:
    """draw() on an already traced graph.  grads: {node id: gradient} shown instead of the nodes' own (the
    stepper's running sums); highlight: node ids drawn with a thick blue outline; highlight_edges: graph (src, dst)
    pairs drawn thick blue; edge_labels: {(src, dst, input index): text, or None for an arrow not run yet (grey)}
    for backward arrows."""
    show = check_options(direction, show, color_by, rankdir or "LR")
    plan = collapse_mod.plan(graph, collapse, max_nodes)
    rankdir = rankdir or auto_rankdir(graph, plan)
    grad_of = (lambda n: grads.get(n.id)) if grads is not None else (lambda n: n.grad)
    roots = set(graph.roots)
    highlight, highlight_edges = set(highlight), set(highlight_edges)
    scene = Scene()
    boxes = plan.boxes()
    emitted_boxes = set()
    for n in graph.nodes:
        box = plan.box_of.get(n.id)
        if box is not None:
            if box in emitted_boxes:
                continue
            emitted_boxes.add(box)
            members = boxes[box]
            if box == collapse_mod.EARLIER:
                scene.node(box, "box", "earlier", look.earlier_label(graph, members), shape="box3d",
                           style="filled,dashed", fillcolor="#f2f2f2")
                continue
            label, size = look.box_label(graph, box, members, set(members), show_grads="grad" in show)
            path = box[4:]
            cluster = add_scope_clusters(scene, path.rsplit("/", 1)[0]) if "/" in path else ()
            attrs = {"shape": "box3d"}
            attrs.update(look.fill_attrs(size if color_by == "grad" else None, color_by))
            scene.node(box, "box", path, label, cluster, **attrs)
            continue
        cluster = add_scope_clusters(scene, home_scope(graph, n))
        if n.kind == "op":
            scene.node(n.id, "op", n.op, look.op_label(n, graph.inputs_of(n.id)), cluster, **look.op_attrs())
        elif n.kind == "const":
            scene.node(n.id, "const", "", look.const_label(n), cluster, **look.const_attrs())
        else:
            grad = grad_of(n)
            scene.node(n.id, "value", n.name or "", look.value_label(n, show, grad), cluster,
                       **look.value_attrs(n, grad, color_by, n.id in roots))
        if n.id in highlight:
            scene.nodes[n.id].attrs.update(penwidth="3", color=HIGHLIGHT)
    _edges(scene, graph, plan, direction, grad_of, highlight_edges, edge_labels or {})
    lines = [f"<b>{escape(title)}</b>"] if title else []
    values, ops = len(graph.values()), len(graph.ops())
    what = {"forward": "forward graph", "backward": "backward graph: arrows carry the gradient to each input",
            "both": "forward (black) and backward (dashed red: gradients) graph"}[direction]
    lines.append(escape(f"{what} · {values} values, {ops} ops"))
    if collapse is not None and not plan.pruned:
        lines.append(escape(f"collapsed by {collapse_mod.describe(collapse)}: a 3-D box is a group of nodes"))
    note = plan.note(max_nodes)
    if note:
        lines.append(f'<font color="#b03a2e">{escape(note)}</font>')
    lines.extend(extra_caption)
    legend_rows = legend_cells("|grad|/|data|" if color_by == "ratio" else "|grad|") if legend and color_by else ""
    info = {"graph_nodes": len(graph.nodes), "collapse": plan.mode, "auto_collapsed": plan.auto,
            "pruned": plan.pruned, "boxes": len(boxes)}
    return scene.emit(caption(lines, legend_rows), rankdir=rankdir, info=info)


def _edges(scene, graph, plan, direction, grad_of, highlight_edges, edge_labels):
    unit = lambda node_id: plan.box_of.get(node_id, node_id)   # noqa: E731
    seen = set()                               # arrows between boxes are drawn once
    uses = {}
    for e in graph.edges:
        uses[e.src] = uses.get(e.src, 0) + 1
    for e in graph.edges:
        s, d = unit(e.src), unit(e.dst)
        if s == d:
            continue
        boxed = s != e.src or d != e.dst
        src, dst = graph.node(e.src), graph.node(e.dst)
        hot = (e.src, e.dst) in highlight_edges
        if direction in ("forward", "both") and (s, d, "f") not in seen:
            if boxed:
                seen.add((s, d, "f"))
            attrs = {"color": FORWARD_EDGE}
            if not (src.kind == "value" and src.is_leaf) and src.kind != "const":
                attrs["weight"] = "4"              # keep the chain of activations straight, parameters aside
            if boxed and src.kind == "value" and src.shape is not None:
                attrs["label"] = escape(str(src.shape))
            if hot and direction == "forward":
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            scene.edge(s, d, **attrs)
        if direction == "forward":
            continue
        # the backward arrow: from the op (or value) that sends the gradient to the one receiving it
        gets_grad = src.kind == "op" or (src.kind == "value" and src.requires_grad)
        if direction == "both" and not gets_grad:
            continue
        if (d, s, "b") in seen:
            continue
        if boxed:
            seen.add((d, s, "b"))
        if not gets_grad:
            scene.edge(d, s, color="#b0b0b0", style="dotted", arrowhead="none")
            continue
        attrs = {"color": BACKWARD_EDGE, "fontcolor": BACKWARD_EDGE}
        if (e.src, e.dst, e.index) in edge_labels:
            text = edge_labels[(e.src, e.dst, e.index)]
            if text is None:                   # the stepper: this arrow's step has not run yet
                attrs = {"color": "#c8c8c8"}
                text = ""
        elif boxed:
            text = gradient_text(grad_of(src)) if src.kind == "value" else ""
        elif src.kind == "op":                 # op -> its output value: the output's gradient enters the op
            text = gradient_text(grad_of(dst))
        elif uses.get(e.src, 0) == 1:          # the input's only use: what it holds is what this arrow carried
            text = gradient_text(grad_of(src))
        else:                                  # one of several uses (x * x uses x twice): this use's share
            out = graph.consumers_of(dst.id)
            text = gradient_text(carried(graph, dst, e.index, grad_of(out[0])) if out else None)
        if text:
            attrs["label"] = escape(text)
        if direction == "both":
            attrs.update(style="dashed", constraint="false")
        elif not (src.kind == "value" and src.is_leaf):
            attrs["weight"] = "4"
        if hot:
            attrs.update(color=HIGHLIGHT, fontcolor=HIGHLIGHT, penwidth="2.5")
        scene.edge(d, s, **attrs)
