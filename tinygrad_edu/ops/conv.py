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


def im2col(x, kernel, stride, padding, dilation):
    """(N, C, H, W) -> rows (N*OH*OW, C*KH*KW), one receptive field per row, and (OH, OW)."""
    win = windows(pad2d(x, padding), kernel, stride, dilation)
    n, c, oh, ow, kh, kw = win.shape
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw), (oh, ow)


def col2im(cols, canvas_hw, kernel, stride, dilation, out_hw):
    """The adjoint of im2col: add rows (N, OH, OW, C, KH, KW) back onto a zero canvas (N, C, Hp, Wp).

    Overlapping receptive fields add up. One loop over the KH*KW kernel offsets; each step adds a whole
    strided slice at once (never a loop over pixels or batch elements).
    """
    n, oh, ow, c, kh, kw = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    canvas = np.zeros((n, c) + tuple(canvas_hw), dtype=cols.dtype)
    per_offset = cols.transpose(4, 5, 0, 3, 1, 2)          # (KH, KW, N, C, OH, OW)
    for i in range(kh):
        for j in range(kw):
            canvas[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += per_offset[i, j]
    return canvas


def crop2d(canvas, padding):
    (top, bottom), (left, right) = padding
    return canvas[:, :, top:canvas.shape[2] - bottom, left:canvas.shape[3] - right]


def _grouped_matmul(rows, mats, groups):
    """rows (M, G*K) times each group's matrix mats (G, K, P) -> (M, G*P)."""
    if groups == 1:
        return rows @ mats[0]
    m = rows.shape[0]
    out = np.matmul(rows.reshape(m, groups, -1).transpose(1, 0, 2), mats)      # (G, M, P)
    return out.transpose(1, 0, 2).reshape(m, -1)


class Conv2d(Function):
    """out = cross-correlation of x with each filter, + bias.  x (N, C, H, W), weight (F, C/G, KH, KW),
    bias (F,) or None -> (N, F, OH, OW), as one matrix product of im2col(x) (N*OH*OW, C*KH*KW) and W^T.

    Backward: dW = dout^T . cols, dcols = dout . W, dx = col2im(dcols), dbias = dout summed over N, OH, OW.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
        f, cg, kh, kw = weight.shape
        n = x.shape[0]
        cols, (oh, ow) = im2col(x, (kh, kw), stride, padding, dilation)
        w_mats = weight.reshape(groups, f // groups, cg * kh * kw).transpose(0, 2, 1)   # (G, C/G*KH*KW, F/G)
        out = _grouped_matmul(cols, w_mats, groups).reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
        if bias is not None:
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
        g = grad_out.transpose(0, 2, 3, 1).reshape(-1, f)                            # (N*OH*OW, F)
        w_mats = weight.reshape(groups, f // groups, -1)                              # (G, F/G, C/G*KH*KW)
        d_weight = _weight_grad(cols, g, groups).reshape(weight.shape)
        d_cols = _grouped_matmul(g, w_mats, groups).reshape(n, oh, ow, c, *kernel)
        canvas = (h + sum(padding[0]), w + sum(padding[1]))
        d_x = crop2d(col2im(d_cols, canvas, kernel, stride, dilation, (oh, ow)), padding)
        d_bias = grad_out.sum(axis=(0, 2, 3)) if ctx.has_bias else None
        return d_x, d_weight, d_bias


def _weight_grad(cols, g, groups):
    """g_G^T . cols_G for each group, stacked: cols (M, G*K), g (M, G*P) -> (G*P, K)."""
    if groups == 1:
        return g.T @ cols
    m = cols.shape[0]
    cols_g = cols.reshape(m, groups, -1).transpose(1, 0, 2)           # (G, M, C/G*K)
    g_g = g.reshape(m, groups, -1).transpose(1, 2, 0)                 # (G, F/G, M)
    return np.matmul(g_g, cols_g).reshape(g.shape[1], -1)


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
        return d_x[:, :, 0, :], d_weight[:, :, 0, :], d_bias


class ConvTranspose2d(Function):
    """The adjoint of Conv2d (a "deconvolution"): every input pixel stamps the kernel onto the output.

    x (N, C, H, W), weight (C, F/G, KH, KW), bias (F,) -> (N, F, OH, OW),
    OH = (H - 1) S - pad_top - pad_bottom + D (KH - 1) + output_padding + 1.
    Forward: col2im(x . W); backward: dx = im2col(dout) . W^T, dW = x^T . im2col(dout).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
                output_padding=(0, 0), groups=1):
        n, c, h, w = x.shape
        _, fg, kh, kw = weight.shape
        f = fg * groups
        rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)                               # (N*H*W, C)
        w_mats = weight.reshape(groups, c // groups, fg * kh * kw)                           # (G, C/G, F/G*KH*KW)
        cols = _grouped_matmul(rows, w_mats, groups).reshape(n, h, w, f, kh, kw)
        canvas = tuple((size - 1) * s + d * (k - 1) + 1 + op
                       for size, s, d, k, op in zip((h, w), stride, dilation, (kh, kw), output_padding))
        out = crop2d(col2im(cols, canvas, (kh, kw), stride, dilation, (h, w)), padding)
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
        g_cols, _ = im2col(g_canvas, kernel, stride, ((0, 0), (0, 0)), dilation)
        g_cols = g_cols.reshape(n * h * w, f * kernel[0] * kernel[1])                         # (N*H*W, F*KH*KW)
        w_mats = weight.reshape(groups, c // groups, -1).transpose(0, 2, 1)                  # (G, F/G*K, C/G)
        d_x = _grouped_matmul(g_cols, w_mats, groups).reshape(n, h, w, c).transpose(0, 3, 1, 2)
        d_weight = _weight_grad(g_cols, rows, groups).reshape(weight.shape)               # x^T . im2col(dout)
        d_bias = grad_out.sum(axis=(0, 2, 3)) if ctx.has_bias else None
        return d_x, d_weight, d_bias


class Unfold(Function):
    """im2col as PyTorch's F.unfold: x (N, C, H, W) -> (N, C*KH*KW, L), L = OH*OW windows, channel-major.

    Backward: fold (col2im) of the gradient: overlapping windows add up.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        n = x.shape[0]
        cols, (oh, ow) = im2col(x, kernel_size, stride, padding, dilation)
        ctx.geometry = (x.shape, kernel_size, stride, padding, dilation, (oh, ow))
        return cols.reshape(n, oh * ow, -1).transpose(0, 2, 1)

    @staticmethod
    def backward(ctx, grad_out):
        (n, c, h, w), kernel, stride, padding, dilation, (oh, ow) = ctx.geometry
        cols = grad_out.transpose(0, 2, 1).reshape(n, oh, ow, c, *kernel)
        canvas = (h + sum(padding[0]), w + sum(padding[1]))
        return (crop2d(col2im(cols, canvas, kernel, stride, dilation, (oh, ow)), padding),)


class Fold(Function):
    """col2im as PyTorch's F.fold: (N, C*KH*KW, L) -> (N, C, H, W) with H, W = output_size, summing overlaps.

    Backward: unfold (im2col) of the gradient.
    """

    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        n, ck, length = cols.shape
        kh, kw = kernel_size
        c = ck // (kh * kw)
        h, w = output_size
        canvas = (h + sum(padding[0]), w + sum(padding[1]))
        oh = positions(canvas[0], kh, stride[0], 0, dilation[0])
        ow = positions(canvas[1], kw, stride[1], 0, dilation[1])
        ctx.geometry = (kernel_size, stride, padding, dilation)
        rows = cols.transpose(0, 2, 1).reshape(n, oh, ow, c, kh, kw)
        return crop2d(col2im(rows, canvas, kernel_size, stride, dilation, (oh, ow)), padding)

    @staticmethod
    def backward(ctx, grad_out):
        kernel, stride, padding, dilation = ctx.geometry
        n = grad_out.shape[0]
        cols, (oh, ow) = im2col(grad_out, kernel, stride, padding, dilation)
        return (cols.reshape(n, oh * ow, -1).transpose(0, 2, 1),)

