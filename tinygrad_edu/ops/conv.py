"""Convolution as the notes teach it: im2col (cut every receptive field into a row), one matrix product,
and col2im (add the rows back into the image) for the backward pass.

Shapes (cs231n letters): x (N, C, H, W), weight (F, C/G, KH, KW), out (N, F, OH, OW) with
OH = floor((H + pad_top + pad_bottom - D(KH - 1) - 1) / S) + 1.  Cross-correlation, no kernel flip, as PyTorch.
Hyper-parameters arrive normalized (see nn.conv_functional): stride, dilation (sh, sw); padding
((top, bottom), (left, right)); groups G.  Every forward also runs on numpy object arrays of Scalars.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd import Function


def positions(size, kernel, stride, pad_total, dilation):
    """floor((size + pad - D(K - 1) - 1) / S) + 1: the number of window positions along one axis."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(x, padding, value=0.0):
    """Pad the last two axes by ((top, bottom), (left, right))."""
    if not any(padding[0]) and not any(padding[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), padding[0], padding[1]), constant_values=value)


def windows(xp, kernel, stride, dilation, out_hw=None):
    """Every receptive field of an already padded (N, C, Hp, Wp) array, as a view (N, C, OH, OW, KH, KW).

    Strides and dilation are slicing of numpy's sliding windows: no copy, no loop.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(xp, span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    if out_hw is not None:
        view = view[:, :, :out_hw[0], :out_hw[1]]
    return view


def im2col(x, kernel, stride, padding, dilation, out_hw=None):
    """(N, C, H, W) -> cols (N, C*KH*KW, OH*OW): per sample, one receptive field per column (PyTorch's unfold
    layout), and (OH, OW).  A filter bank W (F, C*KH*KW) times cols is then NCHW output with no transpose."""
    win = windows(pad2d(x, padding), kernel, stride, dilation, out_hw)
    n, c, oh, ow, kh, kw = win.shape
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, oh * ow), (oh, ow)


def col2im(cols, canvas_hw, stride, dilation):
    """The adjoint of im2col: add columns (N, C, KH, KW, OH, OW) back onto a zero canvas (N, C, Hp, Wp).

    Overlapping receptive fields add up. One loop over the KH*KW kernel offsets; each step adds a whole
    strided slice at once (never a loop over pixels or batch elements).
    """
    n, c, kh, kw, oh, ow = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    canvas = np.zeros((n, c) + tuple(canvas_hw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            canvas[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return canvas


def crop2d(canvas, padding):
    (top, bottom), (left, right) = padding
    return canvas[:, :, top:canvas.shape[2] - bottom, left:canvas.shape[3] - right]


def _grouped(a, groups):
    """Split the row axis (-2) of a (..., G*P, Q) array into groups: (..., G, P, Q)."""
    return a.reshape(a.shape[:-2] + (groups, a.shape[-2] // groups, a.shape[-1]))


class Conv2d(Function):
    """out = cross-correlation of x with each filter, + bias.  x (N, C, H, W), weight (F, C/G, KH, KW),
    bias (F,) or None -> (N, F, OH, OW), as one batched matrix product per group:
    W (F/G, C/G*KH*KW) . cols (N, C/G*KH*KW, OH*OW) with cols = im2col(x).

    Backward: dW = sum over N of dout . cols^T, dcols = W^T . dout, dx = col2im(dcols), dbias = dout summed
    over N, OH, OW.
    """

    derivatives = ("col2im({1}ᵀ · g)", "Σ over the batch of g · im2col({0})ᵀ", "g summed over N, H, W")

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
        f, cg, kh, kw = weight.shape
        n = x.shape[0]
        cols, (oh, ow) = im2col(x, (kh, kw), stride, padding, dilation)               # (N, C*KH*KW, L)
        w_g = _grouped(weight.reshape(f, cg * kh * kw), groups)                         # (G, F/G, C/G*KH*KW)
        out = np.matmul(w_g, _grouped(cols, groups)).reshape(n, f, oh, ow)             # (N, G, F/G, L) -> NCHW
        if bias is not None:
            if out.dtype == np.result_type(out, bias):
                out += bias.reshape(1, f, 1, 1)          # in place on the fresh product
            else:
                out = out + bias.reshape(1, f, 1, 1)
        ctx.save_for_backward(cols, weight)
        ctx.geometry = (x.shape, (kh, kw), stride, padding, dilation, groups, (oh, ow))
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        cols, weight = ctx.saved
        x_shape, kernel, stride, padding, dilation, groups, (oh, ow) = ctx.geometry
        n, c, h, w = x_shape
        f = weight.shape[0]
        g = _grouped(grad_out.reshape(n, f, oh * ow), groups)                           # (N, G, F/G, L)
        cols_g = _grouped(cols, groups)                                                 # (N, G, C/G*K, L)
        d_weight = np.matmul(g, cols_g.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)
        d_x = None
        if ctx.needs_input_grad[0]:                     # the first layer's input needs no gradient: skip col2im
            w_g = _grouped(weight.reshape(f, -1), groups)                               # (G, F/G, C/G*K)
            d_cols = np.matmul(w_g.swapaxes(-1, -2), g).reshape(n, c, *kernel, oh, ow)
            canvas = (h + sum(padding[0]), w + sum(padding[1]))
            d_x = crop2d(col2im(d_cols, canvas, stride, dilation), padding)
        d_bias = grad_out.sum(axis=(0, 2, 3)) if ctx.has_bias else None
        return d_x, d_weight, d_bias


class Conv1d(Function):
    """Conv2d over a height-1 image: x (N, C, L), weight (F, C/G, K) -> (N, F, OL)."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=(0, 0), dilation=1, groups=1):
        out = Conv2d.forward(ctx, x[:, :, None, :], weight[:, :, None, :], bias, (1, stride), ((0, 0), padding),
                             (1, dilation), groups)
        return out[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad_out):
        d_x, d_weight, d_bias = Conv2d.backward(ctx, grad_out[:, :, None, :])
        return None if d_x is None else d_x[:, :, 0, :], d_weight[:, :, 0, :], d_bias


