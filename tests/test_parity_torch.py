"""Parity with PyTorch: the same input values go into tinygrad_edu and torch; outputs and every input's gradient
must come out the same (float64: rel 1e-10; float32 forward checks: rel 1e-5).

Each case is one line: `P(id, fn, *inputs)`, where `fn(L, *tensors)` is written once against the shared API and
`L` carries the few names that differ (tg.cat vs torch.cat, F, nn, constants).  `th=` gives torch's spelling
where torch has no equivalent syntax (negative slice steps).  Every float input requires grad; the backward
pass is seeded with the same random upstream gradient on both sides.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu import nn as tnn  # noqa: E402
from tinygrad_edu import optim as toptim  # noqa: E402
from tinygrad_edu.nn.utils import clip_grad_norm_  # noqa: E402

torch.set_default_dtype(torch.float32)

RTOL64, ATOL64 = 1e-10, 1e-12
RTOL32, ATOL32 = 1e-5, 1e-6

TG = SimpleNamespace(name="tg", F=F, nn=tnn, cat=tg.cat, stack=tg.stack, where=tg.where,
                     const=lambda a: tg.tensor(np.asarray(a)),
                     like=lambda a, x: tg.tensor(np.asarray(a, dtype=x.dtype)))
TH = SimpleNamespace(name="torch", F=TF, nn=torch.nn, cat=torch.cat, stack=torch.stack, where=torch.where,
                     const=lambda a: torch.tensor(np.asarray(a)),
                     like=lambda a, x: torch.tensor(np.asarray(a), dtype=x.dtype))

_R = np.random.default_rng(1234)


def rn(*shape):
    return _R.standard_normal(shape)


def pos(*shape):
    return _R.uniform(0.5, 2.0, shape)


def prob(*shape):
    return _R.uniform(0.05, 0.95, shape)


def arr(values):
    return np.array(values, dtype=np.float64)


def P(name, fn, *inputs, th=None):
    return pytest.param(fn, th or fn, inputs, id=name)


# --------------------------------------------------------------------------------------------- the checker
def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(fn_tg, fn_th, inputs, dtype=np.float64, rtol=RTOL64, atol=ATOL64, backward=True):
    """Run both sides on the same values; compare every output (value, shape, dtype) and every input's grad."""
    th_dtype = torch.float64 if dtype == np.float64 else torch.float32
    x_tg = [tg.Tensor(np.asarray(a, dtype=dtype), requires_grad=True, dtype=dtype) for a in inputs]
    x_th = [torch.tensor(np.asarray(a, dtype=dtype), dtype=th_dtype, requires_grad=True) for a in inputs]
    out_tg, out_th = _outputs(fn_tg(TG, *x_tg)), _outputs(fn_th(TH, *x_th))
    assert len(out_tg) == len(out_th)
    for o_tg, o_th in zip(out_tg, out_th):
        a, b = _np(o_tg), _np(o_th)
        assert a.shape == b.shape, (a.shape, b.shape)
        if b.dtype.kind == "f":
            assert a.dtype == b.dtype, (a.dtype, b.dtype)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        else:
            assert a.dtype.kind in "iub" and a.dtype.kind == b.dtype.kind, (a.dtype, b.dtype)
            np.testing.assert_array_equal(a, b)
    if not backward:
        return
    pairs = [(o_tg, o_th) for o_tg, o_th in zip(out_tg, out_th) if o_th.requires_grad]
    if not pairs:
        return
    seed = np.random.default_rng(7)
    if len(pairs) == 1:
        (o_tg, o_th), = pairs
        g = seed.standard_normal(tuple(o_th.shape)).astype(dtype)
        o_tg.backward(gradient=g)
        o_th.backward(torch.tensor(g))
    else:
        gs = [seed.standard_normal(tuple(o_th.shape)).astype(dtype) for _, o_th in pairs]
        sum(((o * tg.Tensor(g, dtype=dtype)).sum() for (o, _), g in zip(pairs, gs)), tg.Tensor(0.0, dtype=dtype)
            ).backward()
        sum((o * torch.tensor(g)).sum() for (_, o), g in zip(pairs, gs)).backward()
    for i, (a, b) in enumerate(zip(x_tg, x_th)):
        if b.grad is None:
            assert a.grad is None or not np.any(_np(a.grad)), f"input {i}: torch has no grad"
            continue
        assert a.grad is not None, f"input {i}: no grad, torch has one"
        ga = _np(a.grad)
        assert ga.shape == tuple(b.grad.shape) and ga.dtype == dtype, (i, ga.shape, ga.dtype)
        np.testing.assert_allclose(ga, b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}")


# --------------------------------------------------------------------------------------------- Tensor methods
BOUNDS = arr([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])  # clamp(-1, 1) and clamp(0, ...): entries on the bounds

