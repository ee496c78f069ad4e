"""Parity with PyTorch for convolution and pooling: the same values go into tinygrad_edu and torch; outputs and
every input's gradient (input, weight, bias) must come out the same (float64: rel 1e-10; float32 forward: 1e-5).

Each case is one line built by a small helper (`C2(...)` for conv2d, `MP(...)` for max_pool2d, ...) around a base
configuration, varying one or two factors at a time, plus a few random combinations drawn with a fixed seed.
`fn(L, *tensors)` is written once against the shared API; `L` carries F and nn of either library.  Every float
input requires grad; backward is seeded with the same random upstream gradient on both sides.
"""

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu import nn as tnn  # noqa: E402

RTOL64, ATOL64 = 1e-10, 1e-12
RTOL32, ATOL32 = 1e-5, 1e-5

TG = SimpleNamespace(name="tg", F=F, nn=tnn)
TH = SimpleNamespace(name="torch", F=TF, nn=torch.nn)

# the floor-with-a-warning cases are asserted in test_non_integer_output_*; the grids only compare numbers
FLOOR_WARNING = "ignore:.*is not an integer:UserWarning"
TORCH_SAME_EVEN = "ignore:Using padding='same' with even kernel:UserWarning"     # torch's own note, not ours

_R = np.random.default_rng(4321)


def rn(*shape):
    return _R.standard_normal(shape)


def ties(*shape, high=3):
    """Small integers: many equal maxima in every window."""
    return _R.integers(0, high, shape).astype(np.float64)


def P(name, fn, *inputs):
    return pytest.param(fn, inputs, id=name)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's CPU convolutions on these tiny float64 inputs spend ~50 ms per call waking threads on a busy
    machine; one thread keeps this file at a few seconds (the numbers do not depend on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------------------------- the checker
def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(fn, inputs, dtype=np.float64, rtol=RTOL64, atol=ATOL64, backward=True):
    """Run both sides on the same values; compare every output (value, shape, dtype) and every input's grad."""
    th_dtype = torch.float64 if dtype == np.float64 else torch.float32
    x_tg = [tg.Tensor(np.asarray(a, dtype=dtype), requires_grad=True, dtype=dtype) for a in inputs]
    x_th = [torch.tensor(np.asarray(a, dtype=dtype), dtype=th_dtype, requires_grad=True) for a in inputs]
    out_tg, out_th = _outputs(fn(TG, *x_tg)), _outputs(fn(TH, *x_th))
    assert len(out_tg) == len(out_th)
    for o_tg, o_th in zip(out_tg, out_th):
        a, b = _np(o_tg), _np(o_th)
        assert a.shape == b.shape, (a.shape, b.shape)
        if b.dtype.kind == "f":
            assert a.dtype == b.dtype, (a.dtype, b.dtype)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        else:                                              # max-pool indices: exactly torch's
            assert a.dtype == b.dtype, (a.dtype, b.dtype)
            np.testing.assert_array_equal(a, b)
    if not backward:
        return
    (o_tg, o_th), = [(a, b) for a, b in zip(out_tg, out_th) if b.requires_grad]
    g = np.random.default_rng(7).standard_normal(tuple(o_th.shape)).astype(dtype)
    o_tg.backward(gradient=g)
    o_th.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(x_tg, x_th)):
        assert b.grad is not None
        assert a.grad is not None, f"input {i}: no grad, torch has one"
        ga = _np(a.grad)
        assert ga.shape == tuple(b.grad.shape) and ga.dtype == dtype, (i, ga.shape, ga.dtype)
        np.testing.assert_allclose(ga, b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}")


