"""draw_bptt(): an unrolled RNN/LSTM/GRU, one cluster per time step, laid out along time.

    with tg.watch():                       # keep ∂L/∂h_t of every step
        out, (h, c) = lstm(x)
        loss = head(out[-1]).sum()
        loss.backward()
    dot = visualize.draw_bptt(loss)

What it shows: a cluster per time step inside a cluster per layer and direction ("lstm · layer 0 · reverse"),
each labelled with |∂L/∂h_t|; the recurrent path (edges from step t-1 into step t) thick blue, an LSTM's cell
state path thick green and kept straight as its own lane; the gates side by side in the same order in every step
(the order of their blocks in the pre-activation: LSTM i, f, g, o; GRU r, z, with n below); parameters every step
uses drawn as a small dashed copy inside each step (one shared node would pull long edges across the picture); a
truncation boundary (two neighbouring steps with no edge between them, as after `detach()`) drawn as a red cut.
Time steps are the scopes "t=0", "t=1", ... that nn.RNN/LSTM/GRU push, or that your own loop pushes with
tg.scope(f"t={t}").
Too many nodes: each step becomes one box (collapse="time", automatic above max_nodes).
"""

from __future__ import annotations

from tinygrad_edu import graph as tg_graph

from . import collapse as collapse_mod
from . import nodes as look
from . import scopes
from . import timesteps as ts
from .colors import FORWARD_EDGE, RECURRENT_C, RECURRENT_H, grad_color, legend_cells
from .draw import add_scope_clusters, check_options, home_scope
from .labels import escape, ident, op_title, short
from .picture import Picture, Scene, caption
from .summary import fmt_norm, norm

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def sub(t) -> str:
    return str(t).translate(_SUB)


def draw_bptt(*roots, state="h", cell="c", detail="named", show=("grad",), color_by="grad", collapse=None,
              max_nodes=300, rankdir=None, title=None, legend=True) -> Picture:
    """The backpropagation-through-time picture of everything the roots were computed from.

    state: the name of the hidden state whose |∂L/∂state_t| labels each step ("h" for nn.RNN/LSTM/GRU); cell: the
    name of an LSTM's cell state, drawn as its own lane.  detail: "named" (inside a step, only the named values -
    the gates i, f, g, o, c, h or r, z, n - inputs and states, each arrow labelled with the ops it stands for: the
    cell diagram of the notes) or "full" (every op and value).  collapse: None or "time" (one box per step); when
    the steps drawn in full would take more than max_nodes nodes they collapse by themselves (clusters of hundreds
    of nodes are what makes Graphviz slow).  rankdir: the direction time runs in; default "TB" for steps drawn in
    full (each step a band, the cell diagram read top-down) and "LR" for collapsed steps (a row of boxes per layer
    and direction).  A reverse direction's lane runs from its first step, t = T-1, to t = 0.  Other options as
    in draw().
    """
    check_options("forward", show, color_by, rankdir or "LR")
    if collapse not in (None, "time"):
        raise ValueError(f"draw_bptt: collapse must be None or 'time', got {collapse!r}")
    if detail not in ("named", "full"):
        raise ValueError(f"draw_bptt: detail must be 'named' or 'full', got {detail!r}")
    graph = tg_graph.trace(*roots)
    if not any(scopes.step_of(n.scope) for n in graph.nodes if not (n.kind == "value" and n.is_leaf)):
        raise ValueError("draw_bptt: no time steps in this graph. nn.RNN/LSTM/GRU record each step in a scope "
                         "'t=0', 't=1', ...; in your own loop write `with tg.scope(f't={t}'):` around step t")
    options = dict(state=state, cell=cell, detail=detail, show=show, color_by=color_by, rankdir=rankdir, title=title,
                   legend=legend, max_nodes=max_nodes)
    picture = _build_fitting(graph, collapse, max_nodes, options)
    picture.roots = roots              # what it was drawn from (a lesson's b key steps its backward pass)
    return picture


