"""Every Function subclass is gradchecked in float64 over several shapes, including broadcasting and size-1
axes. OP_CASES is the registry; test_every_function_has_a_case fails when a new Function has none."""

import inspect

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.autograd import Function
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops import activation, conv, elementwise, linalg, loss, movement, pool, reduce

POS = "positive"   # marks an input drawn from [0.5, 2] (for log, sqrt, division, fractional powers)
PROB = "prob"      # drawn from [0.05, 0.95]

LABELS3 = np.array([2, 0, 1])

# Function -> list of (case id, fn(*tensors) -> Tensor, input specs: shape or (shape, POS/PROB)[, gradcheck kwargs])
OP_CASES = {
    elementwise.Add: [("same", lambda a, b: a + b, [(2, 3), (2, 3)]),
            ("broadcast", lambda a, b: a + b, [(4, 1, 3), (2, 1)]),
            ("size1", lambda a, b: a + b, [(1,), (3, 1)]),
            ("number", lambda a: 2.5 + a, [(3,)])],
    elementwise.Sub: [("broadcast", lambda a, b: a - b, [(2, 3), (3,)]), ("rsub", lambda a: 1.0 - a, [(2, 2)])],
    elementwise.Mul: [("broadcast", lambda a, b: a * b, [(2, 1, 3), (4, 1)]), ("self", lambda a: a * a, [(5,)])],
    elementwise.Div: [("broadcast", lambda a, b: a / b, [(2, 3), ((1, 3), POS)]),
                      ("rdiv", lambda a: 1.0 / a, [((4,), POS)])],
    elementwise.Neg: [("neg", lambda a: -a, [(2, 3)])],
    elementwise.Pow: [("square", lambda a: a ** 2, [(3, 2)]), ("frac", lambda a: a ** 1.5, [((4,), POS)]),
            ("negative", lambda a: a ** -1, [((1, 3), POS)]),
            ("tensor_exponent", lambda a, b: a ** b, [((3,), POS), (2, 3)]), ("rpow", lambda a: 2.0 ** a, [(3,)])],
    elementwise.Exp: [("exp", lambda a: a.exp(), [(2, 3)])],
    elementwise.Log: [("log", lambda a: a.log(), [((2, 3), POS)])],
    elementwise.Sqrt: [("sqrt", lambda a: a.sqrt(), [((3, 1), POS)])],
    elementwise.Abs: [("abs", lambda a: a.abs(), [(2, 4)])],
    elementwise.Clamp: [("both", lambda a: a.clamp(-0.5, 0.5), [(3, 4)]), ("min", lambda a: a.clamp(min=0.1), [(5,)])],
    elementwise.Where: [("broadcast", lambda a, b: tg.where(a.data > 0, a, b), [(2, 3), (3,)])],
    activation.Sigmoid: [("sigmoid", lambda a: a.sigmoid(), [(2, 3)]), ("wide", lambda a: (a * 8).sigmoid(), [(6,)])],
    activation.Tanh: [("tanh", lambda a: a.tanh(), [(3, 1, 2)])],
    activation.ReLU: [("relu", lambda a: a.relu(), [(4, 3)])],
    activation.LeakyReLU: [("leaky", lambda a: F.leaky_relu(a, 0.2), [(3, 3)])],
    activation.Softmax: [("dim1", lambda a: a.softmax(1), [(3, 4)]), ("dim0", lambda a: a.softmax(0), [(2, 1, 3)])],
    activation.LogSoftmax: [("dim-1", lambda a: a.log_softmax(-1), [(2, 5)]),
                            ("1d", lambda a: F.log_softmax(a, 0), [(4,)])],
    activation.Dropout: [("dropout", lambda a: F.dropout(a, 0.4), [(5, 4)])],
    reduce.Sum: [("all", lambda a: a.sum(), [(2, 3)]), ("dim", lambda a: a.sum(1), [(2, 3, 2)]),
            ("tuple_keep", lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 2)])],
    reduce.Mean: [("all", lambda a: a.mean(), [(3, 1)]), ("dim", lambda a: a.mean(-1, keepdim=True), [(2, 5)])],
    reduce.Max: [("all", lambda a: a.max(), [(3, 4)])],
    reduce.Min: [("all", lambda a: a.min(), [(4, 1)])],
    reduce.MaxDim: [("dim", lambda a: a.max(1).values, [(3, 4)]),
                    ("keep", lambda a: a.max(0, keepdim=True)[0], [(2, 3)])],
    reduce.MinDim: [("dim", lambda a: a.min(-1).values, [(2, 3, 2)])],
    movement.Reshape: [("reshape", lambda a: a.reshape(3, 2), [(2, 3)]),
                       ("flatten", lambda a: a.flatten(), [(2, 1, 2)]),
                ("unsqueeze", lambda a: a.unsqueeze(0) * a, [(3,)])],
    movement.Permute: [("permute", lambda a: a.permute(2, 0, 1), [(2, 3, 4)]), ("T", lambda a: a.T, [(2, 3)]),
                ("transpose", lambda a: a.transpose(0, -1), [(1, 3, 2)])],
    movement.GetItem: [("slice", lambda a: a[1:, ::-2], [(3, 5)]),
                       ("int_array_repeats", lambda a: a[[0, 2, 0, 0]], [(3, 2)]),
                ("mask", lambda a: a[a.data > 0], [(4, 3)]), ("mixed", lambda a: a[..., None, [1, 1]], [(2, 3)]),
                       ("int_and_array_apart", lambda a: a[1, :, [0, 2, 2]], [(2, 3, 4)]),    # PyTorch's order
                       # F.pad's reflect/replicate/circular modes are gathers along each padded axis
                       ("pad_reflect", lambda x: F.pad(x, (2, -1, 1, 2), mode="reflect"), [(1, 3, 4)]),
                       ("pad_replicate", lambda x: F.pad(x, (3, 1), mode="replicate"), [(2, 1, 3)]),
                       ("pad_circular", lambda x: F.pad(x, (-1, 2, 2, 1), mode="circular"), [(1, 2, 3, 4)])],
    movement.Embedding: [("embedding", lambda w: F.embedding(np.array([[1, 3], [1, 1]]), w), [(4, 3)])],
    movement.Cat: [("dim1", lambda a, b: tg.cat([a, b], dim=1), [(2, 3), (2, 1)]),
                   ("dim0", lambda a: tg.cat([a, a]), [(3,)])],
    movement.Stack: [("dim1", lambda a, b: tg.stack([a, b], dim=1), [(2, 3), (2, 3)])],
    # a float32 round trip is exact only to ~1e-7: a linear function and a wide step keep that below atol
    movement.Cast: [("to32and64", lambda a: (a.float() * 2).double(), [(3,)], dict(eps=1e-2, atol=1e-4))],
    linalg.MatMul: [("2d", lambda a, b: a @ b, [(2, 3), (3, 4)]), ("1d_2d", lambda a, b: a @ b, [(3,), (3, 2)]),
               ("2d_1d", lambda a, b: a @ b, [(2, 3), (3,)]), ("1d_1d", lambda a, b: a @ b, [(3,), (3,)]),
               ("batched_broadcast", lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
               ("1d_batched", lambda a, b: a @ b, [(3,), (2, 3, 2)])],
    linalg.Affine: [("bias", lambda x, w, b: F.linear(x, w, b), [(4, 3), (2, 3), (2,)]),
               ("nobias", lambda x, w: F.linear(x, w), [(1, 3), (2, 3)]),
               ("3d", lambda x, w, b: F.linear(x, w, b), [(2, 2, 3), (1, 3), (1,)]),
               ("1d", lambda x, w: F.linear(x, w), [(3,), (2, 3)]),
               ("row_offset", lambda x, w, b: F.linear(x, w, b), [(4, 3), (2, 3), (4, 2)]),      # an RNN step's U x_t
               ("row_offset_3d", lambda x, w, b: F.linear(x, w, b), [(2, 4, 3), (2, 3), (2, 4, 2)])],
    conv.Conv2d: [("s2_p1_g2", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                [(2, 4, 5, 5), (4, 2, 3, 3), (4,)]),
               ("same_dil2", lambda x, w: F.conv2d(x, w, padding="same", dilation=2), [(1, 2, 5, 4), (3, 2, 2, 3)])],
    conv.Conv1d: [("s2_p1", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(2, 3, 7), (2, 3, 3), (2,)])],
    conv.ConvTranspose2d: [("s2_op1", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                                          output_padding=1),
                         [(2, 3, 3, 4), (3, 2, 3, 3), (2,)]),
                        ("groups_dil", lambda x, w: F.conv_transpose2d(x, w, groups=2, dilation=2),
                         [(1, 4, 3, 3), (4, 1, 2, 2)])],
    conv.Unfold: [("unfold", lambda x: F.unfold(x, (2, 3), padding=1, stride=2), [(2, 2, 5, 6)])],
    conv.Fold: [("fold", lambda x: F.fold(x, (4, 5), 2, stride=1), [(1, 8, 12)])],
    pool.MaxPool2d: [("overlap", lambda x: F.max_pool2d(x, 3, 2), [(2, 2, 7, 7)]),
                  ("pad_ceil", lambda x: F.max_pool2d(x, 2, 2, padding=1, ceil_mode=True), [(1, 3, 5, 6)]),
                  ("1d", lambda x: F.max_pool1d(x, 3, 2, 1), [(2, 2, 9)])],
    pool.AvgPool2d: [("overlap_pad", lambda x: F.avg_pool2d(x, 3, 2, padding=1), [(2, 2, 7, 6)]),
                  ("ceil_exclude", lambda x: F.avg_pool2d(x, 2, 2, 1, True, False), [(1, 2, 5, 5)])],
    pool.AdaptiveAvgPool2d: [("global", lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 5, 4)]),
                          ("3x2", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [(1, 2, 7, 5)])],
    pool.Pad: [("pad", lambda x: F.pad(x, (1, 2, 0, 1)), [(2, 3, 4)]),
               ("crop_and_pad", lambda x: F.pad(x, (-1, 2, 1, -1), value=0.5), [(2, 3, 4)])],
    loss.NLLLoss: [("mean", lambda a: F.nll_loss(a, LABELS3), [(3, 4)]),
                 ("ignore_sum", lambda a: F.nll_loss(a, np.array([1, -100, 3]), reduction="sum"), [(3, 4)]),
                 ("ce_smooth", lambda a: F.cross_entropy(a, np.array([1, 2, -100]), label_smoothing=0.2), [(3, 4)]),
                 ("ce_none_3d", lambda a: F.cross_entropy(a, np.array([[0, 2], [1, 1]]), reduction="none"),
                  [(2, 3, 2)]),
                 ("weight_ignore", lambda a: F.nll_loss(a, np.array([1, -100, 3]), weight=np.array([.5, 2, 1, 3])),
                  [(3, 4)]),
                 ("ce_weight_smooth_3d",
                  lambda a: F.cross_entropy(a, np.array([[0, 2], [1, -100]]), label_smoothing=0.3,
                                            weight=np.array([2.0, 0.5, 1.0])), [(2, 3, 2)])],
    loss.BinaryCrossEntropy: [("mean", lambda p: F.binary_cross_entropy(p, np.array([[0.0, 1.0], [1.0, 0.3]])),
                             [((2, 2), PROB)]),
                            ("target_weight_none", lambda p, t: F.binary_cross_entropy(
                                p, t, weight=np.array([2.0, 0.5, 1.0]), reduction="none"), [((2, 3), PROB)] * 2)],
    loss.BinaryCrossEntropyWithLogits: [
        ("sum", lambda x: F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0]), reduction="sum"), [(3,)]),
        ("target_pos_weight", lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, weight=np.array([[2.0], [0.5]]), pos_weight=np.array([0.5, 1.0, 3.0])), [(2, 3), ((2, 3), PROB)])],
}


