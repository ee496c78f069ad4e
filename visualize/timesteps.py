"""The time steps of an unrolled recurrence, for the BPTT view: which step each node belongs to, what is shared
by every step, where the cell state runs, how the steps are kept in order, and where BPTT was truncated.

A node's step is the first 't=K' component of its scope (scopes.step_of).  Leaves and slices made outside the time
loop join the one step that uses them (absorb); values several steps use are shared (a parameter, the input
projection x W_ih of every step at once).
"""

from __future__ import annotations

from collections import deque

from . import scopes
from .derivatives import expression
from .labels import escape
from .summary import norm

CUT = "#d62728"


def kept_nodes(graph, step, shared, roots, detail):
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


def sources(graph, node_id, kept):
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


def shared_name(graph, node_id) -> str:
    """A shared value's name, or how it was made ('bias_ih_l0 + bias_hh_l0')."""
    n = graph.node(node_id)
    if n.name:
        return n.name
    producer = graph.inputs_of(node_id)
    if producer and all(x.name for x in graph.inputs_of(producer[0].id)):
        names = [x.name.rsplit(".", 1)[-1] for x in graph.inputs_of(producer[0].id)]
        return expression(producer[0].op, names)
    return f"{producer[0].op} {n.shape}" if producer else f"input {n.shape}"


def absorb(graph, step):
    """Nodes outside every step whose uses all lie in one step join it (x_t slices, initial states, a cell's own
    parameters): consumers first, so a chain of them is absorbed whole."""
    for n in reversed(graph.nodes):
        if n.id in step:
            continue
        homes = {step.get(c.id) for c in graph.consumers_of(n.id)}
        if len(homes) == 1 and None not in homes:
            step[n.id] = homes.pop()


def absorb_into_boxes(graph, box_of):
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


def shared_values(graph, step, box_of):
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


def state_norms(graph, step, state):
    """{Step: ‖∂L/∂state‖ (None when not kept)} from the last value named `state` in each step."""
    found = {}
    for n in graph.nodes:
        if n.kind == "value" and n.name == state and n.id in step:
            found[step[n.id]] = n
    return {s: norm(n.grad) for s, n in found.items()}


def cell_path(graph, step, cell):
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


def anchors(scene, graph, step, box_of, state):
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


def recurrence_order(steps_of_lane, lane):
    """A lane's steps in the order the recurrence runs (a reverse direction runs from the last step down)."""
    return sorted(steps_of_lane, key=lambda s: -s.t if scopes.is_reverse(lane) else s.t)


def order_steps(scene, step, anchors, box_of):
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
        ordered = recurrence_order(steps, lane)
        for prev, nxt in zip(ordered, ordered[1:]):
            for key in starts.get(nxt, ()):
                scene.edge(anchors[prev][0], key, style="invis")


def cuts(scene, graph, step, anchor):
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


def _last_axis_start(graph, op):
    """Where a GetItem's slice of the last axis starts (z[..., 4:8] -> 4), or None when it indexes otherwise."""
    index = op.params.get("index")
    if not isinstance(index, tuple) or not index or not isinstance(index[-1], slice):
        return None
    if any(not (k is Ellipsis or k == slice(None)) for k in index[:-1]):
        return None
    src = graph.inputs_of(op.id)
    size = src[0].shape[-1] if src and src[0].shape else None
    start = index[-1].start or 0
    return start % size if size and start < 0 else start


def _gate_start(graph, step, node_id, names):
    """The last-axis slice a named value is cut from (an LSTM's i from z[..., :H]): the first GetItem met walking
    up its own step, not through another named value.  None when there is no such slice (c, h, the gates' z)."""
    here = step.get(node_id)
    queue, seen = deque(graph.inputs_of(node_id)), set()
    while queue:
        x = queue.popleft()
        if x.id in seen or step.get(x.id) != here or x.id in names:
            continue
        seen.add(x.id)
        if x.kind == "op" and x.op == "GetItem":
            start = _last_axis_start(graph, x)
            if start is not None:
                return start
            continue
        queue.extend(graph.inputs_of(x.id))
    return None


def gate_rows(graph, step, kept):
    """Per step, the drawn gates in the order of their blocks in the pre-activation: the named values each cut
    from a slice of the last axis (LSTM i, f, g, o; GRU r, z, n).  Returns [(row, later)]: `row` the gates no
    other gate feeds, to keep side by side in this order; `later` those computed from another gate (GRU's n, from
    r), which belong a rank below.  Steps with fewer than two gates give nothing."""
    names = {n.id for n in graph.nodes if n.kind == "value" and n.name and n.id in kept and n.id in step}
    gates = {}
    for node_id in names:
        start = _gate_start(graph, step, node_id, names)
        if start is not None:
            gates.setdefault(step[node_id], []).append((start, graph.node(node_id).name, node_id))
    rows = []
    for s in sorted(gates, key=lambda s: (scopes.lane_sort_key(s.lane), s.t)):
        ordered = [node_id for _, _, node_id in sorted(gates[s])]
        row = [node_id for node_id in ordered if not _fed_by_any(graph, step, node_id, set(ordered) - {node_id})]
        if len(row) >= 2:
            rows.append((row, [node_id for node_id in ordered if node_id not in row]))
    return rows


def _fed_by_any(graph, step, node_id, others):
    """Whether a value of `others` lies upstream of node_id within its step."""
    here = step.get(node_id)
    stack, seen = list(graph.inputs_of(node_id)), set()
    while stack:
        x = stack.pop()
        if x.id in others:
            return True
        if x.id in seen or step.get(x.id) != here:
            continue
        seen.add(x.id)
        stack.extend(graph.inputs_of(x.id))
    return False
