"""The arithmetic operators and elementwise math methods that Scalar and Tensor share: each one is one op.

`fast.apply_binary(Mul, a, b)` is `Mul.apply(a, b)`; with the fast paths on (tinygrad_edu/fast/, installed when
tinygrad_edu is imported) it is a specialised copy of it for the hot path of both modes (read through the module
at each call, so the installed version is the one used).
"""

from . import fast
from .ops import activation, elementwise


class Operators:
    """+ - * / ** (numbers on either side), unary -, exp, log, sqrt, abs, tanh, sigmoid, relu."""

    __slots__ = ()

    def __add__(self, other):
        return fast.apply_binary(elementwise.Add, self, other)

    def __radd__(self, other):
        return fast.apply_binary(elementwise.Add, other, self)

    def __sub__(self, other):
        return fast.apply_binary(elementwise.Sub, self, other)

    def __rsub__(self, other):
        return fast.apply_binary(elementwise.Sub, other, self)

    def __mul__(self, other):
        return fast.apply_binary(elementwise.Mul, self, other)

    def __rmul__(self, other):
        return fast.apply_binary(elementwise.Mul, other, self)

    def __truediv__(self, other):
        return fast.apply_binary(elementwise.Div, self, other)

    def __rtruediv__(self, other):
        return fast.apply_binary(elementwise.Div, other, self)

    def __pow__(self, exponent):
        return fast.apply_binary(elementwise.Pow, self, exponent)

    def __rpow__(self, base):
        return fast.apply_binary(elementwise.Pow, base, self)

    def __neg__(self):
        return fast.apply_unary(elementwise.Neg, self)

    def exp(self):
        return fast.apply_unary(elementwise.Exp, self)

    def log(self):
        return fast.apply_unary(elementwise.Log, self)

    def sqrt(self):
        return fast.apply_unary(elementwise.Sqrt, self)

    def abs(self):
        return fast.apply_unary(elementwise.Abs, self)

    def tanh(self):
        return fast.apply_unary(activation.Tanh, self)

    def sigmoid(self):
        return fast.apply_unary(activation.Sigmoid, self)

    def relu(self):
        return fast.apply_unary(activation.ReLU, self)
