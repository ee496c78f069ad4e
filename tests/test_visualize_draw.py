"""visualize.draw on the DOT source (no Graphviz binary needed): node and edge counts in each direction, labels with
hyper-parameters, gradient colors, escaping and options."""

import math
import re

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from visualize import colors

_KEYWORDS = {"graph", "node", "edge", "subgraph", "digraph"}


def statements(dot):
    """(node ids, edges as (src, dst, attribute text)) declared in a Digraph's source."""
    nodes, edges = [], []
    for line in dot.source.splitlines():
        m = re.match(r"^\s*(\S+) -> (\S+)(?: \[(.*)\])?$", line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = re.match(r"^\s*(\w+) \[", line)
        if m and m.group(1) not in _KEYWORDS:
            nodes.append(m.group(1))
    return nodes, edges


def node_attr(dot, node_id, attr):
    line = next(x for x in dot.source.splitlines() if re.match(rf"^\s*{node_id} \[", x))
    m = re.search(rf'\b{attr}="?([^" \]]+)"?', line)
    return m.group(1) if m else None


def scalar_graph():
    a, b, c = tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b"), tg.Scalar(-4.0, name="c")
    out = (a * b + c).tanh()
    out.name = "out"
    out.backward()
    return a, b, c, out


def tensor_graph():
    x = tg.Tensor([[1.0, 2.0]], name="x")                                   # no gradient needed
    W = tg.Tensor([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]], requires_grad=True, name="W")
    b = tg.Tensor([0.1, -0.2, 0.0], requires_grad=True, name="b")
    with tg.watch():
        L = F.linear(x, W, b).sigmoid().sum()
        L.name = "L"
        L.backward()
    return x, W, b, L


# ----------------------------------------------------------------------------------------------- counts
def test_scalar_graph_counts_in_each_direction():
    *_, out = scalar_graph()
    fwd_nodes, fwd_edges = statements(visualize.draw(out))
    assert len(fwd_nodes) == 9 and len(fwd_edges) == 8           # 6 values, 3 ops; value->op->value
    assert sorted(n.split("_", 1)[1] for n in fwd_nodes if "_" in n) == ["Add", "Mul", "Tanh", "a", "b", "c", "out"]
    bwd_nodes, bwd_edges = statements(visualize.draw(out, direction="backward"))
    assert sorted(bwd_nodes) == sorted(fwd_nodes) and len(bwd_edges) == 8
    assert {(d, s) for s, d, _ in bwd_edges} == {(s, d) for s, d, _ in fwd_edges}     # every arrow reversed
    both_nodes, both_edges = statements(visualize.draw(out, direction="both"))
    assert len(both_nodes) == 9 and len(both_edges) == 16
    dashed = [e for e in both_edges if "dashed" in e[2]]
    assert len(dashed) == 8 and all("constraint=false" in e[2] for e in dashed)


def test_tensor_graph_counts_and_the_input_that_needs_no_gradient():
    x, W, b, L = tensor_graph()
    nodes, edges = statements(visualize.draw(L))
    assert len(nodes) == 9 and len(edges) == 8                    # x, W, b, 3 outputs; Affine, Sigmoid, Sum
    nodes, edges = statements(visualize.draw(L, direction="backward"))
    assert len(edges) == 8
    dotted = [e for e in edges if "dotted" in e[2]]
    assert len(dotted) == 1 and dotted[0][1].endswith("_x")       # no gradient flows to x
    _, edges = statements(visualize.draw(L, direction="both"))
    assert len(edges) == 8 + 7


def test_constants_are_nodes_of_their_own():
    a = tg.Scalar(2.0, name="a")
    out = a * 3.0 + 1.0
    out.backward()
    nodes, edges = statements(visualize.draw(out))
    assert len(nodes) == 7 and len(edges) == 6                    # a, 3, Mul, a*3, 1, Add, out
    assert sum(n.startswith("c") for n in nodes) == 2


def test_backward_arrows_carry_the_gradient_of_each_use():
    a, b, c, out = scalar_graph()
    dot = visualize.draw(out, direction="backward")
    _, edges = statements(dot)
    label = {(s.split("_", 1)[-1], d.split("_", 1)[-1]): re.search(r"label=<([^>]*)>", attrs).group(1)
             for s, d, attrs in edges}
    assert label[("Mul", "a")] == f"{a.grad:.4g}" == "0.212"           # dout/da = b * (1 - tanh^2) = 3 * 0.0707
    assert label[("Mul", "b")] == f"{b.grad:.4g}" == "0.1413"
    assert label[("out", "Tanh")] == "1.0"
    x = tg.Scalar(1.5, name="x")
    y = x * x + x                                                      # x is used three times
    y.backward()
    _, edges = statements(visualize.draw(y, direction="backward"))
    to_x = sorted(re.search(r"label=<([^>]*)>", e[2]).group(1) for e in edges if e[1].endswith("_x"))
    assert to_x == ["1.0", "1.5", "1.5"] and x.grad == 4.0             # Add sends 1, each use in x*x sends x


