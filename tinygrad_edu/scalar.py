"""Scalar mode: every float op is a node, micrograd-sized, on the same engine as Tensor mode.

`Scalar(2.0) * Scalar(3.0)` records a Mul node; `backward()` fills `.grad` of every node (intermediate ones
too, as micrograd does, so a student can read the chain rule node by node). `Scalar.array` makes numpy
object arrays of Scalars, on which the tensor functions (F.linear, softmax, ...) run as their multiplies
and adds: the lecture notes' element-by-element derivations, computed.
"""

from __future__ import annotations

import numpy as np

from .autograd import _NO_PARAMS, STATE, Record, Value, parents_of
from .operators import Operators


class Scalar(Operators, Value, Record):
    """A float that records the ops applied to it.  `.data` and `.grad` are plain floats.

    A Scalar made by an op is also that op's record (fn, inputs, parents, saved, scope): one object per
    node instead of two, which is what keeps a 65,000-node scalar graph cheap for Python's garbage collector.
    """

    __slots__ = ("fn", "_a", "_b", "params", "saved", "scope", "__dict__")
    __hash__ = Value.__hash__
    _own_record = True

    def __init__(self, data, name=None, requires_grad=True):
        self.data = float(data.data if isinstance(data, Scalar) else data)
        self.grad = 0.0
        self.requires_grad = requires_grad
        self.name = name
        self._hooks = None
        self._retains_grad = True      # every node keeps its gradient, as in micrograd
        self._pending = None
        self._uses = 0
        self.fn = None
        self._a, self._b = (), _MANY   # no inputs
        self.params = None
        self.saved = ()
        self.scope = ""

    # -------------------------------------------------------------------- engine protocol
    # A record's inputs live in two slots, not in a tuple: one tracked object per node instead of two halves
    # the garbage collector's work on a big scalar graph.  _b is the second input, or _ONE (a single input in
    # _a), or _MANY (_a holds the inputs tuple).
    @property
    def inputs(self):
        b = self._b
        if b is _MANY:
            return self._a
        return (self._a,) if b is _ONE else (self._a, b)

    @property
    def parents(self):
        """One entry per input: the input if it needs a gradient, else None (None for a leaf)."""
        if self.fn is None:
            return None
        a, b = self._a, self._b
        if b is _MANY:
            return parents_of(a)
        if b is _ONE:
            return (a,)                  # a one-input op is recorded only when its input needs a gradient
        return (a if isinstance(a, Value) and a.requires_grad else None,
                b if isinstance(b, Value) and b.requires_grad else None)

    @property
    def _ctx(self):
        return self if self.fn is not None else None

    def _record(self, fn, inputs, params):
        s = object.__new__(Scalar)       # the output, handed to forward as its ctx
        s.fn = fn
        if len(inputs) == 1:
            s._a, s._b = inputs[0], _ONE
        elif len(inputs) == 2:
            s._a, s._b = inputs
        else:
            s._a, s._b = inputs, _MANY
        s.params = params
        s.saved = ()
        s.scope = STATE.scope
        return s

    def _record_pair(self, fn, a, b):
        s = object.__new__(Scalar)
        s.fn = fn
        s._a = a
        s._b = b
        s.params = _NO_PARAMS
        s.saved = ()
        s.scope = STATE.scope
        return s

    def _finish(self, ctx, payload, parents):
        ctx.data = payload if type(payload) is float else float(payload)
        ctx.grad = 0.0
        ctx.name = None
        ctx._hooks = None
        ctx._retains_grad = True
        ctx._pending = None
        ctx._uses = 0
        if parents is not None:          # the parents follow from the inputs (see .parents)
            ctx.requires_grad = True
        else:                            # nothing to differentiate: a constant, not an op record
            ctx.requires_grad = False
            ctx.fn, ctx._a, ctx._b, ctx.saved = None, (), _MANY, ()
        return ctx

    def _store_grad(self, grad):
        self.grad += grad

    def _grad_for_hook(self, grad):
        return float(grad)

    def _as_payload(self, value):
        return float(value)

    def _seed_gradient(self, gradient):
        return 1.0 if gradient is None else float(gradient)

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float, Scalar)):
            raise TypeError(f"pow: a Scalar's exponent must be an int, float or Scalar, got {type(exponent).__name__}")
        return super().__pow__(exponent)

    # comparisons compare values (no node), so max-pooling and softmax's max run on Scalars
    def __lt__(self, other):
        return self.data < _value(other)

    def __le__(self, other):
        return self.data <= _value(other)

    def __gt__(self, other):
        return self.data > _value(other)

    def __ge__(self, other):
        return self.data >= _value(other)

    def __float__(self):
        return self.data

    def __repr__(self):
        label = f"{self.name}=" if self.name else ""
        return f"Scalar({label}{self.data:.4g}, grad={self.grad:.4g})"

    # -------------------------------------------------------------------- arrays of Scalars
    @staticmethod
    def array(data, name=None, requires_grad=True):
        """A numpy object array of Scalars with the values of `data`.

        With a name, entries are named as on the slides, 1-based over the non-singleton axes:
        Scalar.array([[1, 2]], "x") -> x1, x2; a 2x2 "w" -> w11, w12, w21, w22.
        """
        values = np.asarray(data, dtype=np.float64)
        out = np.empty(values.shape, dtype=object)
        for index in np.ndindex(values.shape):
            label = None
            if name is not None:
                parts = [str(i + 1) for i, n in zip(index, values.shape) if n != 1]
                label = name + "".join(parts) if max(values.shape, default=1) < 10 else \
                    f"{name}[{','.join(parts)}]"
            out[index] = Scalar(values[index], name=label, requires_grad=requires_grad)
        return out

    @staticmethod
    def values(array):
        """Float array of the .data of an array of Scalars."""
        return np.vectorize(lambda s: s.data if isinstance(s, Scalar) else float(s), otypes=[np.float64])(array)

    @staticmethod
    def grads(array):
        """Float array of the .grad of an array of Scalars."""
        return np.vectorize(lambda s: s.grad if isinstance(s, Scalar) else 0.0, otypes=[np.float64])(array)


_ONE = object()      # Scalar._b of a one-input record
_MANY = object()     # Scalar._b when Scalar._a holds the inputs tuple


def _value(x):
    return x.data if isinstance(x, Scalar) else x
