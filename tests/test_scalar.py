"""Scalar mode: micrograd's engine tests against PyTorch's numbers, Scalar vs Tensor on shared expressions,
and tensor math (F.linear, softmax, cross_entropy) run as Scalars."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import graph
from tinygrad_edu.nn import functional as F


def sanity(make):
    x = make(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return [x], y


def more_ops(make):
    a, b = make(-4.0), make(2.0)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    return [a, b], g


# micrograd's README/tests state these (computed there with PyTorch); used when torch is not installed
MICROGRAD_NUMBERS = {"sanity": (-20.0, [46.0]),
                     "more_ops": (24.70408163265306, [138.83381924198252, 645.5772594752186])}


@pytest.mark.parametrize("name,expr", [("sanity", sanity), ("more_ops", more_ops)])
def test_micrograd_engine_expressions(name, expr):
    leaves, out = expr(tg.Scalar)
    out.backward()
    try:
        import torch
    except ImportError:
        value, grads = MICROGRAD_NUMBERS[name]
    else:
        tleaves, tout = expr(lambda v: torch.tensor([v], dtype=torch.float64, requires_grad=True))
        tout.backward()
        value, grads = tout.item(), [t.grad.item() for t in tleaves]
    assert out.data == pytest.approx(value, rel=1e-12)
    assert [v.grad for v in leaves] == pytest.approx(grads, rel=1e-12)


# MiniTorch's idea: one list of math functions, run on Scalars and Tensors alike
SHARED = [
    ("add_mul", lambda a, b: a * b + a),
    ("sub_div", lambda a, b: (a - b) / (b * b + 1.0)),
    ("pow", lambda a, b: (a * a + 1.0) ** 1.5 - b ** 3),
    ("exp_log", lambda a, b: (a.exp() + 1.0).log() * b),
    ("tanh_sigmoid", lambda a, b: a.tanh() * b.sigmoid()),
    ("relu_neg", lambda a, b: (-a).relu() + (a * b).relu()),
    ("rdiv_rsub", lambda a, b: 2.0 / (a * a + 1.0) - (3.0 - b)),
    ("sqrt_abs", lambda a, b: (a * a + b * b).sqrt() + a.abs()),
    ("reuse", lambda a, b: (a * b) * (a * b) + a * (a * b)),
    ("rpow", lambda a, b: 2.0 ** (a * 0.5) * b),
]


@pytest.mark.parametrize("values", [(0.7, -1.3), (-2.1, 0.4), (1.5, 2.0)])
@pytest.mark.parametrize("name,fn", SHARED)
def test_scalar_and_tensor_agree(name, fn, values):
    sa, sb = tg.Scalar(values[0]), tg.Scalar(values[1])
    s_out = fn(sa, sb)
    s_out.backward()
    ta = tg.Tensor(values[0], dtype=np.float64, requires_grad=True)
    tb = tg.Tensor(values[1], dtype=np.float64, requires_grad=True)
    t_out = fn(ta, tb)
    t_out.backward()
    assert s_out.data == pytest.approx(t_out.item(), rel=1e-12)
    assert sa.grad == pytest.approx(ta.grad.item(), rel=1e-10, abs=1e-12)
    assert sb.grad == pytest.approx(tb.grad.item(), rel=1e-10, abs=1e-12)


def test_scalar_keeps_every_nodes_gradient_like_micrograd():
    a, b = tg.Scalar(2.0, name="a"), tg.Scalar(-3.0, name="b")
    c = a * b
    d = c + 1.0
    d.backward()
    assert (c.grad, a.grad, b.grad) == (1.0, -3.0, 2.0)


def test_linear_in_scalar_mode_records_the_slides_multiplies_and_adds():
    x_v, w_v, b_v = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([0.1, -0.2])
    xs, ws, bs = tg.Scalar.array(x_v, "x"), tg.Scalar.array(w_v, "w"), tg.Scalar.array(b_v, "b")
    ys = F.linear(xs, ws, bs)
    assert ys.shape == (1, 2) and all(isinstance(y, tg.Scalar) for y in ys.ravel())
    # y1 = x1*w11 + x2*w12 + b1: two Muls, then Add(Mul, Mul), then Add(., b1)
    y1 = ys[0, 0]
    assert y1.grad_fn.op == "Add" and y1.grad_fn.inputs[1] is bs[0]
    inner = y1.grad_fn.inputs[0].grad_fn
    assert inner.op == "Add"
    products = [p.grad_fn for p in inner.inputs]
    assert [p.op for p in products] == ["Mul", "Mul"]
    assert [(p.inputs[0].name, p.inputs[1].name) for p in products] == [("x1", "w11"), ("x2", "w12")]
    ops = [n.op for n in graph.trace(ys).ops()]
    assert ops.count("Mul") == 4 and ops.count("Add") == 4 and len(ops) == 8

    loss = ys[0, 0] * 2.0 + ys[0, 1] * -1.0
    loss.backward()
    X = tg.Tensor(x_v, dtype=np.float64, requires_grad=True)
    W = tg.Tensor(w_v, dtype=np.float64, requires_grad=True)
    B = tg.Tensor(b_v, dtype=np.float64, requires_grad=True)
    (F.linear(X, W, B) * tg.Tensor([2.0, -1.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(tg.Scalar.values(ys), F.linear(X, W, B).numpy())
    np.testing.assert_allclose(tg.Scalar.grads(ws), W.grad.numpy())
    np.testing.assert_allclose(tg.Scalar.grads(xs), X.grad.numpy())
    np.testing.assert_allclose(tg.Scalar.grads(bs), B.grad.numpy())


def test_softmax_cross_entropy_and_relu_in_scalar_mode_match_tensor_mode():
    logits = np.array([[1.3, 2.1, -1.2, 0.7], [0.1, -0.4, 0.3, 2.0]])
    target = np.array([1, 3])
    s = tg.Scalar.array(logits, "h")
    loss_s = F.cross_entropy(F.relu(s) + s * 0.5, target)
    loss_s.backward()
    t = tg.Tensor(logits, dtype=np.float64, requires_grad=True)
    loss_t = F.cross_entropy(F.relu(t) + t * 0.5, target)
    loss_t.backward()
    assert loss_s.data == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(tg.Scalar.grads(s), t.grad.numpy(), rtol=1e-10)
    probs = F.softmax(tg.Scalar.array(logits[0]), 0)
    np.testing.assert_allclose(tg.Scalar.values(probs), np.exp(logits[0]) / np.exp(logits[0]).sum())
    relu_ops = [n.op for n in graph.trace(F.relu(tg.Scalar.array([[1.0, -1.0]]))).ops()]
    assert relu_ops == ["ReLU", "ReLU"]


def test_scalar_names_follow_the_slides():
    assert [s.name for s in tg.Scalar.array([[1, 2]], "x").ravel()] == ["x1", "x2"]
    assert [s.name for s in tg.Scalar.array(np.zeros((2, 2)), "w").ravel()] == ["w11", "w12", "w21", "w22"]


def test_scalar_sum_builtin_and_math():
    xs = [tg.Scalar(float(i)) for i in range(1, 4)]
    total = sum((x * x for x in xs), tg.Scalar(0.0))
    total.backward()
    assert total.data == 14.0 and [x.grad for x in xs] == [2.0, 4.0, 6.0]
    s = tg.Scalar(0.3)
    y = s.sigmoid()
    y.backward()
    assert y.data == pytest.approx(1 / (1 + math.exp(-0.3)))
    assert s.grad == pytest.approx(y.data * (1 - y.data))
