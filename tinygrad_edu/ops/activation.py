"""Activation functions: the nonlinearities between layers.  Shapes: x (*) -> y (*)."""

import math

import numpy as np

from ..autograd import Function


def sigmoid(x):
    """1 / (1 + e**-x) for a float or an array: the one sigmoid every part of the library computes.

    No cancellation anywhere (sigmoid(-40) = 4.2e-18 in float32, where (1 + tanh(x/2)) / 2 or
    1 - sigmoid(40) round to exactly 0). For x below about -88 (float32) or -709 (float64), e**-x overflows
    to inf and the result is 0, its limit (the true value is below the smallest normal number).
    """
    if type(x) is float:              # scalar mode: plain floats; math.exp raises on overflow, so branch
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    with np.errstate(over="ignore"):  # e**-x = inf gives 1 / (1 + inf) = 0, the right limit
        y = np.exp(-x)
    y += 1.0                          # in place on the fresh array (rebinds a 0-d result)
    return 1.0 / y


class Sigmoid(Function):
    """y = 1 / (1 + e**-x), computed without overflow or cancellation (see `sigmoid`).

    Backward: dx = dy * y * (1 - y), at most dy / 4: why deep sigmoid nets' gradients vanish.
    """

    elementwise = True
    derivatives = ("σ({0})·(1 − σ({0}))",)

    @staticmethod
    def forward(ctx, x):
        y = sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out * y * (1.0 - y),)


class Tanh(Function):
    """y = tanh(x).  Backward: dx = dy * (1 - y**2)."""

    elementwise = True
    derivatives = ("1 − tanh²({0})",)

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)        # backward needs only the output
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out * (1.0 - y * y),)


class ReLU(Function):
    """y = max(x, 0).  Backward: dx = dy where x > 0, else 0 (0 at x = 0, as PyTorch)."""

    elementwise = True
    derivatives = ("[{0} > 0]",)

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out * (y > 0),)


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.  Backward: dx = dy * (1 if x > 0 else slope)."""

    elementwise = True
    derivatives = ("1 if {0} > 0 else slope",)

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return (grad_out * np.where(x > 0, 1.0, ctx.negative_slope),)


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along `dim` (subtracting the max changes nothing but overflow).

    Backward: dx = y * (dy - sum(dy * y)) along `dim`.
    """

    derivatives = ("y ⊙ (g − Σ g ⊙ y)",)

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        y = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (y * (grad_out - np.sum(grad_out * y, axis=ctx.dim, keepdims=True)),)


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along `dim`: log of softmax without ever forming it.

    Backward: dx = dy - softmax(x) * sum(dy) along `dim`.
    """

    derivatives = ("g − softmax({0}) ⊙ Σ g",)

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - np.max(x, axis=dim, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out - np.exp(y) * np.sum(grad_out, axis=ctx.dim, keepdims=True),)


class Dropout(Function):
    """y = x * mask / (1 - p) with a constant 0/1 mask (training only).  Backward: dx = dy * mask / (1 - p)."""

    derivatives = ("g ⊙ mask/(1 − p)",)

    @staticmethod
    def forward(ctx, x, mask, p):
        scale = mask * (1.0 / (1.0 - p))
        ctx.scale = scale.astype(np.result_type(x)) if isinstance(x, np.ndarray) else scale
        return x * ctx.scale

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out * ctx.scale,)