ELEMENTWISE = [
    P("add", lambda L, x, y: x + y, rn(3, 4), rn(3, 4)),
    P("add_bcast_both", lambda L, x, y: x + y, rn(3, 1), rn(1, 4)),
    P("add_bcast_rank", lambda L, x, y: x + y, rn(2, 1, 4), rn(3, 1)),
    P("add_0d", lambda L, x, y: x + y, rn(3, 4), rn()),
    P("add_number", lambda L, x: x + 2.5, rn(3, 4)),
    P("radd_number", lambda L, x: 2.5 + x, rn(3, 4)),
    P("sub", lambda L, x, y: x - y, rn(3, 4), rn(3, 4)),
    P("sub_bcast_both", lambda L, x, y: x - y, rn(4, 1), rn(1, 3)),
    P("sub_number", lambda L, x: x - 1.5, rn(3, 4)),
    P("rsub_number", lambda L, x: 1.5 - x, rn(3, 4)),
    P("mul", lambda L, x, y: x * y, rn(3, 4), rn(3, 4)),
    P("mul_bcast_both", lambda L, x, y: x * y, rn(1, 3, 1), rn(2, 1, 4)),
    P("mul_same_tensor", lambda L, x: x * x, rn(3, 4)),
    P("mul_number", lambda L, x: x * -3.0, rn(3, 4)),
    P("rmul_number", lambda L, x: -3.0 * x, rn(3, 4)),
    P("div", lambda L, x, y: x / y, rn(3, 4), pos(3, 4)),
    P("div_bcast_both", lambda L, x, y: x / y, rn(3, 1), pos(1, 4)),
    P("div_number", lambda L, x: x / 4.0, rn(3, 4)),
    P("rdiv_number", lambda L, x: 2.0 / x, pos(3, 4)),
    P("neg", lambda L, x: -x, rn(3, 4)),
    P("pow_2", lambda L, x: x ** 2, rn(3, 4)),
    P("pow_3", lambda L, x: x ** 3, rn(3, 4)),
    P("pow_0", lambda L, x: x ** 0, rn(3, 4)),
    P("pow_1", lambda L, x: x ** 1, rn(3, 4)),
    P("pow_int_neg", lambda L, x: x ** -2, rn(3, 4)),
    P("pow_half", lambda L, x: x ** 0.5, pos(3, 4)),
    P("pow_neg_frac", lambda L, x: x ** -1.5, pos(3, 4)),
    P("pow_2_at_zero", lambda L, x: x ** 2, arr([-1.0, 0.0, 2.0])),
    P("pow_tensor", lambda L, x, y: x ** y, pos(3, 4), rn(3, 4)),
    P("pow_tensor_bcast", lambda L, x, y: x ** y, pos(3, 1), rn(1, 4)),
    P("pow_tensor_neg_base", lambda L, x, y: x ** y, arr([-2.0, -1.5, -3.0]), arr([2.0, 3.0, -1.0])),
    P("pow_tensor_zero_base", lambda L, x, y: x ** y, arr([0.0, 0.0, 1.0]), arr([2.0, 3.0, 2.0])),
    P("rpow_2", lambda L, x: 2.0 ** x, rn(3, 4)),
    P("rpow_half", lambda L, x: 0.5 ** x, rn(3, 4)),
    P("rpow_int_base", lambda L, x: 3 ** x, rn(3, 4)),
    P("rpow_neg_base", lambda L, x: (-2.0) ** x, arr([1.0, 2.0, 3.0])),
    P("exp", lambda L, x: x.exp(), rn(3, 4)),
    P("log", lambda L, x: x.log(), pos(3, 4)),
    P("sqrt", lambda L, x: x.sqrt(), pos(3, 4)),
    P("tanh", lambda L, x: x.tanh(), rn(3, 4) * 3),
    P("sigmoid", lambda L, x: x.sigmoid(), rn(3, 4) * 3),
    P("sigmoid_large", lambda L, x: x.sigmoid(), arr([-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0])),
    P("relu", lambda L, x: x.relu(), BOUNDS),
    P("abs", lambda L, x: x.abs(), BOUNDS),
    P("clamp_min", lambda L, x: x.clamp(min=0.0), BOUNDS),
    P("clamp_max", lambda L, x: x.clamp(max=0.5), BOUNDS),
    P("clamp_both", lambda L, x: x.clamp(-1.0, 1.0), BOUNDS),
    P("clamp_both_kw", lambda L, x: x.clamp(min=-0.5, max=2.0), BOUNDS),
    P("clamp_random", lambda L, x: x.clamp(-0.3, 0.4), rn(3, 4)),
    P("softmax_0", lambda L, x: x.softmax(0), rn(2, 3, 4)),
    P("softmax_1", lambda L, x: x.softmax(1), rn(2, 3, 4)),
    P("softmax_neg", lambda L, x: x.softmax(-1), rn(2, 3, 4)),
    P("softmax_large", lambda L, x: x.softmax(-1), arr([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])),
    P("log_softmax_0", lambda L, x: x.log_softmax(0), rn(2, 3, 4)),
    P("log_softmax_1", lambda L, x: x.log_softmax(1), rn(2, 3, 4)),
    P("log_softmax_neg", lambda L, x: x.log_softmax(-1), rn(2, 3, 4)),
    P("log_softmax_large", lambda L, x: x.log_softmax(-1), arr([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])),
    P("chain", lambda L, x, y: ((x * y).tanh() + (x - y).sigmoid() * 2).exp().sum(), rn(3, 4), rn(4)),
]

MATMUL = [
    P("mm_1d_1d", lambda L, a, b: a @ b, rn(4), rn(4)),
    P("mm_1d_2d", lambda L, a, b: a @ b, rn(4), rn(4, 3)),
    P("mm_2d_1d", lambda L, a, b: a @ b, rn(3, 4), rn(4)),
    P("mm_2d_2d", lambda L, a, b: a @ b, rn(3, 4), rn(4, 5)),
    P("mm_3d_2d", lambda L, a, b: a @ b, rn(2, 3, 4), rn(4, 5)),
    P("mm_2d_3d", lambda L, a, b: a @ b, rn(3, 4), rn(2, 4, 5)),
    P("mm_3d_3d", lambda L, a, b: a @ b, rn(2, 3, 4), rn(2, 4, 5)),
    P("mm_3d_1d", lambda L, a, b: a @ b, rn(2, 3, 4), rn(4)),
    P("mm_1d_3d", lambda L, a, b: a @ b, rn(4), rn(2, 4, 5)),
    P("mm_bcast_batch", lambda L, a, b: a @ b, rn(2, 1, 3, 4), rn(5, 4, 2)),
    P("mm_bcast_batch_1", lambda L, a, b: a @ b, rn(1, 3, 4), rn(2, 4, 5)),
    P("mm_4d_1d", lambda L, a, b: a @ b, rn(2, 2, 3, 4), rn(4)),
    P("mm_1x1", lambda L, a, b: a @ b, rn(1, 1), rn(1, 1)),
]

