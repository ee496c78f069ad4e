"""draw_bptt(): an unrolled RNN/LSTM/GRU, one cluster per time step, laid out along time.

    with tg.watch():                       # keep ∂L/∂h_t of every step
        out, (h, c) = lstm(x)
        loss = head(out[-1]).sum()
        loss.backward()
    dot = visualize.draw_bptt(loss)

What it shows: a cluster per time step inside a cluster per layer and direction ("lstm · layer 0 · reverse"),
each labelled with ‖∂L/∂h_t‖; the recurrent path (edges from step t-1 into step t) thick blue, an LSTM's cell
state path thick green and kept straight as its own lane; parameters every step uses drawn as a small dashed
copy inside each step (one shared node would pull long edges across the picture); a truncation boundary
(two neighbouring steps with no edge between them, as after `detach()`) drawn as a red cut.  Time steps are
the scopes "t=0", "t=1", ... that nn.RNN/LSTM/GRU push, or that your own loop pushes with tg.scope(f"t={t}").
Too many nodes: each step becomes one box (collapse="time", automatic above max_nodes).
"""

from __future__ import annotations

from collections import deque

from tinygrad_edu import graph as tg_graph

from . import collapse as collapse_mod
from . import nodes as look
from . import scopes
from .colors import FORWARD_EDGE, RECURRENT_C, RECURRENT_H, grad_color, legend_cells
from .derivatives import expression
from .draw import add_scope_clusters, check_options, home_scope
from .labels import escape, ident, op_title, short
from .picture import Picture, Scene, caption
from .summary import fmt_norm, norm

CUT = "#d62728"
_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def sub(t) -> str:
    return str(t).translate(_SUB)