def all_functions():
    found, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith(ops.__name__) and not inspect.isabstract(sub):
                found.add(sub)
    return found


def test_every_function_has_a_case():
    missing = sorted(f.__qualname__ for f in all_functions() if f not in OP_CASES)
    assert not missing, f"Functions without a gradcheck case in OP_CASES: {missing}"


def _make(spec, rng):
    shape, kind = (spec, None) if isinstance(spec[0] if spec else 0, int) or spec == () else spec
    if kind == POS:
        data = rng.uniform(0.5, 2.0, shape)
    elif kind == PROB:
        data = rng.uniform(0.05, 0.95, shape)
    else:
        data = rng.standard_normal(shape)
        data += np.sign(data) * 0.05   # keep entries away from kinks at 0 (relu, abs, clamp bounds)
    return tg.Tensor(data, dtype=np.float64, requires_grad=True)


CASES = [pytest.param(case[1], case[2], case[3] if len(case) > 3 else {}, id=f"{op.__name__}-{case[0]}")
         for op, cases in OP_CASES.items() for case in cases]


@pytest.mark.parametrize("fn,specs,options", CASES)
def test_gradcheck(fn, specs, options, rng):
    inputs = [_make(s, rng) for s in specs]
    # dropout draws a mask: reseed before every call so the function is deterministic for central differences
    report = gradcheck(lambda *xs: (tg.manual_seed(1), fn(*xs))[1], inputs, **options)
    assert report.passed, str(report)


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved
            return (grad_out * x,)       # forgot the factor 2

    x = tg.Tensor([1.0, -2.0, 3.0], dtype=np.float64, requires_grad=True, name="x")
    report = gradcheck(lambda t: WrongSquare.apply(t), (x,))
    assert not report.passed
    r = np.random.default_rng(0).standard_normal(3)      # gradcheck's fixed output weights (seed 0)
    worst = int(np.argmax(np.abs(r * x.data)))            # |analytic - numeric| = |r x|
    assert report["x"].worst_index == (worst,)
    assert report["x"].analytic == pytest.approx(r[worst] * x.data[worst])
    assert report["x"].numeric == pytest.approx(2 * r[worst] * x.data[worst], rel=1e-6)
    with pytest.raises(tg.gradcheck.GradcheckError, match="worst entry"):
        gradcheck(lambda t: WrongSquare.apply(t), (x,), raise_exception=True)
