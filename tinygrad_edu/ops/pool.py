"""Pooling: max and average over windows, and padding.  No parameters; channels unchanged.

Shapes: x (N, C, H, W) -> (N, C, OH, OW).  Hyper-parameters arrive normalized (see nn.conv_functional):
kernel, stride, dilation (h, w); padding ((top, bottom), (left, right)) where bottom/right include the extra
rows ceil_mode needs.  Windows are views (no copy per window); backward loops over the KH*KW kernel offsets
only.
"""

import numpy as np

from ..autograd import Function
from .conv import pad2d, windows


def _offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j), the strided slice of the padded input that it reads in every window."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                               slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _crop(canvas, padding):
    (top, bottom), (left, right) = padding
    return canvas[:, :, top:canvas.shape[2] - bottom, left:canvas.shape[3] - right]


def _winners(xp, kernel, stride, dilation, out_hw):
    """(best, winner): each window's largest entry and the kernel offset k = i*KW + j it came from, the first
    maximum in row-major order; a NaN takes over its window (PyTorch's CPU rule `v > max || isnan(v)`, so the last
    NaN wins).  One whole-array comparison per kernel offset; runs on object arrays of Scalars too."""
    best, winner = None, None
    floats = xp.dtype != object
    for k, where in _offset_slices(kernel, stride, dilation, out_hw):
        candidate = xp[where]
        if best is None:
            best, winner = candidate, np.zeros(candidate.shape, dtype=np.int64)
        else:
            better = candidate > best                 # strict: an equal later entry never takes over
            if floats:
                better |= candidate != candidate
            best = np.where(better, candidate, best)
            winner[better] = k
    return best, winner


class MaxPool2d(Function):
    """out = the largest entry of each window.  Backward: the whole gradient goes to the first maximum of
    its window in row-major order (PyTorch's CPU kernel); overlapping windows may send several to one entry.

    Both passes loop over the KH*KW kernel offsets, each step a whole-array operation: forward takes the running
    np.maximum (a NaN propagates, as in PyTorch); backward marks, offset by offset, the entries equal to their
    window's maximum that no earlier offset has claimed.
    """

    derivatives = ("g routed to the maximum of each window",)

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation=(1, 1), out_hw=None):
        xp = pad2d(x, padding, value=-np.inf)
        if out_hw is None:
            out_hw = windows(xp, kernel, stride, dilation).shape[2:4]
        ctx.geometry = (xp.shape, kernel, stride, padding, dilation, tuple(out_hw))
        if xp.dtype == object:                        # scalar mode: the winning Scalars themselves are the output
            best, ctx.winner = _winners(xp, kernel, stride, dilation, out_hw)
            return np.array(best)
        best = None
        for _, where in _offset_slices(kernel, stride, dilation, out_hw):
            if best is None:
                best = np.array(xp[where])           # a fresh array, not a view of the input
            else:
                np.maximum(best, xp[where], out=best)
        ctx.save_for_backward(xp, best)              # backward finds each window's winner from these two
        return best

    @staticmethod
    def backward(ctx, grad_out):
        padded_shape, kernel, stride, padding, dilation, out_hw = ctx.geometry
        xp, best = ctx.saved
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1     # no entry is read by two windows
        canvas = np.zeros(padded_shape, dtype=grad_out.dtype)
        zero = np.zeros((), dtype=grad_out.dtype)
        if np.isnan(best).any():                     # NaN windows follow PyTorch's last-NaN rule: the general path
            winner = _winners(xp, kernel, stride, dilation, out_hw)[1]
            for k, where in _offset_slices(kernel, stride, dilation, out_hw):
                canvas[where] += np.where(winner == k, grad_out, zero)
            return (_crop(canvas, padding),)
        finite = np.isfinite(grad_out).all()         # then the mask may multiply the gradient (no np.where)
        claimed = None
        for _, where in _offset_slices(kernel, stride, dilation, out_hw):
            first = xp[where] == best                # a maximum of its window...
            if claimed is None:
                claimed = first
            else:
                np.greater(first, claimed, out=first)    # ...that no earlier offset has taken (bools: a > b is
                claimed |= first                         # a and not b)
            if not finite:                            # select, not multiply: 0 * inf is NaN where no gradient goes
                canvas[where] += np.where(first, grad_out, zero)
            elif disjoint:
                np.multiply(first, grad_out, out=canvas[where])
            else:
                canvas[where] += first * grad_out
        return (_crop(canvas, padding),)

    @staticmethod
    def indices(ctx, input_hw):
        """PyTorch's return_indices: each winner's flat index into its (H, W) input plane."""
        padded_shape, (kh, kw), (sh, sw), ((top, _), (left, _)), (dh, dw), out_hw = ctx.geometry
        winner = ctx.__dict__.get("winner")
        if winner is None:
            winner = _winners(ctx.saved[0], (kh, kw), (sh, sw), (dh, dw), out_hw)[1]
        oh, ow = winner.shape[-2:]
        row = np.arange(oh)[:, None] * sh + (winner // kw) * dh - top
        col = np.arange(ow)[None, :] * sw + (winner % kw) * dw - left
        return (row * input_hw[1] + col).astype(np.int64)


class AvgPool2d(Function):
    """out = the mean of each window, dividing by the window's size (count_include_pad) or by its number of
    real (unpadded) entries; windows that ceil_mode lets run past the padding count only what they cover.

    Backward: each entry of a window receives dout / divisor.
    """

    derivatives = ("g spread evenly over each window",)

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad=True, out_hw=None, extra=(0, 0)):
        (top, bottom), (left, right) = padding
        full = ((top, bottom + extra[0]), (left, right + extra[1]))     # ceil_mode's extra rows/columns
        xp = pad2d(x, full)
        win = windows(xp, kernel, stride, (1, 1), out_hw)
        # what a window counts: the input, plus the explicit padding when count_include_pad, never the extra
        counted = np.zeros(xp.shape[2:], dtype=np.float64)
        h, w = x.shape[2:]
        if count_include_pad:
            counted[:top + h + bottom, :left + w + right] = 1.0
        else:
            counted[top:top + h, left:left + w] = 1.0
        divisor = windows(counted[None, None], kernel, stride, (1, 1), out_hw).sum(axis=(-1, -2))[0, 0]
        ctx.divisor = divisor.astype(xp.dtype) if xp.dtype != object else divisor
        ctx.geometry = (xp.shape, kernel, stride, full)
        return win.sum(axis=(-1, -2)) / ctx.divisor

    @staticmethod
    def backward(ctx, grad_out):
        padded_shape, kernel, stride, padding = ctx.geometry
        share = grad_out / ctx.divisor
        canvas = np.zeros(padded_shape, dtype=grad_out.dtype)
        for _, where in _offset_slices(kernel, stride, (1, 1), share.shape[-2:]):
            canvas[where] += share
        return (_crop(canvas, padding),)