class ConvTranspose2d(Function):
    """The adjoint of Conv2d (a "deconvolution"): every input pixel stamps the kernel onto the output.

    x (N, C, H, W), weight (C, F/G, KH, KW), bias (F,) -> (N, F, OH, OW),
    OH = (H - 1) S - pad_top - pad_bottom + D (KH - 1) + output_padding + 1.
    Forward: col2im(W^T . x); backward: dx = W . im2col(dout), dW = sum over N of x . im2col(dout)^T.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
                output_padding=(0, 0), groups=1):
        n, c, h, w = x.shape
        _, fg, kh, kw = weight.shape
        f = fg * groups
        rows = _grouped(x.reshape(n, c, h * w), groups)                                   # (N, G, C/G, H*W)
        w_g = _grouped(weight.reshape(c, fg * kh * kw), groups)                           # (G, C/G, F/G*K)
        cols = np.matmul(w_g.swapaxes(-1, -2), rows).reshape(n, f, kh, kw, h, w)
        canvas = tuple((size - 1) * s + d * (k - 1) + 1 + op
                       for size, s, d, k, op in zip((h, w), stride, dilation, (kh, kw), output_padding))
        out = crop2d(col2im(cols, canvas, stride, dilation), padding)
        if bias is not None:
            out = out + bias.reshape(1, f, 1, 1)
        ctx.save_for_backward(rows, weight)
        ctx.geometry = (x.shape, (kh, kw), stride, padding, dilation, groups, canvas)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        rows, weight = ctx.saved
        (n, c, h, w), kernel, stride, padding, dilation, groups, canvas = ctx.geometry
        f = grad_out.shape[1]
        g_canvas = np.zeros((n, f) + canvas, dtype=grad_out.dtype)
        (top, bottom), (left, right) = padding
        g_canvas[:, :, top:canvas[0] - bottom, left:canvas[1] - right] = grad_out
        # the windows that stamped an input pixel: the first H x W (output_padding >= stride adds others)
        g_cols, _ = im2col(g_canvas, kernel, stride, ((0, 0), (0, 0)), dilation, (h, w))  # (N, F*K, H*W)
        g_cols = _grouped(g_cols, groups)                                                # (N, G, F/G*K, H*W)
        w_g = _grouped(weight.reshape(c, -1), groups)                                    # (G, C/G, F/G*K)
        d_x = np.matmul(w_g, g_cols).reshape(n, c, h, w)
        d_weight = np.matmul(rows, g_cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)
        d_bias = grad_out.sum(axis=(0, 2, 3)) if ctx.has_bias else None
        return d_x, d_weight, d_bias


class Unfold(Function):
    """im2col as PyTorch's F.unfold: x (N, C, H, W) -> (N, C*KH*KW, L), L = OH*OW windows, channel-major.

    Backward: fold (col2im) of the gradient: overlapping windows add up.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        cols, (oh, ow) = im2col(x, kernel_size, stride, padding, dilation)
        ctx.geometry = (x.shape, kernel_size, stride, padding, dilation, (oh, ow))
        return cols

    @staticmethod
    def backward(ctx, grad_out):
        (n, c, h, w), kernel, stride, padding, dilation, (oh, ow) = ctx.geometry
        canvas = (h + sum(padding[0]), w + sum(padding[1]))
        return (crop2d(col2im(grad_out.reshape(n, c, *kernel, oh, ow), canvas, stride, dilation), padding),)


class Fold(Function):
    """col2im as PyTorch's F.fold: (N, C*KH*KW, L) -> (N, C, H, W) with H, W = output_size, summing overlaps.

    Backward: unfold (im2col) of the gradient.
    """

    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        n, ck, length = cols.shape
        kh, kw = kernel_size
        h, w = output_size
        canvas = (h + sum(padding[0]), w + sum(padding[1]))
        oh = positions(canvas[0], kh, stride[0], 0, dilation[0])
        ow = positions(canvas[1], kw, stride[1], 0, dilation[1])
        ctx.geometry = (kernel_size, stride, padding, dilation)
        return crop2d(col2im(cols.reshape(n, ck // (kh * kw), kh, kw, oh, ow), canvas, stride, dilation), padding)

    @staticmethod
    def backward(ctx, grad_out):
        kernel, stride, padding, dilation = ctx.geometry
        return (im2col(grad_out, kernel, stride, padding, dilation)[0],)