def test_tensor_arrows_print_small_gradients_in_full_and_norms_otherwise():
    x, W, b, L = tensor_graph()
    src = visualize.draw(L, direction="backward").source
    grad_b = ", ".join(f"{v:.4g}" for v in b.grad.numpy())
    assert f"label=<[{grad_b}]>" in src                                # 3 numbers: printed
    big = tg.randn(4, 5, requires_grad=True)
    with tg.watch():
        loss = (big * 2.0).sum()
        loss.backward()
    norm = np.linalg.norm(big.grad.numpy())
    assert f"|{norm:.3g}|" in visualize.draw(loss, direction="backward").source   # 20 numbers: the norm


# ----------------------------------------------------------------------------------------------- labels
def test_op_labels_carry_hyper_parameters():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 3, 5, stride=2),
                          nn.Flatten(), nn.Linear(12, 4))
    x = tg.randn(1, 1, 14, 14)
    src = visualize.draw(F.log_softmax(model(x), dim=1).sum()).source
    for text in ("Conv2d 3x3 s1 p1", "MaxPool2d 2x2 s2", "Conv2d 5x5 s2 p0", "Affine 12→4", "LogSoftmax dim=1",
                 "Reshape →(1, -1)"):
        assert f"<b>{text}</b>" in src, text


def test_op_labels_for_slices_groups_and_dilation():
    x = tg.randn(1, 4, 9, 9, requires_grad=True)
    conv = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2)
    y = conv(x)[..., :3]
    src = visualize.draw(y.sum()).source
    assert "<b>Conv2d 3x3 s1 p2 d2 g2</b>" in src
    assert "<b>GetItem [..., :3]</b>" in src


def test_value_labels_show_name_shape_dtype_data_and_grad():
    x, W, b, L = tensor_graph()
    src = visualize.draw(L).source
    assert "<b>W</b> <font point-size=\"9\">(3, 2) float32</font>" in src
    assert "data [1, 2]" in src and "grad [0.1587, 0.08282, 0.04518]" in src
    only_grad = visualize.draw(L, show=("grad",)).source
    assert "data " not in only_grad and "grad [" in only_grad
    assert "data " not in visualize.draw(L, show=()).source and "grad [" not in visualize.draw(L, show=()).source


def test_modules_are_clusters_labelled_by_scope():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    with tg.watch():
        loss = model(tg.Tensor([[1.0, 2.0]])).sum()
        loss.backward()
    src = visualize.draw(loss).source
    assert len(re.findall(r"subgraph cluster_", src)) == 2
    assert 'label=<<b>0</b>>' in src and 'label=<<b>1</b>>' in src


# ----------------------------------------------------------------------------------------------- colors
def test_color_scale_is_monotone_in_gradient_norm():
    sizes = [10.0 ** e for e in np.arange(-8, 0.01, 0.25)]
    lum = [colors.luminance(colors.grad_color(s)) for s in sizes]
    assert all(a > b for a, b in zip(lum, lum[1:]))                    # strictly darker as the gradient grows
    assert colors.grad_color(1e-12) == colors.grad_color(1e-8)          # clipped at both ends
    assert colors.grad_color(50.0) == colors.grad_color(1.0)
    assert colors.grad_color(0.0) == colors.ZERO and colors.grad_color(None) == colors.NONE


def test_node_fills_follow_gradient_norms_in_a_picture():
    leaves = [tg.Scalar(1.0, name=f"a{k}") for k in range(9)]
    out = leaves[0] * 1.0
    for k, a in enumerate(leaves[1:], 1):
        out = out + a * 10.0 ** -k                                     # d out / d a_k = 10^-k
    out.backward()
    dot = visualize.draw(out, show=("grad",))
    ids = dot.info["ids"]
    graph_ids = {n: next(k for k, v in ids.items() if v.endswith(f"_a{n}")) for n in range(9)}
    fills = [node_attr(dot, ids[graph_ids[n]], "fillcolor") for n in range(9)]
    lum = [colors.luminance(f) for f in fills]
    assert all(a < b for a, b in zip(lum, lum[1:]))                    # smaller gradient, paler fill
    assert fills[8] == colors.grad_color(1e-8) and fills[0] == colors.grad_color(1.0)
    assert "fill: |grad|, log scale" in dot.source and "≤1e-8" in dot.source   # the legend