REDUCE = [
    P("sum_all", lambda L, x: x.sum(), rn(2, 3, 4)),
    P("sum_0", lambda L, x: x.sum(0), rn(2, 3, 4)),
    P("sum_neg", lambda L, x: x.sum(-1), rn(2, 3, 4)),
    P("sum_tuple", lambda L, x: x.sum((0, 2)), rn(2, 3, 4)),
    P("sum_tuple_neg_keep", lambda L, x: x.sum(dim=(-1, 0), keepdim=True), rn(2, 3, 4)),
    P("sum_keep", lambda L, x: x.sum(dim=1, keepdim=True), rn(2, 3, 4)),
    P("sum_1d_keep", lambda L, x: x.sum(0, keepdim=True), rn(5)),
    P("mean_all", lambda L, x: x.mean(), rn(2, 3, 4)),
    P("mean_1", lambda L, x: x.mean(1), rn(2, 3, 4)),
    P("mean_neg", lambda L, x: x.mean(-2), rn(2, 3, 4)),
    P("mean_tuple", lambda L, x: x.mean((0, 1)), rn(2, 3, 4)),
    P("mean_tuple_keep", lambda L, x: x.mean(dim=(0, -1), keepdim=True), rn(2, 3, 4)),
    P("mean_keep", lambda L, x: x.mean(dim=-1, keepdim=True), rn(2, 3, 4)),
    P("var_all", lambda L, x: x.var(), rn(2, 3, 4)),
    P("var_1", lambda L, x: x.var(dim=1), rn(2, 3, 4)),
    P("var_neg_keep", lambda L, x: x.var(dim=-1, keepdim=True), rn(2, 3, 4)),
    P("var_tuple", lambda L, x: x.var(dim=(0, 2)), rn(2, 3, 4)),
    P("var_biased", lambda L, x: x.var(dim=1, unbiased=False), rn(2, 3, 4)),
    P("var_biased_all", lambda L, x: x.var(unbiased=False), rn(2, 3, 4)),
    P("var_unbiased_keep", lambda L, x: x.var(dim=0, keepdim=True, unbiased=True), rn(2, 3, 4)),
    P("var_correction_0", lambda L, x: x.var(dim=2, correction=0), rn(2, 3, 4)),
    P("var_correction_2", lambda L, x: x.var(dim=2, correction=2), rn(2, 3, 4)),
    P("max_all", lambda L, x: x.max(), rn(3, 4)),
    P("min_all", lambda L, x: x.min(), rn(3, 4)),
    P("max_all_ties", lambda L, x: x.max(), arr([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]])),
    P("min_all_ties", lambda L, x: x.min(), arr([[0.0, 3.0, 0.0], [3.0, 0.0, 2.0]])),
    P("max_dim0", lambda L, x: x.max(dim=0), rn(3, 4)),
    P("max_dim1_keep", lambda L, x: x.max(dim=1, keepdim=True), rn(3, 4)),
    P("max_dim_neg_3d", lambda L, x: x.max(-1), rn(2, 3, 4)),
    P("max_dim_ties", lambda L, x: x.max(dim=1), arr([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 5.0]])),
    P("max_dim0_ties", lambda L, x: x.max(dim=0), arr([[1.0, 3.0, 3.0], [1.0, 3.0, 2.0]])),
    P("min_dim0", lambda L, x: x.min(dim=0), rn(3, 4)),
    P("min_dim1_keep", lambda L, x: x.min(dim=1, keepdim=True), rn(3, 4)),
    P("min_dim_ties", lambda L, x: x.min(dim=-1), arr([[1.0, 0.0, 0.0], [2.0, 2.0, 2.0], [-5.0, 0.0, -5.0]])),
    P("max_values_only", lambda L, x: x.max(dim=1)[0] * 2, rn(3, 4)),
    P("max_named_fields", lambda L, x: (x.max(dim=0).values, x.max(dim=0).indices), rn(3, 4)),
    P("min_named_fields", lambda L, x: (x.min(-1).values, x.min(-1).indices), rn(3, 4)),
    P("argmax", lambda L, x: x.argmax(), rn(3, 4)),
    P("argmax_dim_keep", lambda L, x: x.argmax(dim=1, keepdim=True), rn(3, 4)),
    P("argmin_dim", lambda L, x: x.argmin(dim=0), rn(3, 4)),
    P("compare_no_grad", lambda L, x, y: (x > y, x <= 0.1, x == x), rn(3, 4), rn(3, 4)),
    P("float_cast", lambda L, x: x.float() * 2, rn(3, 4)),
    P("double_cast", lambda L, x: x.float().double() * 2, rn(3, 4)),
]

MOVEMENT = [
    P("reshape_flat", lambda L, x: x.reshape(-1), rn(2, 3, 4)),
    P("reshape_args", lambda L, x: x.reshape(4, -1, 2), rn(2, 3, 4)),
    P("reshape_tuple", lambda L, x: x.reshape((6, 4)), rn(2, 3, 4)),
    P("view", lambda L, x: x.view(3, 8), rn(2, 3, 4)),
    P("permute", lambda L, x: x.permute(2, 0, 1), rn(2, 3, 4)),
    P("permute_tuple_neg", lambda L, x: x.permute((-1, 1, 0)), rn(2, 3, 4)),
    P("transpose", lambda L, x: x.transpose(0, 2), rn(2, 3, 4)),
    P("transpose_neg", lambda L, x: x.transpose(-1, -2), rn(2, 3, 4)),
    P("T", lambda L, x: x.T, rn(3, 4)),
    P("T_then_mm", lambda L, x: x.T @ x, rn(3, 4)),
    P("flatten", lambda L, x: x.flatten(), rn(2, 3, 4)),
    P("flatten_1", lambda L, x: x.flatten(1), rn(2, 3, 4)),
    P("flatten_0_1", lambda L, x: x.flatten(0, 1), rn(2, 3, 4)),
    P("flatten_0d", lambda L, x: x.flatten(), rn()),
    P("unsqueeze_0", lambda L, x: x.unsqueeze(0), rn(3, 4)),
    P("unsqueeze_mid", lambda L, x: x.unsqueeze(1), rn(3, 4)),
    P("unsqueeze_neg", lambda L, x: x.unsqueeze(-1), rn(3, 4)),
    P("squeeze_all", lambda L, x: x.squeeze(), rn(1, 3, 1, 4)),
    P("squeeze_dim", lambda L, x: x.squeeze(2), rn(1, 3, 1, 4)),
    P("squeeze_neg", lambda L, x: x.squeeze(-4), rn(1, 3, 1, 4)),
    P("squeeze_noop", lambda L, x: x.squeeze(1), rn(1, 3, 1, 4)),
]

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

