"""Exercise 8: one LSTM step's backward - the gates and the cell state's lane (lesson 11, notes 000, 001, 004).

Shapes: N sequences, D input features, H hidden units; the four gates side by side in PyTorch's order i, f, g, o.
    x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)
Forward (given):  a = x . Wx + prev_h . Wh + b                         (N, 4H)
                  i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)     (N, H) each
                  next_c = f * prev_c + i * g          the cell state's lane: only * f and + on the way
                  next_h = o * tanh(next_c)
Backward (yours), given dnext_h and dnext_c (both (N, H)):
                  dc = dnext_c + dnext_h * o * (1 - tanh(next_c)^2)    (both roads into next_c)
                  do = dnext_h * tanh(next_c),  di = dc * g,  dg = dc * i,  df = dc * prev_c
                  dprev_c = dc * f                                     (back along the lane)
                  da = [di * i(1 - i), df * f(1 - f), dg * (1 - g^2), do * o(1 - o)]   (N, 4H), same order
                  dx = da . Wx^T, dprev_h = da . Wh^T, dWx = x^T . da, dWh = prev_h^T . da, db = sum of da over N

Check it:   tinygrad-edu exercise check 8
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """-> next_h (N, H), next_c (N, H), cache."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """dnext_h (N, H), dnext_c (N, H), cache
    -> dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)."""
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    dprev_c, da = None, None
    # TODO: the cell state first: dc (both roads into next_c), then dprev_c along the lane, then the four gates'
    #   gradients, each through its own nonlinearity, into da (N, 4H) in the order i, f, g, o (np.concatenate).
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tc ** 2)
    dprev_c = dc * f
    di, df, dg, do = dc * g, dc * prev_c, dc * i, dnext_h * tc
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    # END TODO
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO: the affine map's five gradients from da (as in an RNN step).
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    # END TODO
    return dx, dprev_h, dprev_c, dWx, dWh, db


# Given (nothing to write): the step as one layer with one output, for a teacher's `tinygrad-edu grade`
# (lessons/exercises/assignment.py), whose layer check takes forward -> (out, cache), backward(dout, cache).
def lstm_step_packed_forward(x, prev_h, prev_c, Wx, Wh, b):
    """-> out = [next_h, next_c] side by side (N, 2H), cache."""
    next_h, next_c, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return np.concatenate([next_h, next_c], axis=1), cache


def lstm_step_packed_backward(dout, cache):
    """dout (N, 2H) split into dnext_h, dnext_c -> lstm_step_backward's six gradients."""
    H = dout.shape[1] // 2
    return lstm_step_backward(dout[:, :H], dout[:, H:], cache)