def draw_bptt(*roots, state="h", cell="c", detail="named", show=("grad",), color_by="grad", collapse=None,
              max_nodes=600, rankdir=None, title=None, legend=True) -> Picture:
    """The backpropagation-through-time picture of everything the roots were computed from.

    state: the name of the hidden state whose ‖∂L/∂state_t‖ labels each step ("h" for nn.RNN/LSTM/GRU); cell: the
    name of an LSTM's cell state, drawn as its own lane.  detail: "named" (inside a step, only the named values -
    the gates i, f, g, o, c, h or r, z, n - inputs and states, each arrow labelled with the ops it stands for: the
    cell diagram of the notes) or "full" (every op and value).  collapse: None or "time" (one box per step); above
    max_nodes nodes the steps collapse by themselves.  rankdir: the direction time runs in; default "TB" for steps
    drawn in full (each step a band, the cell diagram read top-down) and "LR" for collapsed steps (a row of boxes
    per layer and direction).  A reverse direction's lane runs from its first step, t = T-1, to t = 0.  Other
    options as in draw().
    """
    show = check_options("forward", show, color_by, rankdir or "LR")
    if collapse not in (None, "time"):
        raise ValueError(f"draw_bptt: collapse must be None or 'time', got {collapse!r}")
    if detail not in ("named", "full"):
        raise ValueError(f"draw_bptt: detail must be 'named' or 'full', got {detail!r}")
    graph = tg_graph.trace(*roots)
    step = {n.id: scopes.step_of(n.scope) for n in graph.nodes if not (n.kind == "value" and n.is_leaf)}
    step = {k: v for k, v in step.items() if v is not None}
    if not step:
        raise ValueError("draw_bptt: no time steps in this graph. nn.RNN/LSTM/GRU record each step in a scope "
                         "'t=0', 't=1', ...; in your own loop write `with tg.scope(f't={t}'):` around step t")
    # steps are the unit of collapse here; gathering edges are thinned out below instead of a span budget
    plan = collapse_mod.plan(graph, collapse, max_nodes, span_budget=None, order=("time",))
    collapsed = plan.mode == "time"
    rankdir = rankdir or ("LR" if collapsed else "TB")
    if collapsed:
        _absorb_into_boxes(graph, plan.box_of)
    else:
        _absorb(graph, step)
    shared = _shared(graph, step, plan.box_of if collapsed else None)
    roots = set(graph.roots)
    kept = _kept(graph, step, shared, roots, "full" if collapsed else detail)
    scene = Scene()
    scene.roomy = False                     # steps are kept apart by _order_steps
    lanes = sorted({s.lane for s in step.values()}, key=scopes.lane_sort_key)
    for lane in lanes:
        scene.cluster("lane:" + lane, f"<b>{escape(scopes.lane_title(lane))}</b>", style="rounded", color="#7a7a7a",
                      bgcolor="#fbfbfb")
    state_norms = _state_norms(graph, step, state)
    reached = any(v is not None for v in state_norms.values())

    def step_cluster(s):
        key = "step:" + s.key
        size = state_norms.get(s)
        text = f"<b>t={s.t}</b>"
        if size is not None:
            text += f'  <font color="{RECURRENT_H}">‖∂L/∂{escape(state)}{sub(s.t)}‖ = {escape(fmt_norm(size))}</font>'
        elif s in state_norms:             # kept elsewhere: none reached this step (cut off); else not kept
            text += "  " + escape(f"‖∂L/∂{state}{sub(s.t)}‖ " + ("none reaches it" if reached else "n/a"))
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
            scene.node(n.id, "const", "", look.const_label(n), cluster, shape="plaintext")
        else:
            attrs = look.value_attrs(n, n.grad, color_by, n.id in roots)
            if s is not None and n.name in (state, cell):        # the state lanes stay straight
                attrs["group"] = _lane_group(n.name, s)
            scene.node(n.id, "value", n.name or "", look.value_label(n, show, n.grad, compact=True), cluster, **attrs)
    cell_path = _cell_path(graph, step, cell) if detail == "full" and not collapsed else set()
    for node_id in cell_path:
        s = step[node_id]
        scene.nodes[node_id].attrs["group"] = _lane_group(cell, s)

    # ------------------------------------------------------------------ edges
    if collapsed:
        recurrent = _collapsed_edges(scene, graph, plan, step, shared)
    else:
        recurrent = _expanded_edges(scene, graph, step, shared, kept, cell, cell_path, color_by, step_cluster)
    anchors = _anchors(scene, graph, step, plan.box_of if collapsed else None, state)
    _order_steps(scene, step, anchors, plan.box_of if collapsed else None)
    cuts = _cuts(scene, graph, step, anchors)

    # ------------------------------------------------------------------ caption
    lines = [f"<b>{escape(title)}</b>"] if title else []
    steps = sorted(set(step.values()), key=lambda s: (scopes.lane_sort_key(s.lane), s.t))
    lines.append(escape(f"backpropagation through time · {len({s.t for s in steps})} time steps, {len(lanes)} "
                        f"layer/direction lane(s) · {len(graph.values())} values, {len(graph.ops())} ops"))
    has_cell = any(n.name == cell and n.id in step for n in graph.values())
    lines.append(f'<font color="{RECURRENT_H}">thick blue: the recurrent path into step t</font>'
                 + (f' · <font color="{RECURRENT_C}">thick green: the cell state c</font>' if has_cell else "")
                 + (f' · <font color="{CUT}">red cut: truncated, no gradient crosses</font>' if cuts else ""))
    if detail == "named" and not collapsed:
        lines.append(escape("inside a step: named values only; an arrow's label lists the ops it stands for "
                            "(⊙ multiply, + add, σ sigmoid); detail='full' draws every op"))
    if not state_norms:
        lines.append(escape(f"no value named {state!r} in the steps: pass state=... to label ‖∂L/∂state_t‖"))
    elif not reached:
        lines.append(escape(f"‖∂L/∂{state}_t‖ n/a: the gradient was not kept; run forward and backward inside "
                            "tg.watch()"))
    elif any(v is None for v in state_norms.values()):
        lines.append(escape(f"‖∂L/∂{state}_t‖ none reaches it: no path from the loss back to that step"))
    if shared:
        items = ", ".join(short(_shared_name(graph, i), 30) + (f" ‖grad‖ {fmt_norm(norm(graph.node(i).grad))}"
                                                                if graph.node(i).grad is not None else "")
                          for i in list(shared)[:6])
        how = "arrows omitted" if collapsed else "a dashed copy in each step"
        lines.append(escape(f"used by every step ({how}): {items}"))
    if plan.auto:
        note = f"{plan.total:,} nodes are more than max_nodes={max_nodes}: each time step drawn as one box"
        lines.append(f'<font color="#b03a2e">{escape(note)}</font>')
    legend_rows = legend_cells() if legend and color_by else ""
    info = {"graph_nodes": len(graph.nodes), "steps": len(steps), "lanes": len(lanes), "recurrent_edges": recurrent,
            "cuts": cuts, "collapse": plan.mode, "auto_collapsed": plan.auto, "detail": detail,
            "state_norms": {(s.lane, s.t): v for s, v in state_norms.items()}}
    return scene.emit(caption(lines, legend_rows), rankdir=rankdir, info=info)


