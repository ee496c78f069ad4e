"""nn.functional's convolution and pooling: argument checking, output sizes, then one recorded op each.

Output size along an axis: floor((H + 2P - D(K - 1) - 1) / S) + 1.  When the division is not exact the
notes say to raise or handle it; PyTorch floors. We floor as PyTorch does and warn once per configuration,
naming the rows/columns that no window covers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from ..autograd import Context
from ..ops import conv, pool
from ..tensor import Tensor
from .padding import pad

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d", "pad"]

_warned: set = set()


def _shape(x):
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def _pair(value, op, name):
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _positive(pair, op, name):
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be >= 1, got {pair}")
    return pair


def _conv_padding(padding, kernel, stride, dilation, op):
    """int / pair / 'valid' / 'same' -> ((top, bottom), (left, right))."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1 (got stride {stride}): a strided output "
                             "cannot keep the input's size")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)     # an odd total puts the extra row at the end
    ph, pw = _pair(padding, op, "padding")
    if min(ph, pw) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {padding!r}")
    return (ph, ph), (pw, pw)


def _window_count(op, size_hw, kernel, stride, padding, dilation, ceil_mode=False, check_covered=True):
    """Output (OH, OW) and, for ceil_mode, the extra rows/columns the last window needs.  Raises when a window
    does not fit; warns once per configuration when the floor drops rows or columns."""
    out, extra, dropped = [], [], []
    for axis, (size, k, s, (p0, p1), d) in enumerate(zip(size_hw, kernel, stride, padding, dilation)):
        span, padded = d * (k - 1) + 1, size + p0 + p1
        if span > padded:
            raise ValueError(f"{op}: the kernel {kernel[0]}x{kernel[1]} (spanning {span} with dilation {d}) is larger "
                             f"than the padded input ({padded} {'rows' if axis == 0 else 'columns'}: {size} + "
                             f"padding {p0 + p1}); the output size would be < 1")
        n = (padded - span) // s + 1
        remainder = (padded - span) % s
        if ceil_mode and remainder:
            n = math.ceil((padded - span) / s) + 1
            if (n - 1) * s >= size + p0:      # PyTorch: the last window must start inside the input
                n -= 1
        elif remainder and check_covered:
            what = "rows" if axis == 0 else "columns"
            dropped.append(f"{'H' if axis == 0 else 'W'}: ({size} + {p0 + p1} - {d * (k - 1)} - 1)/{s} = "
                           f"{padded - span}/{s}, floored to {n - 1}, so the output has {n} and the last "
                           f"{remainder} {what} of the padded input are covered by no window")
        out.append(n)
        extra.append(max((n - 1) * s + span - padded, 0))
    key = (op, tuple(size_hw), kernel, stride, padding, dilation)
    if dropped and key not in _warned:
        _warned.add(key)
        warnings.warn(f"{op}: (H + 2P - D(K-1) - 1)/S is not an integer; as PyTorch, the output size is floored. "
                      + "; ".join(dropped), UserWarning, stacklevel=3)
    return tuple(out), tuple(extra)


def _batched(x, rank, op, layout):
    """Accept an unbatched input (one rank less) as PyTorch does; returns (batched input, was_unbatched)."""
    shape = _shape(x)
    if len(shape) == rank:
        return x, False
    if len(shape) == rank - 1:
        return (x.unsqueeze(0) if isinstance(x, Tensor) else x[None]), True
    raise ValueError(f"{op}: expected a {rank}-D input {layout} (or {rank - 1}-D without the batch), got shape {shape}")


def _unbatch(out, was_unbatched):
    if not was_unbatched:
        return out
    return out.squeeze(0) if isinstance(out, Tensor) else out[0]


