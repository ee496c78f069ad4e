"""Issue 13, part A (losses), without torch: a floating target that requires grad gets its gradient; the
weight=, pos_weight= and label_smoothing= keywords; PyTorch's class-index layouts, and errors that name the op,
the shapes passed and the layouts accepted.  Expected values are written from the formulas, by hand."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


def t64(a, grad=True):
    return tg.Tensor(np.asarray(a, dtype=np.float64), dtype=np.float64, requires_grad=grad)


def log_softmax(x, axis):
    x = x - x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}


# ------------------------------------------------------------------------------------------------ target gradients
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_differentiates_the_target(reduction, rng):
    x_v, t_v = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    x, t = t64(x_v), t64(t_v)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    g = rng.standard_normal(loss.shape)
    loss.backward(g)
    scale = g / x_v.size if reduction == "mean" else g
    np.testing.assert_allclose(t.grad.numpy(), -x_v * scale, rtol=1e-12)                   # d/dt = -x
    np.testing.assert_allclose(x.grad.numpy(), (1 / (1 + np.exp(-x_v)) - t_v) * scale, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_differentiates_the_target(reduction, rng):
    p_v, t_v = rng.uniform(0.05, 0.95, (2, 5)), rng.uniform(0, 1, (2, 5))
    p, t = t64(p_v), t64(t_v)
    loss = F.binary_cross_entropy(p, t, reduction=reduction)
    loss.backward(np.ones(loss.shape))
    scale = 1 / p_v.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(t.grad.numpy(), (np.log1p(-p_v) - np.log(p_v)) * scale, rtol=1e-12)   # -logit(p)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_probabilities_differentiates_the_target(reduction, rng):
    x_v, t_v = rng.standard_normal((4, 3, 2)), rng.uniform(0, 1, (4, 3, 2))
    x, t = t64(x_v), t64(t_v)
    loss = F.cross_entropy(x, t, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), REDUCE[reduction](-(log_softmax(x_v, 1) * t_v).sum(1)), rtol=1e-12)
    loss.backward(np.ones(loss.shape))
    scale = 1 / 8 if reduction == "mean" else 1.0          # 'mean' divides by N * d1 = 8 rows
    np.testing.assert_allclose(t.grad.numpy(), -log_softmax(x_v, 1) * scale, rtol=1e-12)


def test_mse_loss_differentiates_the_target(rng):
    x_v, y_v = rng.standard_normal(5), rng.standard_normal(5)
    x, y = t64(x_v), t64(y_v)
    F.mse_loss(x, y).backward()
    np.testing.assert_allclose(y.grad.numpy(), -2 * (x_v - y_v) / 5, rtol=1e-12)


# (name, fn, shape, kinds): every input has `shape` and requires grad; "x" is drawn from N(0, 4), "p" from [0.05, 0.95]
TARGET_GRADCHECKS = [
    ("bcel", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"), (3, 4), "xp"),
    ("bcel_pos_weight", lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, weight=np.array([[0.5], [2.0], [1.0]]), pos_weight=np.array([0.3, 1.0, 2.0, 4.0])), (3, 4), "xp"),
    ("bce_weight", lambda p, t: F.binary_cross_entropy(p, t, weight=np.array([2.0, 0.5]), reduction="sum"),
     (3, 2), "pp"),
    ("ce_prob_ls", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, weight=np.array([1.0, 2.0, 0.5, 1.5])),
     (3, 4), "xp"),
    ("mse", lambda x, t: F.mse_loss(x, t, reduction="sum"), (2, 3), "xx"),
]


@pytest.mark.parametrize("fn, shape, kinds", [pytest.param(f, s, k, id=n) for n, f, s, k in TARGET_GRADCHECKS])
def test_target_gradients_gradcheck_in_float64(fn, shape, kinds, rng):
    inputs = [t64(rng.uniform(0.05, 0.95, shape) if k == "p" else rng.standard_normal(shape) * 2) for k in kinds]
    report = gradcheck(fn, inputs)
    assert report.passed, str(report)
    assert all(np.any(r.analytic_grad != 0) for r in report), "every input, the target too, has a gradient"


def test_a_class_weight_that_requires_grad_is_refused_as_pytorch():
    w = tg.ones(4, requires_grad=True)
    for call in (lambda: F.cross_entropy(tg.randn(3, 4), np.array([0, 1, 2]), weight=w),
                 lambda: F.nll_loss(tg.randn(3, 4), np.array([0, 1, 2]), weight=w),
                 lambda: F.binary_cross_entropy_with_logits(tg.randn(3, 4), tg.rand(3, 4), pos_weight=w)):
        with pytest.raises(RuntimeError, match=r"(weight|pos_weight) is not differentiated .*\.detach\(\)"):
            call()


# ------------------------------------------------------------------------------------------------ keywords
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_weight_is_pytorchs_weighted_mean(reduction, rng):
    logp_v, w = log_softmax(rng.standard_normal((5, 3)), 1), np.array([0.5, 2.0, 1.5])
    target = np.array([2, 0, -100, 1, 2])
    loss = F.nll_loss(t64(logp_v), target, weight=w, reduction=reduction)
    kept = target != -100
    per = np.where(kept, -w[np.where(kept, target, 0)] * logp_v[np.arange(5), np.where(kept, target, 0)], 0.0)
    want = per.sum() / w[target[kept]].sum() if reduction == "mean" else REDUCE[reduction](per)
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)


def test_cross_entropy_weight_and_label_smoothing_by_hand(rng):
    x_v, w, e = rng.standard_normal((4, 3)), np.array([0.5, 2.0, 1.5]), 0.3
    target = np.array([2, 0, 1, -100])
    loss = F.cross_entropy(t64(x_v), target, weight=w, label_smoothing=e)
    logp, kept = log_softmax(x_v, 1), target != -100
    nll = -(w[target[kept]] * logp[np.flatnonzero(kept), target[kept]]).sum()
    smooth = -(logp[kept] * w).sum()
    want = ((1 - e) * nll + e / 3 * smooth) / w[target[kept]].sum()
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)


def test_bce_with_logits_pos_weight_by_hand(rng):
    x_v, t_v, q = rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 3)), np.array([3.0, 1.0, 0.5])
    sig = 1 / (1 + np.exp(-x_v))
    want = -(q * t_v * np.log(sig) + (1 - t_v) * np.log(1 - sig)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(t64(x_v), t64(t_v), pos_weight=q).numpy(), want,
                               rtol=1e-12)


def test_loss_modules_take_the_keywords():
    x, t = tg.randn(3, 4), np.array([0, 3, 1])
    w = tg.tensor(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32))
    assert tg.nn.CrossEntropyLoss(w)(x, t).item() == pytest.approx(F.cross_entropy(x, t, weight=w).item())
    assert tg.nn.NLLLoss(weight=w)(x, t).item() == pytest.approx(F.nll_loss(x, t, weight=w).item())
    y = tg.rand(3, 4)
    assert tg.nn.BCEWithLogitsLoss(pos_weight=w)(x, y).item() == \
        pytest.approx(F.binary_cross_entropy_with_logits(x, y, pos_weight=w).item())
    assert list(tg.nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]


def test_weights_keep_float32_losses_float32():
    x, t = tg.randn(3, 4, requires_grad=True), np.array([0, 3, 1])
    loss = F.cross_entropy(x, t, weight=np.array([1.0, 2.0, 3.0, 4.0]), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


# ------------------------------------------------------------------------------------------------ layouts
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_take_n_c_d1_d2_logits_with_n_d1_d2_targets(reduction, rng):
    x_v = rng.standard_normal((2, 4, 3, 2))
    target = rng.integers(0, 4, (2, 3, 2))
    target[0, 1, 1] = -100
    logp = log_softmax(x_v, 1)
    n, a, b = np.indices(target.shape)
    per = np.where(target != -100, -logp[n, np.maximum(target, 0), a, b], 0.0)
    want = per.sum() / (target != -100).sum() if reduction == "mean" else REDUCE[reduction](per)
    np.testing.assert_allclose(F.cross_entropy(t64(x_v), target, reduction=reduction).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(t64(logp), target, reduction=reduction).numpy(), want, rtol=1e-12)


def test_a_1d_input_takes_a_0d_or_one_entry_target():
    x_v = np.array([0.5, -1.0, 2.0])
    want = -log_softmax(x_v, 0)[2]
    for target in (np.array(2), np.array([2]), tg.tensor(2)):
        for reduction in ("mean", "none"):
            loss = F.cross_entropy(t64(x_v), target, reduction=reduction)
            assert loss.shape == () and loss.item() == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x_shape, t_shape", [((4,), (2,)), ((3, 5, 6), (3,)), ((3, 5, 6), (3, 7)),
                                              ((3, 5), (3, 6)), ((3, 5), ()), ((2, 3, 4, 5), (2, 4))])
def test_shapes_that_fit_no_layout_are_named_with_the_layouts(op, x_shape, t_shape):
    fn = getattr(F, op)
    with pytest.raises(ValueError) as error:
        fn(tg.randn(*x_shape), np.zeros(t_shape, dtype=np.int64))
    text = str(error.value)
    assert text.startswith(f"{op}: input of shape {x_shape} and target of shape {t_shape} do not fit together")
    assert "(N, C, d1, ...) with target (N, d1, ...)" in text and "input (C,) with target ()" in text
    assert ("class probabilities: a float target of the input's shape" in text) == (op == "cross_entropy")
    assert "reshape" not in text


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_a_0d_input_and_a_bad_weight_are_named(op):
    fn = getattr(F, op)
    with pytest.raises(ValueError, match=rf"{op}: input must have a class dimension, got a 0-d input"):
        fn(tg.tensor(1.0), np.array(0))
    with pytest.raises(ValueError, match=rf"{op}: weight of shape \(3,\) does not fit input \(2, 4\): one weight per "
                                         r"class, shape \(4,\)"):
        fn(tg.randn(2, 4), np.array([0, 1]), weight=np.ones(3))


def test_a_float_target_of_another_shape_says_both_shapes():
    with pytest.raises(TypeError, match=r"cross_entropy: target must hold class indices as integers .*float32 with "
                                        r"shape \(3,\) for input \(3, 5\); for class probabilities pass a float"):
        F.cross_entropy(tg.randn(3, 5), tg.Tensor([0, 1, 2]))


def test_bce_weights_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight of shape \(3,\) does not fit "
                                         r"input \(2, 4\)"):
        F.binary_cross_entropy_with_logits(tg.randn(2, 4), tg.rand(2, 4), pos_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight of shape \(2, 2, 4\) does not fit input"):
        F.binary_cross_entropy(tg.rand(2, 4), tg.rand(2, 4), weight=np.ones((2, 2, 4)))


# ------------------------------------------------------------------------------------------------ no raw numpy errors
LOSS_MISUSE = [
    ("ndarray_input_bce", lambda: F.binary_cross_entropy(np.array([0.5]), tg.rand(1)), TypeError,
     r"binary_cross_entropy: input must be a Tensor, got ndarray"),
    ("ndarray_input_ce", lambda: F.cross_entropy(np.random.randn(2, 3), np.array([0, 1])), TypeError,
     r"cross_entropy: input must be a Tensor, got ndarray"),
    ("label_smoothing_str", lambda: F.cross_entropy(tg.randn(2, 3), [0, 1], label_smoothing="a"), ValueError,
     r"cross_entropy: label_smoothing must be in \[0, 1\], got a"),
    ("weight_str", lambda: F.binary_cross_entropy_with_logits(tg.rand(2), tg.rand(2), weight="a"), TypeError,
     r"binary_cross_entropy_with_logits: weight must hold numbers"),
]


@pytest.mark.parametrize("call, kind, says", [pytest.param(c, k, m, id=n) for n, c, k, m in LOSS_MISUSE])
def test_loss_misuse_gets_a_message_naming_the_loss(call, kind, says):
    with pytest.raises(kind, match=says):
        call()


def test_every_target_ignored_gives_nan_without_a_numpy_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(F.cross_entropy(tg.randn(2, 3), np.array([-100, -100])).item())


@pytest.mark.parametrize("loss", ["bce", "bcel"])
def test_the_binary_cross_entropies_run_in_scalar_mode_with_tensor_modes_numbers(loss):
    values, t = [0.3, 0.6, 0.9], np.array([1.0, 0.0, 0.4])
    w, q = np.array([1.0, 3.0, 0.5]), np.array([2.0, 0.5, 1.0])
    if loss == "bce":
        fn = lambda x: F.binary_cross_entropy(x, t, weight=w)                              # noqa: E731
    else:
        fn = lambda x: F.binary_cross_entropy_with_logits(x * 4 - 2, t, weight=w, pos_weight=q)   # noqa: E731
    scalars = tg.Scalar.array(values)
    out = fn(scalars)                          # numpy's ufuncs failed on Scalars here (no log1p, no abs)
    out.backward()
    x = t64(values)
    ref = fn(x)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(tg.Scalar.grads(scalars), x.grad.numpy(), rtol=1e-10)
