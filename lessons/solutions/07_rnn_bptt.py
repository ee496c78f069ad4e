"""Exercise 7: one RNN step forward and backward, then backpropagation through time (lesson 10, notes 001, 002, 004).

Shapes: N sequences, T time steps, D input features, H hidden units.
    x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,)
One step:      next_h = tanh(x . Wx + prev_h . Wh + b)                                 (N, H)
Its backward:  da = dnext_h * (1 - next_h^2)        (through tanh)
               dx = da . Wx^T,  dprev_h = da . Wh^T,  dWx = x^T . da,  dWh = prev_h^T . da,  db = sum of da over N
Over time:     x (N, T, D), h0 (N, H) -> h (N, T, H), h[:, t] = step(x[:, t], h[:, t-1]) (h0 before t = 0).
BPTT:          dh (N, T, H) is the loss's gradient at every h[:, t] from above (the outputs).  Walk back in time,
               for t in reversed(range(T)): the gradient reaching h[:, t] is dh[:, t] PLUS what step t+1 sent
               back (dprev_h); run the step's backward; dx[:, t] is its dx; dWx, dWh, db ADD up over the steps
               (the same weights are used at every step); what is left after t = 0 is dh0.

Check it:   tinygrad-edu exercise check 7
"""

import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> next_h (N, H), cache."""
    next_h = None
    # TODO: next_h = tanh(x . Wx + prev_h . Wh + b).
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    # END TODO
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """dnext_h (N, H), cache -> dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,)."""
    x, prev_h, Wx, Wh, next_h = cache
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO: back through tanh (its derivative is 1 - next_h^2), then the affine map's five gradients.
    da = dnext_h * (1.0 - next_h ** 2)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    # END TODO
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """x (N, T, D), h0 (N, H) -> h (N, T, H), cache = the list of the T steps' caches."""
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    """dh (N, T, H), cache from rnn_forward -> dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)."""
    caches = cache
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))          # what step t+1 sends back to h[:, t]; nothing comes from after the last step
    dh0 = None
    # TODO: for t in reversed(range(T)): run rnn_step_backward on dh[:, t] + dprev_h with step t's cache; store
    #   dx[:, t]; add the step's dWx, dWh, db into the totals; keep its dprev_h for step t - 1.
    #   After the loop, dh0 is the last dprev_h.
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    # END TODO
    return dx, dh0, dWx, dWh, db