def _build_fitting(graph, collapse, max_nodes, options):
    """The picture in full when it fits in max_nodes nodes, else collapsed to one box per step."""
    if collapse == "time":
        return _build(graph, "time", **options)
    if len(graph.nodes) <= 10 * max_nodes:             # named detail draws a fraction of the nodes: try it
        picture = _build(graph, None, **options)
        if picture.info["nodes"] <= max_nodes:
            return picture
        return _build(graph, "time", too_many=picture.info["nodes"], **options)
    return _build(graph, "time", too_many=len(graph.nodes), **options)


def _build(graph, mode, state, cell, detail, show, color_by, rankdir, title, legend, max_nodes, too_many=None):
    """The picture with every step drawn in full (mode None) or as one box (mode "time")."""
    show = check_options("forward", show, color_by, rankdir or "LR")
    step = {n.id: scopes.step_of(n.scope) for n in graph.nodes if not (n.kind == "value" and n.is_leaf)}
    step = {k: v for k, v in step.items() if v is not None}
    # steps are the unit of collapse here; gathering edges are thinned out below instead of a span budget
    plan = collapse_mod.plan(graph, mode, max_nodes, span_budget=None) if mode else collapse_mod.Plan()
    collapsed = plan.mode == "time"
    rankdir = rankdir or ("LR" if collapsed else "TB")
    if collapsed:
        ts.absorb_into_boxes(graph, plan.box_of)
    else:
        ts.absorb(graph, step)
    shared = ts.shared_values(graph, step, plan.box_of if collapsed else None)
    roots = set(graph.roots)
    kept = ts.kept_nodes(graph, step, shared, roots, "full" if collapsed else detail)
    scene = Scene()
    scene.roomy = False                     # steps are kept apart by _order_steps
    lanes = sorted({s.lane for s in step.values()}, key=scopes.lane_sort_key)
    for lane in lanes:
        scene.cluster("lane:" + lane, f"<b>{escape(scopes.lane_title(lane))}</b>", style="rounded", color="#7a7a7a",
                      bgcolor="#fbfbfb")
    state_norms = ts.state_norms(graph, step, state)
    reached = any(v is not None for v in state_norms.values())

    def step_cluster(s):
        key = "step:" + s.key
        size = state_norms.get(s)
        text = f"<b>t={s.t}</b>"
        if size is not None:
            text += f'  <font color="{RECURRENT_H}">|∂L/∂{escape(state)}{sub(s.t)}| = {escape(fmt_norm(size))}</font>'
        elif s in state_norms:             # kept elsewhere: none reached this step (cut off); else not kept
            text += "  " + escape(f"|∂L/∂{state}{sub(s.t)}| " + ("none reaches it" if reached else "n/a"))
        scene.cluster(key, text, style="rounded,dashed", color="#8c8c8c")
        return ("lane:" + s.lane, key)

    # ------------------------------------------------------------------ nodes
    boxes = plan.boxes() if collapsed else {}
    for n in graph.nodes:
        box = plan.box_of.get(n.id) if collapsed else None
        if box is not None:
            if box in scene.nodes:
                continue
            if box == collapse_mod.EARLIER:
                scene.node(box, "box", "earlier", look.earlier_label(graph, boxes[box]), shape="box3d",
                           style="filled,dashed", fillcolor="#f2f2f2")
                continue
            s = scopes.step_of(box[4:])
            label, size = look.box_label(graph, box, boxes[box], set(boxes[box]), "grad" in show, state=state)
            size = state_norms.get(s, size) if s is not None else size
            attrs = {"shape": "box3d"}
            attrs.update(look.fill_attrs(size if color_by == "grad" else None, color_by))
            scene.node(box, "box", box[4:], label, ("lane:" + s.lane,) if s is not None else (), **attrs)
            continue
        if n.id not in kept:
            continue
        s = None if n.id in shared else step.get(n.id)
        cluster = step_cluster(s) if s is not None else add_scope_clusters(scene, home_scope(graph, n))
        if n.kind == "op":
            scene.node(n.id, "op", n.op, look.op_label(n, graph.inputs_of(n.id)), cluster, **look.op_attrs())
        elif n.kind == "const":
            scene.node(n.id, "const", "", look.const_label(n), cluster, **look.const_attrs())
        else:
            attrs = look.value_attrs(n, n.grad, color_by, n.id in roots)
            if s is not None and n.name in (state, cell):        # the state lanes stay straight
                attrs["group"] = _lane_group(n.name, s)
            scene.node(n.id, "value", n.name or "", look.value_label(n, show, n.grad, compact=True), cluster, **attrs)
    cell_path = ts.cell_path(graph, step, cell) if detail == "full" and not collapsed else set()
    for node_id in cell_path:
        s = step[node_id]
        scene.nodes[node_id].attrs["group"] = _lane_group(cell, s)
    if not collapsed:
        for row, later in ts.gate_rows(graph, step, kept):     # i, f, g, o side by side in every step, in order
            scene.row(row)
            for node_id in later:           # GRU's n, a rank below: pulled under the end of the row (r, z | n)
                for _ in range(3):          # three: they outweigh its other neighbours in the crossing heuristic
                    scene.edge(row[-1], node_id, style="invis", weight="10")

    # ------------------------------------------------------------------ edges
    if collapsed:
        recurrent = _collapsed_edges(scene, graph, plan, step, shared)
    else:
        recurrent = _expanded_edges(scene, graph, step, shared, kept, cell, cell_path, color_by, step_cluster)
    anchors = ts.anchors(scene, graph, step, plan.box_of if collapsed else None, state)
    ts.order_steps(scene, step, anchors, plan.box_of if collapsed else None)
    cuts = ts.cuts(scene, graph, step, anchors)

    # ------------------------------------------------------------------ caption
    lines = [f"<b>{escape(title)}</b>"] if title else []
    steps = sorted(set(step.values()), key=lambda s: (scopes.lane_sort_key(s.lane), s.t))
    lines.append(escape(f"backpropagation through time · {len({s.t for s in steps})} time steps, {len(lanes)} "
                        f"layer/direction lane(s) · {len(graph.values())} values, {len(graph.ops())} ops"))
    has_cell = not collapsed and any(n.name == cell and n.id in step for n in graph.values())   # green: expanded only
    lines.append(f'<font color="{RECURRENT_H}">thick blue: the recurrent path into step t</font>'
                 + (f' · <font color="{RECURRENT_C}">thick green: the cell state c</font>' if has_cell else "")
                 + (f' · <font color="{ts.CUT}">red cut: truncated, no gradient crosses</font>' if cuts else ""))
    if detail == "named" and not collapsed:
        lines.append(escape("inside a step: named values only; an arrow's label lists the ops it stands for "
                            "(⊙ multiply, + add, σ sigmoid); detail='full' draws every op"))
    if not state_norms:
        lines.append(escape(f"no value named {state!r} in the steps: pass state=... to label |∂L/∂state_t|"))
    elif not reached:
        lines.append(escape(f"|∂L/∂{state}_t| n/a: the gradient was not kept; run forward and backward inside "
                            "tg.watch()"))
    elif any(v is None for v in state_norms.values()):
        lines.append(escape(f"|∂L/∂{state}_t| none reaches it: no path from the loss back to that step"))
    if shared:
        items = ", ".join(short(ts.shared_name(graph, i), 30) + (f" |grad| {fmt_norm(norm(graph.node(i).grad))}"
                                                                if graph.node(i).grad is not None else "")
                          for i in list(shared)[:6])
        how = "arrows omitted" if collapsed else "a dashed copy in each step"
        lines.append(escape(f"used by every step ({how}): {items}"))
    if too_many:
        note = (f"{too_many:,} nodes are more than max_nodes={max_nodes}: each time step drawn as one box "
                "(pass a larger max_nodes to draw them in full)")
        lines.append(f'<font color="#b03a2e">{escape(note)}</font>')
    if plan.pruned:
        note = f"still too many: the {plan.pruned:,} nodes farthest from the output drawn as one box"
        lines.append(f'<font color="#b03a2e">{escape(note)}</font>')
    legend_rows = legend_cells() if legend and color_by else ""
    info = {"graph_nodes": len(graph.nodes), "steps": len(steps), "lanes": len(lanes), "recurrent_edges": recurrent,
            "cuts": cuts, "collapse": plan.mode, "auto_collapsed": bool(too_many), "detail": detail,
            "state_norms": {(s.lane, s.t): v for s, v in state_norms.items()}}
    return scene.emit(caption(lines, legend_rows), rankdir=rankdir, info=info)


