"""Exercise 10 (optional, harder): one GRU step's backward (lesson 11, note 004).

PyTorch's GRU (the engine follows it; note 004 writes z and 1 - z the other way round).  Shapes: N sequences,
D input features, H hidden units; the three gates side by side in the order r, z, n.
    x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)
Forward (given):  ax = x . Wx + bx,  ah = prev_h . Wh + bh                       (N, 3H) each
                  r = sigmoid(ax_r + ah_r),  z = sigmoid(ax_z + ah_z)
                  n = tanh(ax_n + r * ah_n)              (the reset gate scales the recurrent part only)
                  next_h = (1 - z) * n + z * prev_h
Backward (yours), given dnext_h (N, H):
                  dn = dnext_h * (1 - z),  dz = dnext_h * (prev_h - n),  and dnext_h * z goes straight to prev_h
                  dan = dn * (1 - n^2)  (the n gate's pre-activation),  dr = dan * ah_n,  dah_n = dan * r
                  dar = dr * r(1 - r),  daz = dz * z(1 - z)
                  dax = [dar, daz, dan],  dah = [dar, daz, dah_n]                  (N, 3H) each
                  dx = dax . Wx^T,  dprev_h = dnext_h * z + dah . Wh^T
                  dWx = x^T . dax,  dWh = prev_h^T . dah,  dbx = sum of dax,  dbh = sum of dah over N

Check it:   tinygrad-edu exercise check 10
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    """-> next_h (N, H), cache."""
    H = prev_h.shape[1]
    ax, ah = x @ Wx + bx, prev_h @ Wh + bh
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    next_h = (1 - z) * n + z * prev_h
    cache = (x, prev_h, Wx, Wh, r, z, n, ah[:, 2 * H:])
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    """dnext_h (N, H), cache -> dx (N, D), dprev_h (N, H), dWx (D, 3H), dWh (H, 3H), dbx (3H,), dbh (3H,)."""
    x, prev_h, Wx, Wh, r, z, n, ah_n = cache
    dx, dprev_h, dWx, dWh, dbx, dbh = None, None, None, None, None, None
    # TODO: follow the docstring: dn, dz and the direct road to prev_h; the n gate's pre-activation; r and z through
    #   their sigmoids; dax and dah (np.concatenate in the order r, z, n); then the six gradients.
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    dan = dn * (1 - n ** 2)
    dr = dan * ah_n
    dar, daz = dr * r * (1 - r), dz * z * (1 - z)
    dax = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dan * r], axis=1)
    dx = dax @ Wx.T
    dprev_h = dnext_h * z + dah @ Wh.T
    dWx = x.T @ dax
    dWh = prev_h.T @ dah
    dbx = dax.sum(axis=0)
    dbh = dah.sum(axis=0)
    # END TODO
    return dx, dprev_h, dWx, dWh, dbx, dbh
