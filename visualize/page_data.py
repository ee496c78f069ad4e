"""What an interactive page shows, computed in Python when the page is built: nodes, clusters and the steps.

    data = page_data.build(graph, stepper)      # a dict that becomes the page's JSON

Steps: step 0 is nothing done; then one step per op of the forward pass (inputs before outputs), then one per
op of the backward pass in the engine's order (visualize.Stepper: the upstream gradient, each input's local
derivative and product, the running sum when a value is reached by several paths).  Every number comes from
the Stepper (scalar mode: the op's local derivative; tensor mode: the op's own backward through graph.vjp),
never from the page's script.  Gradients are shown as a signed number for a scalar and as a norm (with a few
entries, matrices as rows) for a tensor; None (JSON null) means "not computed yet", which is not 0.
"""

from __future__ import annotations

import math

import numpy as np

from . import scopes
from .colors import font_color, grad_color
from .labels import display_names, op_title
from .summary import fmt, norm, num

PREVIEW_ROWS, PREVIEW_COLS = 4, 6


def rows(value) -> list:
    """A few entries of a value as lines of text: a scalar as one line, a vector as one row, a matrix as up to
    4 rows of up to 6 entries, higher ranks as the last two axes of the first slice (said in the first line)."""
    if value is None:
        return []
    if isinstance(value, (float, int, np.floating, np.integer)) or np.ndim(value) == 0:
        return [num(float(value))]
    a = np.asarray(value)
    if a.dtype.kind not in "fiub":
        return [str(a.dtype)]
    head = []
    if a.ndim > 2:
        head = [f"[{', '.join('0' for _ in range(a.ndim - 2))}, :, :] of {tuple(a.shape)}"]
        a = a[(0,) * (a.ndim - 2)]
    if a.ndim == 1:
        a = a[None, :]
    out = []
    for r in a[:PREVIEW_ROWS]:
        cells = [fmt(float(v)) for v in r[:PREVIEW_COLS]]
        out.append("[" + ", ".join(cells) + (", …" if r.shape[0] > PREVIEW_COLS else "") + "]")
    if a.shape[0] > PREVIEW_ROWS:
        out.append(f"… {a.shape[0] - PREVIEW_ROWS} more rows")
    return head + out


def size(value) -> float | None:
    """The number a page shows for a gradient: the value itself for a scalar, the L2 norm for a tensor."""
    if value is None:
        return None
    if isinstance(value, (float, int, np.floating, np.integer)) or np.ndim(value) == 0:
        x = float(value)
    else:
        x = norm(value)
    return x


def text(value) -> str:
    """A gradient as a panel writes it: '6.0', or '|g| 0.031 (3, 2)' for a tensor; 'not computed yet' for None."""
    if value is None:
        return "not computed yet"
    if isinstance(value, (float, int, np.floating, np.integer)) or np.ndim(value) == 0:
        return num(float(value))
    return f"|g| {fmt(norm(value))} {tuple(np.shape(value))}"