def _check_conv_channels(op, x_shape, w_shape, groups, transposed=False):
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    channels = x_shape[1]
    if transposed:
        expected, out_channels = w_shape[0], w_shape[1] * groups
        rule = "in_channels = weight.shape[0]"
    else:
        expected, out_channels = w_shape[1] * groups, w_shape[0]
        rule = f"in_channels = weight.shape[1] * groups = {w_shape[1]} * {groups}"
    if channels != expected:
        raise ValueError(f"{op}: input has {channels} channels but weight {w_shape} expects {expected} ({rule})")
    if channels % groups or out_channels % groups:
        raise ValueError(f"{op}: in_channels {channels} and out_channels {out_channels} must both be divisible by "
                         f"groups {groups}")


def _check_bias(op, bias, out_channels):
    if bias is not None and _shape(bias) != (out_channels,):
        raise ValueError(f"{op}: bias of shape {_shape(bias)} does not match the {out_channels} output channels")


# ------------------------------------------------------------------------------------------------ convolution
def conv2d(input: Tensor | np.ndarray, weight: Tensor | np.ndarray, bias: Tensor | np.ndarray | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
           groups: int = 1) -> Tensor | np.ndarray:
    """2-D cross-correlation.  input (N, C, H, W) or (C, H, W), weight (F, C/groups, KH, KW), bias (F,) ->
    (N, F, OH, OW).  padding: int, pair, 'valid' or 'same' (stride 1)."""
    x, unbatched = _batched(input, 4, "conv2d", "(N, C, H, W)")
    w_shape = _shape(weight)
    if len(w_shape) != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, KH, KW), got {w_shape}")
    _check_conv_channels("conv2d", _shape(x), w_shape, groups)
    _check_bias("conv2d", bias, w_shape[0])
    kernel = w_shape[2:]
    s = _positive(_pair(stride, "conv2d", "stride"), "conv2d", "stride")
    d = _positive(_pair(dilation, "conv2d", "dilation"), "conv2d", "dilation")
    p = _conv_padding(padding, kernel, s, d, "conv2d")
    _window_count("conv2d", _shape(x)[2:], kernel, s, p, d)
    out = conv.Conv2d.apply(x, weight, bias, stride=s, padding=p, dilation=d, groups=int(groups))
    return _unbatch(out, unbatched)


def conv1d(input: Tensor | np.ndarray, weight: Tensor | np.ndarray, bias: Tensor | np.ndarray | None = None,
           stride: int = 1, padding: int | str = 0, dilation: int = 1, groups: int = 1) -> Tensor | np.ndarray:
    """1-D cross-correlation.  input (N, C, L) or (C, L), weight (F, C/groups, K), bias (F,) -> (N, F, OL)."""
    x, unbatched = _batched(input, 3, "conv1d", "(N, C, L)")
    w_shape = _shape(weight)
    if len(w_shape) != 3:
        raise ValueError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, K), got {w_shape}")
    _check_conv_channels("conv1d", _shape(x), w_shape, groups)
    _check_bias("conv1d", bias, w_shape[0])
    if not isinstance(stride, (int, np.integer)) or stride < 1 or not isinstance(dilation, (int, np.integer)) \
            or dilation < 1:
        raise ValueError(f"conv1d: stride and dilation must be positive ints, got {stride!r}, {dilation!r}")
    p = _conv_padding(padding if isinstance(padding, str) else (0, padding), (1, w_shape[2]), (1, stride),
                      (1, dilation), "conv1d")[1]
    _window_count("conv1d", (1, _shape(x)[2]), (1, w_shape[2]), (1, stride), ((0, 0), p), (1, dilation))
    out = conv.Conv1d.apply(x, weight, bias, stride=int(stride), padding=p, dilation=int(dilation), groups=int(groups))
    return _unbatch(out, unbatched)