GETITEM = [
    P("int", lambda L, x: x[1], rn(3, 4, 5)),
    P("int_neg", lambda L, x: x[-1, 2], rn(3, 4, 5)),
    P("slice", lambda L, x: x[1:3], rn(3, 4, 5)),
    P("slice_step", lambda L, x: x[:, ::2, 1:4:2], rn(3, 4, 5)),
    P("slice_neg_bounds", lambda L, x: x[-2:, :-1], rn(3, 4, 5)),
    P("slice_empty", lambda L, x: x[2:1], rn(3, 4, 5)),
    P("none", lambda L, x: x[None], rn(3, 4)),
    P("none_mid", lambda L, x: x[:, None, 1], rn(3, 4)),
    P("ellipsis_last", lambda L, x: x[..., 1], rn(3, 4, 5)),
    P("ellipsis_first", lambda L, x: x[1, ...], rn(3, 4, 5)),
    P("ellipsis_none", lambda L, x: x[..., None, 1:3], rn(3, 4, 5)),
    P("int_array_repeat", lambda L, x: x[L.const([0, 2, 0, 0])], rn(3, 4)),
    P("list_repeat", lambda L, x: x[[2, 2, 1]], rn(3, 4)),
    P("int_array_2d_repeat", lambda L, x: x[L.const([[0, 1], [1, 1]])], rn(3, 4)),
    P("int_array_neg", lambda L, x: x[L.const([-1, 0, -1])], rn(3, 4)),
    P("slice_then_array", lambda L, x: x[:, L.const([1, 1, 0])], rn(3, 4)),
    P("two_arrays_repeat", lambda L, x: x[L.const([0, 0, 2]), L.const([3, 3, 1])], rn(3, 4)),
    P("array_bcast_pair", lambda L, x: x[L.const([[0], [2]]), L.const([1, 1, 3])], rn(3, 4)),
    P("array_int_slice", lambda L, x: x[L.const([1, 1]), 2, 1:], rn(3, 4, 5)),
    P("bool_mask_2d", lambda L, x: x[L.const(MASK)], rn(3, 4)),
    P("bool_mask_rows", lambda L, x: x[L.const(np.array([True, False, True]))], rn(3, 4)),
    P("bool_mask_cols", lambda L, x: x[:, L.const(np.array([False, True, True, False]))], rn(3, 4)),
    P("bool_mask_empty", lambda L, x: x[L.const(np.zeros((3, 4), dtype=bool))], rn(3, 4)),
    P("bool_mask_3d_lead", lambda L, x: x[L.const(MASK)], rn(3, 4, 2)),
    P("neg_step", lambda L, x: x[::-1], rn(5, 3), th=lambda L, x: x.flip(0)),
    P("neg_step_2", lambda L, x: x[::-2], rn(5, 3), th=lambda L, x: x.flip(0)[::2]),
    P("neg_step_bounds", lambda L, x: x[3:0:-1], rn(5, 3), th=lambda L, x: x[1:4].flip(0)),
    P("neg_step_inner", lambda L, x: x[:, ::-1], rn(5, 3), th=lambda L, x: x.flip(1)),
    P("neg_step_both", lambda L, x: x[::-2, 2::-2], rn(5, 3), th=lambda L, x: x.flip(0)[::2].flip(1)[:, ::2]),
]

CREATION = [
    P("cat_0", lambda L, x, y: L.cat([x, y], 0), rn(2, 3), rn(4, 3)),
    P("cat_1", lambda L, x, y: L.cat([x, y], dim=1), rn(2, 3), rn(2, 1)),
    P("cat_neg_three", lambda L, x, y, z: L.cat([x, y, z], -1), rn(2, 2, 3), rn(2, 2, 1), rn(2, 2, 2)),
    P("cat_same_twice", lambda L, x: L.cat([x, x * 2], 0), rn(2, 3)),
    P("stack_0", lambda L, x, y: L.stack([x, y]), rn(2, 3), rn(2, 3)),
    P("stack_1", lambda L, x, y, z: L.stack([x, y, z], dim=1), rn(2, 3), rn(2, 3), rn(2, 3)),
    P("stack_neg", lambda L, x, y: L.stack([x, y], -1), rn(2, 3), rn(2, 3)),
    P("where", lambda L, x, y: L.where(L.const(MASK), x, y), rn(3, 4), rn(3, 4)),
    P("where_bcast", lambda L, x, y: L.where(L.const(MASK[:, :1]), x, y), rn(1, 4), rn(3, 1)),
    P("where_number_other", lambda L, x: L.where(L.const(MASK), x, 0.0), rn(3, 4)),
    P("where_number_input", lambda L, x: L.where(L.const(MASK), 1.5, x), rn(3, 4)),
    P("where_from_compare", lambda L, x, y: L.where(x > y, x, y), rn(3, 4), rn(3, 4)),
]


@pytest.mark.parametrize("fn_tg, fn_th, inputs", ELEMENTWISE + MATMUL + REDUCE + MOVEMENT + GETITEM + CREATION)
def test_tensor_ops(fn_tg, fn_th, inputs):
    check(fn_tg, fn_th, inputs)


# --------------------------------------------------------------------------------------------- nn.functional
IDX = np.array([[1, 3, 1], [0, 3, 3]])
TGT = np.array([2, 0, 4, 2])
TGT_IGN = np.array([2, -100, 4, -100])
TGT_IGN1 = np.array([2, 1, 4, 1])
TGT_ND = np.array([[0, 2, 1], [2, 2, -100]])
TGT_2D = np.array([[[0, 2], [1, 1]], [[2, 0], [-100, 1]]])
SOFT = _R.dirichlet(np.ones(5), size=4)
SOFT_ND = np.moveaxis(_R.dirichlet(np.ones(3), size=(2, 4)), -1, 1)   # (N=2, C=3, d=4)
BIN = _R.uniform(0, 1, (3, 4))
BIN_HARD = (_R.uniform(0, 1, (3, 4)) > 0.5).astype(np.float64)
EDGE_P = arr([0.0, 1e-14, 0.3, 1 - 1e-14, 1.0, 0.0, 1.0])
NEAR_P = arr([1e-5, 1e-6, 0.3, 1 - 1e-6, 1 - 1e-5, 0.5, 0.999])   # p (1 - p) above torch's 1e-12 clamp
EDGE_T = arr([0.0, 0.2, 1.0, 0.7, 1.0, 0.4, 0.6])
BIG = arr([-1e4, -500.0, -50.0, -1.0, 0.0, 1.0, 50.0, 500.0, 1e4])
BIG_T = _R.uniform(0, 1, BIG.shape)