def test_color_by_ratio_and_none():
    x, W, b, L = tensor_graph()
    dot = visualize.draw(L, color_by="ratio")
    w_id = next(v for v in dot.info["ids"].values() if v.endswith("_W"))
    ratio = np.linalg.norm(W.grad.numpy()) / np.linalg.norm(W.numpy())
    assert node_attr(dot, w_id, "fillcolor") == colors.grad_color(ratio)
    assert "|grad|/|data|" in dot.source
    plain = visualize.draw(L, color_by=None)
    assert "fill: " not in plain.source
    assert {node_attr(plain, v, "fillcolor") for v in plain.info["ids"].values() if v.startswith("v")} == {"#ffffff"}


def test_dark_fills_get_white_text():
    assert colors.font_color(colors.grad_color(1.0)) == "#ffffff"
    assert colors.font_color(colors.grad_color(1e-7)) == "#000000"


# ----------------------------------------------------------------------------------------------- escaping
NASTY = 'q"uote <b>&{x}\\N\nnext é ∂ \'s'


def test_labels_escape_quotes_brackets_ampersands_backslashes_newlines():
    a = tg.Scalar(2.0, name=NASTY)
    with tg.scope('scope "<&>" {}'):
        out = a * 3.0
    out.name = "→ ünïcode"
    out.backward()
    src = visualize.draw(out).source
    assert "q&quot;uote &lt;b&gt;&amp;{x}\\\\N<br/>next é ∂ &#x27;s" in src    # \\N doubled: not the node id
    assert NASTY not in src and "<b>&{x}" not in src
    assert "scope &quot;&lt;&amp;&gt;&quot; {}" in src                 # cluster label
    assert re.search(r"subgraph cluster_\d+_scope \{", src)             # cluster id: letters and digits only
    assert "→ ünïcode" in src


def test_escape_drops_control_characters():
    from visualize.labels import escape

    assert escape("a\x00b\x07c\td") == "abc d"
    assert escape("x\r\ny") == "x<br/>y"


# ----------------------------------------------------------------------------------------------- options
def test_bad_options_say_what_is_allowed():
    *_, out = scalar_graph()
    with pytest.raises(ValueError, match="direction"):
        visualize.draw(out, direction="sideways")
    with pytest.raises(ValueError, match="color_by"):
        visualize.draw(out, color_by="size")
    with pytest.raises(ValueError, match="show"):
        visualize.draw(out, show=("value",))
    with pytest.raises(ValueError, match="rankdir"):
        visualize.draw(out, rankdir="XY")
    with pytest.raises(ValueError, match="collapse"):
        visualize.draw(out, collapse="layers")
    with pytest.raises(TypeError, match="trace"):
        visualize.draw(3.0)


def test_draw_returns_a_digraph_with_rankdir_and_title():
    import graphviz

    *_, out = scalar_graph()
    dot = visualize.draw(out, rankdir="TB", title="my <title>")
    assert isinstance(dot, graphviz.Digraph) and "rankdir=TB" in dot.source
    assert "<b>my &lt;title&gt;</b>" in dot.source
    assert dot.info["graph_nodes"] == 9 and dot.info["nodes"] == 9


def test_scalar_mode_affine_matches_lesson_layout():
    xs = tg.Scalar.array([[1.0, 2.0]], "x")
    ws = tg.Scalar.array([[0.5, -1.0], [2.0, 0.25]], "w")
    ys = F.linear(xs, ws)
    loss = ys[0, 0] * 2.0 - ys[0, 1]
    loss.backward()
    nodes, edges = statements(visualize.draw(loss))
    named = sorted(n.split("_", 1)[1] for n in nodes if n.startswith("v") and "_" in n)
    assert named == ["w11", "w12", "w21", "w22", "x1", "x2"]
    ops = [n.split("_", 1)[1] for n in nodes if n.startswith("o")]
    assert ops.count("Mul") == 5 and ops.count("Add") == 2 and ops.count("Sub") == 1   # 4 products, 2 sums, L
    assert math.isclose(tg.Scalar.grads(ws)[0, 1], 4.0)