_SYMBOL = {"Mul": "⊙", "Add": "+", "Sub": "−", "Div": "÷", "Sigmoid": "σ", "Tanh": "tanh", "ReLU": "relu",
           "Neg": "−", "Affine": "Affine", "MatMul": "@"}


def _op_symbol(graph, op) -> str:
    if op.op == "GetItem":
        return op_title(op)[len("GetItem "):]
    return _SYMBOL.get(op.op, op.op)


def _expanded_edges(scene, graph, step, shared, kept, cell, cell_path, color_by, step_cluster):
    recurrent = 0
    for n in graph.nodes:
        if n.id not in kept:
            continue
        sv = None if n.id in shared else step.get(n.id)
        for src_id, path in ts.sources(graph, n.id, kept).items():
            src = graph.node(src_id)
            u = src_id
            label = " → ".join(_op_symbol(graph, op) for op in path) if path and n.kind == "value" else ""
            if src_id in shared and sv is not None:        # a parameter every step uses: a copy in this step
                u = f"ghost:{src_id}:{sv.key}"
                if u not in scene.nodes:
                    here = _reaching(graph, src, path)
                    fill = grad_color(norm(src.grad) if here is None else here) if color_by else "#ffffff"
                    scene.node(u, "ghost", src.name or "shared", _ghost_label(graph, src_id, here), step_cluster(sv),
                               shape="box", style="dashed,filled,rounded", fillcolor=fill,
                               fontcolor=look.font_color(fill), color="#7a7a7a", fontsize="8")
                # only the op the shared value enters: a step has one such arrow per shared value, side by side, and
                # whole op paths on each ran into one another ("[0] → Affine Affine")
                first = _op_symbol(graph, path[0]) if path and n.kind == "value" else ""
                scene.edge(u, n.id, color="#9a9a9a", style="dashed", label=escape(first) if first else None,
                           fontcolor="#7a7a7a")
                continue
            su = None if src_id in shared else step.get(src_id)
            attrs = {"color": FORWARD_EDGE}
            if label:
                attrs.update(label=escape(label), fontcolor="#555555")
            if su is not None and sv is not None and su.lane == sv.lane and su.t != sv.t:
                recurrent += 1
                on_cell = src.name == cell or src_id in cell_path
                color = RECURRENT_C if on_cell else RECURRENT_H
                attrs = {"color": color, "penwidth": "3", "fontcolor": color, "weight": "8" if on_cell else "4",
                         "label": _beside_thick(escape(f"{src.name or ''}{': ' + label if label else ''}"))}
            elif src_id in cell_path and n.id in cell_path:
                attrs = {"color": RECURRENT_C, "penwidth": "2", "weight": "8"}
            scene.edge(u, n.id, **attrs)
    return recurrent