FUNCTIONAL = [
    P("linear_2d", lambda L, x, w, b: L.F.linear(x, w, b), rn(4, 3), rn(5, 3), rn(5)),
    P("linear_2d_nobias", lambda L, x, w: L.F.linear(x, w), rn(4, 3), rn(5, 3)),
    P("linear_1d", lambda L, x, w, b: L.F.linear(x, w, b), rn(3), rn(5, 3), rn(5)),
    P("linear_1d_nobias", lambda L, x, w: L.F.linear(x, w), rn(3), rn(5, 3)),
    P("linear_3d", lambda L, x, w, b: L.F.linear(x, w, b), rn(2, 4, 3), rn(5, 3), rn(5)),
    P("linear_3d_nobias", lambda L, x, w: L.F.linear(x, w, None), rn(2, 4, 3), rn(5, 3)),
    P("linear_4d", lambda L, x, w, b: L.F.linear(x, w, b), rn(2, 1, 4, 3), rn(5, 3), rn(5)),
    P("linear_row_offset", lambda L, x, w, b: L.F.linear(x, w, b), rn(4, 3), rn(5, 3), rn(4, 5)),   # per-row bias
    P("linear_3d_row_offset", lambda L, x, w, b: L.F.linear(x, w, b), rn(2, 4, 3), rn(5, 3), rn(2, 4, 5)),
    P("F_relu", lambda L, x: L.F.relu(x), BOUNDS),
    P("F_sigmoid", lambda L, x: L.F.sigmoid(x), rn(3, 4) * 3),
    P("F_tanh", lambda L, x: L.F.tanh(x), rn(3, 4) * 3),
    P("F_leaky_relu", lambda L, x: L.F.leaky_relu(x), BOUNDS),
    P("F_leaky_relu_slope", lambda L, x: L.F.leaky_relu(x, 0.2), BOUNDS),
    P("F_leaky_relu_kw", lambda L, x: L.F.leaky_relu(x, negative_slope=-0.5), rn(3, 4)),
    P("F_softmax", lambda L, x: L.F.softmax(x, dim=1), rn(2, 3, 4)),
    P("F_softmax_neg", lambda L, x: L.F.softmax(x, -1), rn(2, 3, 4)),
    P("F_log_softmax", lambda L, x: L.F.log_softmax(x, dim=1), rn(2, 3, 4)),
    P("F_log_softmax_neg", lambda L, x: L.F.log_softmax(x, -1), rn(2, 3, 4)),
    P("dropout_p0", lambda L, x: L.F.dropout(x, p=0.0) * 1.0, rn(3, 4)),
    P("dropout_p0_train", lambda L, x: L.F.dropout(x, 0.0, True) * 1.0, rn(3, 4)),
    P("dropout_eval", lambda L, x: L.F.dropout(x, p=0.5, training=False) * 1.0, rn(3, 4)),
    P("dropout_eval_p09", lambda L, x: L.F.dropout(x, 0.9, False) * 1.0, rn(3, 4)),
    P("embedding", lambda L, w: L.F.embedding(L.const([1, 3, 1, 1]), w), rn(5, 3)),
    P("embedding_2d", lambda L, w: L.F.embedding(L.const(IDX), w), rn(5, 3)),
    P("one_hot", lambda L: L.F.one_hot(L.const([0, 2, 2, 1]), 4)),
    P("one_hot_infer", lambda L: L.F.one_hot(L.const(IDX))),
    P("one_hot_2d", lambda L: L.F.one_hot(L.const(IDX), num_classes=5)),
]

