"""nn.functional (F): layers and losses as functions, with PyTorch's names, defaults and numbers.

Every function accepts Tensors; the math ops also accept numpy object arrays of Scalars (scalar mode,
see `Scalar.array`), returning object arrays whose entries are the recorded Scalar results.
"""

from __future__ import annotations

import numpy as np

from .. import random
from ..dims import dim_index
from ..hints import TensorLike
from ..ops import activation, linalg, movement
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
from .loss_functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d", "pad", "linear", "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax",
           "dropout", "embedding", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]

def _shape(x):
    return x.data.shape if isinstance(x, Tensor) else tuple(np.shape(x))


def _dim(x, dim, op):
    return dim_index(dim, len(_shape(x)), op)


# --------------------------------------------------------------------------------------------- layers
def linear(input: Tensor | np.ndarray, weight: Tensor | np.ndarray,
           bias: Tensor | np.ndarray | None = None) -> Tensor | np.ndarray:
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
    return linalg.Affine.apply(input, weight, bias)


def relu(input: Tensor | np.ndarray) -> Tensor | np.ndarray:
    return activation.ReLU.apply(input)


def sigmoid(input: Tensor | np.ndarray) -> Tensor | np.ndarray:
    if isinstance(input, Tensor):     # its method: an integer tensor gives float32, as PyTorch
        return input.sigmoid()
    return activation.Sigmoid.apply(input)


def tanh(input: Tensor | np.ndarray) -> Tensor | np.ndarray:
    if isinstance(input, Tensor):
        return input.tanh()
    return activation.Tanh.apply(input)


def leaky_relu(input: Tensor | np.ndarray, negative_slope: float = 0.01) -> Tensor | np.ndarray:
    return activation.LeakyReLU.apply(input, negative_slope=negative_slope)


def softmax(input: Tensor | np.ndarray, dim: int) -> Tensor | np.ndarray:
    """exp(x) / sum(exp(x)) along dim, computed without overflow."""
    return activation.Softmax.apply(input, dim=_dim(input, dim, "softmax"))


def log_softmax(input: Tensor | np.ndarray, dim: int) -> Tensor | np.ndarray:
    """log(softmax(x)) along dim, computed without forming softmax (no log(0))."""
    return activation.LogSoftmax.apply(input, dim=_dim(input, dim, "log_softmax"))


def dropout(input: Tensor | np.ndarray, p: float = 0.5, training: bool = True) -> Tensor | np.ndarray:
    """Zero each entry with probability p and scale the rest by 1/(1-p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask = random.generator().random(_shape(input)) >= p
    return activation.Dropout.apply(input, mask=mask, p=p)


def embedding(input: TensorLike, weight: Tensor | np.ndarray) -> Tensor | np.ndarray:
    """Rows of `weight` (V, D) picked by integer indices (*) -> (*, D)."""
    index = np.asarray(input.data if isinstance(input, Tensor) else input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    vocab = _shape(weight)[0]
    if index.size and (index.min() < -vocab or index.max() >= vocab):
        bad = index.max() if index.max() >= vocab else index.min()
        raise IndexError(f"embedding: index {bad} is out of range for {vocab} embeddings (valid: 0..{vocab - 1})")
    return movement.Embedding.apply(weight, index=index)


def one_hot(tensor: TensorLike, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 one-hot (*, num_classes)."""
    index = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {index.dtype}")
    if num_classes < 0:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise IndexError(f"one_hot: class values must be in [0, {num_classes - 1}], got {index.min()}..{index.max()}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[index], dtype=np.int64)
