"""The engine: ordering, accumulation, retain_graph, no_grad, hooks, retain_grad, watch, anomalies, scopes."""

import tracemalloc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import graph
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


def test_deep_scalar_chain_has_no_recursion_limit():
    x = tg.Scalar(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0                # 100,000 Mul nodes in a chain
    y.backward()
    assert x.grad == 1.0


def test_deep_tensor_chain():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_gradients_accumulate_for_reused_nodes():
    x = tg.Tensor([3.0], requires_grad=True)
    y = x * x + x * 2.0 + x        # dy/dx = 2x + 3
    y.backward()
    assert x.grad.item() == pytest.approx(9.0)


def test_leaf_grads_accumulate_across_backward_calls():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_second_backward_raises_and_says_how_to_retain():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


@pytest.mark.parametrize("mode", ["scalar", "tensor"])
def test_a_backward_that_raises_midway_leaves_the_graph_usable(mode):
    # backward keeps its consumer counts on the nodes: an exception must not leave them half-counted
    x = tg.Scalar(2.0) if mode == "scalar" else tg.Tensor([2.0], requires_grad=True, dtype=np.float64)
    h = x * x
    loss = h * 3.0 + h
    if mode == "tensor":
        loss = loss.sum()

    def boom(grad):
        raise ValueError("a student's hook failed")

    h.register_hook(boom)
    with pytest.raises(ValueError, match="hook failed"):
        loss.backward(retain_graph=True)
    h._hooks = None                                   # the hook fixed
    if mode == "scalar":
        x.grad = 0.0
    else:
        x.grad = None
    loss.backward()                                   # d(4 x^2)/dx = 8 x = 16, counted afresh
    got = x.grad if mode == "scalar" else x.grad.item()
    assert got == pytest.approx(16.0)


def test_the_freed_graph_error_leaves_a_shared_input_usable():
    w = tg.Scalar(3.0)
    first = w * w
    first.backward()
    with pytest.raises(RuntimeError, match="second time"):
        (first + w).backward()                        # reaches the freed Mul: refused before anything runs
    w.grad = 0.0
    (w * 5.0).backward()                              # w's count was reset: its gradient arrives
    assert w.grad == 5.0


def test_scalar_records_its_inputs_and_which_need_gradients():
    a, b = tg.Scalar(2.0), tg.Scalar(3.0)
    y = a * b
    assert y.grad_fn.inputs == (a, b) and y.grad_fn.needs_input_grad == (True, True) and y.grad_fn.op == "Mul"
    z = 2.0 * a
    assert z.grad_fn.inputs == (2.0, a) and z.grad_fn.needs_input_grad == (False, True)
    r = a.relu()
    assert r.grad_fn.inputs == (a,) and r.grad_fn.needs_input_grad == (True,)
    assert a.grad_fn is None and a.is_leaf
    with tg.no_grad():
        c = a * b
    assert c.is_leaf and c.grad_fn is None and not c.requires_grad


def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2.0
        with tg.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.op == "Mul"
    assert tg.is_grad_enabled()


def test_hooks_see_and_replace_gradients():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10.0)            # replaces x's gradient
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_non_leaf_grad_only_with_retain_grad():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = x * 3.0
    z.retain_grad()
    (y * z).sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(z.grad.numpy(), y.numpy())


def test_watch_keeps_every_intermediate_gradient():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    with tg.watch():
        h = x * 2.0
        out = h.relu().sum()
        out.backward()
    np.testing.assert_allclose(h.grad.numpy(), [1.0, 0.0])
    g = graph.trace(out)
    assert all(n.grad is not None for n in g.values() if n.requires_grad)


def test_detect_anomaly_names_the_forward_op_and_scope():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    with tg.detect_anomaly(), tg.scope("block1"), pytest.raises(RuntimeError, match=r"Log \(scope 'block1'\).*NaN"):
        x.log()


