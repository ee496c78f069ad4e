"""nn.functional (F): layers and losses as functions, with PyTorch's names, defaults and numbers.

Every function accepts Tensors; the math ops also accept numpy object arrays of Scalars (scalar mode,
see `Scalar.array`), returning object arrays whose entries are the recorded Scalar results.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import random
from ..dims import dim_index
from ..ops import activation as A
from ..ops import linalg as L
from ..ops import loss as LS
from ..ops import movement as M
from ..tensor import Tensor
from .conv_functional import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    fold,
    max_pool1d,
    max_pool2d,
    pad,
    unfold,
)

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d", "pad", "linear", "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax",
           "dropout", "embedding", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]

_REDUCTIONS = ("mean", "sum", "none")


def _shape(x):
    return x.data.shape if isinstance(x, Tensor) else tuple(np.shape(x))


def _dim(x, dim, op):
    return dim_index(dim, len(_shape(x)), op)


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


# --------------------------------------------------------------------------------------------- layers
def linear(input, weight, bias=None):
    """y = x W^T + b, recorded as one Affine node.  Shapes: x (*, in), W (out, in), b (out,) -> (*, out).

    b may also have the output's whole shape (*, out): a per-row offset (torch's F.linear broadcasts any bias; this
    takes those two shapes).  An RNN step's W h_{t-1} + (U x_t + b) is one node that way."""
    xs, ws = _shape(input), _shape(weight)
    if len(ws) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {ws}")
    if len(xs) == 0 or xs[-1] != ws[1]:
        raise ValueError(f"linear: input of shape {xs} has {xs[-1] if xs else 0} features but weight {ws} expects "
                         f"{ws[1]} (in_features = weight.shape[1] must equal input.shape[-1])")
    if bias is not None and (bs := _shape(bias)) != (ws[0],) and bs != xs[:-1] + (ws[0],):
        raise ValueError(f"linear: bias of shape {bs} does not match weight {ws}: expected ({ws[0]},) "
                         f"or the output's shape {xs[:-1] + (ws[0],)} (a per-row offset)")
    return L.Affine.apply(input, weight, bias)


def relu(input):
    return A.ReLU.apply(input)


def sigmoid(input):
    return A.Sigmoid.apply(input)


def tanh(input):
    return A.Tanh.apply(input)


def leaky_relu(input, negative_slope=0.01):
    return A.LeakyReLU.apply(input, negative_slope=negative_slope)


def softmax(input, dim):
    """exp(x) / sum(exp(x)) along dim, computed without overflow."""
    return A.Softmax.apply(input, dim=_dim(input, dim, "softmax"))


def log_softmax(input, dim):
    """log(softmax(x)) along dim, computed without forming softmax (no log(0))."""
    return A.LogSoftmax.apply(input, dim=_dim(input, dim, "log_softmax"))


def dropout(input, p=0.5, training=True):
    """Zero each entry with probability p and scale the rest by 1/(1-p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask = random.generator().random(_shape(input)) >= p
    return A.Dropout.apply(input, mask=mask, p=p)


def embedding(input, weight):
    """Rows of `weight` (V, D) picked by integer indices (*) -> (*, D)."""
    index = np.asarray(input.data if isinstance(input, Tensor) else input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    vocab = _shape(weight)[0]
    if index.size and (index.min() < -vocab or index.max() >= vocab):
        bad = index.max() if index.max() >= vocab else index.min()
        raise IndexError(f"embedding: index {bad} is out of range for {vocab} embeddings (valid: 0..{vocab - 1})")
    return M.Embedding.apply(weight, index=index)


def one_hot(tensor, num_classes=-1):
    """Integer class indices (*) -> int64 one-hot (*, num_classes)."""
    index = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {index.dtype}")
    if num_classes < 0:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise IndexError(f"one_hot: class values must be in [0, {num_classes - 1}], got {index.min()}..{index.max()}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[index], dtype=np.int64)


# --------------------------------------------------------------------------------------------- losses
def _class_targets(op, input_shape, target, ignore_index):
    """Validate integer class targets against input (N, C): dtype, shape and range, as PyTorch."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices as integers (int64), got dtype {t.dtype}; "
                        "for class probabilities pass a float target of the input's shape")
    n, c = input_shape
    if t.shape != (n,):
        raise ValueError(f"{op}: target of shape {t.shape} does not match input {input_shape}: expected ({n},), "
                         "one class index per row")
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{op}: target {t[bad][0]} is out of bounds for {c} classes (valid: 0..{c - 1}, or "
                         f"ignore_index={ignore_index})")
    return t.astype(np.int64, copy=False)