# --------------------------------------------------------------------------------------------- case builders
def C2(name, n=2, c=4, f=6, hw=(7, 5), k=3, stride=1, padding=0, dilation=1, groups=1, bias=True,
       unbatched=False):
    """conv2d around the base case: x (2, 4, 7, 5), weight (6, 4, 3, 3), bias (6,)."""
    kh, kw = _pair(k)
    x = rn(c, *hw) if unbatched else rn(n, c, *hw)
    w = rn(f, c // groups, kh, kw)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias:
        return P(name, lambda L, x, w, b: L.F.conv2d(x, w, b, **kwargs), x, w, rn(f))
    return P(name, lambda L, x, w: L.F.conv2d(x, w, **kwargs), x, w)


def C1(name, n=2, c=4, f=6, length=11, k=3, stride=1, padding=0, dilation=1, groups=1, bias=True,
       unbatched=False):
    """conv1d around the base case: x (2, 4, 11), weight (6, 4, 3), bias (6,)."""
    x = rn(c, length) if unbatched else rn(n, c, length)
    w = rn(f, c // groups, k)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias:
        return P(name, lambda L, x, w, b: L.F.conv1d(x, w, b, **kwargs), x, w, rn(f))
    return P(name, lambda L, x, w: L.F.conv1d(x, w, **kwargs), x, w)


def CT(name, n=2, c=4, f=6, hw=(5, 4), k=3, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
       bias=True, unbatched=False):
    """conv_transpose2d around the base case: x (2, 4, 5, 4), weight (4, 6/groups, 3, 3), bias (6,)."""
    kh, kw = _pair(k)
    x = rn(c, *hw) if unbatched else rn(n, c, *hw)
    w = rn(c, f // groups, kh, kw)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    if bias:
        return P(name, lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, **kwargs), x, w, rn(f))
    return P(name, lambda L, x, w: L.F.conv_transpose2d(x, w, **kwargs), x, w)


def UF(name, shape=(2, 3, 7, 6), k=3, dilation=1, padding=0, stride=1):
    return P(name, lambda L, x: L.F.unfold(x, k, dilation=dilation, padding=padding, stride=stride), rn(*shape))


def FO(name, n=2, c=3, size=(7, 6), k=3, dilation=1, padding=0, stride=1, unbatched=False):
    """fold: the input's L is the number of windows torch expects for output_size `size`."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(k), _pair(dilation), _pair(padding), _pair(stride)
    oh = (size[0] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (size[1] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    x = rn(c * kh * kw, oh * ow) if unbatched else rn(n, c * kh * kw, oh * ow)
    return P(name, lambda L, x: L.F.fold(x, size, k, dilation=dilation, padding=padding, stride=stride), x)


def PD(name, shape, pad, value=0.0):
    return P(name, lambda L, x: L.F.pad(x, pad, value=value), rn(*shape))


def MP(name, x, k, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return P(name, lambda L, x: L.F.max_pool2d(x, k, stride, padding, dilation, ceil_mode=ceil_mode,
                                               return_indices=return_indices), x)


def MP1(name, x, k, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return P(name, lambda L, x: L.F.max_pool1d(x, k, stride, padding, dilation, ceil_mode=ceil_mode,
                                               return_indices=return_indices), x)


def AP(name, x, k, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return P(name, lambda L, x: L.F.avg_pool2d(x, k, stride, padding, ceil_mode=ceil_mode,
                                               count_include_pad=count_include_pad), x)


def AD(name, shape, size):
    return P(name, lambda L, x: L.F.adaptive_avg_pool2d(x, size), rn(*shape))


def _random_conv2d(count, seed):
    """Random valid combinations of every conv2d factor at once (fixed seed)."""
    r = np.random.default_rng(seed)
    pick = lambda options: options[r.integers(len(options))]  # noqa: E731
    cases = []
    while len(cases) < count:
        g = int(pick([1, 2, 3]))
        c, f = g * int(pick([1, 2])), g * int(pick([1, 2, 3]))
        k, d = pick([1, 2, 3, (2, 3), (3, 1), (1, 4)]), pick([1, 2, (1, 2), (2, 1)])
        s, p = pick([1, 2, 3, (1, 2), (2, 1)]), pick([0, 1, 2, (1, 0), (0, 2), "same", "valid"])
        hw, n, bias = pick([(7, 5), (9, 9), (6, 8), (5, 7)]), int(pick([1, 2, 3])), bool(r.integers(2))
        if p == "same":
            s = 1
        pads = (0, 0) if isinstance(p, str) else _pair(p)
        spans = [dd * (kk - 1) + 1 for kk, dd in zip(_pair(k), _pair(d))]
        if any(span > size + 2 * pp for span, size, pp in zip(spans, hw, pads)):
            continue
        name = f"rand{len(cases)}_n{n}_c{c}_f{f}_g{g}_k{k}_s{s}_p{p}_d{d}_hw{hw}_{'b' if bias else 'nob'}"
        cases.append(C2(name.replace(" ", ""), n=n, c=c, f=f, hw=hw, k=k, stride=s, padding=p, dilation=d,
                        groups=g, bias=bias))
    return cases


# --------------------------------------------------------------------------------------------- convolution
CONV2D = [
    C2("base"),
    C2("k1", k=1),
    C2("k5", k=5, hw=(9, 9)),
    C2("k2x3", k=(2, 3)),
    C2("k3x1", k=(3, 1)),
    C2("k_full_image", k=(7, 5)),
    C2("stride2", stride=2),
    C2("stride3", stride=3, hw=(9, 9)),
    C2("stride1x2", stride=(1, 2)),
    C2("stride3x2", stride=(3, 2), hw=(9, 9)),
    C2("stride2_floor", stride=2, hw=(8, 6)),
    C2("stride3_floor_k2", stride=3, k=2, hw=(9, 9)),
    C2("pad1", padding=1),
    C2("pad2", padding=2),
    C2("pad_same", padding="same"),
    C2("pad_valid", padding="valid"),
    C2("pad_1x2", padding=(1, 2)),
    C2("pad_0x1", padding=(0, 1)),
    C2("pad_same_k5", padding="same", k=5, hw=(9, 9)),
    C2("pad_same_even_k", padding="same", k=(2, 4)),
    C2("pad_same_dilated", padding="same", k=3, dilation=2),
    C2("pad_same_dilated_odd_total", padding="same", k=2, dilation=(3, 1)),
    C2("pad_same_k1", padding="same", k=1),
    C2("k1_pad2", k=1, padding=2),
    C2("dil2", dilation=2, hw=(9, 9)),
    C2("dil1x2", dilation=(1, 2)),
    C2("dil2x1_pad1", dilation=(2, 1), padding=1),
    C2("groups2", groups=2),
    C2("groups2_f4", groups=2, f=4),
    C2("depthwise", groups=4, f=4),
    C2("depthwise_x2", groups=4, f=8),
    C2("depthwise_x3_pad_same", groups=4, f=12, padding="same"),
    C2("groups2_stride2_pad1", groups=2, stride=2, padding=1, hw=(9, 9)),
    C2("batch1", n=1),
    C2("batch3", n=3),
    C2("hw9x9", hw=(9, 9)),
    C2("hw5x7", hw=(5, 7)),
    C2("c1_f1", c=1, f=1),
    C2("no_bias", bias=False),
    C2("no_bias_groups2_dil2", bias=False, groups=2, dilation=2, hw=(9, 9)),
    C2("unbatched", unbatched=True),
    C2("unbatched_pad_same_groups2", unbatched=True, padding="same", groups=2),
    C2("stride2_pad1_dil2", stride=2, padding=1, dilation=2, hw=(9, 9)),
    C2("stride2x1_pad1x0_k2x3", stride=(2, 1), padding=(1, 0), k=(2, 3)),
    C2("output_1x1_stride2", k=3, stride=2, hw=(3, 3)),
    P("positional_args", lambda L, x, w, b: L.F.conv2d(x, w, b, 2, 1, 2, 2), rn(2, 4, 9, 8), rn(6, 2, 3, 3), rn(6)),
] + _random_conv2d(12, seed=11)

CONV1D = [
    C1("base"),
    C1("k1", k=1),
    C1("k5", k=5),
    C1("stride2", stride=2),
    C1("stride3", stride=3),
    C1("stride2_floor", stride=2, length=10),
    C1("pad1", padding=1),
    C1("pad2", padding=2),
    C1("pad_same", padding="same"),
    C1("pad_same_even_k", padding="same", k=4),
    C1("pad_same_dilated", padding="same", k=4, dilation=3),
    C1("pad_valid", padding="valid"),
    C1("dil2", dilation=2),
    C1("dil3_pad2", dilation=3, padding=2),
    C1("groups2", groups=2),
    C1("depthwise", groups=4, f=4),
    C1("depthwise_x2", groups=4, f=8),
    C1("batch1", n=1),
    C1("no_bias", bias=False),
    C1("unbatched", unbatched=True),
    C1("stride2_pad1_dil2_groups2", stride=2, padding=1, dilation=2, groups=2),
    P("positional_args", lambda L, x, w, b: L.F.conv1d(x, w, b, 2, 1, 2, 2), rn(2, 4, 12), rn(6, 2, 3), rn(6)),
]

CONV_T = [
    CT("base"),
    CT("k1", k=1),
    CT("k2x3", k=(2, 3)),
    CT("k4", k=4),
    CT("stride2", stride=2),
    CT("stride3", stride=3),
    CT("stride2x3", stride=(2, 3)),
    CT("pad1", padding=1),
    CT("pad2", padding=2),
    CT("pad1x0", padding=(1, 0)),
    CT("stride2_outpad1", stride=2, output_padding=1),
    CT("stride3_outpad2", stride=3, output_padding=2),
    CT("stride3_outpad1_pad1", stride=3, output_padding=1, padding=1),
    CT("stride2x3_outpad1x2", stride=(2, 3), output_padding=(1, 2)),
    CT("outpad_lt_dilation", dilation=2, output_padding=1),
    CT("dil2", dilation=2),
    CT("dil1x2", dilation=(1, 2)),
    CT("dil2_stride2_pad1", dilation=2, stride=2, padding=1),
    CT("groups2", groups=2),
    CT("groups2_f4", groups=2, f=4),
    CT("depthwise", groups=4, f=4),
    CT("depthwise_x2_stride2", groups=4, f=8, stride=2),
    CT("batch1", n=1),
    CT("no_bias", bias=False),
    CT("no_bias_groups2_stride2", bias=False, groups=2, stride=2, output_padding=1),
    CT("unbatched", unbatched=True),
    CT("all", stride=(2, 3), padding=(1, 2), output_padding=(1, 0), groups=2, dilation=(2, 1), k=(3, 4)),
    P("positional_args", lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, 2, 1, 1, 2, 2),
      rn(2, 4, 5, 4), rn(4, 3, 3, 3), rn(6)),
]

UNFOLD_FOLD = [
    UF("unfold_base"),
    UF("unfold_k2", k=2),
    UF("unfold_k2x3", k=(2, 3)),
    UF("unfold_k1", k=1),
    UF("unfold_dil2", dilation=2),
    UF("unfold_dil2x1", dilation=(2, 1)),
    UF("unfold_pad1", padding=1),
    UF("unfold_pad1x2", padding=(1, 2)),
    UF("unfold_stride2", stride=2),
    UF("unfold_stride2x1", stride=(2, 1)),
    UF("unfold_stride2_floor", stride=2, k=2),
    UF("unfold_all", k=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 3)),
    UF("unfold_batch1_c1", shape=(1, 1, 5, 5)),
    UF("unfold_unbatched", shape=(3, 7, 6)),
    FO("fold_base"),
    FO("fold_k2", k=2),
    FO("fold_k2x3", k=(2, 3)),
    FO("fold_dil2", dilation=2),
    FO("fold_dil1x2", dilation=(1, 2)),
    FO("fold_pad1", padding=1),
    FO("fold_pad2x1", padding=(2, 1)),
    FO("fold_stride2", stride=2),
    FO("fold_stride2_k2_nonoverlap", stride=2, k=2, size=(8, 6)),
    FO("fold_stride1x2", stride=(1, 2)),
    FO("fold_all", k=(3, 2), dilation=(2, 1), padding=(1, 1), stride=(2, 1)),
    FO("fold_unbatched", unbatched=True),
    P("unfold_then_fold", lambda L, x: L.F.fold(L.F.unfold(x, 3, padding=1, stride=2), (7, 6), 3, padding=1,
                                                stride=2), rn(2, 3, 7, 6)),
]

PAD = [
    PD("2d_last", (3, 4), (1, 2)),
    PD("2d_both", (3, 4), (1, 2, 0, 3)),
    PD("3d_last", (2, 3, 4), (2, 1)),
    PD("3d_two", (2, 3, 4), (0, 1, 2, 0)),
    PD("3d_all", (2, 3, 4), (1, 1, 1, 1, 1, 1)),
    PD("4d_hw", (2, 3, 4, 5), (1, 2, 3, 4)),
    PD("4d_h_only", (2, 3, 4, 5), (0, 0, 1, 1)),
    PD("4d_four_axes", (2, 3, 4, 5), (1, 0, 0, 2, 1, 1, 0, 1)),
    PD("4d_zero", (2, 3, 4, 5), (0, 0, 0, 0)),
    PD("4d_value", (2, 3, 4, 5), (1, 1, 2, 0), value=2.5),
    PD("2d_value_neg", (3, 4), (2, 2, 1, 1), value=-1.0),
]


@pytest.mark.filterwarnings(FLOOR_WARNING, TORCH_SAME_EVEN)
@pytest.mark.parametrize("fn, inputs", CONV2D)
def test_conv2d(fn, inputs):
    check(fn, inputs)


@pytest.mark.filterwarnings(FLOOR_WARNING, TORCH_SAME_EVEN)
@pytest.mark.parametrize("fn, inputs", CONV1D)
def test_conv1d(fn, inputs):
    check(fn, inputs)


@pytest.mark.parametrize("fn, inputs", CONV_T)
def test_conv_transpose2d(fn, inputs):
    check(fn, inputs)


@pytest.mark.filterwarnings(FLOOR_WARNING)
@pytest.mark.parametrize("fn, inputs", UNFOLD_FOLD)
def test_unfold_fold(fn, inputs):
    check(fn, inputs)


@pytest.mark.parametrize("fn, inputs", PAD)
def test_pad(fn, inputs):
    check(fn, inputs)


# --------------------------------------------------------------------------------------------- pooling
X77 = rn(2, 3, 7, 7)
X86 = rn(2, 3, 8, 6)
T77 = ties(2, 3, 7, 7)
T2 = ties(2, 2, 8, 8, high=2)
CONST = np.full((1, 2, 6, 6), 1.5)
NEG_CONST = np.full((1, 2, 5, 5), -2.0)
WITH_NAN = rn(1, 2, 6, 6)
WITH_NAN[0, 0, 1, 1] = WITH_NAN[0, 1, 2, 5] = WITH_NAN[0, 1, 5, 0] = np.nan     # one per window, never first
TWO_NANS = rn(1, 1, 4, 4)
TWO_NANS[0, 0, 0, 0] = TWO_NANS[0, 0, 1, 0] = TWO_NANS[0, 0, 2, 3] = TWO_NANS[0, 0, 3, 2] = np.nan   # two per window

MAXPOOL2D = [
    MP("k2", X86, 2),
    MP("k2_s1", X77, 2, 1),
    MP("k3_s1", X77, 3, 1),
    MP("k3_s2_overlap", X77, 3, 2),
    MP("k3_s3", X77, 3, 3),
    MP("k2_s2_floor", X77, 2, 2),
    MP("k2_s3_gaps", X86, 2, 3),                     # windows apart: entries between them get no gradient
    MP("k3_s2_floor", X86, 3, 2),
    MP("k2x3", X77, (2, 3)),
    MP("k3x2_s1x2", X86, (3, 2), (1, 2)),
    MP("k2_pad1", X77, 2, 2, 1),
    MP("k3_s2_pad1", X77, 3, 2, 1),
    MP("k3_s1_pad1", X86, 3, 1, 1),
    MP("k3_pad1x0", X86, 3, 2, (1, 0)),
    MP("dil2_k3_s1", X77, 3, 1, dilation=2),
    MP("dil2_k2_s2", X86, 2, 2, dilation=2),
    MP("dil2x1_pad1", X77, 3, 2, 1, dilation=(2, 1)),
    MP("ceil_k2_s2", X77, 2, 2, ceil_mode=True),
    MP("ceil_k3_s2", X86, 3, 2, ceil_mode=True),
    MP("ceil_k3_s2_pad1", X86, 3, 2, 1, ceil_mode=True),
    MP("ceil_last_window_dropped", rn(1, 2, 5, 5), 2, 2, 1, ceil_mode=True),
    MP("ceil_exact", X77, 3, 2, ceil_mode=True),
    MP("ceil_dil2", X86, 2, 3, dilation=2, ceil_mode=True),
    MP("indices_k2", X86, 2, return_indices=True),
    MP("indices_k3_s2_pad1", X77, 3, 2, 1, return_indices=True),
    MP("indices_dil2_ceil", X86, 3, 2, 1, dilation=2, ceil_mode=True, return_indices=True),
    MP("indices_k2x3_s1", X77, (2, 3), 1, return_indices=True),
    MP("unbatched", X77[0], 3, 2),
    MP("unbatched_indices", X77[1], 2, 1, 1, return_indices=True),
    MP("batch1_c1", rn(1, 1, 6, 6), 2),
    MP("ties_k2", T77, 2, return_indices=True),
    MP("ties_k3_s2_overlap", T77, 3, 2, return_indices=True),
    MP("ties_k3_s1", T77, 3, 1, return_indices=True),
    MP("ties_k2_s1_binary", T2, 2, 1, return_indices=True),
    MP("ties_pad1", T77, 3, 2, 1, return_indices=True),
    MP("ties_dil2", T2, 2, 1, dilation=2, return_indices=True),
    MP("ties_ceil", T77, 2, 2, 1, ceil_mode=True, return_indices=True),
    MP("ties_k2x3_s1x2", T2, (2, 3), (1, 2), return_indices=True),
    MP("const_k2", CONST, 2, return_indices=True),
    MP("const_k3_s2_overlap", CONST, 3, 2, return_indices=True),
    MP("const_k3_s1", CONST, 3, 1, return_indices=True),
    MP("const_neg_pad1", NEG_CONST, 3, 2, 1, return_indices=True),
    MP("const_neg_pad1_ceil", NEG_CONST, 2, 2, 1, ceil_mode=True, return_indices=True),
    MP("nan_propagates", WITH_NAN, 2, return_indices=True),
    MP("nan_twice_in_window", TWO_NANS, 2, return_indices=True),
    P("module", lambda L, x: L.nn.MaxPool2d(3, 2, 1)(x), X77),
    P("module_ceil_dil", lambda L, x: L.nn.MaxPool2d(2, dilation=2, ceil_mode=True)(x), X77),
    P("module_indices", lambda L, x: L.nn.MaxPool2d(2, 1, return_indices=True)(x), T2),
]

MAXPOOL1D = [
    MP1("k2", rn(2, 3, 10), 2),
    MP1("k2_s1", rn(2, 3, 10), 2, 1),
    MP1("k3_s2_overlap", rn(2, 3, 11), 3, 2),
    MP1("k3_s2_floor", rn(2, 3, 10), 3, 2),
    MP1("pad1", rn(2, 3, 11), 3, 2, 1),
    MP1("dil2", rn(2, 3, 11), 3, 1, dilation=2),
    MP1("ceil", rn(2, 3, 10), 3, 2, ceil_mode=True),
    MP1("ceil_pad1", rn(2, 3, 10), 2, 2, 1, ceil_mode=True),
    MP1("indices", rn(2, 3, 11), 3, 2, 1, return_indices=True),
    MP1("indices_dil2_ceil", rn(2, 3, 12), 2, 3, 1, dilation=2, ceil_mode=True, return_indices=True),
    MP1("ties_k3_s2", ties(2, 3, 11), 3, 2, return_indices=True),
    MP1("ties_k2_s1", ties(2, 3, 11, high=2), 2, 1, return_indices=True),
    MP1("ties_pad1", ties(2, 3, 11), 3, 1, 1, return_indices=True),
    MP1("const", np.full((1, 2, 9), 0.5), 3, 2, 1, return_indices=True),
    MP1("unbatched", rn(3, 11), 3, 2),
    MP1("unbatched_indices", ties(3, 11), 2, 1, return_indices=True),
    P("module", lambda L, x: L.nn.MaxPool1d(3, 2, 1)(x), ties(2, 3, 11)),
]

AVGPOOL2D = [
    AP("k2", X86, 2),
    AP("k2_s1", X77, 2, 1),
    AP("k3_s2_overlap", X77, 3, 2),
    AP("k3_s1", X86, 3, 1),
    AP("k2_floor", X77, 2),
    AP("k2x3_s1x2", X77, (2, 3), (1, 2)),
    AP("pad1_incl", X77, 3, 2, 1),
    AP("pad1_excl", X77, 3, 2, 1, count_include_pad=False),
    AP("pad1x0_excl", X86, 3, 1, (1, 0), count_include_pad=False),
    AP("k2_pad1_incl", X86, 2, 2, 1),
    AP("k2_pad1_excl", X86, 2, 2, 1, count_include_pad=False),
    AP("ceil_incl", X77, 2, 2, ceil_mode=True),
    AP("ceil_excl", X77, 2, 2, ceil_mode=True, count_include_pad=False),
    AP("ceil_k3_s2_incl", X86, 3, 2, ceil_mode=True),
    AP("ceil_pad1_incl", X86, 3, 2, 1, ceil_mode=True),
    AP("ceil_pad1_excl", X86, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    AP("ceil_last_window_dropped_incl", rn(1, 2, 5, 5), 2, 2, 1, ceil_mode=True),
    AP("ceil_last_window_dropped_excl", rn(1, 2, 5, 5), 2, 2, 1, ceil_mode=True, count_include_pad=False),
    AP("ceil_k2x3_s2x2_pad1x1", X77, (2, 3), 2, 1, ceil_mode=True, count_include_pad=False),
    AP("unbatched", X77[0], 3, 2, 1, count_include_pad=False),
    P("positional_args", lambda L, x: L.F.avg_pool2d(x, 3, 2, 1, True, False), X86),
    P("module", lambda L, x: L.nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x), X77),
    P("module_ceil", lambda L, x: L.nn.AvgPool2d(2, ceil_mode=True)(x), X77),
]

ADAPTIVE = [
    AD("1x1_divides", (2, 3, 6, 4), 1),
    AD("1x1_odd", (2, 3, 7, 5), (1, 1)),
    AD("2x2_divides", (2, 3, 6, 4), 2),
    AD("2x2_not", (2, 3, 7, 5), (2, 2)),
    AD("3x2_divides", (2, 3, 6, 4), (3, 2)),
    AD("3x2_not", (2, 3, 7, 5), (3, 2)),
    AD("3x2_not_b", (1, 2, 5, 3), (3, 2)),
    AD("identity", (2, 3, 4, 5), (4, 5)),
    AD("larger_than_input", (1, 2, 3, 2), (4, 3)),
    AD("unbatched", (3, 7, 5), (3, 2)),
    P("module", lambda L, x: L.nn.AdaptiveAvgPool2d((3, 2))(x), rn(2, 3, 7, 5)),
    P("module_global", lambda L, x: L.nn.AdaptiveAvgPool2d(1)(x), rn(2, 3, 7, 5)),
]


@pytest.mark.filterwarnings(FLOOR_WARNING)
@pytest.mark.parametrize("fn, inputs", MAXPOOL2D)
def test_max_pool2d(fn, inputs):
    check(fn, inputs)


@pytest.mark.filterwarnings(FLOOR_WARNING)
@pytest.mark.parametrize("fn, inputs", MAXPOOL1D)
def test_max_pool1d(fn, inputs):
    check(fn, inputs)


@pytest.mark.filterwarnings(FLOOR_WARNING)
@pytest.mark.parametrize("fn, inputs", AVGPOOL2D)
def test_avg_pool2d(fn, inputs):
    check(fn, inputs)


@pytest.mark.parametrize("fn, inputs", ADAPTIVE)
def test_adaptive_avg_pool2d(fn, inputs):
    check(fn, inputs)


def test_max_pool_ties_gradient_goes_to_first_maximum():
    """Spelled out for one window: torch sends the whole gradient to the first maximum in row-major order."""
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 1.0]]]])
    x_tg = tg.Tensor(x, requires_grad=True, dtype=np.float64)
    x_th = torch.tensor(x, requires_grad=True)
    F.max_pool2d(x_tg, 3).sum().backward()
    TF.max_pool2d(x_th, 3).sum().backward()
    expected = np.zeros_like(x)
    expected[0, 0, 0, 1] = 1.0
    np.testing.assert_array_equal(x_th.grad.numpy(), expected)           # what torch does
    np.testing.assert_array_equal(x_tg.grad.numpy(), x_th.grad.numpy())


# --------------------------------------------------------------------------------------------- float32 forward
FLOAT32 = [
    C2("f32_conv2d", padding=1, stride=2, groups=2),
    C2("f32_conv2d_same_dil", padding="same", dilation=2, hw=(9, 9)),
    C1("f32_conv1d", padding="same", k=4, groups=2),
    CT("f32_conv_transpose2d", stride=2, padding=1, output_padding=1, groups=2),
    UF("f32_unfold", k=(2, 3), padding=1, stride=2),
    FO("f32_fold", k=3, stride=2, padding=1),
    MP("f32_max_pool2d", X77, 3, 2, 1, return_indices=True),
    MP("f32_max_pool2d_ties", T77, 3, 1, ceil_mode=True, return_indices=True),
    MP1("f32_max_pool1d", rn(2, 3, 11), 3, 2, 1, return_indices=True),
    AP("f32_avg_pool2d", X86, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    AD("f32_adaptive", (2, 3, 7, 5), (3, 2)),
    PD("f32_pad", (2, 3, 4, 5), (1, 2, 0, 1), value=0.5),
]


@pytest.mark.filterwarnings(FLOOR_WARNING, TORCH_SAME_EVEN)
@pytest.mark.parametrize("fn, inputs", FLOAT32)
def test_float32_forward(fn, inputs):
    check(fn, inputs, dtype=np.float32, rtol=RTOL32, atol=ATOL32, backward=False)


# --------------------------------------------------------------------------------------------- floor + warning
def _floor_case(fn, x, *params):
    """Our op warns (UserWarning, once per configuration) and gives torch's floored shape and numbers."""
    args_tg = [tg.Tensor(a, dtype=np.float64) for a in (x, *params)]
    args_th = [torch.tensor(a) for a in (x, *params)]
    with pytest.warns(UserWarning, match="not an integer") as record:
        out = fn(TG, *args_tg)
    expected = fn(TH, *args_th)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=RTOL64, atol=ATOL64)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        fn(TG, *args_tg)
    assert not [w for w in again if "not an integer" in str(w.message)], "warned twice for one configuration"
    return str(record[0].message)


NON_INTEGER = [
    pytest.param(lambda L, x, w: L.F.conv2d(x, w, stride=2), (1, 2, 10, 7), (3, 2, 3, 3), "rows", id="conv2d_rows"),
    pytest.param(lambda L, x, w: L.F.conv2d(x, w, stride=(1, 3), padding=1), (1, 2, 6, 11), (3, 2, 3, 3),
                 "columns", id="conv2d_columns"),
    pytest.param(lambda L, x, w: L.F.conv2d(x, w, stride=3, dilation=2), (2, 2, 13, 12), (1, 2, 2, 2), "rows",
                 id="conv2d_dilated"),
    pytest.param(lambda L, x, w: L.F.conv1d(x, w, stride=3), (2, 2, 14), (3, 2, 3), "columns", id="conv1d"),
    pytest.param(lambda L, x: L.F.max_pool2d(x, 2), (1, 2, 9, 10), None, "rows", id="max_pool2d"),
    pytest.param(lambda L, x: L.F.max_pool2d(x, 3, 2, 1), (1, 1, 10, 9), None, "rows", id="max_pool2d_pad"),
    pytest.param(lambda L, x: L.F.avg_pool2d(x, (2, 3)), (1, 2, 10, 11), None, "columns", id="avg_pool2d"),
    pytest.param(lambda L, x: L.F.unfold(x, 2, stride=2), (1, 2, 4, 9), None, "columns", id="unfold"),
]


@pytest.mark.parametrize("fn, x_shape, w_shape, axis", NON_INTEGER)
def test_non_integer_output_floors_and_warns_once(fn, x_shape, w_shape, axis):
    params = () if w_shape is None else (rn(*w_shape),)
    message = _floor_case(fn, rn(*x_shape), *params)
    assert axis in message, message


def test_non_integer_output_warning_names_rows_and_columns():
    """Both axes lose entries: the one warning should say so for both (the contract: rows/columns dropped)."""
    message = _floor_case(lambda L, x, w: L.F.conv2d(x, w, stride=2), rn(1, 1, 12, 10), rn(1, 1, 3, 3))
    assert "rows" in message and "columns" in message, message


def test_non_integer_output_module_warns_once_and_matches():
    torch.manual_seed(5)
    th = torch.nn.Conv2d(2, 3, 3, stride=2, dtype=torch.float64)
    m = tnn.Conv2d(2, 3, 3, stride=2, dtype=np.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    x = rn(2, 2, 11, 8)
    with pytest.warns(UserWarning, match="not an integer"):
        y = m(tg.Tensor(x, dtype=np.float64))
    expected = th(torch.tensor(x)).detach().numpy()
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=RTOL64, atol=ATOL64)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        m(tg.Tensor(x, dtype=np.float64))
    assert not again


@pytest.mark.filterwarnings(TORCH_SAME_EVEN)
@pytest.mark.parametrize("fn, x_shape, w_shape", [
    pytest.param(lambda L, x, w: L.F.conv2d(x, w, stride=2, padding=1), (1, 2, 13, 9), (1, 2, 3, 3), id="conv2d"),
    pytest.param(lambda L, x, w: L.F.conv2d(x, w, padding="same"), (1, 2, 8, 6), (1, 2, 2, 4), id="same"),
    pytest.param(lambda L, x: L.F.max_pool2d(x, 2, ceil_mode=True), (1, 2, 13, 9), None, id="max_pool_ceil"),
    pytest.param(lambda L, x: L.F.avg_pool2d(x, 3, 2, 1), (1, 2, 13, 9), None, id="avg_pool_exact"),
])
def test_exact_output_size_does_not_warn(fn, x_shape, w_shape):
    params = () if w_shape is None else (rn(*w_shape),)
    x = rn(*x_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(TG, *[tg.Tensor(a, dtype=np.float64) for a in (x, *params)])
    expected = fn(TH, *[torch.tensor(a) for a in (x, *params)])
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=RTOL64, atol=ATOL64)


# --------------------------------------------------------------------------------------------- modules
MODULE_CONFIGS = [
    pytest.param("Conv2d", (3, 6, 3), {}, (2, 3, 7, 6), id="conv2d"),
    pytest.param("Conv2d", (4, 8, (2, 3)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False), (2, 4, 9, 8),
                 id="conv2d_groups_dil_nobias"),
    pytest.param("Conv2d", (4, 8, 3), dict(padding="same", groups=4), (1, 4, 6, 5), id="conv2d_depthwise_same"),
    pytest.param("Conv2d", (2, 3, (3, 1)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2)), (3, 2, 7, 5),
                 id="conv2d_nonsquare"),
    pytest.param("Conv1d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 11), id="conv1d"),
    pytest.param("Conv1d", (4, 8, 4), dict(padding="same", dilation=2, groups=2, bias=False), (2, 4, 10),
                 id="conv1d_same_groups_dil_nobias"),
    pytest.param("Conv1d", (3, 3, 5), dict(groups=3, padding="valid"), (2, 3, 9), id="conv1d_depthwise"),
    pytest.param("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 4),
                 id="convT_groups"),
    pytest.param("ConvTranspose2d", (4, 4, (2, 3)), dict(stride=(2, 1), dilation=2, groups=4, bias=False),
                 (2, 4, 4, 5), id="convT_depthwise_dil_nobias"),
    pytest.param("ConvTranspose2d", (3, 5, 4), dict(stride=3, padding=2, output_padding=2), (1, 3, 4, 4),
                 id="convT_outpad"),
]


def _modules(kind, args, kwargs, dtype=np.float64):
    th_dtype = torch.float64 if dtype == np.float64 else torch.float32
    return getattr(tnn, kind)(*args, **kwargs, dtype=dtype), getattr(torch.nn, kind)(*args, **kwargs, dtype=th_dtype)


@pytest.mark.parametrize("kind, args, kwargs, x_shape", MODULE_CONFIGS)
def test_module_layout(kind, args, kwargs, x_shape):
    m, th = _modules(kind, args, kwargs)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in th.state_dict().items()]
    assert [(k, tuple(p.shape)) for k, p in m.named_parameters()] == \
           [(k, tuple(p.shape)) for k, p in th.named_parameters()]
    assert (m.bias is None) == (th.bias is None)


