"""Collapse and expand: known graphs reduce to the expected boxes; too-big graphs collapse themselves and say so."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import graph, nn
from visualize import collapse
from visualize.summary import fmt_norm


def statements(dot):
    nodes, edges = [], []
    for line in dot.source.splitlines():
        m = re.match(r"^\s*(\S+) -> (\S+)(?: \[(.*)\])?$", line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
        elif (m := re.match(r"^\s*(\w+) \[", line)) and m.group(1) not in ("graph", "node", "edge"):
            nodes.append(m.group(1))
    return nodes, edges


def mlp_loss():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with tg.watch():
        loss = model(tg.Tensor([[1.0, -2.0]], name="x")).sum()
        loss.name = "L"
        loss.backward()
    return model, loss


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(2, 4), nn.Tanh())
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.features(x))


def test_collapse_by_module_gives_one_box_per_layer():
    model, loss = mlp_loss()
    assert len(graph.trace(loss)) == 13                # x, 4 params, 3 layer outputs, L; Affine, ReLU, Affine, Sum
    dot = visualize.draw(loss, collapse="module")
    nodes, edges = statements(dot)
    boxes = sorted(n for n in nodes if n.startswith("box"))
    assert [b.split("_", 1)[1] for b in boxes] == ["0", "1", "2"]
    assert len(nodes) == 6                             # 3 boxes + x, Sum, L (parameters went into their box)
    assert len(edges) == 5                             # x -> 0 -> 1 -> 2 -> Sum -> L
    label0 = re.search(r"box\d+_0 \[label=<(.*?)> ", dot.source).group(1)
    w = model[0].weight.grad.numpy()
    assert "Affine 2→3" in label0 and "weight (3, 2)" in label0
    assert f"|grad| {fmt_norm(np.linalg.norm(w))}" in label0
    assert "(1, 3)" in dot.source                      # arrows between boxes carry the shape crossing them
    assert "collapsed by module" in dot.source


def test_collapse_by_depth_and_module_on_nested_modules():
    net = Net()
    with tg.watch():
        loss = net(tg.randn(3, 2)).sum()
        loss.backward()
    by_depth = statements(visualize.draw(loss, collapse=1))[0]
    assert sorted(n.split("_", 1)[1] for n in by_depth if n.startswith("box")) == ["features", "head"]
    dot = visualize.draw(loss, collapse="module")
    boxes = sorted(n.split("_", 1)[1] for n in statements(dot)[0] if n.startswith("box"))
    assert boxes == ["features_0", "features_1", "head"]
    assert len(re.findall(r"subgraph cluster_\d+_features \{", dot.source)) == 1   # boxes sit in their parent


def test_collapse_time_and_module_on_an_lstm():
    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(2, 3)

        def forward(self, x):
            out, _ = self.lstm(x)
            return out[-1].sum()

    model = Seq()
    with tg.watch():
        loss = model(tg.randn(5, 1, 2))
        loss.backward()
    by_time = statements(visualize.draw(loss, collapse="time"))[0]
    assert sorted(n.split("_", 1)[1] for n in by_time if n.startswith("box")) == [
        f"lstm_l0_t_{t}" for t in range(5)]
    by_module = statements(visualize.draw(loss, collapse="module"))[0]
    assert [n.split("_", 1)[1] for n in by_module if n.startswith("box")] == ["lstm"]


def test_plan_groups_parameters_with_the_box_that_uses_them():
    _, loss = mlp_loss()
    g = graph.trace(loss)
    box_of = collapse.group(g, "module")
    by_box = {}
    for node_id, box in box_of.items():
        by_box.setdefault(box, set()).add(g.node(node_id).name or g.node(node_id).op or "value")
    assert by_box == {"box:0": {"0.weight", "0.bias", "Affine"}, "box:1": {"ReLU"},
                      "box:2": {"2.weight", "2.bias", "Affine"}}
    with pytest.raises(ValueError, match="collapse"):
        collapse.group(g, 0)


def test_auto_collapse_above_max_nodes_and_says_so():
    net = nn.Sequential(*[m for _ in range(12) for m in (nn.Linear(4, 4), nn.Sigmoid())])
    with tg.watch():
        loss = net(tg.randn(2, 4)).sum()
        loss.backward()
    total = len(graph.trace(loss))
    assert total == 12 * 6 + 3
    full = visualize.draw(loss, max_nodes=total)
    assert len(statements(full)[0]) == total and not full.info["auto_collapsed"]
    dot = visualize.draw(loss, max_nodes=40)
    nodes, _ = statements(dot)
    assert dot.info["auto_collapsed"] and dot.info["collapse"] == "module" and len(nodes) <= 40
    assert len([n for n in nodes if n.startswith("box")]) == 24
    assert f"{total} nodes are more than max_nodes=40: collapsed by module" in dot.source


def test_too_big_even_collapsed_keeps_the_nodes_nearest_the_output():
    x = tg.Scalar(1.0, name="x")
    y = x
    for _ in range(1000):                              # 3,001 nodes and no scope to collapse by
        y = y * 1.0001
    y.name = "y"
    y.backward()
    dot = visualize.draw(y, max_nodes=50)
    nodes, edges = statements(dot)
    assert len(nodes) == 50 and dot.info["pruned"] == 3001 - 49
    assert any(n.endswith("_y") for n in nodes) and not any(n.endswith("_x") for n in nodes)
    assert "2,952 earlier nodes" in dot.source and "farthest from the output" in dot.source


def test_expand_again_with_a_larger_max_nodes():
    x = tg.Scalar(1.0, name="x")
    y = x
    for _ in range(100):
        y = y + 1.0
    assert len(statements(visualize.draw(y, max_nodes=50))[0]) == 50
    assert len(statements(visualize.draw(y, max_nodes=1000))[0]) == 301


def test_long_edges_are_pruned_even_below_max_nodes():
    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(2, 3)

        def forward(self, x):
            return self.lstm(x)[0].sum()            # every h_t feeds one Stack: 17 long edges, and W_hh 17 more

    with tg.watch():
        loss = Seq()(tg.randn(17, 1, 2))
        loss.backward()
    g = graph.trace(loss)
    assert collapse.span_cost(g, {}) > collapse.SPAN_BUDGET
    dot = visualize.draw(loss, max_nodes=len(g) + 1)
    assert dot.info["pruned"] > 0 and dot.info["nodes"] < len(g) // 2
    assert "slow to lay out" in dot.source and "farthest from the output drawn as one box" in dot.source
    assert visualize.draw(loss, max_nodes=len(g) + 1, collapse="module").info["pruned"] == 0
    bptt = visualize.draw_bptt(loss, detail="full")              # 17 steps in full: too many nodes in clusters
    assert bptt.info["collapse"] == "time" and bptt.info["auto_collapsed"]
    assert "each time step drawn as one box" in bptt.source
