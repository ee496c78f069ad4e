"""An affine layer and a ReLU, as forward/backward pairs in cs231n's style (the notes' Affine slides, note 003).

Check them (both pass; the ReLU check puts inputs right at its kink, which the report lists instead of failing):

    tinygrad-edu gradcheck lessons/homework/layers.py:check_affine
    tinygrad-edu gradcheck lessons/homework/layers.py:check_relu
    tinygrad-edu gradcheck lessons/homework/layers.py:check          # both

Each forward returns (out, cache); each backward takes (dout, cache) and returns one gradient per input.
"""

import numpy as np


def affine_forward(x, w, b):
    """out = x.w + b.  Shapes: x (N, D), w (D, M), b (M,) -> out (N, M)."""
    out = x @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    """dx = dout.w^T (N, D); dw = x^T.dout (D, M); db = sum of dout over the batch (M,)."""
    x, w = cache
    dx = dout @ w.T
    dw = x.T @ dout
    db = np.sum(dout, axis=0)                # b is added to every row, so its gradient sums the rows
    return dx, dw, db


def relu_forward(x):
    """out = max(0, x), elementwise.  Shapes: x (*) -> out (*)."""
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """dx = dout where x > 0, else 0 (at exactly 0 we pick 0: any slope in [0, 1] is valid there)."""
    x = cache
    dx = dout * (x > 0)                      # a new array: `dx = dout; dx[x <= 0] = 0` would overwrite dout
    return dx


def check_affine():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)   # N=5, D=4, M=3
    return {"forward": affine_forward, "backward": affine_backward, "inputs": (x, w, b)}


def check_relu():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    x[0, :3] = [0.0, 1e-7, -1e-7]            # within h = 1e-5 of the kink: x +- h crosses it
    return {"forward": relu_forward, "backward": relu_backward, "inputs": (x,)}


def check():
    return [check_affine(), check_relu()]