@pytest.mark.filterwarnings(FLOOR_WARNING, TORCH_SAME_EVEN)
@pytest.mark.parametrize("kind, args, kwargs, x_shape", MODULE_CONFIGS)
def test_module_loaded_from_torch(kind, args, kwargs, x_shape):
    torch.manual_seed(6)
    m, th = _modules(kind, args, kwargs)
    m.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    check(lambda L, x: (m if L is TG else th)(x), [rn(*x_shape)])
    th_params = dict(th.named_parameters())
    for name, p in m.named_parameters():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), rtol=RTOL64, atol=ATOL64,
                                   err_msg=name)


@pytest.mark.filterwarnings(FLOOR_WARNING)
@pytest.mark.parametrize("kind, args, kwargs, x_shape", MODULE_CONFIGS[:1] + MODULE_CONFIGS[4:5] + MODULE_CONFIGS[7:8])
def test_module_float32_forward(kind, args, kwargs, x_shape):
    torch.manual_seed(8)
    m, th = _modules(kind, args, kwargs, dtype=np.float32)
    m.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    x = rn(*x_shape).astype(np.float32)
    y = m(tg.Tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), th(torch.tensor(x)).detach().numpy(), rtol=RTOL32, atol=ATOL32)


INIT_CONFIGS = [
    pytest.param("Conv2d", (16, 32, 3), {}, id="conv2d"),
    pytest.param("Conv2d", (16, 32, (3, 2)), dict(groups=4), id="conv2d_groups"),
    pytest.param("Conv1d", (12, 40, 5), {}, id="conv1d"),
    pytest.param("Conv1d", (12, 36, 5), dict(groups=6), id="conv1d_groups"),
    pytest.param("ConvTranspose2d", (64, 16, 3), {}, id="convT"),        # fan_in from weight.shape[1] = out: 144
    pytest.param("ConvTranspose2d", (48, 16, (2, 3)), dict(groups=2), id="convT_groups"),
]