LOSSES = [
    P("ce_mean", lambda L, x: L.F.cross_entropy(x, L.const(TGT)), rn(4, 5)),
    P("ce_sum", lambda L, x: L.F.cross_entropy(x, L.const(TGT), reduction="sum"), rn(4, 5)),
    P("ce_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT), reduction="none"), rn(4, 5)),
    P("ce_ignore_mean", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN)), rn(4, 5)),
    P("ce_ignore_sum", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), reduction="sum"), rn(4, 5)),
    P("ce_ignore_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), reduction="none"), rn(4, 5)),
    P("ce_ignore_index_1", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN1), ignore_index=1), rn(4, 5)),
    P("ce_ls", lambda L, x: L.F.cross_entropy(x, L.const(TGT), label_smoothing=0.1), rn(4, 5)),
    P("ce_ls_sum", lambda L, x: L.F.cross_entropy(x, L.const(TGT), reduction="sum", label_smoothing=0.3), rn(4, 5)),
    P("ce_ls_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT), reduction="none", label_smoothing=0.2),
      rn(4, 5)),
    P("ce_ls_ignore", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), label_smoothing=0.1), rn(4, 5)),
    P("ce_ls_ignore_sum", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), reduction="sum",
                                                         label_smoothing=0.1), rn(4, 5)),
    P("ce_ls_ignore_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), reduction="none",
                                                          label_smoothing=0.1), rn(4, 5)),
    P("ce_ls_1", lambda L, x: L.F.cross_entropy(x, L.const(TGT), label_smoothing=1.0), rn(4, 5)),
    P("ce_1d", lambda L, x: L.F.cross_entropy(x, L.const(3)), rn(5)),
    P("ce_1d_none", lambda L, x: L.F.cross_entropy(x, L.const(3), reduction="none"), rn(5)),
    P("ce_1d_ls", lambda L, x: L.F.cross_entropy(x, L.const(1), label_smoothing=0.2), rn(5)),
    P("ce_ncd", lambda L, x: L.F.cross_entropy(x, L.const(TGT_ND)), rn(2, 3, 3)),
    P("ce_ncd_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT_ND), reduction="none"), rn(2, 3, 3)),
    P("ce_ncd_ls", lambda L, x: L.F.cross_entropy(x, L.const(TGT_ND), label_smoothing=0.1), rn(2, 3, 3)),
    P("ce_ncd_ls_none", lambda L, x: L.F.cross_entropy(x, L.const(TGT_ND), reduction="none", label_smoothing=0.1),
      rn(2, 3, 3)),
    P("ce_ncdd", lambda L, x: L.F.cross_entropy(x, L.const(TGT_2D), reduction="sum"), rn(2, 3, 2, 2)),
    P("ce_prob", lambda L, x: L.F.cross_entropy(x, L.like(SOFT, x)), rn(4, 5)),
    P("ce_prob_sum", lambda L, x: L.F.cross_entropy(x, L.like(SOFT, x), reduction="sum"), rn(4, 5)),
    P("ce_prob_none", lambda L, x: L.F.cross_entropy(x, L.like(SOFT, x), reduction="none"), rn(4, 5)),
    P("ce_prob_ls", lambda L, x: L.F.cross_entropy(x, L.like(SOFT, x), label_smoothing=0.2), rn(4, 5)),
    P("ce_prob_1d", lambda L, x: L.F.cross_entropy(x, L.like(SOFT[0], x)), rn(5)),
    P("ce_prob_ncd", lambda L, x: L.F.cross_entropy(x, L.like(SOFT_ND, x)), rn(2, 3, 4)),
    P("ce_prob_ncd_none", lambda L, x: L.F.cross_entropy(x, L.like(SOFT_ND, x), reduction="none"), rn(2, 3, 4)),
    P("nll_mean", lambda L, x: L.F.nll_loss(x, L.const(TGT)), rn(4, 5)),
    P("nll_sum", lambda L, x: L.F.nll_loss(x, L.const(TGT), reduction="sum"), rn(4, 5)),
    P("nll_none", lambda L, x: L.F.nll_loss(x, L.const(TGT), reduction="none"), rn(4, 5)),
    P("nll_ignore", lambda L, x: L.F.nll_loss(x, L.const(TGT_IGN)), rn(4, 5)),
    P("nll_ignore_1_none", lambda L, x: L.F.nll_loss(x, L.const(TGT_IGN1), ignore_index=1, reduction="none"),
      rn(4, 5)),
    P("nll_repeat_target", lambda L, x: L.F.nll_loss(x, L.const([1, 1, 1, 1])), rn(4, 5)),
    P("nll_log_softmax", lambda L, x: L.F.nll_loss(L.F.log_softmax(x, 1), L.const(TGT)), rn(4, 5)),
    P("nll_1d", lambda L, x: L.F.nll_loss(x, L.const(2)), rn(5)),
    P("nll_ncd", lambda L, x: L.F.nll_loss(x, L.const(TGT_ND)), rn(2, 3, 3)),
    P("nll_ncd_none", lambda L, x: L.F.nll_loss(x, L.const(TGT_ND), reduction="none"), rn(2, 3, 3)),
    P("mse_mean", lambda L, x, y: L.F.mse_loss(x, y), rn(3, 4), rn(3, 4)),
    P("mse_sum", lambda L, x, y: L.F.mse_loss(x, y, reduction="sum"), rn(3, 4), rn(3, 4)),
    P("mse_none", lambda L, x, y: L.F.mse_loss(x, y, reduction="none"), rn(3, 4), rn(3, 4)),
    P("mse_const_target", lambda L, x: L.F.mse_loss(x, L.like(BIN, x)), rn(3, 4)),
    P("bce_mean", lambda L, p: L.F.binary_cross_entropy(p, L.like(BIN, p)), prob(3, 4)),
    P("bce_sum", lambda L, p: L.F.binary_cross_entropy(p, L.like(BIN_HARD, p), reduction="sum"), prob(3, 4)),
    P("bce_none", lambda L, p: L.F.binary_cross_entropy(p, L.like(BIN, p), reduction="none"), prob(3, 4)),
    P("bce_sigmoid", lambda L, x: L.F.binary_cross_entropy(x.sigmoid(), L.like(BIN, x)), rn(3, 4)),
    P("bce_edges_none", lambda L, p: L.F.binary_cross_entropy(p, L.like(EDGE_T, p), reduction="none"), EDGE_P),
    P("bce_near_edges", lambda L, p: L.F.binary_cross_entropy(p, L.like(EDGE_T, p), reduction="sum"), NEAR_P),
    P("bcel_mean", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIN, x)), rn(3, 4) * 3),
    P("bcel_sum", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIN_HARD, x), reduction="sum"),
      rn(3, 4) * 3),
    P("bcel_none", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIN, x), reduction="none"),
      rn(3, 4) * 3),
    P("bcel_large_none", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIG_T, x), reduction="none"),
      BIG),
    P("bcel_large_mean", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIG_T, x)), BIG),
    P("bcel_large_hard_sum", lambda L, x: L.F.binary_cross_entropy_with_logits(
        x, L.like((BIG_T > 0.5).astype(np.float64), x), reduction="sum"), BIG),
]

MODULES = [
    P("ReLU", lambda L, x: L.nn.ReLU()(x), BOUNDS),
    P("Sigmoid", lambda L, x: L.nn.Sigmoid()(x), rn(3, 4)),
    P("Tanh", lambda L, x: L.nn.Tanh()(x), rn(3, 4)),
    P("LeakyReLU", lambda L, x: L.nn.LeakyReLU(0.1)(x), BOUNDS),
    P("Softmax", lambda L, x: L.nn.Softmax(dim=1)(x), rn(2, 3, 4)),
    P("LogSoftmax", lambda L, x: L.nn.LogSoftmax(dim=-1)(x), rn(2, 3, 4)),
    P("Flatten", lambda L, x: L.nn.Flatten()(x), rn(2, 3, 4)),
    P("Flatten_args", lambda L, x: L.nn.Flatten(0, 1)(x), rn(2, 3, 4)),
    P("Dropout_eval", lambda L, x: L.nn.Dropout(0.5).eval()(x) * 1.0, rn(3, 4)),
    P("CrossEntropyLoss", lambda L, x: L.nn.CrossEntropyLoss()(x, L.const(TGT)), rn(4, 5)),
    P("CrossEntropyLoss_args", lambda L, x: L.nn.CrossEntropyLoss(ignore_index=1, reduction="sum",
                                                                  label_smoothing=0.1)(x, L.const(TGT_IGN1)),
      rn(4, 5)),
    P("NLLLoss", lambda L, x: L.nn.NLLLoss(reduction="none")(x, L.const(TGT_IGN)), rn(4, 5)),
    P("MSELoss", lambda L, x, y: L.nn.MSELoss(reduction="sum")(x, y), rn(3, 4), rn(3, 4)),
    P("BCELoss", lambda L, p: L.nn.BCELoss()(p, L.like(BIN, p)), prob(3, 4)),
    P("BCEWithLogitsLoss", lambda L, x: L.nn.BCEWithLogitsLoss(reduction="none")(x, L.like(BIG_T, x)), BIG),
]


@pytest.mark.parametrize("fn_tg, fn_th, inputs", FUNCTIONAL + LOSSES + MODULES)
def test_functional(fn_tg, fn_th, inputs):
    check(fn_tg, fn_th, inputs)


