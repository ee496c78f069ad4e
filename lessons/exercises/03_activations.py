"""Exercise 3: the sigmoid and ReLU layers' backward, softmax with cross-entropy's (lessons 3, 5; notes 000, 002, 003).

Shapes: N examples, D features, C classes.  Each layer keeps in its cache what its backward needs.
    sigmoid:  out = 1 / (1 + exp(-x))      dx = dout * out * (1 - out)      (the forward's OUTPUT is enough)
    ReLU:     out = max(0, x)              dx = dout where x > 0, else 0    (the mask comes from the INPUT x)
    softmax with cross-entropy, x (N, C) scores, t (N, C) one-hot targets:
              y = softmax(x),  loss = -sum(t * log y) / N,       dx = (y - t) / N     (N, C)

Check it:   tinygrad-edu exercise check 3
"""

import numpy as np


def sigmoid_forward(x):
    """x (N, D) -> out (N, D), cache = out."""
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    """dout (N, D), cache = the forward's out -> dx (N, D)."""
    out = cache
    dx = None
    # TODO: dx = dout * out * (1 - out)  (the sigmoid's derivative, written with its output).
    raise NotImplementedError("sigmoid_backward: write the TODO block above, then delete this line")
    # END TODO
    return dx


def relu_forward(x):
    """x (N, D) -> out (N, D), cache = x."""
    out = np.maximum(0.0, x)
    return out, x


def relu_backward(dout, cache):
    """dout (N, D), cache = the forward's input x -> dx (N, D)."""
    x = cache
    dx = None
    # TODO: dx = dout where x > 0 and 0 elsewhere.  Which array decides: the input x, or dout?
    raise NotImplementedError("relu_backward: write the TODO block above, then delete this line")
    # END TODO
    return dx


def softmax_cross_entropy(x, t):
    """Loss and gradient of softmax followed by cross-entropy.  x (N, C) scores, t (N, C) one-hot
    -> (loss (a float), dx (N, C))."""
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)           # exp never overflows; softmax is unchanged
    y = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.sum(t * np.log(y)) / N
    dx = None
    # TODO: dx = (y - t) / N: the loss is a batch mean, so every example's gradient is divided by N.
    raise NotImplementedError("softmax_cross_entropy: write the TODO block above, then delete this line")
    # END TODO
    return loss, dx
