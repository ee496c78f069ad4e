"""The arithmetic operators and elementwise math methods that Scalar and Tensor share: each one is one op."""

from .autograd import apply_binary, apply_unary
from .ops import activation as A
from .ops import elementwise as E


class Operators:
    """+ - * / ** (numbers on either side), unary -, exp, log, sqrt, abs, tanh, sigmoid, relu."""

    __slots__ = ()

    def __add__(self, other):
        return apply_binary(E.Add, self, other)

    def __radd__(self, other):
        return apply_binary(E.Add, other, self)

    def __sub__(self, other):
        return apply_binary(E.Sub, self, other)

    def __rsub__(self, other):
        return apply_binary(E.Sub, other, self)

    def __mul__(self, other):
        return apply_binary(E.Mul, self, other)

    def __rmul__(self, other):
        return apply_binary(E.Mul, other, self)

    def __truediv__(self, other):
        return apply_binary(E.Div, self, other)

    def __rtruediv__(self, other):
        return apply_binary(E.Div, other, self)

    def __pow__(self, exponent):
        return apply_binary(E.Pow, self, exponent)

    def __rpow__(self, base):
        return apply_binary(E.Pow, base, self)

    def __neg__(self):
        return apply_unary(E.Neg, self)

    def exp(self):
        return apply_unary(E.Exp, self)

    def log(self):
        return apply_unary(E.Log, self)

    def sqrt(self):
        return apply_unary(E.Sqrt, self)

    def abs(self):
        return apply_unary(E.Abs, self)

    def tanh(self):
        return apply_unary(A.Tanh, self)

    def sigmoid(self):
        return apply_unary(A.Sigmoid, self)

    def relu(self):
        return apply_unary(A.ReLU, self)
