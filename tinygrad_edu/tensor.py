"""Tensor mode: a numpy array that records the ops applied to it, so gradients can flow back.

Every method here turns a call into one of the Functions in `ops/`; the autograd engine does the rest.
float32 is the default dtype (as `torch.Tensor`); float64 works everywhere and is what gradcheck uses.
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from collections.abc import Iterator, Sequence
from types import EllipsisType

import numpy as np

from . import fast
from .autograd import STATE, Value
from .dims import dim_index, dim_tuple
from .hints import Dims, DType, Number, Shape, TensorLike
from .indexing import torch_steps
from .operators import Operators
from .ops import activation, elementwise, linalg, movement, reduce
from .promotion import cast_to, result_type

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)

MinMax = namedtuple("MinMax", ["values", "indices"])


def _payload(x):
    return x.data if isinstance(x, Tensor) else x


def _shape_of(x):
    return tuple(np.shape(_payload(x)))


class Tensor(Operators, Value):
    """An n-dimensional array with autograd.  `Tensor(data)` gives float32 (as torch.Tensor)."""

    __slots__ = ()
    __hash__ = Value.__hash__      # == compares entries, so identity hashing must be restored
    __array_ufunc__ = None         # numpy defers to us: np.float64(2) * t and array + t stay recorded Tensors

    def __init__(self, data: TensorLike, requires_grad: bool = False, dtype: DType = None, name: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        dtype = as_dtype(dtype, "Tensor") if dtype is not None else float32
        array = np.array(numeric_array(data, "Tensor"), dtype=dtype)
        self.data = array
        self.grad = None
        self.grad_fn = None
        self.name = name
        self._hooks = None
        self._retains_grad = False
        self._pending = None
        self._uses = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -------------------------------------------------------------------- the Value protocol
    @staticmethod
    def _make(array, ctx=None):
        """A Tensor around `array` (no copy), made by the op `ctx` (None: a constant or a leaf)."""
        t = object.__new__(Tensor)
        t.data = array
        t.grad = None
        t.grad_fn = ctx
        t.name = None
        t._hooks = None
        t._retains_grad = False
        t._pending = None
        t._uses = 0
        t.requires_grad = ctx is not None
        return t

    def _wrap(self, payload, ctx):
        return Tensor._make(payload if type(payload) is np.ndarray else np.asarray(payload), ctx)

    def _store_grad(self, grad):
        if self.grad is None:
            self.grad = Tensor._make(np.array(grad, dtype=self.data.dtype, copy=True))
        else:
            self.grad = Tensor._make(self.grad.data + grad)

    def _hook_grad(self, grad, hook):
        replaced = hook(Tensor._make(np.asarray(grad)))
        if replaced is None:
            return grad
        array = np.asarray(_payload(replaced), dtype=self.data.dtype)
        if array.shape != self.data.shape:
            raise ValueError(f"register_hook: the hook returned a gradient of shape {array.shape} for "
                             f"{self._describe()} of shape {self.data.shape}; shapes must match")
        return array

    def _seed_gradient(self, gradient):
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: {self._describe()} has shape {self.data.shape}; a gradient can be created "
                    "implicitly only for a single-element output (a loss). Reduce it first (e.g. .sum()) or "
                    "pass backward(gradient=...) of the same shape")
            return np.ones_like(self.data)
        grad = np.asarray(_payload(gradient), dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(f"backward: gradient has shape {grad.shape} but {self._describe()} has shape "
                             f"{self.data.shape}; they must match")
        return grad

    # -------------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        if dim is None:
            return self.data.shape
        if self.data.ndim == 0:
            raise IndexError(f"size: a 0-d tensor has no dimensions (asked for dim {dim!r})")
        return self.data.shape[self._dim(dim, "size")]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool | complex:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor can be converted to a Python number, "
                             f"got shape {self.data.shape}")
        return self.data.item()

    def tolist(self) -> list | float | int | bool | complex:
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor with {self.data.size} entries is ambiguous; "
                               "use .any() or .all() on .data")
        return bool(self.data.item())

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != float32:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.op}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad_fn, requires_grad=False)."""
        return Tensor._make(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_: only floating point tensors can require gradients, got dtype "
                            f"{self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: a non-leaf tensor's requires_grad cannot be turned off; "
                               "use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return Tensor._make(self.data.astype(np.int64))

    def to(self, dtype: DType) -> Tensor:
        dtype = as_dtype(dtype, "to")
        if dtype == self.data.dtype:
            return self
        if dtype.kind not in "fc":
            return Tensor._make(self.data.astype(dtype))      # integers carry no gradient
        return movement.Cast.apply(self, dtype=dtype)

    def _dim(self, dim, op):
        return dim_index(dim, self.data.ndim, op)

    def _dims(self, dim, op):
        return dim_tuple(dim, self.data.ndim, op)

    # -------------------------------------------------------------------- arithmetic
    # The operators shared with Scalar (operators.py), after PyTorch's type promotion (promotion.py): numpy
    # would make `int tensor + 0.5` or `int / int` float64 where PyTorch gives float32.
    def __add__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Add, self, other, "add")

    def __radd__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Add, self, other, "add", reflected=True)

    def __sub__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Sub, self, other, "sub")

    def __rsub__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Sub, self, other, "sub", reflected=True)

    def __mul__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Mul, self, other, "mul")

    def __rmul__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Mul, self, other, "mul", reflected=True)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Div, self, other, "div")

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        return _binary(elementwise.Div, self, other, "div", reflected=True)

    def __pow__(self, exponent: TensorLike) -> Tensor:
        return _binary(elementwise.Pow, self, exponent, "pow")

    def __rpow__(self, base: TensorLike) -> Tensor:
        return _binary(elementwise.Pow, self, base, "rpow", reflected=True)

    def __neg__(self) -> Tensor:
        if self.data.dtype == bool:
            raise TypeError("neg: negating a bool tensor is not supported, as in PyTorch; (mask == False) inverts it")
        return Operators.__neg__(self)

    def exp(self) -> Tensor:
        return Operators.exp(self._as_float())

    def log(self) -> Tensor:
        return Operators.log(self._as_float())

    def sqrt(self) -> Tensor:
        return Operators.sqrt(self._as_float())

    def tanh(self) -> Tensor:
        return Operators.tanh(self._as_float())

    def sigmoid(self) -> Tensor:
        return Operators.sigmoid(self._as_float())

    def _as_float(self):
        """self, or its entries as the default float32 when they are integers (exp, log ... give floats)."""
        return self if self.data.dtype.kind in "fc" else Tensor._make(self.data.astype(float32))

    def __matmul__(self, other: TensorLike) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: TensorLike) -> Tensor:
        return _matmul(other, self)

    # in place, as in an optimizer step under no_grad (never recorded)
    def _inplace(self, op, other):
        if self.requires_grad and STATE.grad_enabled:
            raise RuntimeError(f"{op}: in-place update of {self._describe()}, which requires grad, would corrupt "
                               "the recorded graph; wrap it in `with tg.no_grad():` (as an optimizer does)")
        return np.asarray(_payload(other))

    def _update(self, op, ufunc, other):
        """self.data = ufunc(self.data, other), written in place; numpy's refusals said in the op's words."""
        value = self._inplace(op, other)
        if value.dtype.kind not in "biufc":
            raise TypeError(f"{op}: the other operand must be a number or a tensor, got {type(other).__name__}")
        try:
            ufunc(self.data, value, out=self.data)
        except ValueError:
            raise ValueError(f"{op}: an operand of shape {value.shape} cannot update a tensor of shape "
                             f"{self.data.shape} in place: it must broadcast to the tensor's shape") from None
        except TypeError:             # numpy's UFuncTypeError: no loop for these dtypes, or the result does not fit
            raise TypeError(f"{op}: the result of {self.data.dtype} and {value.dtype} cannot be written in place into "
                            f"a {self.data.dtype} tensor (PyTorch refuses too); write x = x {_SYMBOL[op]} other, or "
                            f"convert x first") from None
        return self

    def __iadd__(self, other: TensorLike) -> Tensor:
        return self._update("add_", np.add, other)

    def __isub__(self, other: TensorLike) -> Tensor:
        return self._update("sub_", np.subtract, other)

    def __imul__(self, other: TensorLike) -> Tensor:
        return self._update("mul_", np.multiply, other)

    def __itruediv__(self, other: TensorLike) -> Tensor:
        return self._update("div_", np.true_divide, other)

    def zero_(self) -> Tensor:
        self.data[...] = self._inplace("zero_", 0)
        return self

    # comparisons give boolean tensors and carry no gradient
    def _compare(self, op, ufunc, other):
        try:
            return Tensor._make(np.asarray(ufunc(self.data, _payload(other))))
        except ValueError:
            raise ValueError(f"{op}: shapes {self.data.shape} and {np.shape(_payload(other))} cannot be broadcast "
                             "together (aligned from the right, each pair of sizes must be equal or one of them 1)"
                             ) from None

    def __eq__(self, other: object) -> Tensor:      # object, as Python's == (t == None is all False)
        return self._compare("eq", np.equal, other)

    def __ne__(self, other: object) -> Tensor:
        return self._compare("ne", np.not_equal, other)

    def __lt__(self, other: TensorLike) -> Tensor:
        return self._compare("lt", np.less, other)

    def __le__(self, other: TensorLike) -> Tensor:
        return self._compare("le", np.less_equal, other)

    def __gt__(self, other: TensorLike) -> Tensor:
        return self._compare("gt", np.greater, other)

    def __ge__(self, other: TensorLike) -> Tensor:
        return self._compare("ge", np.greater_equal, other)

    # -------------------------------------------------------------------- elementwise functions
    def clamp(self, min: Number | np.generic | np.ndarray | Tensor | None = None,
              max: Number | np.generic | np.ndarray | Tensor | None = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        bounds = {}
        for name, bound in (("min", min), ("max", max)):
            if isinstance(bound, Tensor):
                if bound.requires_grad:
                    raise ValueError(f"clamp: a {name} that requires grad is not supported (it would get no "
                                     "gradient); use tg.where(x < m, m, x)")
                bound = bound.data
            elif bound is not None and (isinstance(bound, (bool, str)) or not np.isscalar(bound)) \
                    and not isinstance(bound, np.ndarray):
                raise TypeError(f"clamp: {name} must be a number or a tensor, got {type(bound).__name__}")
            bounds[name] = bound
        try:
            np.broadcast_shapes(self.data.shape, *(np.shape(b) for b in bounds.values() if b is not None))
        except ValueError:
            raise ValueError(f"clamp: bounds of shapes {[np.shape(b) for b in bounds.values() if b is not None]} "
                             f"cannot be broadcast to the tensor's shape {self.data.shape}") from None
        # PyTorch's dtype: an int tensor clamped at 0.5 is float32
        dtype = result_type(self.data, *(b for b in bounds.values() if b is not None))
        bounds = {k: b.astype(dtype) if isinstance(b, np.ndarray) else b for k, b in bounds.items()}
        return elementwise.Clamp.apply(self.to(dtype), **bounds)

    def softmax(self, dim: int) -> Tensor:
        return activation.Softmax.apply(self, dim=self._dim(dim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return activation.LogSoftmax.apply(self, dim=self._dim(dim, "log_softmax"))

    # -------------------------------------------------------------------- reductions
    def sum(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        return reduce.Sum.apply(self, dim=self._dims(dim, "sum"), keepdim=keepdim)

    def mean(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        return reduce.Mean.apply(self, dim=self._dims(dim, "mean"), keepdim=keepdim)

    def var(self, dim: Dims = None, keepdim: bool = False, unbiased: bool = True,
            correction: Number | None = None) -> Tensor:
        """Variance over `dim`; divides by n - 1 by default (correction=1), as PyTorch."""
        dims = self._dims(dim, "var")
        if correction is None:
            correction = 1 if unbiased else 0
        n = self.data.size if dims is None else int(np.prod([self.data.shape[d] for d in dims]))
        centered = self - self.mean(dim=dims, keepdim=True)
        return (centered * centered).sum(dim=dims, keepdim=keepdim) / max(n - correction, 0)

    def max(self, dim: int | None = None, keepdim: bool = False) -> Tensor | MinMax:
        """Without dim: the largest entry (0-d).  With dim: (values, indices) as a named tuple."""
        if dim is None:
            self._check_not_empty("max")
            return reduce.Max.apply(self)
        d = self._dim(dim, "max")
        self._check_not_empty("max", d)
        if self.data.ndim == 0:        # a 0-d tensor is its own max along dim 0 or -1 (at index 0), as PyTorch
            return self.reshape(1).max(0)
        values = reduce.MaxDim.apply(self, dim=d, keepdim=keepdim)
        return MinMax(values, self.argmax(d, keepdim))

    def min(self, dim: int | None = None, keepdim: bool = False) -> Tensor | MinMax:
        """Without dim: the smallest entry (0-d).  With dim: (values, indices) as a named tuple."""
        if dim is None:
            self._check_not_empty("min")
            return reduce.Min.apply(self)
        d = self._dim(dim, "min")
        self._check_not_empty("min", d)
        if self.data.ndim == 0:
            return self.reshape(1).min(0)
        values = reduce.MinDim.apply(self, dim=d, keepdim=keepdim)
        return MinMax(values, self.argmin(d, keepdim))

    def _check_not_empty(self, op, dim=None):
        """max, min, argmax, argmin pick an entry: there must be one (along dim), as PyTorch requires."""
        if dim is None and self.data.size == 0:
            raise ValueError(f"{op}: the tensor of shape {self.data.shape} is empty, so it has no {op} entry; "
                             "give a dim (PyTorch's rule) over an axis of nonzero length")
        if dim is not None and self.data.ndim and self.data.shape[dim] == 0:
            raise IndexError(f"{op}: dim {dim} of the tensor of shape {self.data.shape} has length 0: nothing to "
                             "pick from")

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            self._check_not_empty("argmax")
            return Tensor._make(np.asarray(np.argmax(self.data), dtype=np.int64))
        d = self._dim(dim, "argmax")
        self._check_not_empty("argmax", d)
        return Tensor._make(np.asarray(np.argmax(self.data, axis=d, keepdims=keepdim), dtype=np.int64))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            self._check_not_empty("argmin")
            return Tensor._make(np.asarray(np.argmin(self.data), dtype=np.int64))
        d = self._dim(dim, "argmin")
        self._check_not_empty("argmin", d)
        return Tensor._make(np.asarray(np.argmin(self.data, axis=d, keepdims=keepdim), dtype=np.int64))

    # -------------------------------------------------------------------- movement
    def reshape(self, *shape: Shape, op: str = "reshape") -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = _check_shape(shape, self.data.size, op)
        try:
            return movement.Reshape.apply(self, shape=shape)
        except ValueError:
            raise ValueError(f"{op}: cannot reshape a tensor of shape {self.data.shape} ({self.data.size} "
                             f"entries) into {shape}; the number of entries must stay the same") from None

    def view(self, *shape: Shape) -> Tensor:
        return self.reshape(*shape, op="view")

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        normalized = tuple(self._dim(d, "permute") for d in dims)
        if sorted(normalized) != list(range(self.data.ndim)):
            raise ValueError(f"permute: dims {dims} must name each of the {self.data.ndim} axes exactly once")
        return movement.Permute.apply(self, dims=normalized)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        dims = list(range(self.data.ndim))
        a, b = self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
        if self.data.ndim == 0:        # dims 0 and -1 of a 0-d tensor: nothing to swap
            return self.permute()
        dims[a], dims[b] = dims[b], dims[a]
        return movement.Permute.apply(self, dims=tuple(dims))

    @property
    def T(self) -> Tensor:
        return movement.Permute.apply(self, dims=tuple(reversed(range(self.data.ndim))))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        s, e = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (axes {s} > {e}) of a "
                             f"tensor of shape {self.data.shape}")
        if self.data.ndim == 0:
            return self.reshape(1)
        shape = self.data.shape
        return self.reshape(shape[:s] + (-1,) + shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        d = dim_index(dim, self.data.ndim, "unsqueeze", new_axis=True)
        return self.reshape(self.data.shape[:d] + (1,) + self.data.shape[d:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        shape = self.data.shape
        if dim is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        d = self._dim(dim, "squeeze")
        if self.data.ndim == 0 or shape[d] != 1:
            return self
        return self.reshape(shape[:d] + shape[d + 1:])

    def __getitem__(self, index: Index) -> Tensor:
        index = _as_index(index)
        steps = torch_steps(index, self.data.ndim)
        if steps is not None:             # where numpy would order the dims otherwise than PyTorch (indexing.py)
            out = self
            for step in steps:
                out = out[step]
            return out
        try:
            return movement.GetItem.apply(self, index=index)
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {self.data.shape})") from None

    def __setitem__(self, index: Index, value: TensorLike) -> None:
        self._inplace("setitem", 0)
        index = _as_index(index)
        steps = torch_steps(index, self.data.ndim) or [index]
        target = self.data
        try:
            for step in steps[:-1]:
                target = target[step]     # basic indexing (integers and slices): a view into self.data
            target[steps[-1]] = _payload(value)
        except (IndexError, ValueError) as error:
            raise type(error)(f"setitem: {error} (tensor shape {self.data.shape})") from None

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self)):
            yield self[i]


def numeric_array(data, op):
    """`data` (an array, a number, or nested sequences of them) as a numpy array of numbers (bool, int, float,
    complex); strings, other objects and ragged nestings are a TypeError naming what was received."""
    array = data
    if not isinstance(data, np.ndarray):
        try:
            array = np.asarray(data)
        except ValueError:           # numpy: "setting an array element with a sequence ... inhomogeneous shape"
            raise TypeError(f"{op}: data is a ragged nested sequence (its rows have different lengths): "
                            f"{_preview(data)}; a tensor needs equal-length rows of numbers") from None
    if array.dtype.kind in "biufc":
        return array
    if array.dtype == object and any(isinstance(v, Value) and not isinstance(v, Tensor) for v in array.flat):
        raise TypeError(f"{op}: data holds Scalars (an object array); Scalars are run with tg.Scalar.array(...) "
                        "and F.* directly, not wrapped in a Tensor")
    kinds = sorted({type(v).__name__ for v in np.asarray(array, dtype=object).flat}) or [str(array.dtype)]
    raise TypeError(f"{op}: data must be numbers (bool, int or float), got {_preview(data)} holding "
                    f"{', '.join(kinds)} (numpy dtype {array.dtype})")


def _preview(data, width=60):
    text = repr(data)
    return text if len(text) <= width else text[:width - 3] + "..."


def _check_shape(shape, size, op):
    """The sizes asked of reshape/view as ints: each >= 0, except at most one -1 (inferred), as PyTorch."""
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be ints, got {shape!r} (an entry of type {type(n).__name__})")
    shape = tuple(int(n) for n in shape)
    bad = [n for n in shape if n < -1]
    if bad or shape.count(-1) > 1:
        raise ValueError(f"{op}: invalid shape {shape}: every size must be >= 0, except at most one -1 (the one "
                         f"size inferred from the rest)")
    if -1 in shape and size == 0:
        raise ValueError(f"{op}: cannot reshape a tensor of 0 entries into {shape}: the -1 could be any size")
    return shape


# what t[index] takes: ints, slices, ..., None, and integer or boolean lists, arrays or Tensors (or a tuple of these)
Index = int | np.integer | slice | EllipsisType | None | list | tuple | np.ndarray | Tensor
_BASIC = (int, slice, type(None), type(Ellipsis))


def _as_index(index):
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if type(index) in _BASIC:
        return index
    if isinstance(index, tuple):
        for i in index:
            if type(i) not in _BASIC:
                return tuple(_as_index(i) for i in index)
        return index                                  # the common case: slices and ints, nothing to convert
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _binary(fn, a, b, op, reflected=False):
    """fn.apply(a, b) (fn.apply(b, a) when reflected: 2 - t) for a Tensor a, after PyTorch's type promotion; a float
    tensor with a float tensor or array of its own dtype or a Python number (the usual case) goes straight through."""
    t = type(b)
    if not (a.data.dtype.kind == "f" and (t is float or t is int or (t is Tensor and b.data.dtype is a.data.dtype)
                                          or (t is np.ndarray and b.dtype is a.data.dtype))):
        if not isinstance(b, _OPERANDS):
            return NotImplemented         # Python then says: unsupported operand type(s) for +: 'Tensor' and 'str'
        a, b = _promote(a, b, op)
    return fast.apply_binary(fn, b, a) if reflected else fast.apply_binary(fn, a, b)


_OPERANDS = (Value, np.ndarray, np.generic, list, tuple, numbers.Number)   # the ABC last: its check is slow
_SYMBOL = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/"}


def as_dtype(dtype, op):
    """np.dtype(dtype), or a TypeError naming the op and what was received."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (e.g. tg.float32, tg.float64, np.int64)") from None


def _promote(a, b, op):
    """a (a Tensor) and b cast to one dtype when numpy would not compute PyTorch's result dtype from them
    (usually: both unchanged); what PyTorch refuses (subtracting booleans, an integer to a negative integer
    power) is refused here.  A float Tensor that requires grad is cast by a recorded Cast, so its gradient
    flows back in its own dtype."""
    pa, pb = a.data, _payload(b)
    dtype = cast_to(pa, pb, true_division=op == "div")
    if op == "sub" and (_is_bool(pa) or _is_bool(pb)):
        raise TypeError(f"sub: subtracting booleans is not supported (got dtypes {_dtype_name(pa)} and "
                        f"{_dtype_name(pb)}), as in PyTorch; use ~ or logical_not to invert a mask, ^ for xor")
    if op in ("pow", "rpow") and pa.dtype.kind in "biu":
        base, exponent = (pa, pb) if op == "pow" else (pb, pa)
        integer = (dtype or np.result_type(base, exponent)).kind in "biu"
        if integer and np.any(np.asarray(exponent) < 0):
            raise ValueError(f"pow: integers to negative integer powers are not allowed (exponent "
                             f"{_preview(exponent)}), as in PyTorch; make the base a float (x.float() ** -1)")
    if dtype is None:
        return a, b
    return _cast(a, dtype), _cast(b, dtype)


def _is_bool(x):
    return x is True or x is False or (isinstance(x, np.ndarray) and x.dtype.kind == "b")


def _dtype_name(x):
    return str(x.dtype) if isinstance(x, np.ndarray) else type(x).__name__


def _cast(x, dtype):
    if isinstance(x, Tensor):
        return x.to(dtype)
    if isinstance(x, np.ndarray) and x.dtype != dtype:
        return x.astype(dtype)
    return x


def _matmul(a, b):
    sa, sb = _shape_of(a), _shape_of(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {sa} and {sb}")
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} cannot be multiplied: the last size of the first "
                         f"({sa[-1]}) must equal the {'only' if len(sb) == 1 else 'second-to-last'} size of "
                         f"the second ({k_b})")
    try:
        return linalg.MatMul.apply(a, b)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {sa} and {sb} cannot be broadcast together") from None
