"""graph.trace, the read-only view of a recorded graph that visualize reads (visualize itself: test_visualize_*.py)."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import graph, nn
from tinygrad_edu.nn import functional as F


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


def test_trace_indexes_neighbours():
    a, b = tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b")
    out = a * a + b
    g = graph.trace(out)
    mul = next(n for n in g.ops() if n.op == "Mul")
    a_id = next(n.id for n in g.values() if n.name == "a")
    assert [n.name for n in g.inputs_of(mul.id)] == ["a", "a"]
    assert [e.index for e in g.in_edges(mul.id)] == [0, 1]
    assert [n.op for n in g.consumers_of(a_id)] == ["Mul", "Mul"] and len(g.out_edges(a_id)) == 2
    with pytest.raises(KeyError):
        g.node("nope")


def test_trace_keeps_slices_for_labels_but_not_index_arrays():
    x = tg.randn(3, 8, requires_grad=True)
    g = graph.trace(x[..., 2:6].sum() + x[np.array([0, 2])].sum())
    params = [n.params for n in g.ops() if n.op == "GetItem"]
    assert {"index": (Ellipsis, slice(2, 6, None))} in params and {} in params


def test_vjp_runs_the_ops_own_backward_and_stores_nothing():
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    w = tg.Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    y = F.linear(x, w)
    g = graph.trace(y)
    affine = g.ops()[0]
    dx, dw, db = g.vjp(affine.id, np.array([[1.0, -1.0]], dtype=np.float32))      # F.linear without a bias
    assert np.allclose(dx, [[-1.5, -1.25]]) and np.allclose(dw, [[1.0, 2.0], [-1.0, -2.0]]) and db is None
    assert x.grad is None and w.grad is None
    b = tg.Tensor([1.0, 2.0], requires_grad=True)
    s = graph.trace(x + b)                                         # broadcasting undone, as in backward
    assert s.vjp(s.ops()[0].id, np.ones((1, 2), dtype=np.float32))[1].shape == (2,)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        g.vjp(affine.id, np.ones((1, 2), dtype=np.float32))


def test_engine_never_imports_visualize():
    import pathlib

    root = pathlib.Path(tg.__file__).parent
    offenders = [p.name for p in root.rglob("*.py") if p.name != "cli.py"
                 and ("import visualize" in p.read_text() or "from visualize" in p.read_text())]
    assert offenders == []


def test_visualize_reads_only_the_graph_view():
    import pathlib

    import visualize

    root = pathlib.Path(visualize.__file__).parent
    imports = {line.strip() for p in root.glob("*.py") for line in p.read_text().splitlines()
               if line.strip().startswith(("from tinygrad_edu", "import tinygrad_edu"))}
    assert imports == {"from tinygrad_edu import graph as tg_graph"}