_SYMBOL = {"Mul": "⊙", "Add": "+", "Sub": "−", "Div": "÷", "Sigmoid": "σ", "Tanh": "tanh", "ReLU": "relu",
           "Neg": "−", "Affine": "Affine", "MatMul": "@"}


def _op_symbol(graph, op) -> str:
    if op.op == "GetItem":
        return op_title(op)[len("GetItem "):]
    return _SYMBOL.get(op.op, op.op)


def _kept(graph, step, shared, roots, detail):
    """The nodes drawn: everything in "full" detail; in "named" detail, inside steps only values that are named,
    leaves, outputs, or used outside their step (so recurrent and outgoing edges stay visible)."""
    kept = set()
    for n in graph.nodes:
        s = step.get(n.id)
        if n.id in shared or s is None or detail == "full":
            kept.add(n.id)
        elif n.kind == "value" and (n.name or n.is_leaf or n.id in roots
                                    or any(step.get(c.id) != s for c in graph.consumers_of(n.id))):
            kept.add(n.id)
    return kept


def _sources(graph, node_id, kept):
    """The drawn nodes feeding node_id, each with the ops between them (in forward order)."""
    out, seen = {}, set()
    stack = [(x.id, ()) for x in graph.inputs_of(node_id)]
    while stack:
        x_id, path = stack.pop()
        if x_id in kept:
            out.setdefault(x_id, path)
            continue
        if x_id in seen:
            continue
        seen.add(x_id)
        x = graph.node(x_id)
        through = (x,) + path if x.kind == "op" else path
        stack.extend((y.id, through) for y in graph.inputs_of(x_id))
    return out


def _expanded_edges(scene, graph, step, shared, kept, cell, cell_path, color_by, step_cluster):
    recurrent = 0
    for n in graph.nodes:
        if n.id not in kept:
            continue
        sv = None if n.id in shared else step.get(n.id)
        for src_id, path in _sources(graph, n.id, kept).items():
            src = graph.node(src_id)
            u = src_id
            label = " → ".join(_op_symbol(graph, op) for op in path) if path and n.kind == "value" else ""
            if src_id in shared and sv is not None:        # a parameter every step uses: a copy in this step
                u = f"ghost:{src_id}:{sv.key}"
                if u not in scene.nodes:
                    fill = grad_color(norm(src.grad)) if color_by else "#ffffff"
                    scene.node(u, "ghost", src.name or "shared", _ghost_label(graph, src_id), step_cluster(sv),
                               shape="box", style="dashed,filled,rounded", fillcolor=fill,
                               fontcolor=look.font_color(fill), color="#7a7a7a", fontsize="8")
                scene.edge(u, n.id, color="#9a9a9a", style="dashed", label=escape(label) if label else None,
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
                         "label": escape(f"{src.name or ''}{': ' + label if label else ''}")}
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
                     "label": escape(", ".join(n for n in dict.fromkeys(names) if n))}
        scene.edge(u, v, **attrs)
    return recurrent


