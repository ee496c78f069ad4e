"""Gathered gradients, and the op backwards that produce them (each replaces an op's own backward in fast mode).

Slicing a (T, ...) tensor T times (x[t], one RNN step each) has a textbook backward of T dense zero arrays, each
with one slice filled, all added up: O(T^2) work.  Here the slice's backward returns a `SliceGrad`, and the backward
loop gathers the slices of one tensor and joins them once (np.stack, np.concatenate) when its gradient is complete.

Affine's textbook dW is g^T x per use of the weight.  An RNN uses W_hh once per time step: T small products and
T - 1 additions.  Here Affine's backward returns a `ProductGrad(g, x)`, and the loop multiplies once, over the
stacked factors of every use: one large product.

Only the fast backward loop (backward.py) sees these types: hooks, .grad, graph.vjp and every op receive arrays.
FAST_BACKWARD maps an op to the backward that replaces its own; tests/test_fast_paths.py proves each equal to the
textbook backward.
"""

from __future__ import annotations

import numpy as np

from ..ops.activation import Sigmoid, Tanh
from ..ops.linalg import Affine
from ..ops.movement import GetItem, has_array_index


class SliceGrad:
    """A gradient that is zero except at x[index] (what a slice's backward returns).  The engine gathers the slices
    of one input and joins them when its gradient is complete (see _Slices), so slicing a (T, ...) tensor T times
    costs O(T) in backward, not O(T^2).  Only the engine sees it: hooks, .grad and every other op receive full
    arrays."""

    __slots__ = ("index", "values")

    def __init__(self, index, values):
        self.index, self.values = index, values

    def dense(self, shape, dtype):
        """The full gradient: zeros of `shape` with `values` at `index`."""
        out = np.zeros(shape, dtype)
        out[self.index] += self.values
        return out


class ProductGrad:
    """A weight gradient left as the product a^T b (a (N, out), b (N, in)), what Affine's backward returns for W.
    The engine collects the products of every use of the weight (an RNN's W_hh, once per time step) and multiplies
    once, over all of them, when the weight's gradient is complete: one large matrix product instead of T small
    ones and T-1 additions.  Only the engine sees it: hooks, .grad and every op receive full arrays."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b


class _Products:
    """The ProductGrads gathered for one node so far (engine-internal)."""

    __slots__ = ("parts",)

    def __init__(self, first):
        self.parts = [first]

    def dense(self, target):
        """sum_k a_k^T b_k as one product of the stacked factors, in the dtype of `target` (the node's data)."""
        parts = self.parts
        if len(parts) == 1:
            out = parts[0].a.T @ parts[0].b
        else:
            out = np.concatenate([p.a for p in parts]).T @ np.concatenate([p.b for p in parts])
        return out if out.dtype == target.dtype else out.astype(target.dtype)


class _Slices:
    """The SliceGrads gathered for one node so far (engine-internal).  When the slices tile the node exactly (the
    T steps x[t] of a sequence, the gate blocks z[..., a:b] of an LSTM step) they are joined by one np.stack or
    np.concatenate; otherwise they are added into zeros.  Only slices that could tile are gathered, and only up to
    the node's own size (more must overlap): past that they go into a buffer at once, so memory stays bounded."""

    __slots__ = ("parts", "size")

    def __init__(self, first):
        self.parts = [first]
        self.size = first.values.size

    @staticmethod
    def could_tile(index):
        """x[t], or x[..., a:b]: the two index forms _join_tiles joins."""
        return type(index) is int or (type(index) is tuple and len(index) == 2 and index[0] is Ellipsis
                                      and type(index[1]) is slice)

    def take(self, g, target):
        """Gather g if it may still be part of a tiling of `target`; False if the slices must be added up instead."""
        if not self.could_tile(g.index) or self.size + g.values.size > target.size:
            return False
        self.parts.append(g)
        self.size += g.values.size
        return True

    def dense(self, target):
        out = _join_tiles(self.parts, target.shape)
        if out is None:
            out = np.zeros(target.shape, target.dtype)
            for part in self.parts:
                out[part.index] += part.values
        return out if out.dtype == target.dtype else out.astype(target.dtype)


def _join_tiles(parts, shape):
    """The parts' values joined into an array of `shape` if their indices tile it exactly, else None.  Every index
    is one of the two forms _Slices.could_tile admits: integers 0..n-1 along the first axis (x[t]), or blocks
    (..., a:b) covering the last axis; a mix of the two never tiles."""
    if type(parts[0].index) is int:
        n = shape[0]
        if len(parts) != n:
            return None
        rows = [None] * n
        for part in parts:
            i = part.index
            if type(i) is not int or not -n <= i < n or rows[i] is not None:
                return None
            rows[i] = part.values
        return np.stack(rows)
    width = shape[-1]
    by_start = {}                              # start -> (stop, values)
    for part in parts:
        if type(part.index) is int:
            return None
        start, stop, step = part.index[1].indices(width)
        if step != 1 or stop <= start or start in by_start:
            return None
        by_start[start] = (stop, part.values)
    pieces, end = [], 0
    while end < width:                         # walk the blocks from column 0: each must start where one ended
        block = by_start.get(end)
        if block is None:
            return None
        end, values = block
        pieces.append(values)
    return np.concatenate(pieces, axis=-1) if len(pieces) == len(parts) else None


_GATHERED = (_Products, _Slices)


def dense_gradient(g, target):
    """A gradient as a full array for an input holding `target` (SliceGrad and ProductGrad made dense)."""
    if type(g) is SliceGrad:
        return g.dense(target.shape, target.dtype)
    if type(g) is ProductGrad:
        return _Products(g).dense(target)
    return g


# ------------------------------------------------------------------------------------- the replaced backwards
def getitem_backward(ctx, grad_out):
    """GetItem.backward, with basic indexing (slices, ints) left as a SliceGrad to gather."""
    if has_array_index(ctx.index):
        return GetItem.backward(ctx, grad_out)
    return (SliceGrad(ctx.index, grad_out),)


def affine_backward(ctx, grad_out):
    """Affine.backward, with dW = g^T x left as a ProductGrad to multiply once over every use of W."""
    if not ctx.needs_input_grad[1]:
        return Affine.backward(ctx, grad_out)
    x, weight = ctx.saved
    g = grad_out.reshape(-1, grad_out.shape[-1])                            # (N, out)
    dx = (g @ weight).reshape(x.shape) if ctx.needs_input_grad[0] else None
    dw = ProductGrad(g, x.reshape(-1, x.shape[-1]))
    db = None
    if ctx.has_bias and ctx.needs_input_grad[2]:
        db = grad_out if ctx.row_offset else g.sum(axis=0)
    return dx, dw, db


def sigmoid_backward(ctx, grad_out):
    """Sigmoid.backward (dy * y * (1 - y)) with one temporary array instead of three."""
    (y,) = ctx.saved
    if y.ndim == 0:
        return Sigmoid.backward(ctx, grad_out)
    dx = 1.0 - y
    dx *= y
    dx *= grad_out
    return (dx,)


def tanh_backward(ctx, grad_out):
    """Tanh.backward (dy * (1 - y**2)) with one temporary array instead of three."""
    (y,) = ctx.saved
    if y.ndim == 0:
        return Tanh.backward(ctx, grad_out)
    dx = y * y
    np.subtract(1.0, dx, out=dx)
    dx *= grad_out
    return (dx,)


FAST_BACKWARD = {GetItem: getitem_backward, Affine: affine_backward, Sigmoid: sigmoid_backward,
                 Tanh: tanh_backward}
