"""Issue 13 (part B): inputs PyTorch refuses, x ** y at x = 0, a stable sigmoid, dims of 0-d tensors,
PyTorch's type promotion.  Each test failed before its fix; torch is the oracle where it has the answer."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg


# -------------------------------------------------------------------- reshape/view sizes
@pytest.mark.parametrize("shape", [(-2, 4), (8, -3), (-1, -1), (2, -1, -1), (-5,)])
@pytest.mark.parametrize("op", ["reshape", "view"])
def test_reshape_refuses_negative_sizes_other_than_one_minus_one(op, shape):
    t = tg.arange(8)
    with pytest.raises(ValueError, match=rf"{op}: invalid shape {re.escape(str(shape))}.*at most one -1"):
        getattr(t, op)(*shape)


def test_reshape_names_view_and_keeps_one_minus_one():
    t = tg.arange(8)
    assert t.view(2, -1).shape == (2, 4) and t.reshape((-1,)).shape == (8,)
    with pytest.raises(ValueError, match=r"view: cannot reshape a tensor of shape \(8,\)"):
        t.view(3, -1)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of 0 entries into \(-1, 0\)"):
        tg.zeros(0).reshape(-1, 0)
    with pytest.raises(TypeError, match=r"reshape: sizes must be ints"):
        t.reshape(2.0, 4)


# -------------------------------------------------------------------- tensor() of things that are not numbers
@pytest.mark.parametrize("make", [tg.tensor, tg.Tensor], ids=["tensor", "Tensor"])
@pytest.mark.parametrize("data, said", [
    (["a", "b"], r"\['a', 'b'\] holding str"),
    ([1, "a"], r"holding str"),
    ([object()], r"holding object"),
    ([None, 1.0], r"holding NoneType"),
    ({"a": 1}, r"holding dict"),
    (np.array(["x"]), r"holding str"),
    ([[1, 2], [3]], r"ragged nested sequence .*\[\[1, 2\], \[3\]\]"),
    ([tg.Scalar(1.0)], r"data holds Scalars"),
])
def test_tensor_of_non_numbers_is_a_type_error(make, data, said):
    name = "tensor" if make is tg.tensor else "Tensor"
    with pytest.raises(TypeError, match=rf"^{name}: .*{said}"):
        make(data)


def test_tensor_of_numbers_still_works():
    assert tg.tensor([tg.tensor(1.0), tg.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert tg.tensor([[1, 2]]).dtype == np.int64 and tg.Tensor([True]).dtype == np.float32


# -------------------------------------------------------------------- x ** y at x = 0
POW_POINTS = [(x, e) for x in (0.0, -2.0, 2.0, 0.5) for e in (0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0)]


def _pow_grads(x, e, mode):
    """(dx, de) of x ** e, both inputs requiring grad, in Tensor or Scalar mode."""
    if mode == "scalar":
        a, b = tg.Scalar(x), tg.Scalar(e)
        (a ** b).backward()
        return float(a.grad), float(b.grad)
    a = tg.tensor([x], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([e], dtype=tg.float64, requires_grad=True)
    (a ** b).sum().backward()
    return a.grad.item(), b.grad.item()


@pytest.mark.filterwarnings("ignore:invalid value encountered in power")   # (-2) ** 0.5 is NaN, as in torch
@pytest.mark.parametrize("mode", ["tensor", "scalar"])
def test_pow_gradients_match_torch_at_zero_and_negative_bases(mode):
    torch = pytest.importorskip("torch")
    for x, e in POW_POINTS:
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        te = torch.tensor(e, dtype=torch.float64, requires_grad=True)
        want = [g.item() for g in torch.autograd.grad(tx ** te, (tx, te))]
        np.testing.assert_allclose(_pow_grads(x, e, mode), want, rtol=1e-12, err_msg=f"{x} ** {e}")


@pytest.mark.parametrize("mode", ["tensor", "scalar"])
def test_pow_at_zero_base_gives_numbers_not_nan(mode):
    assert _pow_grads(0.0, 0.0, mode) == (0.0, 0.0)        # x**0 is the constant 1; 0**e is flat for e >= 0
    assert _pow_grads(0.0, 2.0, mode) == (0.0, 0.0)
    assert _pow_grads(0.0, 1.0, mode) == (1.0, 0.0)
    assert _pow_grads(0.0, -1.0, mode) == (-np.inf, -np.inf)   # 0**e = inf for e < 0, falling as e grows


def test_pow_with_a_number_on_either_side_at_zero():
    x = tg.tensor([0.0, 0.0, 3.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and x.grad.dtype == np.float32
    e = tg.tensor([0.0, 2.0, -1.0], requires_grad=True)
    (0.0 ** e).sum().backward()
    assert e.grad.tolist() == [0.0, 0.0, -np.inf] and e.grad.dtype == np.float32


# -------------------------------------------------------------------- a stable sigmoid
SIGMOID_X = [-80.0, -60.0, -40.0, -20.0, -10.0, -3.0, -0.5, 0.0, 0.5, 3.0, 10.0, 20.0, 40.0, 80.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_relative_precision_for_very_negative_inputs(dtype):
    x = np.array(SIGMOID_X, dtype=dtype)
    exact = 1.0 / (1.0 + np.exp(-x.astype(np.longdouble)))     # no cancellation in this form
    y = tg.tensor(x).sigmoid().data
    assert y.dtype == dtype and (y[x <= -20] > 0).all()
    rel = np.abs(y - exact) / exact
    assert rel.max() < 4 * np.finfo(dtype).eps, rel          # was 2e-4 at -10 and 1 (exactly 0) from -20 in float32


def test_sigmoid_in_scalar_mode_keeps_precision_too():
    for x in SIGMOID_X + [-800.0, 800.0]:
        exact = float(1.0 / (1.0 + np.exp(-np.longdouble(x))))
        assert tg.Scalar(x).sigmoid().data == pytest.approx(exact, rel=1e-15, abs=0.0)


@pytest.mark.parametrize("mode", ["tensor", "scalar"])
def test_log_sigmoid_of_minus_40_is_minus_40_with_gradient_1(mode):
    x = tg.tensor([-40.0], requires_grad=True) if mode == "tensor" else tg.Scalar(-40.0)
    y = x.sigmoid().log()
    (y.sum() if mode == "tensor" else y).backward()
    value, grad = (y.item(), x.grad.item()) if mode == "tensor" else (y.data, x.grad)
    assert value == pytest.approx(-40.0, rel=1e-6) and grad == pytest.approx(1.0, rel=1e-6)


def test_sigmoid_matches_torch_in_float32():
    torch = pytest.importorskip("torch")
    x = np.array(SIGMOID_X, dtype=np.float32)
    a = tg.tensor(x, requires_grad=True)
    a.sigmoid().log().sum().backward()
    t = torch.tensor(x, requires_grad=True)
    torch.sigmoid(t).log().sum().backward()
    np.testing.assert_allclose(a.sigmoid().data, torch.sigmoid(t).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-6)


def test_rbm_conditionals_use_the_stable_sigmoid():
    from tinygrad_edu.rbm import RBM

    rbm = RBM(2, 1, weight=np.array([[-30.0], [-30.0]]))
    p = rbm.p_h_given_v(np.array([[1.0, 1.0]]))                # sigmoid(-60): 8.8e-27, not 0
    assert p.item() == pytest.approx(1.0 / (1.0 + np.exp(60.0)), rel=1e-6, abs=0.0)


# -------------------------------------------------------------------- dims of a 0-d tensor, dims out of range
def _zero_d_calls(lib):
    """(name, fn) pairs that take a dim, applied to a 0-d tensor; each must run and return a 0-d tensor."""
    t = lib.tensor(2.5, requires_grad=True)
    return t, [
        ("sum0", lambda: t.sum(0)), ("sum-1", lambda: t.sum(-1)), ("sum0_keep", lambda: t.sum(0, keepdim=True)),
        ("sum_tuple", lambda: t.sum((0,))), ("mean0", lambda: t.mean(0)), ("mean-1_keep", lambda: t.mean(-1, True)),
        ("var0_c0", lambda: t.var(0, correction=0)), ("max0", lambda: t.max(0)[0]), ("min-1", lambda: t.min(-1).values),
        ("max0_keep", lambda: t.max(0, keepdim=True).values), ("softmax0", lambda: t.softmax(0)),
        ("log_softmax-1", lambda: t.log_softmax(-1)), ("squeeze0", lambda: t.squeeze(0)),
        ("squeeze-1", lambda: t.squeeze(-1)), ("transpose0-1", lambda: t.transpose(0, -1)),
    ]


def test_a_0d_tensor_accepts_dim_0_and_minus_1():
    t, calls = _zero_d_calls(tg)
    total = 0
    for name, call in calls:
        out = call()
        want = {"softmax0": 1.0, "log_softmax-1": 0.0, "var0_c0": 0.0}.get(name, 2.5)
        assert out.shape == () and out.item() == pytest.approx(want), name
        total = total + out
    total.backward()
    assert t.grad.item() == pytest.approx(12.0)    # 12 ops pass the value through; softmaxes and var are flat
    assert t.max(0).indices.item() == 0 and t.argmax(0).shape == () and tuple(t.flatten(0).shape) == (1,)


def test_0d_dims_match_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    ours, our_calls = _zero_d_calls(tg)
    theirs, their_calls = _zero_d_calls(torch)
    for (name, mine), (_, want) in zip(our_calls, their_calls):
        a, b = mine(), want()
        assert tuple(a.shape) == tuple(b.shape) and a.item() == pytest.approx(b.item()), name
    sum(c() for _, c in our_calls).backward()
    sum(c() for _, c in their_calls).backward()
    assert ours.grad.item() == pytest.approx(theirs.grad.item())


def _refusals(lib):
    """Calls PyTorch refuses with an IndexError: dims out of range on 0-d and 2-D tensors."""
    t, v = lib.tensor(2.5), lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    return [
        ("sum", "1", "[-1, 0]", lambda: t.sum(1)), ("sum", "-2", "[-1, 0]", lambda: t.sum(-2)),
        ("max", "1", "[-1, 0]", lambda: t.max(1)), ("argmax", "1", "[-1, 0]", lambda: t.argmax(1)),
        ("softmax", "1", "[-1, 0]", lambda: t.softmax(1)), ("squeeze", "1", "[-1, 0]", lambda: t.squeeze(1)),
        ("unsqueeze", "1", "[-1, 0]", lambda: t.unsqueeze(1)), ("unsqueeze", "-2", "[-1, 0]", lambda: t.unsqueeze(-2)),
        ("flatten", "1", "[-1, 0]", lambda: t.flatten(1)), ("transpose", "1", "[-1, 0]", lambda: t.transpose(0, 1)),
        ("stack", "1", "[-1, 0]", lambda: lib.stack([t, t], 1)),
        ("sum", "2", "[-2, 1]", lambda: v.sum(2)), ("mean", "2", "[-2, 1]", lambda: v.mean((0, 2))),
        ("var", "-3", "[-2, 1]", lambda: v.var(-3)), ("min", "2", "[-2, 1]", lambda: v.min(2)),
        ("argmin", "2", "[-2, 1]", lambda: v.argmin(2)), ("log_softmax", "2", "[-2, 1]", lambda: v.log_softmax(2)),
        ("unsqueeze", "3", "[-3, 2]", lambda: v.unsqueeze(3)), ("cat", "2", "[-2, 1]", lambda: lib.cat([v, v], 2)),
        ("stack", "-4", "[-3, 2]", lambda: lib.stack([v, v], -4)), ("permute", "2", "[-2, 1]", lambda: v.permute(0, 2)),
    ]


def test_dims_out_of_range_name_the_op_the_dim_and_the_range():
    for op, dim, valid, call in _refusals(tg):
        with pytest.raises(IndexError, match=rf"^{op}: dimension {dim} is out of range .*{re.escape(valid)}"):
            call()


def test_dims_out_of_range_are_index_errors_in_torch_too():
    torch = pytest.importorskip("torch")
    for _op, _dim, valid, call in _refusals(torch):
        with pytest.raises(IndexError, match=re.escape(valid)):
            call()


def test_other_dim_mistakes_as_torch():
    t, v = tg.tensor(2.5), tg.ones(2, 2)
    assert v.sum(()).item() == 4.0                           # an empty tuple reduces every axis, as PyTorch
    with pytest.raises(RuntimeError, match=r"sum: dim 0 appears more than once in dim=\(0, -2\)"):
        v.sum((0, -2))
    with pytest.raises(TypeError, match=r"sum: dim must be an int, got 1.5"):
        v.sum(1.5)
    with pytest.raises(IndexError, match=r"size: a 0-d tensor has no dimensions"):
        t.size(0)
    with pytest.raises(RuntimeError, match=r"cat: 0-d tensors cannot be concatenated"):
        tg.cat([t, t])
    with pytest.raises(IndexError, match=r"softmax: dimension 2 is out of range for a 1-D tensor \(expected an int "
                                         r"in \[-1, 0\]\)"):
        tg.nn.functional.softmax(tg.ones(3), 2)


def test_flatten_refuses_a_start_after_the_end():
    assert tg.ones(2, 3, 4).flatten(1, -1).shape == (2, 12)
    with pytest.raises(ValueError, match=r"flatten: start_dim 1 comes after end_dim 0"):
        tg.ones(2, 3).flatten(1, 0)                            # was a silent reshape to (2, 1, 3)