# ---------------------------------------------------------------------------------------------- helpers
def _lane_group(name, s) -> str:
    """Graphviz keeps the edges between nodes of one group straight: one group per state and lane."""
    return "lane_" + ident(f"{name}_{s.lane}", 60)


def _shared_name(graph, node_id) -> str:
    """A shared value's name, or how it was made ('bias_ih_l0 + bias_hh_l0')."""
    n = graph.node(node_id)
    if n.name:
        return n.name
    producer = graph.inputs_of(node_id)
    if producer and all(x.name for x in graph.inputs_of(producer[0].id)):
        names = [x.name.rsplit(".", 1)[-1] for x in graph.inputs_of(producer[0].id)]
        return expression(producer[0].op, names)
    return f"{producer[0].op} {n.shape}" if producer else f"input {n.shape}"


def _ghost_label(graph, node_id) -> str:
    n = graph.node(node_id)
    text = f"<b>{escape(short(_shared_name(graph, node_id).rsplit('.', 1)[-1], 28))}</b>"
    g = norm(n.grad)
    return text + (f'<br/><font point-size="8">‖grad‖ {escape(fmt_norm(g))}</font>' if g is not None else "")


def _absorb(graph, step):
    """Nodes outside every step whose uses all lie in one step join it (x_t slices, initial states, a cell's own
    parameters): consumers first, so a chain of them is absorbed whole."""
    for n in reversed(graph.nodes):
        if n.id in step:
            continue
        homes = {step.get(c.id) for c in graph.consumers_of(n.id)}
        if len(homes) == 1 and None not in homes:
            step[n.id] = homes.pop()


def _absorb_into_boxes(graph, box_of):
    """As _absorb, for step boxes: the slices x[t] and initial states a single step uses join its box; what is
    left between the steps in a scope (a layer's input projection for every step, the Cat and Stack of a
    bidirectional layer's outputs) becomes one box per scope; a parameter used by one box only joins it."""
    roots = set(graph.roots)
    for n in reversed(graph.nodes):
        if n.id in box_of or n.id in roots or n.is_parameter:
            continue
        homes = {box_of.get(c.id) for c in graph.consumers_of(n.id)}
        if len(homes) == 1 and None not in homes:
            box_of[n.id] = homes.pop()
    for n in graph.nodes:
        if n.id not in box_of and n.id not in roots and n.scope and not (n.kind == "value" and n.is_leaf):
            box_of[n.id] = "box:" + n.scope
    for n in graph.nodes:
        if n.id not in box_of and n.kind == "value" and n.is_leaf:
            homes = {box_of.get(c.id) for c in graph.consumers_of(n.id)}
            if len(homes) == 1 and None not in homes:
                box_of[n.id] = homes.pop()


def _shared(graph, step, box_of):
    """Values outside the steps that two or more steps use: drawn once, with a dashed copy in each step (when
    collapsed, without arrows to the step boxes)."""
    out = {}
    for n in graph.nodes:
        if n.kind != "value" or n.id in step or (box_of is not None and n.id in box_of):
            continue
        if box_of is not None:             # collapsed: the step boxes using it (x W_ih of every step, hoisted)
            users = {box_of.get(c.id) for c in graph.consumers_of(n.id)}
        else:
            users = {step.get(c.id) for c in graph.consumers_of(n.id)}
        users.discard(None)
        if len(users) >= 2:
            out[n.id] = True
    return out


def _state_norms(graph, step, state):
    """{Step: ‖∂L/∂state‖ (None when not kept)} from the last value named `state` in each step."""
    found = {}
    for n in graph.nodes:
        if n.kind == "value" and n.name == state and n.id in step:
            found[step[n.id]] = n
    return {s: norm(n.grad) for s, n in found.items()}


