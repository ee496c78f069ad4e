"""The layout of an interactive page: a DOT source whose SVG ids the page's script can find, laid out by `dot`.

    source = page_layout.dot_source(graph, data, prefix)   # node "v…" becomes SVG <g id="{prefix}v…">
    svg = page_layout.svg(source)                          # Graphviz's SVG, without the XML prolog

Value nodes are boxes (name, shape and dtype, then a last line "grad: not computed" that the script rewrites
as the backward pass reaches them), ops ellipses, constants plain text.  Each scope is a cluster (SVG id
"{prefix}cl{k}").  The direction follows the graph's shape: left to right for a short graph, top to bottom
for a deep one (a long chain laid left to right is far wider than any screen).
"""

from __future__ import annotations

import re
import shutil
import subprocess

from . import page_data, scopes, timesteps
from .colors import OP_FILL
from .labels import short
from .rendering import INSTALL_COMMANDS
from .summary import fmt

NOT_COMPUTED = "grad: not computed"
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
DEEP = 14            # more ranks than this: lay out top to bottom
TIMEOUT_S = 300


def quote(text) -> str:
    """A DOT string (double-quoted): backslashes doubled so '\\N' stays text, quotes escaped."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def depth(graph) -> int:
    """The number of ranks: the longest path, counting value and op nodes."""
    level = {}
    for n in graph.nodes:                      # inputs come before outputs
        ins = graph.inputs_of(n.id)
        level[n.id] = 1 + max((level[x.id] for x in ins), default=0)
    return max(level.values(), default=0)


def rankdir_for(graph) -> str:
    return "TB" if depth(graph) > DEEP else "LR"


def _value_label(n, entry) -> str:
    lines = [short(entry["name"], 28)] if entry["name"] else []
    if n.shape is not None:
        lines.append(f"{tuple(n.shape)} {n.dtype}")
    elif n.kind == "value":
        lines.append(f"data {fmt(float(n.data))}")
    if n.requires_grad:
        lines.append(NOT_COMPUTED)
    return "\n".join(lines) or "value"


def dot_source(graph, data, prefix, rankdir=None) -> str:
    rankdir = rankdir or rankdir_for(graph)
    out = [f"digraph {quote(prefix)} {{",
           f'graph [rankdir={rankdir}, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.35, '
           f'newrank=true, bgcolor="transparent"];',
           'node [fontname="Helvetica", fontsize=10, margin="0.08,0.04"];',
           'edge [fontname="Helvetica", fontsize=9, arrowsize=0.7, color="#404040"];']
    cluster_ids = {key: f"{prefix}cl{k}" for k, key in enumerate(data["clusters"])}
    tree, home, sid = {}, page_data.homes(graph), page_data.short_ids(graph)
    for n in graph.nodes:
        branch = tree
        for path in scopes.ancestors(home[n.id]):
            branch = branch.setdefault(path, {})
        branch.setdefault(None, []).append(n)

    def node_line(n):
        entry = data["nodes"][sid[n.id]]
        attrs = {"id": prefix + sid[n.id]}
        if n.kind == "op":
            attrs.update(label=entry["title"], shape="ellipse", style="filled", fillcolor=OP_FILL,
                         **{"class": "tg-op"})
        elif n.kind == "const":
            attrs.update(label=" ".join(entry["data"])[:24] or "const", shape="plaintext", **{"class": "tg-const"})
        else:
            attrs.update(label=_value_label(n, entry), shape="box", style="filled", fillcolor="#ffffff",
                         **{"class": "tg-value" + (" tg-param" if n.is_parameter else "")})
            if n.is_parameter:
                attrs["penwidth"] = "2"
            if n.id in graph.roots:
                attrs["peripheries"] = "2"
        return f"{quote(prefix + sid[n.id])} [" + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items()) + "];"

    rows = _gate_rows(graph, home, sid, prefix, rankdir)
    if rows:
        out.insert(2, "graph [remincross=false];")

    def write(branch, indent, path=None):
        pad = "  " * indent
        for n in branch.get(None, []):
            out.append(pad + node_line(n))
        out.extend(pad + line for line in rows.get(path, ()))
        for key, sub in branch.items():
            if key is None:
                continue
            out.append(f"{pad}subgraph {quote('cluster_' + cluster_ids[key])} {{")
            step = scopes.step_of(key)
            if step is not None and step.key == key:       # a time step: a shaded band, stripes alternating
                look = (f'style="rounded,filled"; fillcolor="{("#eef4fc", "#fdf3e7")[step.t % 2]}"; '
                        'color="#7a9cc6"; fontsize=14;')
            else:
                look = 'style="rounded,dashed"; color="#9a9a9a"; fontsize=10;'
            out.append(f'{pad}  id={quote(cluster_ids[key])}; label={quote(data["clusters"][key]["label"])}; '
                       f"{look} margin=8;")
            write(sub, indent + 1, key)
            out.append(pad + "}")

    write(tree, 1)
    data["edges"] = []
    for k, e in enumerate(graph.edges):
        src = graph.node(e.src)
        attrs = {"id": f"{prefix}e{k}"}
        data["edges"].append([attrs["id"], sid[e.src], sid[e.dst]])
        if not (src.kind == "value" and src.is_leaf) and src.kind != "const":
            attrs["weight"] = "4"              # keep the chain of activations straight, parameters aside
        out.append(f"  {quote(prefix + sid[e.src])} -> {quote(prefix + sid[e.dst])} ["
                   + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items()) + "];")
    out.append("}")
    data["cluster_ids"] = cluster_ids
    data["rankdir"] = rankdir
    return "\n".join(out)


def _gate_rows(graph, home, sid, prefix, rankdir) -> dict:
    """{cluster scope: DOT lines} keeping each time step's gates side by side in block order (LSTM i, f, g, o; GRU
    r, z, with n pulled under z), as in draw_bptt (see Scene.row for why this takes flat edges and remincross off);
    the edges are invisible and not in data["edges"], so the page's script never sees them."""
    step = {n.id: scopes.step_of(n.scope) for n in graph.nodes if not (n.kind == "value" and n.is_leaf)}
    step = {k: v for k, v in step.items() if v is not None}
    timesteps.absorb(graph, step)
    rows = {}
    for row, later in timesteps.gate_rows(graph, step, {n.id for n in graph.nodes}):
        if len({home[i] for i in row}) != 1:
            continue
        ids = [quote(prefix + sid[i]) for i in (row[::-1] if rankdir in ("LR", "RL") else row)]
        lines = ["{ rank=same; " + " -> ".join(ids) + " [style=invis]; }"]
        lines += [f"{quote(prefix + sid[row[-1]])} -> {quote(prefix + sid[i])} [style=invis, weight=10];" for i in later
                  for _ in range(3)]
        rows.setdefault(home[row[0]], []).extend(lines)
    return rows


def svg(source: str) -> str:
    """Lay the DOT source out with Graphviz's `dot` and return the <svg> element."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("interactive: the page is laid out by Graphviz's `dot`, which is not installed; install it "
                           f"with {INSTALL_COMMANDS}")
    try:
        result = subprocess.run([exe, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"interactive: Graphviz took more than {TIMEOUT_S} s to lay the graph out") from None
    if result.returncode != 0:
        raise RuntimeError("interactive: Graphviz's dot failed: " + result.stderr.decode("utf-8", "replace").strip())
    text = result.stdout.decode("utf-8")
    text = text[text.index("<svg"):]
    # smaller pages: Graphviz's comments, and the font family each <text> repeats (the page's style sets it)
    return _COMMENT.sub("", text).replace(' font-family="Helvetica,sans-Serif"', "")