@pytest.mark.parametrize("kind, args, kwargs", INIT_CONFIGS)
def test_module_default_init_bounds(kind, args, kwargs):
    torch.manual_seed(10)
    m, th = _modules(kind, args, kwargs, dtype=np.float32)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(th.weight)
    bound = 1.0 / math.sqrt(fan_in)
    th_w = th.weight.detach().abs().max().item()       # the bound is torch's: its own weights fill it
    assert 0.9 * bound < th_w <= bound and th.bias.detach().abs().max().item() <= bound
    w, b = m.weight.numpy(), m.bias.numpy()
    assert w.shape == tuple(th.weight.shape) and w.dtype == np.float32
    assert np.abs(w).max() <= bound * (1 + 1e-6), (np.abs(w).max(), bound)
    assert np.abs(b).max() <= bound * (1 + 1e-6), (np.abs(b).max(), bound)
    assert w.max() > 0.9 * bound and w.min() < -0.9 * bound, (w.min(), w.max(), bound)     # not all tiny
    assert np.abs(b).max() > 0.5 * bound, (np.abs(b).max(), bound)
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.1)                    # uniform on the range


# --------------------------------------------------------------------------------------------- LeNet
def _lenet(nn, dtype):
    return nn.Sequential(nn.Conv2d(1, 4, 5, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 5 * 5, 10, dtype=dtype))


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, RTOL64, ATOL64), (np.float32, RTOL32, ATOL32)])
def test_lenet_logits_and_grads(dtype, rtol, atol):
    torch.manual_seed(9)
    th_dtype = torch.float64 if dtype == np.float64 else torch.float32
    th_net, tg_net = _lenet(torch.nn, th_dtype), _lenet(tnn, dtype)
    assert list(tg_net.state_dict()) == list(th_net.state_dict())
    tg_net.load_state_dict({k: v.detach().numpy() for k, v in th_net.state_dict().items()})
    x, y = rn(4, 1, 28, 28).astype(dtype), np.array([3, 0, 9, 3])
    x_tg = tg.Tensor(x, requires_grad=True, dtype=dtype)
    x_th = torch.tensor(x, requires_grad=True)
    logits_tg, logits_th = tg_net(x_tg), th_net(x_th)
    assert logits_tg.dtype == dtype and logits_tg.shape == (4, 10)
    np.testing.assert_allclose(logits_tg.numpy(), logits_th.detach().numpy(), rtol=rtol, atol=atol)
    loss_tg, loss_th = F.cross_entropy(logits_tg, tg.tensor(y)), TF.cross_entropy(logits_th, torch.tensor(y))
    np.testing.assert_allclose(loss_tg.item(), loss_th.item(), rtol=rtol, atol=atol)
    loss_tg.backward()
    loss_th.backward()
    th_params = dict(th_net.named_parameters())
    assert [k for k, _ in tg_net.named_parameters()] == list(th_params)
    for name, p in tg_net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
    np.testing.assert_allclose(x_tg.grad.numpy(), x_th.grad.numpy(), rtol=rtol, atol=atol)