def test_detect_anomaly_names_the_backward_op():
    x = tg.Tensor([0.0, 4.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match=r"backward of Sqrt.*Inf"):
            y.backward()


def test_without_detect_anomaly_nan_passes_silently_as_in_pytorch():
    x = tg.Tensor([-1.0], requires_grad=True)
    assert np.isnan(x.log().item())


def test_scopes_nest_and_reach_the_graph():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.scope("encoder"), tg.scope("t=3"):
        y = x * 2.0
    assert y.grad_fn.scope == "encoder/t=3"
    assert tg.autograd.current_scope() == ""
    ops = graph.trace(y).ops()
    assert [o.scope for o in ops] == ["encoder/t=3"]
    with pytest.raises(ValueError, match="scope"):
        with tg.scope("a/b"):
            pass


def test_module_calls_push_their_attribute_path():
    model = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.ReLU())

    class Net(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = model

        def forward(self, x):
            return self.body(x)

    out = Net()(tg.randn(1, 2))
    scopes = {o.op: o.scope for o in graph.trace(out).ops()}
    assert scopes == {"Affine": "body/0", "ReLU": "body/1"}


def test_function_subclass_written_by_a_student():
    class Cube(tg.Function):
        """y = x**3.  Backward: dx = 3 x**2 dy."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved
            return (3 * x * x * grad_out,)

    x = tg.Tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    y.backward()
    assert y.grad_fn.op == "Cube"
    assert x.grad.item() == pytest.approx(12.0)
    assert tg.gradcheck.gradcheck(Cube.apply, (tg.Tensor([0.7, -1.3], dtype=np.float64, requires_grad=True),))


def test_float32_stays_float32():
    x = tg.randn(3, 4, requires_grad=True)
    w = tg.randn(2, 4, requires_grad=True)
    y = (tg.nn.functional.linear(x, w).sigmoid() * 2 + np.float64(1.0)).sum()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_numerical_gradient_restores_input_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(a):
        calls.append(1)
        if len(calls) == 3:
            raise ZeroDivisionError("boom")
        return float((a ** 2).sum())

    with pytest.raises(ZeroDivisionError):
        tg.gradcheck.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(tg.gradcheck.numerical_gradient(lambda a: float((a ** 2).sum()), x), 2 * x, rtol=1e-8)


def test_gradcheck_warns_on_float32_and_checks_a_float64_copy():
    x = tg.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        report = tg.gradcheck.gradcheck(lambda t: t.tanh(), (x,))
    assert report.passed and x.dtype == np.float32 and x.grad is None


def test_a_weight_used_by_many_linears_and_other_ops_gets_the_summed_gradient(rng):
    # Affine's dW comes back as a product the engine multiplies once over all uses (an RNN's W_hh); mixed with
    # ordinary array gradients (W * W below, a slice of W) the sum must be the same as adding them one by one
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    w_value = rng.standard_normal((2, 3))
    W = tg.Tensor(w_value, requires_grad=True, dtype=np.float64)
    loss = (F.linear(tg.Tensor(x1, dtype=np.float64), W).sum() + (W * W).sum()
            + F.linear(tg.Tensor(x2, dtype=np.float64), W).sum() + W[0, 1] * 3.0)
    loss.backward()
    expected = np.ones((4, 2)).T @ x1 + 2 * w_value + np.ones((5, 2)).T @ x2
    expected[0, 1] += 3.0
    np.testing.assert_allclose(W.grad.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda w: (F.linear(tg.Tensor(x1, dtype=np.float64), w) ** 2).sum()
                        + F.linear(tg.Tensor(x2, dtype=np.float64), w).tanh().sum(),
                        (tg.Tensor(w_value, requires_grad=True, dtype=np.float64),))


def test_graph_vjp_of_affine_gives_a_full_array(rng):
    x = tg.Tensor(rng.standard_normal((4, 3)), requires_grad=True, dtype=np.float64)
    W = tg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, dtype=np.float64)
    y = F.linear(x, W)
    g = graph.trace(y)
    op = next(n for n in g.nodes if n.kind == "op" and n.op == "Affine")
    dx, dw = g.vjp(op.id, np.ones((4, 2)))[:2]
    assert isinstance(dw, np.ndarray) and dw.shape == (2, 3)
    np.testing.assert_allclose(dw, np.ones((4, 2)).T @ x.numpy())


# Slices of one tensor are gathered and joined once its gradient is complete: stacked when they are the rows x[t],
# concatenated when they are blocks x[..., a:b] covering the last axis, added into zeros otherwise.  Each case is
# checked against the gradient written out by hand, with an upstream gradient that differs per entry.
SLICINGS = {
    "every row, out of order": lambda x: [x[2], x[0], x[-3], x[3]],
    "rows, one missing": lambda x: [x[0], x[2]],
    "a row twice": lambda x: [x[1], x[1], x[0], x[2], x[3]],
    "blocks tiling the last axis": lambda x: [x[..., 4:6], x[..., :2], x[..., 2:4]],
    "blocks with a gap": lambda x: [x[..., :2], x[..., 3:6]],
    "overlapping blocks": lambda x: [x[..., :4], x[..., 2:6]],
    "mixed rows and blocks": lambda x: [x[0], x[..., :3], x[1:3]],
}


@pytest.mark.parametrize("name", list(SLICINGS))
def test_slices_of_one_tensor_sum_their_gradients(name, rng):
    x_value = rng.standard_normal((4, 3, 6))
    x = tg.Tensor(x_value, requires_grad=True, dtype=np.float64)
    pieces = SLICINGS[name](x)
    weights = [rng.standard_normal(p.shape) for p in pieces]
    loss = sum((p * tg.Tensor(w, dtype=np.float64)).sum() for p, w in zip(pieces, weights))
    loss.backward()
    expected = np.zeros_like(x_value)
    for piece, w in zip(SLICINGS[name](np.arange(x_value.size).reshape(x_value.shape)), weights):
        np.add.at(expected.reshape(-1), piece.reshape(-1), w.reshape(-1))     # where each piece's entries came from
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_slices_joined_with_an_array_gradient(rng):
    # gathered slices meet an ordinary gradient of the same tensor (x itself used directly), in both orders
    x_value = rng.standard_normal((3, 4))
    for first_direct in (True, False):
        x = tg.Tensor(x_value, requires_grad=True, dtype=np.float64)
        direct = (x * x).sum()
        sliced = (x[..., :2] * 2.0).sum() + (x[..., 2:] * 3.0).sum()
        loss = direct + sliced if first_direct else sliced + direct
        loss.backward()
        expected = 2 * x_value + np.concatenate([np.full((3, 2), 2.0), np.full((3, 2), 3.0)], axis=1)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_gathered_slices_never_hold_more_than_the_tensor(rng):
    # 30 overlapping blocks of 90 % of x: gathered while they might tile x, then added into one buffer, so backward
    # holds about one x of slice gradients beside the gradient itself, not 30 * 0.9 of them
    x = tg.Tensor(rng.random((200, 500)), requires_grad=True, dtype=np.float64)
    loss = sum((x[..., i:i + 450] * float(i + 1)).sum() for i in range(30))
    tracemalloc.start()
    try:
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * x.data.nbytes, f"backward peaked at {peak / x.data.nbytes:.1f}x the tensor's size"
    expected = np.zeros((200, 500))
    for i in range(30):
        expected[:, i:i + 450] += i + 1
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_scope_as_a_decorator_and_entered_inside_itself():
    encoder = tg.scope("enc")

    @encoder
    def depth(n):
        return tg.autograd.current_scope() if n == 0 else depth(n - 1)

    assert depth(2) == "enc/enc/enc" and tg.autograd.current_scope() == ""
    with encoder as outer:
        with encoder as inner:
            assert (outer, inner) == ("enc", "enc/enc")
        assert tg.autograd.current_scope() == "enc"
    assert tg.autograd.current_scope() == ""
