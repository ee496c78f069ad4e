"""Exercise 5: im2col and col2im, and the convolution as one matrix product (lesson 7, note 003).

Shapes: N images, C channels, H x W pixels; F filters of C x FH x FW; stride S, padding P; OH x OW output
positions (OH = (H + 2P - FH) / S + 1, likewise OW).
    im2col(x)  (N, C, H, W) -> col (N*OH*OW, C*FH*FW): one ROW per output position (n, i, j) in that order, holding
               the window xp[n, :, i*S : i*S+FH, j*S : j*S+FW] flattened in (c, p, q) order (xp: x zero-padded).
    col2im(dcol) is im2col's backward: it sends every row back onto its window and ADDS where windows overlap,
               then cuts the padding off: (N*OH*OW, C*FH*FW) -> (N, C, H, W).
The convolution is then one product with the filters as columns, Wcol = w.reshape(F, -1).T   (C*FH*FW, F):
    out = col . Wcol + b   (N*OH*OW, F), reshaped to (N, OH, OW, F) and moved to (N, F, OH, OW).
Backward, with dout moved back to rows dY (N*OH*OW, F):
    db = sum of dY over the rows,  dWcol = col^T . dY,  dcol = dY . Wcol^T,  dx = col2im(dcol).

Check it:   tinygrad-edu exercise check 5
"""

import numpy as np


def output_size(size, kernel, pad, stride):
    """(size + 2 pad - kernel) / stride + 1, which must be a whole number (the notes: otherwise "Cannot.")."""
    span = size + 2 * pad - kernel
    if span < 0 or span % stride:
        raise ValueError(f"conv: (size {size} + 2*pad {pad} - kernel {kernel}) / stride {stride} + 1 is not a whole "
                         "number of positions; change the padding or the stride")
    return span // stride + 1


def im2col(x, FH, FW, stride=1, pad=0):
    """x (N, C, H, W) -> col (N*OH*OW, C*FH*FW), one row per output position."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, FH, pad, stride), output_size(W, FW, pad, stride)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, FH, FW, OH, OW))
    # TODO: col[:, :, p, q, i, j] = xp[:, :, i*S + p, j*S + q]: for each filter offset (p, q) one strided slice
    #   of xp fills all OH x OW positions at once (xp[:, :, p : p + S*OH : S, q : q + S*OW : S]).
    raise NotImplementedError("im2col: write the TODO block above, then delete this line")
    # END TODO
    # rows (n, i, j), columns (c, p, q)
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * FH * FW)


def col2im(col, x_shape, FH, FW, stride=1, pad=0):
    """col (N*OH*OW, C*FH*FW) -> (N, C, H, W): every row added back onto its window; the padding cut off."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, FH, pad, stride), output_size(W, FW, pad, stride)
    col = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)      # (N, C, FH, FW, OH, OW)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x = None
    # TODO: the reverse of im2col's loop: ADD col[:, :, p, q] into the same strided slice of xp (windows overlap
    #   when the stride is smaller than the filter: their gradients add up), then x = xp without the padding.
    raise NotImplementedError("col2im: write the TODO block above, then delete this line")
    # END TODO
    return x


def conv_forward_im2col(x, w, b, conv_param):
    """x (N, C, H, W), w (F, C, FH, FW), b (F,) -> out (N, F, OH, OW), cache = (x, w, b, conv_param, col)."""
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    S, P = conv_param["stride"], conv_param["pad"]
    OH, OW = output_size(H, FH, P, S), output_size(W, FW, P, S)
    col = im2col(x, FH, FW, S, P)                 # (N*OH*OW, C*FH*FW)
    out = None
    # TODO: one matrix product: col . Wcol + b with Wcol = w.reshape(F, -1).T, then (N*OH*OW, F) ->
    #   (N, OH, OW, F) -> (N, F, OH, OW).
    raise NotImplementedError("conv_forward_im2col: write the TODO block above, then delete this line")
    # END TODO
    cache = (x, w, b, conv_param, col)
    return out, cache


def conv_backward_im2col(dout, cache):
    """dout (N, F, OH, OW), cache -> dx (N, C, H, W), dw (F, C, FH, FW), db (F,)."""
    x, w, b, conv_param, col = cache
    F, _, FH, FW = w.shape
    S, P = conv_param["stride"], conv_param["pad"]
    dY = dout.transpose(0, 2, 3, 1).reshape(-1, F)            # (N*OH*OW, F): rows as in col
    dx, dw, db = None, None, None
    # TODO: db = dY summed over the rows; dw = (col^T . dY) moved back to w's shape (it is dWcol (C*FH*FW, F):
    #   transpose, then reshape); dx = col2im(dY . Wcol^T, ...).
    raise NotImplementedError("conv_backward_im2col: write the TODO block above, then delete this line")
    # END TODO
    return dx, dw, db