def conv_transpose2d(input: Tensor | np.ndarray, weight: Tensor | np.ndarray, bias: Tensor | np.ndarray | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor | np.ndarray:
    """Transposed convolution (PyTorch's argument order).  input (N, C, H, W), weight (C, F/groups, KH, KW) ->
    (N, F, OH, OW) with OH = (H - 1) S - 2P + D (KH - 1) + output_padding + 1."""
    x, unbatched = _batched(input, 4, "conv_transpose2d", "(N, C, H, W)")
    w_shape = _shape(weight)
    if len(w_shape) != 4:
        raise ValueError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels/groups, KH, KW), "
                         f"got {w_shape}")
    _check_conv_channels("conv_transpose2d", _shape(x), w_shape, groups, transposed=True)
    _check_bias("conv_transpose2d", bias, w_shape[1] * groups)
    s = _positive(_pair(stride, "conv_transpose2d", "stride"), "conv_transpose2d", "stride")
    d = _positive(_pair(dilation, "conv_transpose2d", "dilation"), "conv_transpose2d", "dilation")
    ph, pw = _pair(padding, "conv_transpose2d", "padding")
    op = _pair(output_padding, "conv_transpose2d", "output_padding")
    for o, si, di in zip(op, s, d):
        if o < 0 or (o >= si and o >= di):
            raise ValueError(f"conv_transpose2d: output_padding {op} must be smaller than the stride {s} or the "
                             f"dilation {d} (it only picks among the output sizes a strided conv maps to one size)")
    size = [(n - 1) * si - 2 * p + di * (k - 1) + o + 1
            for n, si, p, di, k, o in zip(_shape(x)[2:], s, (ph, pw), d, w_shape[2:], op)]
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the output size {tuple(size)} is < 1 (padding {padding} is too large)")
    out = conv.ConvTranspose2d.apply(x, weight, bias, stride=s, padding=((ph, ph), (pw, pw)), dilation=d,
                                  output_padding=op, groups=int(groups))
    return _unbatch(out, unbatched)