# --------------------------------------------------------------------------------------------- float32 forward
FLOAT32 = [
    P("f32_add_bcast", lambda L, x, y: x + y, rn(3, 1), rn(1, 4)),
    P("f32_div_number", lambda L, x: x / 3.0, rn(3, 4)),
    P("f32_rdiv", lambda L, x: 1.0 / x, pos(3, 4)),
    P("f32_pow", lambda L, x: x ** 3, rn(3, 4)),
    P("f32_pow_tensor", lambda L, x, y: x ** y, pos(3, 4), rn(3, 4)),
    P("f32_rpow", lambda L, x: 2.0 ** x, rn(3, 4)),
    P("f32_exp_log", lambda L, x: x.exp().log().sqrt(), pos(3, 4)),
    P("f32_matmul", lambda L, a, b: a @ b, rn(2, 3, 4), rn(4, 5)),
    P("f32_sigmoid", lambda L, x: x.sigmoid(), rn(3, 4) * 5),
    P("f32_softmax", lambda L, x: x.softmax(-1), rn(3, 4) * 5),
    P("f32_log_softmax", lambda L, x: x.log_softmax(0), rn(3, 4) * 5),
    P("f32_var", lambda L, x: x.var(dim=1), rn(3, 4)),
    P("f32_mean_tuple", lambda L, x: x.mean((0, 1)), rn(2, 3, 4)),
    P("f32_max_dim", lambda L, x: x.max(dim=1), rn(3, 4)),
    P("f32_getitem", lambda L, x: x[L.const([0, 0, 2]), 1:], rn(3, 4)),
    P("f32_linear", lambda L, x, w, b: L.F.linear(x, w, b), rn(2, 4, 3), rn(5, 3), rn(5)),
    P("f32_ce", lambda L, x: L.F.cross_entropy(x, L.const(TGT), label_smoothing=0.1), rn(4, 5)),
    P("f32_nll", lambda L, x: L.F.nll_loss(x, L.const(TGT_IGN)), rn(4, 5)),
    P("f32_bce", lambda L, p: L.F.binary_cross_entropy(p, L.like(BIN, p)), prob(3, 4)),
    P("f32_bcel_large", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.like(BIG_T, x), reduction="none"),
      BIG),
    P("f32_mse", lambda L, x, y: L.F.mse_loss(x, y), rn(3, 4), rn(3, 4)),
]


@pytest.mark.parametrize("fn_tg, fn_th, inputs", FLOAT32)
def test_float32_forward(fn_tg, fn_th, inputs):
    check(fn_tg, fn_th, inputs, dtype=np.float32, rtol=RTOL32, atol=ATOL32, backward=False)


def test_float32_default_dtype_and_grad():
    a = rn(3, 4)
    x_tg, x_th = tg.Tensor(a, requires_grad=True), torch.tensor(a, dtype=torch.float32, requires_grad=True)
    y_tg, y_th = (x_tg.tanh() * 2).sum(), (x_th.tanh() * 2).sum()
    y_tg.backward()
    y_th.backward()
    assert x_tg.dtype == np.float32 and y_tg.dtype == np.float32 and x_tg.grad.dtype == np.float32
    np.testing.assert_allclose(y_tg.item(), y_th.item(), rtol=RTOL32)
    np.testing.assert_allclose(x_tg.grad.numpy(), x_th.grad.numpy(), rtol=RTOL32, atol=ATOL32)


# --------------------------------------------------------------------------------------------- nn modules
def _net(nn, dtype):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4, dtype=dtype)
            self.body = nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.ReLU(),
                                      nn.Sequential(nn.Linear(8, 8, dtype=dtype), nn.Tanh()),
                                      nn.Linear(8, 6, bias=False, dtype=dtype))
            self.heads = nn.ModuleList([nn.Linear(6, 3, dtype=dtype), nn.Linear(6, 2, dtype=dtype)])
            self.out = nn.Linear(5, 1, dtype=dtype)

        def forward(self, idx, lib):
            h = self.body(self.embed(idx))
            return self.out(lib.cat([head(h) for head in self.heads], -1))

    return Net()


def _pair(dtype=np.float64, seed=0):
    torch.manual_seed(seed)
    th_net = _net(torch.nn, torch.float64 if dtype == np.float64 else torch.float32)
    tg_net = _net(tnn, dtype)
    tg_net.load_state_dict({k: v.detach().numpy() for k, v in th_net.state_dict().items()})
    return tg_net, th_net


def test_state_dict_keys_and_shapes():
    tg_net, th_net = _net(tnn, np.float64), _net(torch.nn, torch.float64)
    tg_sd, th_sd = tg_net.state_dict(), th_net.state_dict()
    assert list(tg_sd) == list(th_sd)
    assert [tuple(v.shape) for v in tg_sd.values()] == [tuple(v.shape) for v in th_sd.values()]
    assert [n for n, _ in tg_net.named_parameters()] == [n for n, _ in th_net.named_parameters()]
    assert [tuple(p.shape) for p in tg_net.parameters()] == [tuple(p.shape) for p in th_net.parameters()]


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, RTOL64, ATOL64), (np.float32, RTOL32, ATOL32)])
def test_load_torch_state_dict_same_outputs_and_grads(dtype, rtol, atol):
    tg_net, th_net = _pair(dtype)
    for (k, v_tg), (k2, v_th) in zip(tg_net.state_dict().items(), th_net.state_dict().items()):
        assert k == k2 and v_tg.dtype == dtype
        np.testing.assert_array_equal(v_tg.numpy(), v_th.numpy())
    idx = np.array([[1, 3, 1, 9], [0, 3, 3, 7]])
    y_tg, y_th = tg_net(tg.tensor(idx), TG), th_net(torch.tensor(idx), TH)
    assert y_tg.dtype == dtype
    np.testing.assert_allclose(y_tg.numpy(), y_th.detach().numpy(), rtol=rtol, atol=atol)
    (y_tg * y_tg).sum().backward()
    (y_th * y_th).sum().backward()
    th_params = dict(th_net.named_parameters())
    for name, p in tg_net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


def test_load_state_dict_accepts_tensors():
    tg_net, th_net = _pair()
    other = _net(tnn, np.float64)
    other.load_state_dict(tg_net.state_dict())
    idx = np.array([2, 5, 5])
    np.testing.assert_allclose(other(tg.tensor(idx), TG).numpy(), th_net(torch.tensor(idx), TH).detach().numpy(),
                               rtol=RTOL64, atol=ATOL64)


