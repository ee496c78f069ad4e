"""A picture before it is DOT: nodes, edges and nested clusters (`Scene`), and the Digraph it becomes (`Picture`).

Builders (draw, bptt, the stepper) fill a Scene with HTML-like labels that are already escaped; `Scene.emit`
gives every node a short, readable DOT id ("v3_a", "o4_Mul", "box1_features_0"), writes clusters nested as
the scopes are, and puts the caption and the color legend in the graph's own label (no extra nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz

from .labels import ident
from .rendering import INSTALL_COMMANDS, dot_available

FONT = "Helvetica"
BOX3D_MARGIN = "0.24,0.16"     # inches (x, y): the 3-D box's top face and side take about 0.06 of each


class Picture(graphviz.Digraph):
    """A graphviz.Digraph (render it, pipe it, read `.source`) that also says what it shows in `info` and
    displays itself in a notebook, with the install command instead of a traceback when `dot` is missing."""

    info: dict = {}

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        if not dot_available():
            return {"text/plain": f"<graph of {self.info.get('nodes', '?')} nodes: Graphviz's dot is not installed "
                                  f"({INSTALL_COMMANDS}); the DOT source is in .source>"}
        return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)


@dataclass
class SNode:
    key: str
    kind: str              # value, op, const, box, ghost, note
    title: str             # readable part of the DOT id
    label: str             # HTML-like label body (escaped)
    attrs: dict = field(default_factory=dict)
    cluster: tuple = ()    # cluster keys, outermost first


@dataclass
class SEdge:
    src: str
    dst: str
    attrs: dict = field(default_factory=dict)


_PREFIX = {"value": "v", "op": "o", "const": "c", "box": "box", "ghost": "g", "note": "note"}


class Scene:
    def __init__(self):
        self.nodes: dict = {}
        self.edges: list = []
        self.clusters: dict = {}          # key -> (label html, attrs)
        self.roomy = True                 # leave a rank between clusters with sources (see _roomy_clusters)
        self.rows: list = []              # lists of node keys, each kept on one rank in its order (see row)

    def node(self, key, kind, title, label, cluster=(), **attrs):
        self.nodes[key] = SNode(key, kind, title, label, attrs, tuple(cluster))

    def edge(self, src, dst, **attrs):
        self.edges.append(SEdge(src, dst, attrs))

    def cluster(self, key, label, **attrs):
        self.clusters.setdefault(key, (label, attrs))

    def row(self, keys):
        """Keep these nodes (all in one cluster) on one rank, in this order: left to right, or top to bottom when
        rankdir is LR.  Dot orders a rank by its crossing heuristic; what holds an order is a chain of flat
        (same-rank) edges, which dot keeps tail before head, and the graph attribute remincross=false: the final
        crossing pass over the whole graph ignores the flat edges inside clusters and swapped LSTM gates."""
        self.rows.append(list(keys))

    def _roomy_clusters(self):
        """Clusters holding a node with no edge in (or none out), such as a module's parameters: Graphviz puts such
        a node one rank from its neighbour, inside the previous cluster's last rank, and overlapping clusters are
        stacked into a staircase. Edges crossing into or out of these clusters get minlen=2 to leave that rank."""
        has_in, has_out = set(), set()
        for e in self.edges:
            if e.attrs.get("style") != "invis":
                has_out.add(e.src)
                has_in.add(e.dst)
        roomy = set()
        for n in self.nodes.values():
            if n.cluster and (n.key not in has_in or n.key not in has_out):
                roomy.update(n.cluster)
        return roomy

    def emit(self, caption_html: str, rankdir="LR", info=None, **graph_attrs) -> Picture:
        attrs = {"rankdir": rankdir, "fontname": FONT, "fontsize": "11", "labelloc": "t", "labeljust": "l",
                 "nodesep": "0.25", "ranksep": "0.35", "newrank": "true"}
        if self.rows:
            attrs["remincross"] = "false"
        attrs.update(graph_attrs)
        dot = Picture(graph_attr=attrs, node_attr={"fontname": FONT, "fontsize": "10", "margin": "0.06,0.03"},
                      edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"})
        dot.info = dict(info or {})
        dot.info.setdefault("nodes", len(self.nodes))
        dot.info.setdefault("edges", len(self.edges))
        if caption_html:
            dot.attr(label=f"<{caption_html}>")
        ids = {}
        for k, n in enumerate(self.nodes.values()):
            suffix = ident(n.title)
            ids[n.key] = f"{_PREFIX.get(n.kind, 'n')}{k}" + (f"_{suffix}" if suffix else "")
        # nodes grouped by their cluster path, emitted as nested subgraphs
        tree: dict = {}
        for n in self.nodes.values():
            branch = tree
            for c in n.cluster:
                branch = branch.setdefault(c, {})
            branch.setdefault(None, []).append(n)
        counter = [0]

        rows_in = {}
        for keys in self.rows:
            rows_in.setdefault(self.nodes[keys[0]].cluster, []).append(keys)

        def write(target, branch, path=()):
            for n in branch.get(None, []):
                attrs = dict(n.attrs)
                if attrs.get("shape") == "box3d":      # room above the name for the box's top face, and at the right
                    attrs.setdefault("margin", BOX3D_MARGIN)
                target.node(ids[n.key], f"<{n.label}>", **attrs)
            for keys in rows_in.get(path, []):
                with target.subgraph() as same:
                    same.attr(rank="same")
                    chain = keys[::-1] if rankdir in ("LR", "RL") else keys    # LR: flat edges point upward
                    for a, b in zip(chain, chain[1:]):
                        same.edge(ids[a], ids[b], style="invis")
            for key, sub_branch in branch.items():
                if key is None:
                    continue
                label, cattrs = self.clusters.get(key, (None, {}))
                counter[0] += 1
                with target.subgraph(name=f"cluster_{counter[0]}_{ident(key) or 'top'}") as sub:
                    merged = {"style": "rounded,dashed", "color": "#9a9a9a", "fontsize": "10", "margin": "8"}
                    merged.update(cattrs)
                    if label:
                        merged["label"] = f"<{label}>"
                    sub.attr(**merged)
                    write(sub, sub_branch, path + (key,))

        write(dot, tree)
        roomy = self._roomy_clusters() if self.roomy else set()
        for e in self.edges:
            attrs = dict(e.attrs)
            if roomy and attrs.get("constraint") != "false" and "minlen" not in attrs:
                a, b = set(self.nodes[e.src].cluster), set(self.nodes[e.dst].cluster)
                if (a ^ b) & roomy:
                    attrs["minlen"] = "2"
            if "label" in attrs and attrs["label"] is not None:
                attrs["label"] = f"<{attrs['label']}>" if attrs["label"] else ""
            dot.edge(ids[e.src], ids[e.dst], **{k: str(v) for k, v in attrs.items() if v is not None})
        dot.info["ids"] = ids
        return dot


def caption(lines, legend_rows="") -> str:
    """The graph label: a borderless table with the caption lines (already escaped) and the legend rows."""
    rows = "".join(f'<tr><td align="left">{line}</td></tr>' for line in lines if line)
    if legend_rows:
        rows += ('<tr><td align="left"><table border="0" cellborder="1" cellspacing="0" cellpadding="2">'
                 f"{legend_rows}</table></td></tr>")
    return f'<table border="0" cellborder="0" cellspacing="1" cellpadding="1">{rows}</table>' if rows else ""
