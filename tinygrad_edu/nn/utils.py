"""nn.utils: clip_grad_norm_ and clip_grad_value_ (PyTorch's gradient clipping)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameters import tensor_list
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0) -> Tensor:
    """Scale all gradients together so their joint norm is at most max_norm; returns the norm before.

    parameters: one Tensor or any iterable of Tensors (a generator like model.parameters() included).
    As PyTorch: the scale is max_norm / (norm + 1e-6), applied only when it is below 1.
    """
    parameters = tensor_list("clip_grad_norm_", parameters)     # read once: a generator has one pass
    max_norm, norm_type = _real("clip_grad_norm_", "max_norm", max_norm), _real("clip_grad_norm_", "norm_type",
                                                                                norm_type)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    dtype = grads[0].dtype
    if norm_type == float("inf"):
        total = max(float(np.abs(g.data).max()) for g in grads)
    elif norm_type == 0:                      # the "0-norm": how many entries are not zero (torch.linalg's)
        total = float(sum(np.count_nonzero(g.data) for g in grads))
    else:
        total = float(sum(float((np.abs(g.data.astype(np.float64)) ** norm_type).sum()) for g in grads)
                      ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in parameters:
            if p.grad is not None:
                p.grad = Tensor._make((p.grad.data * scale).astype(p.grad.data.dtype))
    return Tensor(total, dtype=dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place.  Returns None, as PyTorch.

    parameters: one Tensor or any iterable of Tensors (a generator like model.parameters() included).
    """
    parameters = tensor_list("clip_grad_value_", parameters)
    clip_value = _real("clip_grad_value_", "clip_value", clip_value)
    for p in parameters:
        if p.grad is not None:
            # a new array: a gradient may share its array with another tensor's (Add passes one on unchanged)
            p.grad = Tensor._make(np.clip(p.grad.data, -clip_value, clip_value).astype(p.grad.data.dtype, copy=False))


def _real(op, name, value):
    """value as a float, or a TypeError naming op and the argument (a string max_norm would fail inside numpy)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)
