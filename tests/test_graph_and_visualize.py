"""graph.trace (the read-only view) and the first visualize.draw / render."""

import shutil

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import graph, nn
from tinygrad_edu.nn import functional as F
from visualize import rendering as render_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def test_trace_lists_values_ops_and_edges_in_order():
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    lin = nn.Linear(2, 3)
    with tg.watch():
        y = lin(x).relu().sum()
        y.backward()
    g = graph.trace(y)
    ops = [n.op for n in g.ops()]
    assert ops == ["Affine", "ReLU", "Sum"]
    names = {n.name for n in g.values()}
    assert {"x", "weight", "bias"} <= names
    weight = next(n for n in g.values() if n.name == "weight")
    assert weight.is_parameter and weight.is_leaf and weight.shape == (3, 2) and weight.dtype == "float32"
    assert weight.grad is not None and not weight.grad.flags.writeable
    position = {n.id: i for i, n in enumerate(g.nodes)}
    assert all(position[e.src] < position[e.dst] for e in g.edges)
    affine = g.ops()[0]
    assert [n.name for n in g.inputs_of(affine.id)] == ["x", "weight", "bias"]


def test_trace_shows_constants_and_scalar_graphs():
    a = tg.Scalar(2.0, name="a")
    out = a * 3.0 + 1.0
    g = graph.trace(out)
    consts = [n for n in g.nodes if n.kind == "const"]
    assert sorted(float(c.data) for c in consts) == [1.0, 3.0]
    assert [n.op for n in g.ops()] == ["Mul", "Add"]
    assert g.node(g.roots[0]).data == 7.0


def test_trace_op_params_for_labels():
    x = tg.randn(2, 3, requires_grad=True)
    g = graph.trace(x.softmax(dim=1))
    assert g.ops()[0].params == {"dim": 1}


def test_draw_forward_source_has_values_ops_and_clusters():
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    with tg.watch():
        loss = model(x).sum()
        loss.backward()
    dot = visualize.draw(loss)
    src = dot.source
    assert "Affine" in src and "Sigmoid" in src and "Sum" in src
    assert "cluster_0" in src and "cluster_1" in src               # one cluster per module scope
    assert "<b>x (1, 2) float32</b>" in src and "0.weight" in src
    assert "grad" in src


def test_draw_backward_reverses_edges_and_labels_gradient_sizes():
    a = tg.Scalar(3.0, name="a")
    b = tg.Scalar(-2.0, name="b")
    out = a * b
    out.backward()
    dot = visualize.draw(out, direction="backward")
    assert 'label="3"' in dot.source or 'label=3' in dot.source      # |d out / d b| = 3 on b's edge
    with pytest.raises(ValueError, match="direction"):
        visualize.draw(out, direction="sideways")


def test_draw_refuses_huge_graphs_clearly():
    x = tg.Scalar(1.0)
    for _ in range(50):
        x = x * 1.0
    with pytest.raises(ValueError, match="max_nodes"):
        visualize.draw(x, max_nodes=20)


def test_render_without_dot_writes_source_and_explains(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    out = tg.Scalar(1.0) * 2.0
    path = visualize.render(visualize.draw(out), tmp_path / "g")
    assert path.endswith("g.dot") and (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "apt-get install graphviz" in capsys.readouterr().err


@needs_dot
def test_render_writes_svg(tmp_path):
    x = tg.Tensor(np.ones((2, 2)), requires_grad=True)
    path = visualize.render(visualize.draw(F.relu(x).sum()), tmp_path / "pic.svg")
    assert path.endswith("pic.svg") and "<svg" in (tmp_path / "pic.svg").read_text()
    assert (tmp_path / "pic.dot").exists()


def test_engine_never_imports_visualize():
    import pathlib

    root = pathlib.Path(tg.__file__).parent
    offenders = [p.name for p in root.rglob("*.py") if p.name != "cli.py"
                 and ("import visualize" in p.read_text() or "from visualize" in p.read_text())]
    assert offenders == []
