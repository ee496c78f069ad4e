"""Elementwise arithmetic: + - * / ** and the unary math functions.

Shapes: inputs broadcast as numpy does, (*) op (*) -> (*); each backward returns gradients in the
broadcast shape and the engine sums them back to each input's shape. Payloads may be floats (Scalar mode)
or arrays (Tensor mode): the same code serves both.
"""

import numpy as np

from ..autograd import Function


class Add(Function):
    """y = a + b.  Backward: da = dy, db = dy."""

    elementwise = True
    derivatives = ("1", "1")

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.  Backward: da = dy, db = -dy."""

    elementwise = True
    derivatives = ("1", "−1")

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, -grad_out


class Mul(Function):
    """y = a * b.  Backward: da = dy * b, db = dy * a (each input's local derivative is the other)."""

    elementwise = True
    derivatives = ("{1}", "{0}")

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        return grad_out * b, grad_out * a


class Div(Function):
    """y = a / b.  Backward: da = dy / b, db = -dy * a / b**2."""

    elementwise = True
    derivatives = ("1/{1}", "−{0}/{1}²")

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        da = grad_out / b
        return da, -da * a / b


class Neg(Function):
    """y = -x.  Backward: dx = -dy."""

    elementwise = True
    derivatives = ("−1",)

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad_out):
        return (-grad_out,)


class Pow(Function):
    """y = x ** e, e a number or a second input.  Backward: dx = dy * e * x**(e-1), de = dy * y * ln x.

    As PyTorch at x = 0: dx = 0 where e = 0 (x**0 is the constant 1; e * x**(e-1) would be 0 * inf), and
    de = 0 where e >= 0 (0**e stays 0 or 1 as e moves), -inf where e < 0 (y * ln 0 = inf * -inf).
    A negative base has no real ln x: de is NaN there, as PyTorch's.
    """

    elementwise = True
    derivatives = ("{1}·{0}^({1} − 1)", "{0}^{1}·ln {0}")

    @staticmethod
    def forward(ctx, x, exponent):
        with np.errstate(divide="ignore"):    # 0 ** -1 is inf, as in PyTorch
            y = np.power(x, exponent)         # numpy's power: NaN, not a complex number, for (-2.0) ** 0.5
        ctx.save_for_backward(x, exponent, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, e, y = ctx.saved
        dx = de = None
        with np.errstate(divide="ignore", invalid="ignore"):    # inf and NaN here are the answers, as above
            if ctx.needs_input_grad[0]:
                dx = grad_out * np.where(e == 0, 0.0, e * np.power(x, e - 1))
            if ctx.needs_input_grad[1]:    # only when the exponent itself requires a gradient
                de = grad_out * np.where((x == 0) & (e >= 0), 0.0, y * np.log(x))
        return dx, de


class Exp(Function):
    """y = e**x.  Backward: dx = dy * y (the exponential is its own derivative)."""

    elementwise = True
    derivatives = ("exp({0})",)

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out * y,)


class Log(Function):
    """y = ln x.  Backward: dx = dy / x."""

    elementwise = True
    derivatives = ("1/{0}",)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return (grad_out / x,)


class Sqrt(Function):
    """y = sqrt(x).  Backward: dx = dy / (2 y)."""

    elementwise = True
    derivatives = ("1/(2√{0})",)

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return (grad_out / (2 * y),)


class Abs(Function):
    """y = |x|.  Backward: dx = dy * sign(x) (0 at x = 0, as PyTorch)."""

    elementwise = True
    derivatives = ("sign({0})",)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return (grad_out * np.sign(x),)


class Clamp(Function):
    """y = min(max(x, min), max).  Backward: dx = dy where min <= x <= max, else 0 (as PyTorch)."""

    elementwise = True
    derivatives = ("[min ≤ {0} ≤ max]",)

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return np.clip(x, min, max)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        lo, hi = ctx.bounds
        inside = np.ones(np.shape(x), dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        return (grad_out * inside,)


class Where(Function):
    """y = a where cond else b (cond is a constant boolean array).  Backward: da = dy*cond, db = dy*~cond."""

    elementwise = True
    derivatives = ("[cond]", "[not cond]")

    @staticmethod
    def forward(ctx, a, b, cond):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        cond = ctx.cond
        zero = np.zeros((), dtype=np.asarray(grad_out).dtype)
        return np.where(cond, grad_out, zero), np.where(cond, zero, grad_out)
