"""Names for the types the public API takes and returns, used in its type hints (read by editors and type
checkers; nothing here runs at import time but these assignments).

    Number      a Python int or float
    ArrayLike   what tg.tensor / Tensor(...) accept: a number, a (nested) list or tuple of numbers, a numpy array
    TensorLike  an operand of a Tensor operator: a Tensor, or anything array-like (made a constant Tensor)
    Dims        the `dim` of a reduction: one axis, several, or None for all
    Shape       a shape given as separate ints or one tuple: x.reshape(2, 3) or x.reshape((2, 3))
    DType       a dtype as numpy or tinygrad_edu names it: np.float32, "float64", tg.int64
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

import numpy as np

if TYPE_CHECKING:                       # only for type checkers: tensor.py imports this module
    from .tensor import Tensor

Number = int | float
ArrayLike = Number | Sequence | np.ndarray | np.generic
TensorLike = Union["Tensor", ArrayLike]  # noqa: UP007  (a string forward reference cannot take part in X | Y)
Dims = int | Sequence[int] | None
Shape = int | Sequence[int]
DType = type | np.dtype | str | None

__all__ = ["Number", "ArrayLike", "TensorLike", "Dims", "Shape", "DType"]
