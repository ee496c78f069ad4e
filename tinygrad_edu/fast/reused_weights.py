"""A weight that one loop multiplies by many times (a recurrent layer's W_hh, once per time step), kept transposed.

Affine computes x W^T with W stored (out, in), PyTorch's layout, so W^T is a transposed view of W.  For the few rows
of one RNN step, BLAS multiplies by a transposed operand more slowly than by a row-major one.  Inside
`reused(weight)` (the recurrent layers mark their time loop with it: nothing changes W_hh inside that loop), the
Affine forward below multiplies by a row-major copy of W^T made once for the whole loop.  Everywhere else, and with
the fast paths off (`tinygrad_edu.fast.reused` then does nothing), Affine runs its own forward.
tests/test_fast_paths.py checks that both give the same outputs and gradients.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from ..autograd import Value
from ..ops.linalg import Affine

TRANSPOSED: dict = {}       # id(weight array) -> (the weight array, its transpose as a row-major copy)


@contextlib.contextmanager
def reused(*weights) -> Iterator[None]:
    """Inside the block, Affine multiplies by a transposed copy of each weight (Tensors or arrays; None skipped)
    made once on entry.  The caller promises that nothing writes to the weights inside the block."""
    added = []
    for weight in weights:
        array = weight.data if isinstance(weight, Value) else weight
        if type(array) is np.ndarray and array.ndim == 2 and array.dtype.kind == "f" and id(array) not in TRANSPOSED:
            TRANSPOSED[id(array)] = (array, np.ascontiguousarray(array.T))
            added.append(id(array))
    try:
        yield
    finally:
        for key in added:
            del TRANSPOSED[key]


def affine_forward(ctx, x, weight, bias=None):
    """Affine.forward, with x @ W^T taken from the row-major copy of W^T when `reused` made one."""
    entry = TRANSPOSED.get(id(weight))
    if entry is None or entry[0] is not weight or x.ndim != 2 or x.dtype != weight.dtype:
        return Affine.forward(ctx, x, weight, bias)
    ctx.save_for_backward(x, weight)
    ctx.has_bias = bias is not None
    ctx.row_offset = bias is not None and bias.ndim > 1
    y = x @ entry[1]
    if bias is not None:
        if y.dtype == np.result_type(y, bias):
            y += bias
        else:
            y = y + bias
    return y


TENSOR_FORWARD = {Affine: affine_forward}
