"""F.pad: constant, reflect, replicate and circular padding by PyTorch's rules; a negative size crops.

pad = (left, right, top, bottom, front, back) from the last axis backwards, as PyTorch.  With a, b, c, d in a row:
    constant   0 0 | a b c d | 0 0        (value= instead of 0)
    reflect    c b | a b c d | c b        (a mirror that does not repeat the edge; each size < the axis' length)
    replicate  a a | a b c d | d d        (the edge repeated)
    circular   c d | a b c d | a b        (wrapped around; each size <= the axis' length)
A constant pad is one Pad op; the other modes are gathers (output j reads input entry index(j)), recorded as
indexing, so an input entry's gradient is the sum over every output entry that read it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..hints import Number
from ..ops import pool
from ..tensor import Tensor

MODES = ("constant", "reflect", "replicate", "circular")


def _shape(x):
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def pad(input: Tensor | np.ndarray, pad: Sequence[int], mode: str = "constant",
        value: Number | None = None) -> Tensor | np.ndarray:
    """Pad (or, with negative sizes, crop) the last len(pad) // 2 axes of input.

    Shapes: constant: any input; reflect/replicate/circular pad the last 1, 2 or 3 axes of a batched or
    unbatched input: (N, C, W) or (C, W) for a pad of 2 sizes, (N, C, H, W) or (C, H, W) for 4, 5-D or 4-D for 6.
    """
    shape = _shape(input)
    pad = _check(shape, pad, mode, value)
    if mode == "constant":
        return _constant(input, shape, pad, 0.0 if value is None else value)
    out = input
    for k in range(len(pad) // 2):
        axis = len(shape) - 1 - k
        index = _source_index(mode, shape[axis], pad[2 * k], pad[2 * k + 1], axis)
        out = out[(slice(None),) * axis + (index,)]
    return out


def _constant(input, shape, pad, value):
    """Crop the negative sizes away, then pad with the positive ones (PyTorch's order)."""
    crop = [slice(None)] * len(shape)
    widths = []
    for k in range(len(pad) // 2):
        axis, left, right = len(shape) - 1 - k, pad[2 * k], pad[2 * k + 1]
        crop[axis] = slice(max(-left, 0), shape[axis] - max(-right, 0))
        widths += [max(left, 0), max(right, 0)]
    if any(p < 0 for p in pad):
        input = input[tuple(crop)]
    if not any(widths):
        return input
    return pool.Pad.apply(input, pad=tuple(widths), value=value)


def _source_index(mode, n, left, right, axis):
    """For each output position along the axis, the input entry it reads."""
    if mode == "circular":            # PyTorch crops first, then wraps what is left
        lo, hi = max(-left, 0), n - max(-right, 0)
        j = np.arange(-max(left, 0), hi - lo + max(right, 0))
        return lo + np.mod(j, hi - lo)
    j = np.arange(-left, n + right)   # positions relative to the input: negative sizes start or stop inside it
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    j = np.abs(j)                     # reflect: mirror at 0, then at n - 1
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def _check(shape, pad, mode, value):
    """pad as a tuple of ints, or the error PyTorch would raise, naming what was received and the rule."""
    if mode not in MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; the modes are {', '.join(MODES)}")
    pad = tuple(pad) if isinstance(pad, (tuple, list)) else pad
    if not isinstance(pad, tuple) or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints (left, right, top, bottom, ...), got {pad!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError(f"pad: pad must have an even length (a size for each side of each axis), got {pad}")
    axes = len(pad) // 2
    if axes > len(shape):
        raise ValueError(f"pad: pad {pad} names {axes} axes but the input of shape {shape} has {len(shape)}")
    if mode == "constant":
        for k in range(axes):
            n, cut = shape[-1 - k], -min(pad[2 * k], 0) - min(pad[2 * k + 1], 0)
            if cut > n:
                raise ValueError(f"pad: negative sizes {pad[2 * k:2 * k + 2]} crop {cut} entries from an axis of "
                                 f"length {n} (input shape {shape})")
        return pad
    if value not in (None, 0):
        raise ValueError(f"pad: mode {mode!r} takes no value (only 'constant' pads with one), got value={value!r}")
    if axes not in (1, 2, 3) or len(shape) not in (axes + 1, axes + 2):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of a batched or unbatched input "
                         f"(2 sizes: 2-D or 3-D input, 4: 3-D or 4-D, 6: 4-D or 5-D); got {len(pad)} sizes for "
                         f"an input of shape {shape}")
    for k in range(axes):
        n, left, right = shape[-1 - k], pad[2 * k], pad[2 * k + 1]
        where = f"axis {len(shape) - 1 - k} of length {n} (input shape {shape})"
        if mode == "reflect" and max(left, right) >= n:
            raise ValueError(f"pad: reflect sizes must be smaller than the axis they pad: got {(left, right)} for "
                             f"{where}")
        kept = n + min(left, 0) + min(right, 0)        # what is left after cropping
        if mode == "circular" and max(left, right) > max(kept, 0):
            raise ValueError(f"pad: circular sizes must be at most the length of the axis once cropped ({kept}: "
                             f"it wraps around once): got {(left, right)} for {where}")
        if mode != "circular" and n + left + right < 1:
            raise ValueError(f"pad: sizes {(left, right)} leave no entry of {where}")
        if kept < 0:
            raise ValueError(f"pad: negative sizes {(left, right)} crop more than the {n} entries of {where}")
    return pad