def test_linear_module_layout():
    torch.manual_seed(1)
    th = torch.nn.Linear(3, 5, dtype=torch.float64)
    m = tnn.Linear(3, 5, dtype=np.float64)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in th.state_dict().items()]
    m.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    check(lambda L, x: m(x), lambda L, x: th(x), [rn(2, 4, 3)])
    np.testing.assert_allclose(m.weight.grad.numpy(), th.weight.grad.numpy(), rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(m.bias.grad.numpy(), th.bias.grad.numpy(), rtol=RTOL64, atol=ATOL64)


def test_embedding_module_repeated_indices():
    torch.manual_seed(2)
    th = torch.nn.Embedding(6, 3, dtype=torch.float64)
    m = tnn.Embedding(6, 3, dtype=np.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    idx = np.array([[5, 0, 5], [5, 5, 1]])
    g = rn(2, 3, 3)
    y_tg, y_th = m(tg.tensor(idx)), th(torch.tensor(idx))
    np.testing.assert_array_equal(y_tg.numpy(), y_th.detach().numpy())
    y_tg.backward(gradient=g)
    y_th.backward(torch.tensor(g))
    np.testing.assert_allclose(m.weight.grad.numpy(), th.weight.grad.numpy(), rtol=RTOL64, atol=ATOL64)


# --------------------------------------------------------------------------------------------- optim
def _mlp(nn, dtype):
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))


OPTIMIZERS = [
    pytest.param("SGD", dict(lr=0.1), id="sgd"),
    pytest.param("SGD", dict(lr=0.1, momentum=0.9), id="sgd_momentum"),
    pytest.param("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), id="sgd_nesterov"),
    pytest.param("SGD", dict(lr=0.1, weight_decay=0.05), id="sgd_weight_decay"),
    pytest.param("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3), id="sgd_dampening"),
    pytest.param("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), id="sgd_all"),
    pytest.param("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, nesterov=True), id="sgd_nesterov_wd"),
    pytest.param("Adam", dict(), id="adam"),
    pytest.param("Adam", dict(lr=0.01), id="adam_lr"),
    pytest.param("Adam", dict(lr=0.01, weight_decay=0.1), id="adam_weight_decay"),
    pytest.param("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6), id="adam_betas_eps"),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_optimizer_steps(name, kwargs):
    torch.manual_seed(3)
    th_net = _mlp(torch.nn, torch.float64)
    tg_net = _mlp(tnn, np.float64)
    tg_net.load_state_dict({k: v.detach().numpy() for k, v in th_net.state_dict().items()})
    th_opt = getattr(torch.optim, name)(th_net.parameters(), **kwargs)
    tg_opt = getattr(toptim, name)(tg_net.parameters(), **kwargs)
    x, y = rn(6, 4), rn(6, 3)
    for step in range(5):
        th_opt.zero_grad()
        tg_opt.zero_grad()
        TF.mse_loss(th_net(torch.tensor(x)), torch.tensor(y)).backward()
        F.mse_loss(tg_net(tg.Tensor(x, dtype=np.float64)), tg.Tensor(y, dtype=np.float64)).backward()
        th_opt.step()
        tg_opt.step()
        th_params = dict(th_net.named_parameters())
        for k, p in tg_net.named_parameters():
            np.testing.assert_allclose(p.numpy(), th_params[k].detach().numpy(), rtol=RTOL64, atol=ATOL64,
                                       err_msg=f"{k} after step {step + 1}")


def test_optimizer_param_groups():
    torch.manual_seed(4)
    th_net = _mlp(torch.nn, torch.float64)
    tg_net = _mlp(tnn, np.float64)
    tg_net.load_state_dict({k: v.detach().numpy() for k, v in th_net.state_dict().items()})

    def groups(net):
        return [{"params": list(net[0].parameters()), "lr": 0.01}, {"params": list(net[2].parameters())}]

    th_opt = torch.optim.SGD(groups(th_net), lr=0.1, momentum=0.9)
    tg_opt = toptim.SGD(groups(tg_net), lr=0.1, momentum=0.9)
    x, y = rn(6, 4), rn(6, 3)
    for _ in range(3):
        th_opt.zero_grad()
        tg_opt.zero_grad()
        TF.mse_loss(th_net(torch.tensor(x)), torch.tensor(y)).backward()
        F.mse_loss(tg_net(tg.Tensor(x, dtype=np.float64)), tg.Tensor(y, dtype=np.float64)).backward()
        th_opt.step()
        tg_opt.step()
    for (k, p), (_, q) in zip(tg_net.named_parameters(), th_net.named_parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=RTOL64, atol=ATOL64, err_msg=k)


# --------------------------------------------------------------------------------------------- nn.utils
@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0), (0.2, math.inf), (50.0, 1.0),
                                                 (0.1, 3.0)])
def test_clip_grad_norm(max_norm, norm_type):
    grads = [rn(3, 4), rn(4), rn(2, 2)]
    tg_ps = [tg.Tensor(np.zeros_like(g), requires_grad=True, dtype=np.float64) for g in grads]
    th_ps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(tg_ps, th_ps, grads):
        (p * tg.Tensor(g, dtype=np.float64)).sum().backward()
        q.grad = torch.tensor(g)
    norm_tg = clip_grad_norm_(tg_ps, max_norm, norm_type=norm_type)
    norm_th = torch.nn.utils.clip_grad_norm_(th_ps, max_norm, norm_type=norm_type)
    for p, q in zip(tg_ps, th_ps):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=RTOL64, atol=ATOL64)
    assert isinstance(norm_tg, tg.Tensor) and norm_tg.shape == ()
    np.testing.assert_allclose(norm_tg.item(), norm_th.item(), rtol=RTOL64, atol=ATOL64)
    assert norm_tg.dtype == np.float64, norm_tg.dtype          # torch: the grads' dtype


def test_clip_grad_norm_single_tensor_value():
    g = rn(5, 3) * 10
    p, q = tg.Tensor(np.zeros((5, 3)), requires_grad=True, dtype=np.float64), torch.zeros(5, 3, dtype=torch.float64)
    (p * tg.Tensor(g, dtype=np.float64)).sum().backward()
    q.grad = torch.tensor(g)
    n_tg, n_th = clip_grad_norm_(p, 1.0), torch.nn.utils.clip_grad_norm_(q, 1.0)
    np.testing.assert_allclose(float(n_tg.item()), n_th.item(), rtol=1e-6)   # value, at float32 precision
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=RTOL64, atol=ATOL64)
