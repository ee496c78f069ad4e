"""Exercise 4: a naive convolution layer, forward and backward, with stride and padding (lesson 6, note 003).

Loops are allowed here: they are the point.  Deep learning's "convolution" is a cross-correlation (no flip).
Shapes: N images, C input channels, H x W pixels; F filters of C x HH x WW; stride S, zero padding P.
    x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param = {'stride': S, 'pad': P}
    out (N, F, OH, OW) with OH = (H + 2P - HH) / S + 1 and OW = (W + 2P - WW) / S + 1
    out[n, f, i, j] = sum over c, p, q of xp[n, c, i*S + p, j*S + q] * w[f, c, p, q]  + b[f]
        where xp is x padded with P zeros on each side of H and W.
Backward, dout (N, F, OH, OW): every product above sends dout[n, f, i, j] times its partner back, so
    dxp[n, c, i*S + p, j*S + q] += dout[n, f, i, j] * w[f, c, p, q],   dx = dxp without the padding
    dw[f, c, p, q] += dout[n, f, i, j] * xp[n, c, i*S + p, j*S + q],   db[f] = sum of dout[:, f]

Check it:   tinygrad-edu exercise check 4
"""

import numpy as np


def output_size(size, kernel, pad, stride):
    """(size + 2 pad - kernel) / stride + 1, which must be a whole number (the notes: otherwise "Cannot.")."""
    span = size + 2 * pad - kernel
    if span < 0 or span % stride:
        raise ValueError(f"conv: (size {size} + 2*pad {pad} - kernel {kernel}) / stride {stride} + 1 is not a whole "
                         "number of positions; change the padding or the stride")
    return span // stride + 1


def conv_forward_naive(x, w, b, conv_param):
    """x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, OH, OW), cache = (x, w, b, conv_param)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    S, P = conv_param["stride"], conv_param["pad"]
    OH, OW = output_size(H, HH, P, S), output_size(W, WW, P, S)
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    out = np.zeros((N, F, OH, OW))
    # TODO: fill out[n, f, i, j]: the window of xp under filter f at output position (i, j), times w[f],
    #   summed, plus b[f].  The window starts at row i*S and column j*S.
    raise NotImplementedError("conv_forward_naive: write the TODO block above, then delete this line")
    # END TODO
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """dout (N, F, OH, OW), cache -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, OH, OW = dout.shape
    S, P = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    dx, db = None, None
    # TODO: the same four loops as the forward pass: for each output position add dout[n, f, i, j] * w[f] into
    #   the window of dxp, and dout[n, f, i, j] * (the window of xp) into dw[f].  Then db, and dx = dxp with the
    #   padding cut off (dx must have x's shape).
    raise NotImplementedError("conv_backward_naive: write the TODO block above, then delete this line")
    # END TODO
    return dx, dw, db
