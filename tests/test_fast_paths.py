"""tinygrad_edu/fast: every piece of the speed machinery equals the plain core it replaces.

- each backward in fast.gradients.FAST_BACKWARD (gathered or in place) gives the op's own textbook backward's arrays;
- the float forwards of scalar mode give the op's own forward's numbers;
- whole computations (an LSTM over sliced inputs, a shared weight, hooks, watch) give the same gradients with the
  fast paths on and with TINYGRAD_EDU_FAST_PATHS=0 (each in a fresh process: the switch is read at import);
- TINYGRAD_EDU_FAST_PATHS=0 leaves the core's seams empty.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import fast
from tinygrad_edu.autograd import Context
from tinygrad_edu.fast import reused_weights
from tinygrad_edu.fast.gradients import FAST_BACKWARD, dense_gradient
from tinygrad_edu.fast.scalar_forward import SCALAR_FORWARD
from tinygrad_edu.ops import activation, linalg, movement


def recorded_context(fn, *payloads, **params):
    """fn's forward run on raw payloads into a Context (every input needing a gradient), and its output."""
    ctx = Context(fn, payloads, params)
    out = fn.forward(ctx, *payloads, **params)
    return ctx, out


def assert_backwards_equal(fn, ctx, out, rng):
    grad_out = rng.standard_normal(np.shape(out))
    textbook = fn.backward(ctx, grad_out)
    replaced = FAST_BACKWARD[fn](ctx, grad_out)
    assert len(replaced) == len(textbook)
    for x, want, got in zip(ctx.inputs, textbook, replaced):
        if want is None:
            assert got is None
            continue
        got = dense_gradient(got, np.asarray(x))
        assert isinstance(got, (np.ndarray, np.generic)) and np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, bias", [((5, 3), "vector"), ((5, 3), None), ((2, 4, 3), "vector"),
                                           ((5, 3), "per-row")])
def test_affine_deferred_product_equals_the_textbook_backward(x_shape, bias):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal((6, 3))
    b = {"vector": rng.standard_normal(6), "per-row": rng.standard_normal(x_shape[:-1] + (6,)), None: None}[bias]
    ctx, out = recorded_context(linalg.Affine, x, w, b)
    ctx.needs_input_grad = (True, True, b is not None)
    assert_backwards_equal(linalg.Affine, ctx, out, rng)


@pytest.mark.parametrize("index", [2, (Ellipsis, slice(1, 3)), (slice(None), 0), slice(1, None, 2)])
def test_gathered_slice_equals_the_textbook_backward(index):
    rng = np.random.default_rng(1)
    ctx, out = recorded_context(movement.GetItem, rng.standard_normal((4, 5)), index=index)
    assert_backwards_equal(movement.GetItem, ctx, out, rng)