def _json_number(x):
    """JSON has no NaN or infinity: they travel as strings the page prints."""
    if x is None or (isinstance(x, float) and math.isfinite(x)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else str(x)


def _grad_entry(value):
    """What a node shows for its gradient so far: [signed number or norm, its fill color, preview lines, the text
    color readable on that fill]."""
    s = size(value)
    fill = grad_color(abs(s)) if s is not None else None
    return [_json_number(s), fill, rows(value), font_color(fill) if fill else "#000000"]


def _node(graph, n, names):
    entry = {"kind": n.kind, "scope": n.scope, "name": names.get(n.id, "")}
    if n.kind == "op":
        entry["title"] = op_title(n, graph.inputs_of(n.id))
        return entry
    entry.update(shape=list(n.shape) if n.shape is not None else None, dtype=n.dtype, data=rows(n.data))
    if n.kind == "value":
        entry.update(leaf=n.is_leaf, parameter=n.is_parameter, requires_grad=n.requires_grad,
                     named=bool(n.name))
    return entry


def short_ids(graph) -> dict:
    """{node id: a short id for the page ("n0", "n1", ...)}: the engine's ids are long and repeated in the SVG
    and the data of every step."""
    return {n.id: f"n{k}" for k, n in enumerate(graph.nodes)}


def homes(graph) -> dict:
    """{node id: the cluster path it is drawn in}: the scope it was made in; a module's parameter (made outside any
    scope, named "conv1.weight") goes to its module's cluster ("conv1"), so closing a layer closes its weights."""
    used = {p for n in graph.nodes for p in scopes.ancestors(n.scope)}
    out = {}
    for n in graph.nodes:
        home = n.scope
        if not home and n.kind == "value" and n.is_parameter and n.name and "." in n.name:
            module = n.name.rsplit(".", 1)[0].replace(".", "/")
            home = module if module in used else ""
        out[n.id] = home
    return out


def _clusters(graph, sid):
    """{scope path: {label, parent, members}} for every scope (and its ancestors) a node is drawn in (see homes);
    members are all (short) node ids inside, nested scopes included."""
    clusters, home = {}, homes(graph)
    for n in graph.nodes:
        for path in scopes.ancestors(home[n.id]):
            c = clusters.setdefault(path, {"label": path.rsplit("/", 1)[-1], "members": []})
            c["parent"] = path.rsplit("/", 1)[0] if "/" in path else None
            c["members"].append(sid[n.id])
    return clusters


def default_collapsed(clusters, nodes, limit) -> list:
    """Above `limit` nodes, the clusters to show closed: the innermost ones (a layer, a time step), or their
    parents while that still leaves more than `limit` units on screen."""
    if nodes <= limit or not clusters:
        return []
    level = [k for k in clusters if not any(c.get("parent") == k for c in clusters.values())]
    while True:
        inside = len({m for k in level for m in clusters[k]["members"]})
        units = nodes - inside + len(level)
        parents = sorted({clusters[k]["parent"] for k in level if clusters[k]["parent"]})
        if units <= limit or not parents:
            return sorted(level)
        # close the parents instead of their children (children without a parent stay closed)
        level = parents + [k for k in level if clusters[k]["parent"] is None]


def _forward_steps(graph, names, expressions, sid):
    steps = []
    for op in graph.ops():
        outs = graph.consumers_of(op.id)
        if not outs:
            continue
        out = outs[0]
        inputs = graph.inputs_of(op.id)
        panel = {"phase": "forward", "op": op_title(op, inputs), "output": names.get(out.id, "?"),
                 "expression": expressions.get(op.id, ""),
                 "inputs": [{"name": names.get(x.id, "?"), "value": rows(x.data)} for x in inputs],
                 "value": rows(out.data)}
        if out.shape is None:
            panel["number"] = _json_number(float(out.data))
        steps.append({"node": sid[op.id], "output": sid[out.id], "inputs": [sid[x.id] for x in inputs],
                      "panel": panel, "reveal": [sid[out.id]], "grads": {}})
    return steps


def _backward_steps(stepper, root_id, sid):
    steps = []
    for k, step in enumerate(stepper.steps):
        grads, terms = {}, []
        if k == 0:
            grads[root_id] = _grad_entry(stepper.seed)
        for t in step.terms:
            terms.append({"input": t.input, "formula": t.formula, "local": _json_number(t.local),
                          "product": _json_number(size(t.product)), "product_text": text(t.product),
                          "before": _json_number(size(t.before)), "before_text": text(t.before),
                          "after": _json_number(size(t.after)), "after_text": text(t.after),
                          "accumulates": t.before is not None})
            grads[sid[t.input_id]] = _grad_entry(t.after)
        panel = {"phase": "backward", "op": step.op, "output": step.output, "expression": step.expression,
                 "upstream": _json_number(size(step.upstream)), "upstream_text": text(step.upstream),
                 "terms": terms}
        steps.append({"node": sid[step.op_id], "output": sid[step.output_id],
                      "inputs": [sid[t.input_id] for t in step.terms],
                      "panel": panel, "reveal": [], "grads": grads})
    return steps


def _kept(graph, sid):
    """No replay possible (backward() already ran and freed what the ops saved): one last step showing the gradients
    backward() kept (leaves, retain_grad() tensors, every node inside tg.watch()), or nothing when none was kept."""
    grads = {sid[n.id]: _grad_entry(n.grad) for n in graph.values() if n.grad is not None and n.requires_grad}
    if not grads:
        return []
    root = graph.node(graph.roots[0])
    panel = {"phase": "backward", "op": "backward() already ran", "output": names_of_root(graph),
             "expression": "", "upstream": None, "upstream_text": "not replayed",
             "terms": [], "kept": len(grads),
             "note": "the gradients backward() kept, all at once: build the page before backward() (or call "
                     "backward(retain_graph=True)) to step through the backward pass op by op"}
    return [{"node": sid[root.id], "output": sid[root.id], "inputs": [], "panel": panel, "reveal": [],
             "grads": grads}]


def names_of_root(graph) -> str:
    return display_names(graph).get(graph.roots[0], "the output")


def build(graph, stepper=None, title=None, note=None, collapse_above=300) -> dict:
    """The page's data.  stepper: a visualize.Stepper of the graph's root, or None (forward steps only; `note`
    says why, e.g. the values were freed by backward())."""
    names = display_names(graph)
    expressions = {s.op_id: s.expression for s in stepper.steps} if stepper is not None else {}
    sid = short_ids(graph)
    nodes = {sid[n.id]: _node(graph, n, names) for n in graph.nodes}
    clusters = _clusters(graph, sid)
    forward = _forward_steps(graph, names, expressions, sid)
    backward = _backward_steps(stepper, sid[graph.roots[0]], sid) if stepper is not None else _kept(graph, sid)
    # the values a state() reports: named values, keyed by name (a repeated name gets "#2", "#3")
    named, seen = {}, {}
    for n in graph.values():
        if n.name:
            seen[n.name] = seen.get(n.name, 0) + 1
            named[sid[n.id]] = n.name if seen[n.name] == 1 else f"{n.name}#{seen[n.name]}"
    collapsed = default_collapsed(clusters, len(graph.nodes), collapse_above)
    return {"title": title or "", "note": note or "", "scalar": all(n.shape is None for n in graph.values()),
            "nodes": nodes, "clusters": clusters, "collapsed": collapsed, "named": named,
            "roots": [sid[r] for r in graph.roots], "forward": len(forward), "steps": forward + backward,
            "collapse_note": (f"{len(graph.nodes):,} nodes: {len(collapsed)} groups start closed; click a group "
                              "to open it" if collapsed else "")}
