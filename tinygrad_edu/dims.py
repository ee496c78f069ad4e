"""The `dim` arguments of every op, checked and normalised by one rule, PyTorch's.

A dim counts from the front (0, 1, ...) or the back (-1, -2, ...). A 0-d tensor accepts 0 and -1, as if it
had one axis of size 1 (so `t.sum(0)` of a 0-d `t` is `t`). An out-of-range dim is an IndexError naming the op,
the dim and the valid range; a dim that is not an int is a TypeError.
"""

import numpy as np


def dim_index(dim, ndim, op, new_axis=False):
    """`dim` as an axis in [0, ndim) of a tensor with `ndim` axes (0 for a 0-d tensor).

    new_axis: the dim names a place for a new axis (unsqueeze, stack), so there are ndim + 1 choices.
    """
    n = max(ndim + new_axis, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r} ({type(dim).__name__})")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension {dim} is out of range for a {ndim}-D tensor "
                         f"(expected an int in [{-n}, {n - 1}])")
    return int(dim) % n


def dim_tuple(dim, ndim, op):
    """One dim or a tuple/list of them as a sorted tuple of axes, for the reductions (sum, mean, var).

    None, an empty tuple (as PyTorch) and any dim of a 0-d tensor mean every axis: None is returned.
    A dim named twice (1 and -1 of a 2-D tensor) is an error, as in PyTorch.
    """
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = [dim_index(d, ndim, op) for d in dims]
    repeated = sorted({a for a in axes if axes.count(a) > 1})
    if repeated:
        raise RuntimeError(f"{op}: dim {repeated[0]} appears more than once in dim={dim!r}")
    if not axes or ndim == 0:
        return None
    return tuple(sorted(axes))