def _as_rows(op, input, target):
    """(C,) -> (1, C); (N, C, d1, ...) -> (N*d1*..., C) with the class axis last.  Returns the target shape to
    restore for reduction='none'."""
    shape = _shape(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if len(shape) == 1:
        return input.reshape(1, shape[0]) if isinstance(input, Tensor) else input.reshape(1, -1), \
            np.reshape(t, (1,)), ()
    if len(shape) == 2:
        return input, t, (shape[0],)
    if len(shape) == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d input")
    moved = input.permute(0, *range(2, len(shape)), 1) if isinstance(input, Tensor) else \
        np.moveaxis(input, 1, -1)
    return moved.reshape(-1, shape[1]), np.reshape(t, (-1,)), (shape[0],) + shape[2:]


def nll_loss(input, target, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices: -input[n, target[n]], averaged over targets not ignored.

    Shapes: input (N, C) of log-probabilities (or (C,), or (N, C, d1, ...)), target (N,) int.
    """
    _check_reduction("nll_loss", reduction)
    rows, t, out_shape = _as_rows("nll_loss", input, target)
    t = _class_targets("nll_loss", _shape(rows), t, ignore_index)
    loss = LS.NLLLoss.apply(rows, target=t, ignore_index=ignore_index, reduction=reduction)
    return loss.reshape(out_shape) if reduction == "none" and isinstance(loss, Tensor) else loss


def cross_entropy(input, target, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy from raw scores (logits), as torch.nn.functional.cross_entropy.

    Shapes: input (N, C) (or (C,), or (N, C, d1, ...)); target (N,) class indices, or class probabilities
    of the input's shape.  loss_n = -log softmax(x_n)[t_n]; with label smoothing e the target becomes
    (1 - e) one-hot + e / C.  'mean' averages over the targets not ignored.
    """
    _check_reduction("cross_entropy", reduction)
    _warn_if_probabilities(input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    t_raw = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t_raw.dtype.kind == "f" and t_raw.shape == _shape(input):
        return _soft_cross_entropy(input, t_raw, reduction, label_smoothing)
    rows, t, out_shape = _as_rows("cross_entropy", input, t_raw)
    n, c = _shape(rows)
    t = _class_targets("cross_entropy", (n, c), t, ignore_index)
    logp = A.LogSoftmax.apply(rows, dim=1)
    if label_smoothing == 0.0:
        loss = LS.NLLLoss.apply(logp, target=t, ignore_index=ignore_index, reduction=reduction)
        return loss.reshape(out_shape) if reduction == "none" and isinstance(loss, Tensor) else loss
    if not isinstance(logp, Tensor):
        raise TypeError("cross_entropy: label_smoothing is available in tensor mode only")
    keep = (t != ignore_index).astype(logp.dtype)
    nll = LS.NLLLoss.apply(logp, target=t, ignore_index=ignore_index, reduction="none")
    smooth = -(logp.sum(dim=1) * keep) / c
    per = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    if reduction == "none":
        return per.reshape(out_shape)
    return per.sum() / keep.sum() if reduction == "mean" else per.sum()


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


def _soft_cross_entropy(input, probs, reduction, label_smoothing):
    """Cross-entropy against class probabilities (the class axis is dim 1, or 0 for a 1-D input)."""
    dim = 0 if len(_shape(input)) == 1 else 1
    c = _shape(input)[dim]
    if label_smoothing:
        probs = probs * (1.0 - label_smoothing) + label_smoothing / c
    per = -(A.LogSoftmax.apply(input, dim=dim) * probs).sum(dim=dim)
    if reduction == "none":
        return per
    return per.mean() if reduction == "mean" else per.sum()


def _same_shape(op, input, target):
    ts = _shape(target)
    if _shape(input) != ts:
        raise ValueError(f"{op}: input shape {_shape(input)} and target shape {ts} differ; broadcasting them "
                         "would silently compare every pair of entries (a classic bug). Reshape one of them")


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (input - target)**2, averaged (or summed) over every entry.  Shapes must match."""
    _check_reduction("mse_loss", reduction)
    _same_shape("mse_loss", input, target)
    diff = input - target
    per = diff * diff
    if reduction == "none":
        return per
    return per.mean() if reduction == "mean" else per.sum()


def binary_cross_entropy(input, target, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1].  Shapes: p, t (*) alike."""
    _check_reduction("binary_cross_entropy", reduction)
    _same_shape("binary_cross_entropy", input, target)
    p = input.data if isinstance(input, Tensor) else np.asarray(input)
    if p.dtype != object and ((p < 0) | (p > 1)).any():
        raise ValueError("binary_cross_entropy: every input entry must be a probability in [0, 1] (apply "
                         "sigmoid first, or use binary_cross_entropy_with_logits on raw scores)")
    t = target.data if isinstance(target, Tensor) else np.asarray(target, dtype=p.dtype)
    return LS.BinaryCrossEntropy.apply(input, target=t, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """binary_cross_entropy(sigmoid(x), t), computed stably from raw scores x.  Shapes: x, t (*) alike."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    return LS.BinaryCrossEntropyWithLogits.apply(input, target=t, reduction=reduction)