class AdaptiveAvgPool2d(Function):
    """Average over the windows that split H and W into output_size parts as PyTorch does
    (rows floor(i H / OH) .. ceil((i + 1) H / OH)).  Output 1x1 is global average pooling.

    Backward: each window's gradient shared evenly by its entries.  (A loop over output cells: adaptive
    outputs are small, typically 1x1.)
    """

    @staticmethod
    def forward(ctx, x, output_size):
        n, c, h, w = x.shape
        oh, ow = output_size
        rows = [(i * h // oh, -(-(i + 1) * h // oh)) for i in range(oh)]
        cols = [(j * w // ow, -(-(j + 1) * w // ow)) for j in range(ow)]
        ctx.cells, ctx.in_shape = (rows, cols), x.shape
        out = np.empty((n, c, oh, ow), dtype=x.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3)) if x.dtype != object else \
                    x[:, :, r0:r1, c0:c1].sum(axis=(2, 3)) / ((r1 - r0) * (c1 - c0))
        return out

    @staticmethod
    def backward(ctx, grad_out):
        rows, cols = ctx.cells
        grad = np.zeros(ctx.in_shape, dtype=grad_out.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                grad[:, :, r0:r1, c0:c1] += (grad_out[:, :, i, j] / ((r1 - r0) * (c1 - c0)))[:, :, None, None]
        return (grad,)


class Pad(Function):
    """Constant padding, PyTorch's order: pad = (left, right, top, bottom, ...) from the last axis backwards.
    Backward: the gradient's interior (the padding received no input)."""

    @staticmethod
    def forward(ctx, x, pad, value=0.0):
        widths = [(0, 0)] * x.ndim
        for k in range(len(pad) // 2):
            widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
        ctx.slices = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out[ctx.slices],)
