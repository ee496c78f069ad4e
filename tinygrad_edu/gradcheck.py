"""Gradient checking: central differences against the engine's backward, with reports that point at the
wrong input and entry.

    numerical_gradient(f, x)      d f(x) / dx by central differences (x restored even if f raises)
    gradcheck(fn, inputs)         autograd vs numerical gradients of fn's Functions, in float64

Hand-written numpy homework code (a grads dict, a (loss, dW) function, a forward/backward layer pair) is
checked by check_grads, check_loss_grad and check_layer, from homework_check.py and re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np

from .autograd import no_grad
from .gradient_report import HomeworkReport, ParamResult
from .hints import TensorLike
from .homework_check import check_grads, check_layer, check_loss_grad
from .homework_inputs import _Inputs
from .numeric_grad import judge
from .tensor import Tensor

__all__ = ["numerical_gradient", "gradcheck", "GradcheckError", "GradcheckReport", "InputResult", "check_grads",
           "check_loss_grad", "check_layer"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck(..., raise_exception=True) when an analytic gradient disagrees."""


def _as_float(value, where):
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        hint = " (did it forget to `return` the loss?)" if value is None else ""
        raise TypeError(f"{where}: the function must return a number (a loss), got {type(value).__name__}{hint}")
    if array.size != 1:
        raise ValueError(f"{where}: the function must return a single number (a loss), got shape {array.shape}")
    return float(array.reshape(()))


def _check_step(op, name, h):
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating)) or not h > 0:
        raise ValueError(f"{op}: the step {name} must be a positive number, got {h!r}")


class _AttributeSlot:
    """An attribute (x.data) seen as a one-entry mapping, so the checker's bindings notice a function that rebinds
    it (x.data = x.data * 2) and put the original array back."""

    def __init__(self, obj):
        self.obj = obj

    def get(self, key, default=None):
        return getattr(self.obj, key, default)

    def __getitem__(self, key):
        return getattr(self.obj, key)

    def __setitem__(self, key, value):
        setattr(self.obj, key, value)


def numerical_gradient(f: Callable[..., TensorLike], x: np.ndarray | Tensor, h: float = 1e-5) -> np.ndarray:
    """d f(x) / dx for a scalar-valued f, entry by entry: (f(x + h) - f(x - h)) / 2h.

    x: a numpy array (or a Tensor, whose .data is used), perturbed in place.  Whatever f does (writes into x,
    rebinds a Tensor's .data, raises), x is bit-for-bit what it was when this returns or raises, and every call of
    f starts from x as given (plus the one perturbed entry); a UserWarning says when f modified x.
    f(x) returns a number (or a one-entry Tensor/array).  Returns an array of x's shape, float64.
    """
    array = x.data if isinstance(x, Tensor) else x
    if not isinstance(array, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a numpy array or Tensor, got {type(x).__name__}")
    if array.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must hold floats to be perturbed, got dtype {array.dtype}")
    _check_step("numerical_gradient", "h", h)
    name = getattr(f, "__name__", None)
    by = name if name and name != "<lambda>" else "f"
    watched = _Inputs()                     # a pristine copy: each call of f is checked against it and undone
    watched.add("x", array)
    if isinstance(x, Tensor):
        watched.bind("x.data", _AttributeSlot(x), "data")
    grad = np.zeros(array.shape, dtype=np.float64)
    pristine = watched.pristine(array)
    loss = lambda: _as_float(f(x), "numerical_gradient")   # noqa: E731 - read before x is put back (f may return a view)
    try:
        for index in np.ndindex(array.shape):
            plus = watched.probe(loss, by, array, index, pristine[index] + h)
            minus = watched.probe(loss, by, array, index, pristine[index] - h)
            grad[index] = (plus - minus) / (2 * h)
    finally:
        watched.restore()
    for mutation in watched.mutations.values():
        warnings.warn(f"numerical_gradient: {mutation}", UserWarning, stacklevel=2)
    return grad


InputResult = ParamResult          # one row of a report: the same type for gradcheck and the homework checkers
GradcheckReport = HomeworkReport   # gradcheck's report is the one report type (rule "allclose")


def _outputs(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, Tensor)]
    raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors, got {type(value).__name__}")


def gradcheck(fn: Callable[..., Tensor | tuple | list], inputs: Tensor | Iterable, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = False, seed: int = 0) -> GradcheckReport:
    """Compare the engine's gradients of fn(*inputs) with central differences, in float64.

    inputs: a Tensor or tuple of Tensors (others are passed through); those with requires_grad are checked.
    Non-scalar outputs are reduced with fixed random weights, sum(out * R), which checks a random
    vector-Jacobian product of every output entry.  Returns a GradcheckReport; raises GradcheckError
    instead when raise_exception is true and some entry fails.
    """
    _check_step("gradcheck", "eps", eps)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    promoted = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            if x.dtype != np.float64 and x.requires_grad:
                label = f"input {x.name!r}" if x.name else "an input"
                warnings.warn(f"gradcheck: {label} is {x.dtype}; checking a float64 copy (float32 central "
                              "differences are too coarse to trust)", stacklevel=2)
            promoted.append(Tensor(x.data, dtype=np.float64, requires_grad=x.requires_grad, name=x.name))
        else:
            promoted.append(x)
    checked = [i for i, x in enumerate(promoted) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create the inputs with requires_grad=True")
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(o.shape) for o in _outputs(fn(*promoted))]

    def loss():
        outs = _outputs(fn(*promoted))
        return sum(((o * w).sum() for o, w in zip(outs, weights)), Tensor(0.0, dtype=np.float64))

    def loss_value():
        """loss() as a float, computed on the arrays: central differences need values, not a graph."""
        with no_grad():
            outs = _outputs(fn(*promoted))
        return float(sum(np.sum(o.data * w) for o, w in zip(outs, weights)))

    for i in checked:
        promoted[i].grad = None
    total = loss()
    if total.requires_grad:
        total.backward()
    results = []
    for i in checked:
        x = promoted[i]
        analytic = x.grad.data if x.grad is not None else np.zeros_like(x.data)
        numeric = numerical_gradient(lambda _: loss_value(), x, h=eps)
        result, _ = judge(x.name or f"input {i}", x.shape, np.asarray(analytic, dtype=np.float64),
                          np.arange(x.data.size), numeric.reshape(-1), None, rtol, atol, rule="allclose")
        results.append(result)
    report = GradcheckReport("gradcheck", tuple(results), eps, rtol, atol, rule="allclose")
    if raise_exception and not report.passed:
        raise GradcheckError(str(report))
    return report
