"""Reductions: sum, mean, max/min.  Shapes: x (*) -> reduced over `dim` (all axes when dim is None)."""

import numpy as np

from ..autograd import Function


def _expand_back(grad_out, shape, dim, keepdim):
    """Broadcast a reduced gradient back over the axes the forward pass reduced."""
    if dim is not None and not keepdim:
        grad_out = np.expand_dims(grad_out, dim)
    return np.broadcast_to(grad_out, shape)


class Sum(Function):
    """y = sum of x over `dim` (a tuple of axes, or None for all).  Backward: dx = dy copied over those axes."""

    derivatives = ("g broadcast back to the shape of {0}",)

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.dim, ctx.keepdim = np.shape(x), dim, keepdim
        return np.sum(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_out):
        return (_expand_back(grad_out, ctx.shape, ctx.dim, ctx.keepdim),)


class Mean(Function):
    """y = mean of x over `dim`.  Backward: dx = dy / n copied over those axes (n entries were averaged)."""

    derivatives = ("g broadcast back to the shape of {0}, divided by the count",)

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        shape = np.shape(x)
        ctx.shape, ctx.dim, ctx.keepdim = shape, dim, keepdim
        ctx.count = int(np.prod(shape)) if dim is None else int(np.prod([shape[d] for d in dim]))
        return np.sum(x, axis=dim, keepdims=keepdim) / ctx.count

    @staticmethod
    def backward(ctx, grad_out):
        return (_expand_back(grad_out / ctx.count, ctx.shape, ctx.dim, ctx.keepdim),)


class Max(Function):
    """Largest entry of all of x (a 0-d result).  Backward: dy shared evenly by all entries equal to it,
    as PyTorch's max() without dim."""

    @staticmethod
    def forward(ctx, x):
        y = np.max(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        winners = x == y
        return (grad_out * winners / np.count_nonzero(winners),)


class Min(Max):
    """Smallest entry of all of x (a 0-d result).  Backward: dy shared evenly by all entries equal to it."""

    @staticmethod
    def forward(ctx, x):
        y = np.min(x)
        ctx.save_for_backward(x, y)
        return y


class MaxDim(Function):
    """Largest entry along one axis, x (..., n, ...) -> (..., ...).  Backward: dy goes to the first
    maximum's position (the index max(dim) returns), as PyTorch."""

    pick = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, x, dim, keepdim=False):
        index = np.expand_dims(cls.pick(x, axis=dim), dim)
        ctx.shape, ctx.dim, ctx.keepdim, ctx.index = np.shape(x), dim, keepdim, index
        y = np.take_along_axis(x, index, axis=dim)
        return y if keepdim else np.squeeze(y, axis=dim)

    @staticmethod
    def backward(ctx, grad_out):
        grad = np.zeros(ctx.shape, dtype=np.result_type(grad_out))
        g = grad_out if ctx.keepdim else np.expand_dims(grad_out, ctx.dim)
        np.put_along_axis(grad, ctx.index, g, axis=ctx.dim)
        return (grad,)


class MinDim(MaxDim):
    """Smallest entry along one axis.  Backward: dy goes to the first minimum's position."""

    pick = staticmethod(np.argmin)
