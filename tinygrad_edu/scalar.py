"""Scalar mode: every float op is a node, micrograd-sized, on the same engine as Tensor mode.

`Scalar(2.0) * Scalar(3.0)` records a Mul node; `backward()` fills `.grad` of every node (intermediate ones
too, as micrograd does, so a student can read the chain rule node by node). `Scalar.array` makes numpy
object arrays of Scalars, on which the tensor functions (F.linear, softmax, ...) run as their multiplies
and adds: the lecture notes' element-by-element derivations, computed.
"""

from __future__ import annotations

import numpy as np

from .autograd import Context, Value
from .hints import ArrayLike, Number
from .operators import Operators


class Scalar(Operators, Value):
    """A float that records the ops applied to it.  `.data` and `.grad` are plain floats."""

    __slots__ = ()
    __hash__ = Value.__hash__
    leaf_class: type | None = None     # the class Scalar(...) makes: the fast paths set their record (fast/__init__.py)

    def __new__(cls, *args, **kwargs):
        return object.__new__(Scalar.leaf_class if cls is Scalar and Scalar.leaf_class else cls)

    def __init__(self, data: float | Scalar, name: str | None = None, requires_grad: bool = True):
        self.data = float(data.data if isinstance(data, Scalar) else data)
        self.grad = 0.0
        self.requires_grad = requires_grad
        self.grad_fn = None
        self.name = name
        self._hooks = None
        self._retains_grad = True      # every node keeps its gradient, as in micrograd
        self._pending = None
        self._uses = 0

    # -------------------------------------------------------------------- the Value protocol
    def _wrap(self, payload, ctx):
        out = Scalar(payload, requires_grad=ctx is not None)
        out.grad_fn = ctx
        return out

    def _seed_gradient(self, gradient):
        return 1.0 if gradient is None else float(gradient)

    def _store_grad(self, grad):
        self.grad += float(grad)

    def _hook_grad(self, grad, hook):
        replaced = hook(float(grad))
        return float(grad) if replaced is None else float(replaced)

    def __pow__(self, exponent: float | Scalar) -> Scalar:
        if not isinstance(exponent, (int, float, Scalar)):
            raise TypeError(f"pow: a Scalar's exponent must be an int, float or Scalar, got {type(exponent).__name__}")
        return super().__pow__(exponent)

    # comparisons compare values (no node), so max-pooling and softmax's max run on Scalars
    def __lt__(self, other: Number | Scalar) -> bool:
        return self.data < _value(other)

    def __le__(self, other: Number | Scalar) -> bool:
        return self.data <= _value(other)

    def __gt__(self, other: Number | Scalar) -> bool:
        return self.data > _value(other)

    def __ge__(self, other: Number | Scalar) -> bool:
        return self.data >= _value(other)

    def __float__(self) -> float:
        return self.data

    def __repr__(self):
        label = f"{self.name}=" if self.name else ""
        return f"Scalar({label}{self.data:.4g}, grad={self.grad:.4g})"

    # -------------------------------------------------------------------- arrays of Scalars
    @staticmethod
    def array(data: ArrayLike, name: str | None = None, requires_grad: bool = True) -> np.ndarray:
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
    def values(array: np.ndarray) -> np.ndarray:
        """Float array of the .data of an array of Scalars."""
        return np.vectorize(lambda s: s.data if isinstance(s, Scalar) else float(s), otypes=[np.float64])(array)

    @staticmethod
    def grads(array: np.ndarray) -> np.ndarray:
        """Float array of the .grad of an array of Scalars."""
        return np.vectorize(lambda s: s.grad if isinstance(s, Scalar) else 0.0, otypes=[np.float64])(array)


def _value(x):
    return x.data if isinstance(x, Scalar) else x


def apply_to_scalars(fn, inputs: tuple, params: dict) -> np.ndarray | Scalar:   # a Scalar from 0-d arrays
    """Tensor math on numpy object arrays of Scalars: every float op inside becomes a Scalar node.

    Elementwise ops are applied entry by entry, so each entry is one node named after the op (a ReLU node
    per entry); every other op runs its own forward on the object arrays, so its multiplies and adds are
    recorded one by one. Either way the op's math has one source of truth: its forward.
    """
    def as_scalar_payload(x):
        if isinstance(x, np.ndarray) and x.dtype == object:
            return x
        if isinstance(x, Value) and isinstance(x.data, np.ndarray):
            return Scalar.array(x.data, requires_grad=False)   # a Tensor constant joins as Scalars
        return x

    args = [as_scalar_payload(x) for x in inputs]
    if fn.elementwise:
        return np.vectorize(lambda *xs: fn.apply(*xs, **params), otypes=[object])(*args)
    return fn.forward(Context(fn, tuple(inputs), params), *args, **params)
