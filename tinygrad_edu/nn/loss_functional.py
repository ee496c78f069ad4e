"""The losses of nn.functional (F), with PyTorch's names, keywords, layouts and numbers.

    nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean")
    cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0)
    mse_loss(x, target, reduction="mean")
    binary_cross_entropy(p, target, weight=None, reduction="mean")
    binary_cross_entropy_with_logits(x, target, weight=None, reduction="mean", pos_weight=None)

Class-index layouts (nll_loss, cross_entropy): input (C,) with target () (or (1,)); (N, C) with (N,);
(N, C, d1, ...) with (N, d1, ...).  cross_entropy also takes class probabilities: a float target of the
input's shape.  A floating target that requires grad is differentiated wherever PyTorch does (the binary
cross-entropies, mse_loss, cross_entropy with probabilities); class weights are constants.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..hints import TensorLike
from ..ops import activation
from ..ops import loss as loss_ops
from ..scalar import Scalar
from ..tensor import Tensor

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]

_REDUCTIONS = ("mean", "sum", "none")
_LAYOUTS = ("input (C,) with target () or (1,); input (N, C) with target (N,); input (N, C, d1, ...) with target "
            "(N, d1, ...)")


def _shape(x):
    return x.data.shape if isinstance(x, Tensor) else tuple(np.shape(x))


def _payload(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _dtype(x):
    """The floating dtype constants are cast to: the input's (float64 for arrays of Scalars, float32 else)."""
    d = _payload(x).dtype
    return d if d.kind == "f" else np.dtype(np.float64 if d.kind == "O" else np.float32)


