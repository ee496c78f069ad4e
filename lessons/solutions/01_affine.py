"""Exercise 1: the Affine layer, forward and backward (lessons 1-2, note 003).

Y = X . W + B on a batch.  Shapes: N examples, D inputs, M outputs.
    x (N, D), w (D, M), b (M,)  ->  out (N, M)
Backward, given dout = dL/dY (N, M), the notes' two identities and the bias rule:
    dx = dout . w^T    (N, D)
    dw = x^T . dout    (D, M)
    db = sum of dout over the batch axis    (M,)     (b is shared by all N examples)

Check it:   tinygrad-edu exercise check 1
"""

import numpy as np


def affine_forward(x, w, b):
    """out = x . w + b.   x (N, D), w (D, M), b (M,) -> out (N, M), cache = (x, w, b)."""
    out = None
    # TODO: out (N, M) = x . w + b: one matrix product, b broadcast over the N rows.
    out = x @ w + b
    # END TODO
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """dout (N, M), cache from affine_forward -> dx (N, D), dw (D, M), db (M,)."""
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: dx = dout . w^T, dw = x^T . dout, db = dout summed over the batch (axis 0).
    #   Check the shapes: each gradient has the shape of its input.
    dx = dout @ w.T
    dw = x.T @ dout
    db = np.sum(dout, axis=0)
    # END TODO
    return dx, dw, db