def unfold(input: Tensor | np.ndarray, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> Tensor | np.ndarray:
    """im2col: (N, C, H, W) or (C, H, W) -> (N, C*KH*KW, L), each column one receptive field (F.unfold)."""
    x, unbatched = _batched(input, 4, "unfold", "(N, C, H, W)")
    k = _positive(_pair(kernel_size, "unfold", "kernel_size"), "unfold", "kernel_size")
    s = _positive(_pair(stride, "unfold", "stride"), "unfold", "stride")
    d = _positive(_pair(dilation, "unfold", "dilation"), "unfold", "dilation")
    ph, pw = _pair(padding, "unfold", "padding")
    p = ((ph, ph), (pw, pw))
    _window_count("unfold", _shape(x)[2:], k, s, p, d)
    return _unbatch(conv.Unfold.apply(x, kernel_size=k, stride=s, padding=p, dilation=d), unbatched)


def fold(input: Tensor | np.ndarray, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
         dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
         stride: int | Sequence[int] = 1) -> Tensor | np.ndarray:
    """col2im: (N, C*KH*KW, L) or (C*KH*KW, L) -> (N, C, H, W), adding overlapping windows (F.fold)."""
    x, unbatched = _batched(input, 3, "fold", "(N, C*KH*KW, L)")
    shape = _shape(x)
    k = _positive(_pair(kernel_size, "fold", "kernel_size"), "fold", "kernel_size")
    s = _positive(_pair(stride, "fold", "stride"), "fold", "stride")
    d = _positive(_pair(dilation, "fold", "dilation"), "fold", "dilation")
    ph, pw = _pair(padding, "fold", "padding")
    size = _pair(output_size, "fold", "output_size")
    if shape[1] % (k[0] * k[1]):
        raise ValueError(f"fold: expected input (N, C*KH*KW, L) with its 2nd size divisible by {k[0] * k[1]}, "
                         f"got {shape}")
    (oh, ow), _ = _window_count("fold", size, k, s, ((ph, ph), (pw, pw)), d, check_covered=False)
    if oh * ow != shape[2]:
        raise ValueError(f"fold: output_size {size} with this kernel, stride, padding and dilation has {oh}x{ow} = "
                         f"{oh * ow} windows, but the input has L = {shape[2]}")
    out = conv.Fold.apply(x, output_size=size, kernel_size=k, stride=s, padding=((ph, ph), (pw, pw)), dilation=d)
    return _unbatch(out, unbatched)


# ------------------------------------------------------------------------------------------------ pooling
def _pool_args(op, x, kernel_size, stride, padding, dilation):
    k = _positive(_pair(kernel_size, op, "kernel_size"), op, "kernel_size")
    s = k if stride is None or stride == () else _positive(_pair(stride, op, "stride"), op, "stride")
    d = _positive(_pair(dilation, op, "dilation"), op, "dilation")
    ph, pw = _pair(padding, op, "padding")
    for p, kk, dd in zip((ph, pw), k, d):
        if p < 0 or p > (dd * (kk - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding} must be >= 0 and at most half the (dilated) kernel {k}: a "
                             "window must never see padding only")
    return k, s, ((ph, ph), (pw, pw)), d


def max_pool2d(input: Tensor | np.ndarray, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | np.ndarray | tuple[Tensor | np.ndarray, Tensor]:
    """The largest entry of each window.  (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size;
    padding counts as -inf.  return_indices gives PyTorch's flat indices into each (H, W) plane."""
    x, unbatched = _batched(input, 4, "max_pool2d", "(N, C, H, W)")
    k, s, p, d = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation)
    out_hw, extra = _window_count("max_pool2d", _shape(x)[2:], k, s, p, d, ceil_mode)
    full = ((p[0][0], p[0][1] + extra[0]), (p[1][0], p[1][1] + extra[1]))
    params = dict(kernel=k, stride=s, padding=full, dilation=d, out_hw=out_hw)
    out = _unbatch(pool.MaxPool2d.apply(x, **params), unbatched)
    if not return_indices:
        return out
    probe = Context(pool.MaxPool2d, (x,), params)      # recompute the winners on the raw data for the indices
    pool.MaxPool2d.forward(probe, x.data if isinstance(x, Tensor) else x, **params)
    indices = Tensor(pool.MaxPool2d.indices(probe, _shape(x)[2:]), dtype=np.int64)
    return out, _unbatch(indices, unbatched)


def max_pool1d(input: Tensor | np.ndarray, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | np.ndarray | tuple[Tensor | np.ndarray, Tensor]:
    """max_pool2d over a height-1 image: (N, C, L) -> (N, C, OL)."""
    shape = _shape(input)
    if len(shape) not in (2, 3):
        raise ValueError(f"max_pool1d: expected a 3-D input (N, C, L) or 2-D (C, L), got shape {shape}")
    x = input.unsqueeze(-2) if isinstance(input, Tensor) else np.expand_dims(input, -2)
    one = lambda v: (1, v) if isinstance(v, (int, np.integer)) else (1, v[0])   # noqa: E731
    result = max_pool2d(x, one(kernel_size), None if stride is None else one(stride), (0, padding), one(dilation),
                        ceil_mode, return_indices)
    squeeze = lambda t: t.squeeze(-2) if isinstance(t, Tensor) else t[..., 0, :]   # noqa: E731
    return (squeeze(result[0]), squeeze(result[1])) if return_indices else squeeze(result)


def avg_pool2d(input: Tensor | np.ndarray, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor | np.ndarray:
    """The mean of each window.  (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""
    x, unbatched = _batched(input, 4, "avg_pool2d", "(N, C, H, W)")
    k, s, p, d = _pool_args("avg_pool2d", x, kernel_size, stride, padding, 1)
    out_hw, extra = _window_count("avg_pool2d", _shape(x)[2:], k, s, p, d, ceil_mode)
    out = pool.AvgPool2d.apply(x, kernel=k, stride=s, padding=p, count_include_pad=bool(count_include_pad),
                            out_hw=out_hw, extra=extra)
    return _unbatch(out, unbatched)


def adaptive_avg_pool2d(input: Tensor | np.ndarray, output_size: int | Sequence[int]) -> Tensor | np.ndarray:
    """Average pooling to a fixed output size (1 for global average pooling), PyTorch's windows."""
    x, unbatched = _batched(input, 4, "adaptive_avg_pool2d", "(N, C, H, W)")
    size = _positive(_pair(output_size, "adaptive_avg_pool2d", "output_size"), "adaptive_avg_pool2d", "output_size")
    return _unbatch(pool.AdaptiveAvgPool2d.apply(x, output_size=size), unbatched)
