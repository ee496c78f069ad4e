"""Collapse: which nodes of a graph become one box, and what to do when a graph is too big to draw.

    collapse="module"   one box per module (a layer, or a whole recurrent layer)
    collapse="time"     one box per time step of an unrolled recurrence (per layer and direction)
    collapse=2          one box per scope, scopes cut to their first 2 components

A box keeps the edges that cross it (its inputs and outputs) and absorbs the parameters only it uses and the
constants of its ops.  Above max_nodes, `plan` collapses automatically (modules, then time steps, then coarser
scopes) and, if that is still too many, draws the max_nodes nodes nearest the outputs and puts everything
earlier in one box.  Node count is not all that slows Graphviz down: an edge spanning k ranks costs k virtual
nodes (a weight shared by 300 time-step boxes, a Stack gathering them), so the picture is also pruned until the
summed rank span of its edges is under SPAN_BUDGET.  Everything here is linear in the graph's size: a 10,000-node
graph never hangs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from . import scopes

AUTO_ORDER = ("module", "time", 3, 2, 1)
EARLIER = "box:…"          # the box of everything pruned
SPAN_BUDGET = 4000         # summed rank span of the drawn edges: Graphviz lays this out in a second or two


@dataclass
class Plan:
    mode: object = None                    # None, "module", "time" or a depth
    box_of: dict = field(default_factory=dict)     # node id -> box id ("box:<scope>" or EARLIER)
    auto: bool = False
    pruned: int = 0                        # graph nodes in the EARLIER box
    total: int = 0                         # graph nodes
    units: int = 0                         # picture nodes: boxes + nodes left as they are
    span_pruned: bool = False              # pruned below max_nodes to keep the layout fast (SPAN_BUDGET)

    def boxes(self):
        """{box id: [node ids]} in graph order."""
        out: dict = {}
        for node_id, box in self.box_of.items():
            out.setdefault(box, []).append(node_id)
        return out

    def note(self, max_nodes) -> str:
        """The caption's sentence on what was collapsed or left out, '' when the picture is complete."""
        if not self.auto and not self.pruned:
            return ""
        if self.total > max_nodes:
            text = f"{self.total:,} nodes are more than max_nodes={max_nodes}: "
        else:
            text = (f"{self.total:,} nodes with long edges (a weight or a Stack shared by many steps), slow to lay "
                    "out: ")
        if self.auto and self.mode is not None:
            text += f"collapsed by {describe(self.mode)} "
        if self.pruned:
            text += (f"{'and ' if self.auto and self.mode is not None else ''}the {self.pruned:,} nodes farthest "
                     "from the output drawn as one box ")
        return text + f"({self.units} drawn). Pass collapse=... or a larger max_nodes to see more."


def describe(mode) -> str:
    if mode == "time":
        return "time step"
    if mode == "module":
        return "module"
    return f"scope depth {mode}"


def group(graph, mode) -> dict:
    """{node id: 'box:<key>'} for the nodes that `mode` collapses (validated by scopes.key_function)."""
    key_of = scopes.key_function(mode)
    box_of = {}
    cache: dict = {}
    for n in graph.nodes:
        if n.kind == "value" and n.is_leaf:
            continue
        if n.scope not in cache:
            k = key_of(n.scope)
            cache[n.scope] = None if k is None else "box:" + k
        if cache[n.scope] is not None:
            box_of[n.id] = cache[n.scope]
    for n in graph.nodes:                  # a parameter used inside one box only belongs to it
        if n.kind == "value" and n.is_leaf and n.is_parameter:
            homes = {box_of.get(c.id) for c in graph.consumers_of(n.id)}
            if len(homes) == 1 and None not in homes:
                box_of[n.id] = homes.pop()
    return box_of


def count_units(graph, box_of) -> int:
    return len({box_of.get(n.id, n.id) for n in graph.nodes})


def prune(graph, box_of, keep) -> tuple:
    """Keep the `keep` picture nodes nearest the roots (breadth first, against the edges); the rest -> EARLIER.
    Returns (new box_of, number of graph nodes pruned)."""
    unit = lambda node_id: box_of.get(node_id, node_id)   # noqa: E731
    feeders: dict = {}
    for e in graph.edges:
        s, d = unit(e.src), unit(e.dst)
        if s != d:
            feeders.setdefault(d, []).append(s)
    queue = deque(dict.fromkeys(unit(r) for r in graph.roots))
    kept, seen = [], set(queue)
    while queue and len(kept) < keep:
        u = queue.popleft()
        kept.append(u)
        for f in feeders.get(u, ()):
            if f not in seen:
                seen.add(f)
                queue.append(f)
    kept = set(kept)
    out, pruned = {}, 0
    for n in graph.nodes:
        u = unit(n.id)
        if u in kept:
            if u != n.id:
                out[n.id] = u
        else:
            out[n.id] = EARLIER
            pruned += 1
    return out, pruned


def span_cost(graph, box_of) -> int:
    """The summed rank span of the picture's edges (each drawn once), ranks by longest path: about how many
    virtual nodes Graphviz's layout will handle."""
    unit = lambda node_id: box_of.get(node_id, node_id)   # noqa: E731
    rank, fed, edges = {}, set(), {}
    for n in graph.nodes:                  # inputs before outputs: longest path from the sources
        u = unit(n.id)
        r = rank.get(u, 0)
        for e in graph.in_edges(n.id):
            s = unit(e.src)
            if s != u:
                r = max(r, rank.get(s, 0) + 1)
                fed.add(u)
                edges[(s, u)] = True
        rank[u] = r
    first_use = {}
    for s, d in edges:                     # a source sits just before its first consumer, as Graphviz puts it
        if s not in fed:
            first_use[s] = min(first_use.get(s, rank[d]), rank[d])
    for s, r in first_use.items():
        rank[s] = r - 1
    return sum(max(1, abs(rank[d] - rank[s])) for s, d in edges)


def plan(graph, collapse=None, max_nodes=500, span_budget=SPAN_BUDGET) -> Plan:
    """What to collapse: `collapse` when given, else nothing unless the graph has more than max_nodes nodes, then
    the first mode of AUTO_ORDER that fits.  span_budget: prune further until span_cost is under it (None: no
    limit)."""
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 2:
        raise ValueError(f"max_nodes must be an int >= 2, got {max_nodes!r}")
    total = len(graph.nodes)
    result = Plan(total=total)
    if collapse is not None:
        result.mode, result.box_of = collapse, group(graph, collapse)
    elif total > max_nodes:
        result.auto = True
        best = None
        for mode in AUTO_ORDER:
            box_of = group(graph, mode)
            if not box_of:
                continue
            units = count_units(graph, box_of)
            if best is None or units < best[2]:
                best = (mode, box_of, units)
            if units <= max_nodes:
                best = (mode, box_of, units)
                break
        if best is not None:
            result.mode, result.box_of = best[0], best[1]
    result.units = count_units(graph, result.box_of)
    keep = max_nodes - 1 if result.units > max_nodes else None
    grouped = result.box_of
    while True:
        if keep is not None:
            result.box_of, result.pruned = prune(graph, grouped, keep)
            result.units = count_units(graph, result.box_of)
        if span_budget is None or result.units <= 8 or span_cost(graph, result.box_of) <= span_budget:
            return result
        keep = (keep or result.units) // 2
        result.span_pruned = True
