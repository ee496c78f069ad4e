"""Text in pictures: escaping for Graphviz, op names with their hyper-parameters, and names for values.

Every label we emit is a Graphviz HTML-like label (`<...>`): `& < > " '` become entities, newlines <br/>, and
backslashes are doubled (Graphviz still expands `\\N`, `\\G`, `\\l` in HTML-like labels, and `\\\\` gives one
backslash); `escape` makes any text safe.
"""

from __future__ import annotations

import html
import re
import unicodedata

from .summary import fmt

MAX_NAME = 60


def escape(text) -> str:
    """Text for inside an HTML-like label: entities for & < > " ', newlines as <br/>, backslashes doubled (so a
    name such as "a\\N" is not replaced by the node's id), control characters dropped.

    Non-ASCII stays as it is (the DOT source is UTF-8); braces and brackets need nothing.
    """
    s = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\\", "\\\\")
    s = "".join(ch for ch in s if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs", "Cn"))
    return html.escape(s, quote=True).replace("\n", "<br/>")


def short(name: str, limit: int = MAX_NAME) -> str:
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


_ID_SAFE = re.compile(r"[^A-Za-z0-9_]+")


def ident(text: str, limit: int = 24) -> str:
    """A fragment safe inside a DOT id (letters, digits, underscores)."""
    return _ID_SAFE.sub("_", str(text)).strip("_")[:limit]


# ----------------------------------------------------------------------------------------------- op titles
def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def _size(shape_hw) -> str:
    h, w = _pair(shape_hw)
    return f"{h}x{w}"


def _stride(s) -> str:
    h, w = _pair(s)
    return f"s{h}" if h == w else f"s({h},{w})"


def _padding(p) -> str:
    """((top, bottom), (left, right)) -> 'p1', 'p(1,2)' or 'p(t,b,l,r)'; '' when there is none."""
    if isinstance(p, int):
        return f"p{p}"
    if len(p) == 2 and all(isinstance(x, int) for x in p):    # conv1d: (left, right)
        return f"p{p[0]}" if p[0] == p[1] else f"p({p[0]},{p[1]})"
    (t, b), (left, r) = p
    if t == b and left == r:
        return f"p{t}" if t == left else f"p({t},{left})"
    return f"p({t},{b},{left},{r})"


def _index(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if p is Ellipsis:
            out.append("...")
        elif isinstance(p, slice):
            text = ("" if p.start is None else str(p.start)) + ":" + ("" if p.stop is None else str(p.stop))
            out.append(text + (f":{p.step}" if p.step is not None else ""))
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def op_title(node, inputs=()) -> str:
    """'Conv2d 3x3 s1 p1', 'MaxPool2d 2x2 s2', 'Affine 4→3', 'Softmax dim=1', 'GetItem [..., 0:4]' ...

    node: an op Node of graph.trace; inputs: its input Nodes (kernel and feature sizes come from the weight).
    """
    op, p = node.op, node.params
    weight = inputs[1] if len(inputs) > 1 and inputs[1].shape is not None else None
    if op in ("Conv2d", "ConvTranspose2d") and weight is not None and len(weight.shape) == 4:
        parts = [op, _size(weight.shape[2:]), _stride(p.get("stride", 1)), _padding(p.get("padding", 0))]
        if _pair(p.get("dilation", 1)) != (1, 1):
            parts.append("d" + str(_pair(p["dilation"])[0]))
        if p.get("groups", 1) != 1:
            parts.append(f"g{p['groups']}")
        return " ".join(parts)
    if op == "Conv1d" and weight is not None and len(weight.shape) == 3:
        parts = [op, f"k{weight.shape[2]}", f"s{p.get('stride', 1)}", _padding(p.get("padding", (0, 0)))]
        if p.get("dilation", 1) != 1:
            parts.append(f"d{p['dilation']}")
        return " ".join(parts)
    if op in ("MaxPool2d", "AvgPool2d") and "kernel" in p:
        text = f"{op} {_size(p['kernel'])} {_stride(p.get('stride', p['kernel']))}"
        pad = p.get("padding")
        if pad and any(any(side) for side in pad):
            text += " " + _padding(((pad[0][0], pad[0][0]), (pad[1][0], pad[1][0])))
        return text
    if op in ("Unfold", "Fold") and "kernel_size" in p:                  # im2col / col2im: as short as Conv2d's
        parts = [op] + ([f"→{_size(p['output_size'])}"] if op == "Fold" and "output_size" in p else [])
        parts += [_size(p["kernel_size"]), _stride(p.get("stride", 1)), _padding(p.get("padding", 0))]
        if _pair(p.get("dilation", 1)) != (1, 1):
            parts.append("d" + str(_pair(p["dilation"])[0]))
        return " ".join(parts)
    if op == "AdaptiveAvgPool2d" and "output_size" in p:
        return f"{op} →{_size(p['output_size'])}"
    if op == "Affine" and weight is not None and len(weight.shape) == 2:
        out_f, in_f = weight.shape
        return f"Affine {in_f}→{out_f}" + ("" if len(inputs) > 2 else " no bias")
    if op == "GetItem" and "index" in p:
        return f"GetItem {_index(p['index'])}"
    if op == "Reshape" and "shape" in p:
        return f"Reshape →{tuple(p['shape'])}"
    if op == "Permute" and "dims" in p:
        return f"Permute {tuple(p['dims'])}"
    if op == "LeakyReLU" and "negative_slope" in p:
        return f"LeakyReLU {fmt(p['negative_slope'])}"
    if op == "Dropout" and "p" in p:
        return f"Dropout p={fmt(p['p'])}"
    shown = [f"{k}={_value(v)}" for k, v in p.items() if v is not None and k not in ("keepdim", "out_hw", "extra")
             and (k, v) not in _DEFAULTS]
    return op + (" " + " ".join(shown) if shown else "")


_DEFAULTS = {("reduction", "mean"), ("ignore_index", -100), ("count_include_pad", True)}   # not worth a label


def _value(v) -> str:
    if isinstance(v, float):
        return fmt(v)
    if isinstance(v, slice) or (isinstance(v, tuple) and any(isinstance(x, slice) or x is Ellipsis for x in v)):
        return _index(v)
    return str(v)


# ----------------------------------------------------------------------------------------------- value names
# How an unnamed scalar value is written from its op and its inputs' names: (template, precedence).
_EXPRESSIONS = {
    "Add": ("{0} + {1}", 1), "Sub": ("{0} − {1}", 1), "Mul": ("{0}·{1}", 2), "Div": ("{0}/{1}", 2),
    "Neg": ("−{0}", 3), "Pow": ("{0}^{1}", 4), "Exp": ("exp({0})", 5), "Log": ("log({0})", 5),
    "Sqrt": ("√{0}", 4), "Abs": ("|{0}|", 5), "Tanh": ("tanh({0})", 5), "Sigmoid": ("σ({0})", 5),
    "ReLU": ("relu({0})", 5),
}
_ATOM = 5
MAX_EXPRESSION = 24


def display_names(graph) -> dict:
    """{node id: the name a derivation uses}: the value's own name; for an unnamed scalar value its expression
    in its inputs' names when short ('a·b + c', 'tanh(a·b + c)'); otherwise v1, v2, ... in graph order."""
    names, prec, counter = {}, {}, 0
    for n in graph.nodes:
        if n.kind == "const":
            names[n.id], prec[n.id] = fmt(float(n.data)) if n.shape in (None, ()) else "const", _ATOM
        elif n.kind == "value":
            if n.name:
                names[n.id], prec[n.id] = str(n.name), _ATOM
                continue
            text = None
            producers = graph.inputs_of(n.id)
            if producers and producers[0].op in _EXPRESSIONS and n.shape is None:
                op = producers[0]
                template, level = _EXPRESSIONS[op.op]
                args = []
                for k, x in enumerate(graph.inputs_of(op.id)):
                    a = names.get(x.id, "?")
                    # parenthesise a lower-precedence operand (and the right side of - and /)
                    if level < _ATOM and (prec.get(x.id, _ATOM) < level or (
                            k == 1 and op.op in ("Sub", "Div") and prec.get(x.id, _ATOM) == level)):
                        a = f"({a})"
                    args.append(a)
                candidate = template.format(*args)
                if len(candidate) <= MAX_EXPRESSION:
                    text, prec[n.id] = candidate, level
            if text is None:
                counter += 1
                text, prec[n.id] = f"v{counter}", _ATOM
            names[n.id] = text
    return names


def _call_form(name: str) -> bool:
    """'tanh(a·b + c)': a function applied to one bracketed argument that runs to the end."""
    start = name.find("(")
    if start <= 0 or not name.endswith(")") or any(c in name[:start] for c in " +−-·/^"):
        return False
    depth = 0
    for i, ch in enumerate(name[start:], start):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(name) - 1
    return False


def wrap(name: str) -> str:
    """A name as an operand: parenthesised when it is an expression with spaces or operators."""
    if _call_form(name) or not any(c in name for c in " +−-·/^"):
        return name
    return f"({name})"