GATHER = 4      # a node outside the steps fed by this many steps or more (a Stack of every h_t) gets one arrow


def _collapsed_edges(scene, graph, plan, step, shared):
    unit = lambda i: plan.box_of.get(i, i)   # noqa: E731
    crossing, recurrent = {}, 0
    for e in graph.edges:
        u, v = unit(e.src), unit(e.dst)
        if u == v or e.src in shared:
            continue
        src = graph.node(e.src)
        crossing.setdefault((u, v), []).append(src.name or "")
    feeders, fed = {}, {}
    is_step = lambda key: key.startswith("box:") and scopes.step_of(key[4:]) is not None   # noqa: E731
    for u, v in crossing:
        if is_step(u) and not is_step(v):
            feeders.setdefault(v, []).append(u)
        if is_step(v) and not is_step(u):
            fed.setdefault(u, []).append(v)
    # long arrows from every step into one node (a Stack of every h_t), or from one node into every step (the
    # boxes of earlier nodes): Graphviz's layout would crawl, so one arrow stands for them all
    for v, us in feeders.items():
        if len(us) >= GATHER:
            for u in us[:-1]:
                del crossing[(u, v)]
            crossing[(us[-1], v)] = [f"… and {len(us) - 1} more steps"]
    for u, vs in fed.items():
        if len(vs) >= GATHER:
            for v in vs[1:]:
                del crossing[(u, v)]
            crossing[(u, vs[0])] = [f"… and {len(vs) - 1} more steps"]
    for (u, v), names in crossing.items():
        su, sv = scopes.step_of(u[4:]) if u.startswith("box:") else None, \
            scopes.step_of(v[4:]) if v.startswith("box:") else None
        attrs = {"color": FORWARD_EDGE}
        if names and names[0].startswith("… and"):
            attrs["label"] = escape(names[0])
        if su is not None and sv is not None and su.lane == sv.lane and su.t != sv.t:
            recurrent += 1
            attrs = {"color": RECURRENT_H, "penwidth": "3", "fontcolor": RECURRENT_H, "weight": "4",
                     "label": _beside_thick(escape(", ".join(n for n in dict.fromkeys(names) if n)))}
        scene.edge(u, v, **attrs)
    return recurrent


