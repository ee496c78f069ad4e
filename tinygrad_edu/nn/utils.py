"""nn.utils: clip_grad_norm_."""

import numpy as np

from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together so their joint norm is at most max_norm; returns the norm before.

    As PyTorch: the scale is max_norm / (norm + 1e-6), applied only when it is below 1.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    dtype = grads[0].dtype
    if norm_type == float("inf"):
        total = max(float(np.abs(g.data).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g.data.astype(np.float64)) ** norm_type).sum()) for g in grads)
                      ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in parameters:
            if p.grad is not None:
                p.grad = Tensor._make((p.grad.data * scale).astype(p.grad.data.dtype))
    return Tensor(total, dtype=dtype)