def _check(op, input, reduction):
    """The checks every loss starts with: the input is a Tensor (or an array of Scalars), the reduction known."""
    if not isinstance(input, Tensor) and not (isinstance(input, np.ndarray) and input.dtype == object):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__} (wrap it: tg.tensor(x))")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _constant(op, name, value, input, shape, rule):
    """A class weight as an array of the input's dtype; None stays None.  It must broadcast to `shape` unchanged."""
    if value is None:
        return None
    if isinstance(value, Tensor) and value.requires_grad:
        raise RuntimeError(f"{op}: {name} is not differentiated (as in PyTorch, it must not require grad); pass "
                           f"{name}.detach()")
    try:
        array = np.asarray(_payload(value), dtype=_dtype(input))
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must hold numbers (a Tensor or an array), got {type(value).__name__} "
                        f"{value!r}") from None
    try:
        fits = np.broadcast_shapes(array.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: {name} of shape {array.shape} does not fit input {_shape(input)}: {rule}")
    return array


# --------------------------------------------------------------------------------------------- class indices
def _class_rows(op, input, target, ignore_index):
    """Input as rows (M, C) with the class axis last, the flat integer target (M,) and the shape of the
    per-target loss (reduction='none').  Shapes that fit no layout raise a ValueError naming both."""
    ishape, t = _shape(input), _payload(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices as integers (int64), got dtype {t.dtype} with shape "
                        f"{t.shape} for input {ishape}; for class probabilities pass a float target of the input's "
                        "shape" + (" (cross_entropy only)" if op == "nll_loss" else ""))
    if len(ishape) == 1 and t.shape in ((), (1,)):
        rows, out_shape = input.reshape(1, ishape[0]), ()
    elif len(ishape) == 2 and t.shape == (ishape[0],):
        rows, out_shape = input, t.shape
    elif len(ishape) > 2 and t.shape == (ishape[0],) + ishape[2:]:
        axes = (0, *range(2, len(ishape)), 1)
        moved = input.permute(*axes) if isinstance(input, Tensor) else np.transpose(input, axes)
        rows, out_shape = moved.reshape(-1, ishape[1]), t.shape
    else:
        also = "; or class probabilities: a float target of the input's shape" if op == "cross_entropy" else ""
        raise ValueError(f"{op}: input of shape {ishape} and target of shape {t.shape} do not fit together. The "
                         f"layouts {op} accepts (class indices, integers): {_LAYOUTS}{also}")
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    t = t.reshape(-1)
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{op}: target {t[bad][0]} is out of bounds for {c} classes (valid: 0..{c - 1}, or "
                         f"ignore_index={ignore_index})")
    return rows, t.astype(np.int64, copy=False), out_shape


def _restore(loss, reduction, out_shape):
    return loss.reshape(out_shape) if reduction == "none" and isinstance(loss, Tensor) else loss


def nll_loss(input: Tensor | np.ndarray, target: TensorLike, weight: TensorLike | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor | Scalar | np.ndarray:
    """Negative log-likelihood of class indices: -w[t] input[n, t], averaged over the targets not ignored
    (weighted by w[t] when class weights are given, as PyTorch).

    Shapes: input of log-probabilities (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...) int;
    weight (C,) or None.  Returns () for 'mean'/'sum', the target's shape for 'none'.
    """
    _check("nll_loss", input, reduction)
    if len(_shape(input)) == 0:
        raise ValueError(f"nll_loss: input must have a class dimension, got a 0-d input. The layouts nll_loss "
                         f"accepts: {_LAYOUTS}")
    rows, t, out_shape = _class_rows("nll_loss", input, target, ignore_index)
    c = _shape(rows)[1]
    w = _constant("nll_loss", "weight", weight, input, (c,), f"one weight per class, shape ({c},)")
    loss = loss_ops.NLLLoss.apply(rows, target=t, ignore_index=ignore_index, reduction=reduction, weight=w)
    return _restore(loss, reduction, out_shape)


def cross_entropy(input: Tensor | np.ndarray, target: TensorLike, weight: TensorLike | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor | Scalar | np.ndarray:
    """Softmax cross-entropy from raw scores (logits), as torch.nn.functional.cross_entropy.

    Shapes: input (N, C), (C,) or (N, C, d1, ...); target: class indices (N,), () or (N, d1, ...), or class
    probabilities of the input's shape; weight (C,) or None.  loss_n = -w[t_n] log softmax(x_n)[t_n]; 'mean'
    averages over the targets not ignored, weighted by w[t_n] (probabilities: over the N·d1·... rows).
    With label smoothing e the target becomes (1 - e) one-hot + e / C.
    """
    _check("cross_entropy", input, reduction)
    ishape = _shape(input)
    if len(ishape) == 0:
        raise ValueError(f"cross_entropy: input must have a class dimension, got a 0-d input. The layouts "
                         f"cross_entropy accepts: {_LAYOUTS}; or a float target of the input's shape")
    _warn_if_probabilities(input)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.floating)) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    t_raw = _payload(target)
    if t_raw.dtype.kind == "f" and t_raw.shape == ishape:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    rows, t, out_shape = _class_rows("cross_entropy", input, t_raw, ignore_index)
    w = _constant("cross_entropy", "weight", weight, input, (c,), f"one weight per class, shape ({c},)")
    logp = activation.LogSoftmax.apply(rows, dim=1)
    loss = loss_ops.NLLLoss.apply(logp, target=t, ignore_index=ignore_index, reduction="none" if label_smoothing else
                            reduction, weight=w)
    if label_smoothing == 0.0:
        return _restore(loss, reduction, out_shape)
    if not isinstance(logp, Tensor):
        raise TypeError("cross_entropy: label_smoothing is available in tensor mode only")
    # PyTorch: (1 - e) nll + e/C sum_c -w_c logp_c, both parts divided by the same weighted count for 'mean'
    keep = t != ignore_index
    kept = keep.astype(logp.dtype)
    smooth = -((logp.sum(dim=1) if w is None else (logp * w).sum(dim=1)) * kept)
    per = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return per.reshape(out_shape)
    if reduction == "sum":
        return per.sum()
    count = kept.sum() if w is None else np.where(keep, w[np.where(keep, t, 0)], 0.0).sum()
    return per.sum() / float(count)


def _warn_if_probabilities(input):
    """The double softmax of note 004: rows already in [0, 1] summing to 1 get a second softmax here.
    Float arrays only, three vectorized passes (min, max, row sums)."""
    x = input.data if isinstance(input, Tensor) else input
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim == 0 or x.size == 0:
        return
    axis = 0 if x.ndim == 1 else 1
    if x.shape[axis] < 2 or x.min() < 0 or x.max() > 1:
        return
    if np.all(np.abs(x.sum(axis=axis) - 1) <= 1e-3):
        warnings.warn("cross_entropy: every row of the input lies in [0, 1] and sums to 1, so it looks like "
                      "probabilities (softmax already applied). cross_entropy applies log_softmax itself: this is "
                      "softmax twice (the double softmax of note 004, whose loss stays stuck). Pass the raw scores "
                      "(logits), or use nll_loss on log-probabilities", UserWarning, stacklevel=3)


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    """Cross-entropy against class probabilities (class axis 1, or 0 for a 1-D input), composed from LogSoftmax,
    Mul and Sum so that a target (and a weight) that require grad get their gradients, as in PyTorch."""
    ishape = _shape(input)
    dim = 0 if len(ishape) == 1 else 1
    c = ishape[dim]
    probs = target if isinstance(target, Tensor) else np.asarray(target, dtype=_dtype(input))
    if label_smoothing:
        probs = probs * (1.0 - label_smoothing) + label_smoothing / c
    prod = activation.LogSoftmax.apply(input, dim=dim) * probs
    if weight is not None:
        if _shape(weight) != (c,):
            raise ValueError(f"cross_entropy: weight of shape {_shape(weight)} does not fit input {ishape}: one "
                             f"weight per class, shape ({c},)")
        along = (c,) + (1,) * (len(ishape) - dim - 1)          # broadcast along the class axis
        prod = prod * (weight.reshape(*along) if isinstance(weight, Tensor) else
                       np.asarray(weight, dtype=_dtype(input)).reshape(along))
    per = -prod.sum(dim=dim)
    if reduction == "none":
        return per
    return per.mean() if reduction == "mean" else per.sum()


# --------------------------------------------------------------------------------------------- same-shape losses
def _same_shape(op, input, target):
    ts = _shape(target)
    if _shape(input) != ts:
        raise ValueError(f"{op}: input shape {_shape(input)} and target shape {ts} differ; broadcasting them "
                         "would silently compare every pair of entries (a classic bug). Reshape one of them")


def _target(input, target):
    """The target as an op input: a Tensor that requires grad as it is (so it gets its gradient), anything else
    as an array of the input's dtype."""
    if isinstance(target, Tensor) and target.requires_grad:
        return target
    t = _payload(target)
    p = _payload(input)
    return t if p.dtype == object else np.asarray(t, dtype=p.dtype)


def mse_loss(input: Tensor | np.ndarray, target: TensorLike, reduction: str = "mean") -> Tensor | Scalar | np.ndarray:
    """Mean squared error (input - target)**2, averaged (or summed) over every entry.  Shapes must match.
    Composed from Sub and Mul, so a target that requires grad gets d/dtarget = -2 (input - target) (/ count)."""
    _check("mse_loss", input, reduction)
    _same_shape("mse_loss", input, target)
    diff = input - target
    per = diff * diff
    if reduction == "none":
        return per
    return per.mean() if reduction == "mean" else per.sum()


def binary_cross_entropy(input: Tensor | np.ndarray, target: TensorLike, weight: TensorLike | None = None,
                         reduction: str = "mean") -> Tensor | Scalar | np.ndarray:
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1].  Shapes: p, t (*) alike; weight
    broadcasts to them.  d/dt = -w logit(p) for a target that requires grad."""
    op = "binary_cross_entropy"
    _check(op, input, reduction)
    _same_shape(op, input, target)
    p = _payload(input)
    if p.dtype != object and ((p < 0) | (p > 1)).any():
        raise ValueError(f"{op}: every input entry must be a probability in [0, 1] (apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on raw scores)")
    w = _constant(op, "weight", weight, input, p.shape, "it must broadcast to the input's shape")
    if p.dtype == object:      # scalar mode: the textbook formula, a Scalar node per operation
        t = _payload(target)
        return _scalar_reduce(-(t * np.log(p) + (1 - t) * np.log(1 - p)), w, reduction)
    return loss_ops.BinaryCrossEntropy.apply(input, _target(input, target), reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(input: Tensor | np.ndarray, target: TensorLike, weight: TensorLike | None = None,
                                     reduction: str = "mean",
                                     pos_weight: TensorLike | None = None) -> Tensor | Scalar | np.ndarray:
    """binary_cross_entropy(sigmoid(x), t), computed stably from raw scores x.  Shapes: x, t (*) alike; weight
    broadcasts to them; pos_weight (C,) weighs the positive term of each class (the last axis).
    d/dt = w ((q - 1) softplus(-x) - x) (= -w x without pos_weight) for a target that requires grad."""
    op = "binary_cross_entropy_with_logits"
    _check(op, input, reduction)
    _same_shape(op, input, target)
    shape = _shape(input)
    w = _constant(op, "weight", weight, input, shape, "it must broadcast to the input's shape")
    q = _constant(op, "pos_weight", pos_weight, input, shape,
                  "one weight per class along the last axis, broadcast to the input's shape")
    x = _payload(input)
    if x.dtype == object:      # scalar mode: (1 - t) x - (1 + (q - 1) t) log σ(x), a Scalar node per operation
        t = _payload(target)
        coef = 1 if q is None else 1 + (q - 1) * t
        return _scalar_reduce((1 - t) * x - coef * np.log(np.vectorize(lambda v: v.sigmoid(), otypes=[object])(x)),
                              w, reduction)
    return loss_ops.BinaryCrossEntropyWithLogits.apply(input, _target(input, target), reduction=reduction, weight=w,
                                                 pos_weight=q)


def _scalar_reduce(per, weight, reduction):
    """Scalar mode's weighting and reduction of an object array of per-entry losses."""
    if weight is not None:
        per = per * weight
    if reduction == "none":
        return per
    total = np.sum(per)
    return total / per.size if reduction == "mean" else total