def _cell_path(graph, step, cell):
    """Per step, the shortest chain from the incoming cell state to c_t (c_t <- Add <- Mul <- c_{t-1}): the nodes
    drawn as the cell-state lane."""
    path = set()
    for n in graph.nodes:
        if n.kind != "value" or n.name != cell or n.id not in step:
            continue
        here = step[n.id]
        parent = {n.id: None}
        queue = deque([n.id])
        found = None
        while queue and found is None:
            cur = queue.popleft()
            for x in graph.inputs_of(cur):
                if x.id in parent:
                    continue
                parent[x.id] = cur
                sx = step.get(x.id)
                if sx is not None and sx.lane == here.lane and sx.t != here.t:
                    found = cur                       # cur is fed by the previous step's cell state
                    break
                if sx == here and x.kind == "value" and x.is_leaf and not x.is_parameter:
                    found = x.id                      # the initial state, absorbed into the first step
                    break
                if sx == here:
                    queue.append(x.id)
        while found is not None:
            path.add(found)
            found = parent[found]
    return path


def _anchors(scene, graph, step, box_of, state):
    """{Step: (drawn key, node id)}: the node standing for each step (its box, or its state value, else its
    last drawn node)."""
    anchor = {}
    for n in graph.nodes:
        s = step.get(n.id)
        if s is not None:
            key = box_of.get(n.id, n.id) if box_of is not None else n.id
            if key in scene.nodes and (s not in anchor or n.name == state or
                                       graph.node(anchor[s][1]).name != state):
                anchor[s] = (key, n.id)
    return anchor


def _recurrence_order(steps_of_lane, lane):
    """A lane's steps in the order the recurrence runs (a reverse direction runs from the last step down)."""
    return sorted(steps_of_lane, key=lambda s: -s.t if scopes.is_reverse(lane) else s.t)


def _order_steps(scene, step, anchors, box_of):
    """Each step drawn entirely after the previous one (no step cluster overlaps the next in rank, so they sit
    side by side instead of in a staircase): invisible edges from step t's anchor to the nodes step t+1 starts
    from (its inputs, states and parameter copies)."""
    drawn_step = {}
    for key in scene.nodes:
        s = step.get(key)
        if s is None and key.startswith("ghost:"):
            s = scopes.step_of(key.split(":", 2)[2])
        if s is None and key.startswith("box:"):
            s = scopes.step_of(key[4:])
        if s is not None:
            drawn_step[key] = s
    fed = {e.dst for e in scene.edges if drawn_step.get(e.src) is not None
           and drawn_step.get(e.src) == drawn_step.get(e.dst)}
    starts = {}
    for key, s in drawn_step.items():
        if key not in fed:
            starts.setdefault(s, []).append(key)
    by_lane = {}
    for s in anchors:
        by_lane.setdefault(s.lane, []).append(s)
    for lane, steps in by_lane.items():
        ordered = _recurrence_order(steps, lane)
        for prev, nxt in zip(ordered, ordered[1:]):
            for key in starts.get(nxt, ()):
                scene.edge(anchors[prev][0], key, style="invis")


def _cuts(scene, graph, step, anchor):
    """Red cuts between neighbouring steps of a lane that no edge joins (a truncated BPTT boundary)."""
    linked = set()
    for e in graph.edges:
        a, b = step.get(e.src), step.get(e.dst)
        if a is not None and b is not None and a.lane == b.lane and a.t != b.t:
            linked.add((a.lane, a.t, b.t))
    by_lane = {}
    for s in set(step.values()):
        by_lane.setdefault(s.lane, []).append(s.t)
    cuts = 0
    for lane, ts in by_lane.items():
        ts = sorted(ts)
        reverse = scopes.is_reverse(lane)
        for t0, t1 in zip(ts, ts[1:]):
            if t1 != t0 + 1:
                continue
            first, second = (t1, t0) if reverse else (t0, t1)       # in the order the recurrence runs
            if (lane, first, second) in linked:
                continue
            a, b = anchor.get(scopes.Step(lane, t0)), anchor.get(scopes.Step(lane, t1))
            if a is None or b is None:
                continue
            cuts += 1
            scene.edge(a[0], b[0], color=CUT, style="dashed", penwidth="2.5", arrowhead="tee", arrowtail="tee",
                       dir="both", fontcolor=CUT, constraint="false",
                       label=escape(f"✂ truncated between t={t0} and t={t1}: no gradient flows back"))
    return cuts