@pytest.mark.parametrize("fn", [activation.Sigmoid, activation.Tanh])
@pytest.mark.parametrize("shape", [(3, 4), (), (1,)])
def test_in_place_activation_backward_equals_the_textbook_backward(fn, shape):
    rng = np.random.default_rng(2)
    ctx, out = recorded_context(fn, rng.standard_normal(shape) * 3)
    assert_backwards_equal(fn, ctx, out, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", ["vector", "per-row", None])
def test_affine_with_a_reused_weight_equals_its_own_forward_and_backward(dtype, bias):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((6, 3)).astype(dtype)
    b = {"vector": rng.standard_normal(6), "per-row": rng.standard_normal((4, 6)), None: None}[bias]
    b = None if b is None else b.astype(dtype)
    want_ctx, want = recorded_context(linalg.Affine, x, w, b)
    with reused_weights.reused(w, None):
        assert id(w) in reused_weights.TRANSPOSED
        got_ctx = Context(linalg.Affine, (x, w, b), {})
        got = reused_weights.affine_forward(got_ctx, x, w, b)
    assert not reused_weights.TRANSPOSED                      # the copy lives only inside the block
    assert got.dtype == want.dtype and got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
    grad_out = rng.standard_normal(want.shape).astype(dtype)
    want_ctx.needs_input_grad = got_ctx.needs_input_grad = (True, True, b is not None)
    for g_want, g_got in zip(linalg.Affine.backward(want_ctx, grad_out), linalg.Affine.backward(got_ctx, grad_out)):
        assert (g_want is None) == (g_got is None)
        if g_want is not None:
            np.testing.assert_array_equal(g_got, g_want)      # the same saved arrays


def test_a_reused_weight_is_copied_once_and_only_for_its_own_block():
    rng = np.random.default_rng(4)
    w, other = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    with reused_weights.reused(tg.Tensor(w, dtype=tg.float64)) as outer:
        assert outer is None and len(reused_weights.TRANSPOSED) == 1
    weight = tg.Tensor(w, dtype=tg.float64)
    with reused_weights.reused(weight):
        (entry,) = reused_weights.TRANSPOSED.values()
        with reused_weights.reused(weight):                   # nested: the outer block's copy stays
            assert reused_weights.TRANSPOSED[id(weight.data)] is entry
        assert reused_weights.TRANSPOSED[id(weight.data)] is entry
        x = rng.standard_normal((3, 2))
        ctx = Context(linalg.Affine, (x, other), {})     # another array with the same values is not the weight
        np.testing.assert_array_equal(reused_weights.affine_forward(ctx, x, other), x @ other.T)
        x32 = x.astype(np.float32)                       # mixed dtypes: Affine's own forward decides
        ctx = Context(linalg.Affine, (x32, weight.data), {})
        assert reused_weights.affine_forward(ctx, x32, weight.data).dtype == (x32 @ weight.data.T).dtype
    assert not reused_weights.TRANSPOSED
    with pytest.raises(KeyError), reused_weights.reused(weight):   # removed on error too
        {}["missing"]
    assert not reused_weights.TRANSPOSED


@pytest.mark.parametrize("x", [2.5, -1.0, 0.0, -0.0, 1e-300, math.inf, -math.inf, math.nan])
def test_float_forwards_equal_the_ops_own(x):
    for fn, fast_forward in SCALAR_FORWARD.items():
        want = fn.forward(Context(fn, (x,), {}), x)
        got = fast_forward(Context(fn, (x,), {}), x)
        assert type(got) is float
        assert (math.isnan(got) and math.isnan(want)) or got == want, (fn.__name__, x, got, want)


def test_the_fast_paths_are_on_by_default_and_plugged_into_both_seams():
    if not fast.ENABLED:
        pytest.skip("this run has TINYGRAD_EDU_FAST_PATHS=0")
    assert fast.INSTALLED and tg.autograd.SEAMS.apply is not None and tg.autograd.SEAMS.backward is not None
    from tinygrad_edu.fast import apply

    assert fast.apply_binary is apply.apply_binary and fast.apply_unary is apply.apply_unary
    assert fast.reused is reused_weights.reused


def test_operators_call_whatever_fast_apply_binary_is_now(monkeypatch):
    calls = []
    real_binary, real_unary = fast.apply_binary, fast.apply_unary
    monkeypatch.setattr(fast, "apply_binary", lambda fn, a, b: calls.append(fn.__name__) or real_binary(fn, a, b))
    monkeypatch.setattr(fast, "apply_unary", lambda fn, x: calls.append(fn.__name__) or real_unary(fn, x))
    (-(tg.Scalar(2.0) * 3.0)).relu()
    (tg.ones(2) + 1.0).exp()
    assert calls == ["Mul", "Neg", "ReLU", "Add", "Exp"]


# A computation touching every fast path: sliced inputs (x[t]), a weight shared by every step (Affine's products),
# Sigmoid/Tanh, a hook, watch(), and scalar mode.  Prints every gradient as JSON.
WORKLOAD = """
import json
import numpy as np
import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F
tg.manual_seed(0)
lstm = tg.nn.LSTM(3, 4, num_layers=2)
x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 2, 3)), requires_grad=True, dtype=tg.float64)
for p in lstm.parameters():
    p.data = p.data.astype(np.float64)
seen = []
with tg.watch():
    out, (h, c) = lstm(x)
    mid = out[2]
    mid.register_hook(lambda g: seen.append(float(g.data.sum())))
    w = tg.Tensor(np.random.default_rng(1).standard_normal((4, 4)), requires_grad=True, dtype=tg.float64)
    y = sum((F.linear(out[t], w).sigmoid() * out[t][..., 1:3].sum()).tanh().sum() for t in range(5))
    (y + (h * h).sum() + c[..., :2].sum() + (mid * mid).sum()).backward()
a, b = tg.Scalar(1.5), tg.Scalar(-0.5)
s = ((a * b + a).relu() * a.exp() + (b ** 2).tanh() - a / b).sigmoid()
s.backward()
grads = {name: p.grad.data.tolist() for name, p in lstm.named_parameters()}
grads.update(x=x.grad.data.tolist(), w=w.grad.data.tolist(), mid=mid.grad.data.tolist(), hook=seen,
             a=a.grad, b=b.grad, fast=tg.fast.INSTALLED)
print(json.dumps(grads))
"""


def run_workload(fast_paths):
    env = dict(os.environ, TINYGRAD_EDU_FAST_PATHS=fast_paths)
    out = subprocess.run([sys.executable, "-c", WORKLOAD], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fast_and_plain_modes_give_the_same_gradients():
    fast_run, plain_run = run_workload("1"), run_workload("0")
    assert fast_run.pop("fast") is True and plain_run.pop("fast") is False
    assert fast_run.keys() == plain_run.keys()
    for name in fast_run:
        np.testing.assert_allclose(fast_run[name], plain_run[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_turning_the_fast_paths_off_leaves_the_seams_empty():
    probe = ("import tinygrad_edu as tg; s = tg.autograd.SEAMS; "
             "print(tg.fast.ENABLED, tg.fast.INSTALLED, s.apply is None, s.backward is None, "
             "type(tg.Scalar(2.0)).__name__)")
    for value in ("0", "off"):
        out = subprocess.run([sys.executable, "-c", probe], env=dict(os.environ, TINYGRAD_EDU_FAST_PATHS=value),
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["False", "False", "True", "True", "Scalar"]


def test_scalar_leaves_are_records_of_no_op_under_the_fast_paths():
    """Leaves and op outputs are one class, so the hot paths' attribute accesses see one type."""
    if not fast.ENABLED:
        pytest.skip("this run has TINYGRAD_EDU_FAST_PATHS=0")
    from tinygrad_edu.fast.scalar_record import ScalarNode

    a, b = tg.Scalar(2.0, name="a"), tg.Scalar(-3.0, requires_grad=False)
    out = (a * b).relu() + a * a
    assert type(a) is ScalarNode and type(b) is ScalarNode and type(out) is ScalarNode
    assert a.grad_fn is None and a.is_leaf and a.inputs == () and out.grad_fn is out
    out.backward()
    assert a.grad == 4.0 and b.grad == 0.0          # relu(-6) = 0 passes nothing; d(a*a)/da = 2a
    with pytest.raises(AttributeError, match="its own record"):
        a.grad_fn = out
    assert type(tg.Scalar.array(np.ones(2))[0]) is ScalarNode


def test_messages_name_a_scalar_leaf_scalar_in_both_modes():
    with pytest.raises(RuntimeError, match=r"^backward: Scalar 'c' does not require grad"):
        tg.Scalar(1.0, name="c", requires_grad=False).backward()


class _MyScalar(tg.Scalar):
    __slots__ = ()


def test_a_subclass_of_scalar_keeps_its_class():
    assert type(_MyScalar(1.0)) is _MyScalar
