"""The arithmetic operators and elementwise math methods that Scalar and Tensor share: each one is one op.

`apply_binary(Mul, a, b)` is `Mul.apply(a, b)`; with the fast paths on (tinygrad_edu/fast/) it is a specialised
copy of it for the hot path of both modes (a value and a value or a number, no hyper-parameters).
"""

from .fast import apply_binary, apply_unary
from .ops import activation, elementwise


class Operators:
    """+ - * / ** (numbers on either side), unary -, exp, log, sqrt, abs, tanh, sigmoid, relu."""

    __slots__ = ()

    def __add__(self, other):
        return apply_binary(elementwise.Add, self, other)

    def __radd__(self, other):
        return apply_binary(elementwise.Add, other, self)

    def __sub__(self, other):
        return apply_binary(elementwise.Sub, self, other)

    def __rsub__(self, other):
        return apply_binary(elementwise.Sub, other, self)

    def __mul__(self, other):
        return apply_binary(elementwise.Mul, self, other)

    def __rmul__(self, other):
        return apply_binary(elementwise.Mul, other, self)

    def __truediv__(self, other):
        return apply_binary(elementwise.Div, self, other)

    def __rtruediv__(self, other):
        return apply_binary(elementwise.Div, other, self)

    def __pow__(self, exponent):
        return apply_binary(elementwise.Pow, self, exponent)

    def __rpow__(self, base):
        return apply_binary(elementwise.Pow, base, self)

    def __neg__(self):
        return apply_unary(elementwise.Neg, self)

    def exp(self):
        return apply_unary(elementwise.Exp, self)

    def log(self):
        return apply_unary(elementwise.Log, self)

    def sqrt(self):
        return apply_unary(elementwise.Sqrt, self)

    def abs(self):
        return apply_unary(elementwise.Abs, self)

    def tanh(self):
        return apply_unary(activation.Tanh, self)

    def sigmoid(self):
        return apply_unary(activation.Sigmoid, self)

    def relu(self):
        return apply_unary(activation.ReLU, self)