# ---------------------------------------------------------------------------------------------- helpers
def _beside_thick(label: str) -> str:
    """A thick edge's label, pushed clear of the line: Graphviz starts the label where a thin line would end, so a
    3-point pen covers its first letter ('h: Affine' read as 'n: Affine')."""
    return "\u00a0\u00a0" + label if label else label


def _lane_group(name, s) -> str:
    """Graphviz keeps the edges between nodes of one group straight: one group per state and lane."""
    return "lane_" + ident(f"{name}_{s.lane}", 60)


MOVES = ("GetItem", "Reshape", "Permute", "Squeeze", "Unsqueeze")     # ops that only move entries


def _reaching(graph, src, path):
    """|grad| that reached this step from a shared value: the gradient of the first op after it, when that op only
    moves entries (x[t], a reshape), so it is the shared value's gradient restricted to this step; 0 when the
    backward pass never reached that op (a truncated step), whatever the op; None when it cannot be told apart (a
    weight's share of its total in a step the gradient reached, or no gradient kept)."""
    if not path or src.grad is None:
        return None
    outs = graph.consumers_of(path[0].id)
    if not outs:
        return None
    if outs[0].grad is None:                       # gradients were kept, and none reached this op: nothing flowed
        return 0.0
    return norm(outs[0].grad) if path[0].op in MOVES else None


def _ghost_label(graph, node_id, here=None) -> str:
    """A shared value's copy in a step: its name, and the gradient that reached it in this step (`here`) or, when
    that is not known, its total gradient over every step."""
    n = graph.node(node_id)
    text = f"<b>{escape(short(ts.shared_name(graph, node_id).rsplit('.', 1)[-1], 28))}</b>"
    if here is not None:
        return text + f'<br/><font point-size="8">|grad| {escape(fmt_norm(here))} in this step</font>'
    g = norm(n.grad)
    return text + (f'<br/><font point-size="8">|grad| {escape(fmt_norm(g))} (all steps)</font>' if g is not None
                   else "")

