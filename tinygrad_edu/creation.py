"""Making tensors: tensor, zeros, ones, randn, rand, arange, eye, full, *_like, cat, stack, where."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from . import random
from .dims import dim_index
from .hints import DType, Number, Shape, TensorLike
from .ops import elementwise, movement
from .promotion import cast_to, result_type
from .tensor import Tensor, float32, numeric_array

__all__ = ["tensor", "zeros", "ones", "full", "randn", "rand", "arange", "eye", "zeros_like", "ones_like",
           "cat", "stack", "where"]


def _infer_dtype(data, array):
    """torch.tensor's rule: numpy arrays keep their dtype; Python floats -> float32, ints -> int64."""
    if isinstance(data, (np.ndarray, np.generic)):
        return data.dtype
    if array.dtype.kind == "f":
        return float32
    if array.dtype.kind in "iu":
        return np.dtype(np.int64)
    return array.dtype


def tensor(data: TensorLike, dtype: DType = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new tensor with the dtype inferred as torch.tensor does (ints -> int64, floats -> float32)."""
    if isinstance(data, Tensor):
        data = data.data
    array = numeric_array(data, "tensor")
    return Tensor(np.array(array, copy=True), requires_grad=requires_grad,
                  dtype=dtype if dtype is not None else _infer_dtype(data, array), name=name)


def _shape(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, numbers.Integral) and n >= 0 for n in size):
        raise ValueError(f"{op}: sizes must be non-negative ints, got {size}")
    return tuple(int(n) for n in size)


def zeros(*size: Shape, dtype: DType = float32, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape(size, "zeros"), dtype=dtype), requires_grad=requires_grad, dtype=dtype)


def ones(*size: Shape, dtype: DType = float32, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape(size, "ones"), dtype=dtype), requires_grad=requires_grad, dtype=dtype)


def full(size: Shape, fill_value: Number | complex | np.number, dtype: DType = float32,
         requires_grad: bool = False) -> Tensor:
    if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full: fill_value must be a number, got {fill_value!r}")
    return Tensor(np.full(_shape((size,), "full"), fill_value, dtype=dtype), requires_grad=requires_grad,
                  dtype=dtype)


def randn(*size: Shape, dtype: DType = float32, requires_grad: bool = False) -> Tensor:
    """Standard normal draws from the library's generator (see manual_seed)."""
    data = random.generator().standard_normal(_shape(size, "randn"))
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def rand(*size: Shape, dtype: DType = float32, requires_grad: bool = False) -> Tensor:
    """Uniform draws in [0, 1) from the library's generator."""
    data = random.generator().random(_shape(size, "rand"))
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def arange(start: Number, end: Number | None = None, step: Number = 1, dtype: DType = None) -> Tensor:
    """As torch.arange: int64 for int arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if is_int else float32
    if not all(isinstance(v, numbers.Real) for v in (start, end, step)):
        raise TypeError(f"arange: start, end and step must be numbers, got {(start, end, step)!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0")
    return Tensor(np.arange(start, end, step), dtype=dtype)


def eye(n: int, m: int | None = None, dtype: DType = float32) -> Tensor:
    _shape((n,) if m is None else (n, m), "eye")
    return Tensor(np.eye(n, m), dtype=dtype)


def zeros_like(t: TensorLike, dtype: DType = None) -> Tensor:
    return Tensor(np.zeros(np.shape(t)), dtype=dtype or np.asarray(t).dtype)


def ones_like(t: TensorLike, dtype: DType = None) -> Tensor:
    return Tensor(np.ones(np.shape(t)), dtype=dtype or np.asarray(t).dtype)


def _sequence(op, tensors):
    """The tensors as a list, read once.  One Tensor is refused, as PyTorch does: iterating it would give its rows."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a sequence of tensors (a list or tuple), got one Tensor of shape "
                        f"{tensors.shape}; pass [tensor]")
    return list(tensors)


def _check_same_rank(op, tensors):
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    ranks = {np.ndim(t.data if isinstance(t, Tensor) else t) for t in tensors}
    if len(ranks) != 1:
        raise ValueError(f"{op}: all tensors must have the same number of dimensions, got shapes "
                         f"{[tuple(np.shape(getattr(t, 'data', t))) for t in tensors]}")


def cat(tensors: Iterable[TensorLike], dim: int = 0) -> Tensor:
    """Join tensors along an existing axis.  Shapes: (.., n_i, ..) -> (.., sum n_i, ..)."""
    tensors = _sequence("cat", tensors)
    _check_same_rank("cat", tensors)
    shapes = [tuple(np.shape(getattr(t, "data", t))) for t in tensors]
    if not shapes[0]:
        raise RuntimeError("cat: 0-d tensors cannot be concatenated (they have no dimension to join along); "
                           "use tg.stack, or unsqueeze(0) each first")
    d = dim_index(dim, len(shapes[0]), "cat")
    rest = {s[:d] + s[d + 1:] for s in shapes}
    if len(rest) != 1:
        raise ValueError(f"cat: shapes {shapes} must match in every dimension except dim {d}")
    return movement.Cat.apply(*_common_dtype(tensors), dim=d)


def stack(tensors: Iterable[TensorLike], dim: int = 0) -> Tensor:
    """Stack same-shaped tensors along a new axis.  Shapes: k x (*) -> (k, *) for dim=0."""
    tensors = _sequence("stack", tensors)
    _check_same_rank("stack", tensors)
    shapes = {tuple(np.shape(getattr(t, "data", t))) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    d = dim_index(dim, len(next(iter(shapes))), "stack", new_axis=True)
    return movement.Stack.apply(*_common_dtype(tensors), dim=d)


def _common_dtype(tensors):
    """The inputs of cat/stack in PyTorch's common dtype where numpy's would differ (int64 and float32 give
    float32, not float64); a float tensor is cast by a recorded Cast, so its gradient comes back in its dtype."""
    payloads = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    if any(p.dtype.kind not in "biufc" for p in payloads):
        return tensors                    # object arrays of Scalars: scalar mode has no dtypes
    wanted = result_type(*payloads)
    if np.result_type(*payloads) == wanted:
        return tensors
    return [t.to(wanted) if isinstance(t, Tensor) else p.astype(wanted) for t, p in zip(tensors, payloads)]


def where(condition: TensorLike, input: TensorLike, other: TensorLike) -> Tensor:
    """Entries of `input` where condition holds, else of `other` (broadcast).  Gradients flow to both."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    payloads = [x.data if isinstance(x, Tensor) else x for x in (input, other)]
    try:
        np.broadcast_shapes(cond.shape, *(np.shape(p) for p in payloads))
    except ValueError:
        raise ValueError(f"where: condition {cond.shape}, input {np.shape(payloads[0])} and other "
                         f"{np.shape(payloads[1])} cannot be broadcast together (aligned from the right, each "
                         "set of sizes equal or 1)") from None
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):      # numbers: int64, float32 or bool
        return Tensor(np.where(cond, *payloads), dtype=result_type(*payloads))
    dtype = cast_to(*payloads)                                                # PyTorch's dtype, as for + - * /
    if dtype is not None:
        input, other = (x.to(dtype) if isinstance(x, Tensor) else np.asarray(x, dtype=dtype) for x in (input, other))
    return elementwise.Where.apply(input, other, cond=cond)
