"""Ops that move entries without changing them: reshape, permute, indexing, cat, stack.

Each backward routes the gradient back to where the entry came from.
"""

import numpy as np

from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape (same entries, same order).  Backward: dx = dy reshaped back."""

    derivatives = ("g reshaped to the shape of {0}",)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = np.shape(x)
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return (np.reshape(grad_out, ctx.in_shape),)


class Permute(Function):
    """y = x with its axes reordered by `dims`.  Backward: dx = dy with the inverse order."""

    derivatives = ("g with the axes put back",)

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad_out):
        return (np.transpose(grad_out, np.argsort(ctx.dims)),)


def has_array_index(index) -> bool:
    """Whether an index holds an integer or boolean array (advanced indexing), not only slices and ints."""
    if type(index) is not tuple:
        return isinstance(index, (np.ndarray, list))
    for part in index:                 # a loop, not any(<generator>): this runs once per slice in backward
        if isinstance(part, (np.ndarray, list)):
            return True
    return False


class GetItem(Function):
    """y = x[index] (slices, ints, None, Ellipsis, integer or boolean arrays).

    Backward: dx is zero except where entries were read; an entry read several times (repeated integer
    indices) receives the sum of their gradients (np.add.at accumulates, plain assignment would not).
    """

    derivatives = ("g written into zeros where {0} was read",)

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad_out):
        grad = np.zeros(ctx.shape, dtype=np.result_type(grad_out))
        if has_array_index(ctx.index):
            np.add.at(grad, ctx.index, grad_out)         # an entry read twice receives both gradients
        else:
            grad[ctx.index] = grad_out                   # slices and ints read each entry once
        return (grad,)


class Embedding(GetItem):
    """y = weight[indices]: the rows of a lookup table.  Shapes: weight (V, D), indices (*) -> (*, D).

    Backward: each row's gradient is the sum over every position that looked it up.
    """


class Cat(Function):
    """y = the inputs joined along `dim`.  Backward: dy cut back into the inputs' pieces."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.splits = np.cumsum([np.shape(x)[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad_out):
        return tuple(np.split(grad_out, ctx.splits, axis=ctx.dim))


class Stack(Function):
    """y = the inputs (all of one shape) stacked along a new axis `dim`.  Backward: dy unstacked."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad_out):
        return tuple(np.moveaxis(grad_out, ctx.dim, 0))


class Cast(Function):
    """y = x converted to another floating dtype (float32 <-> float64).  Backward: dx = dy (the engine casts
    it back to x's dtype)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out,)
