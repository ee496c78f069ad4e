"""Exercise 2: the notes' two-layer net, its `gradient` by backpropagation (lesson 4, note 003).

Shapes: N examples, D inputs, H hidden units, C classes.  params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,);
x (N, D); t (N, C) one-hot targets.
Forward (given):  a1 = x . W1 + b1,  z1 = sigmoid(a1),  a2 = z1 . W2 + b2,  y = softmax(a2),
                  loss = cross-entropy(y, t), averaged over the batch.
Backward (yours): dy  = (y - t) / N                      (N, C)   softmax with cross-entropy, batch mean
                  dW2 = z1^T . dy,   db2 = sum of dy over the batch
                  dz1 = dy . W2^T                         (N, H)   the gradient at the sigmoid's OUTPUT
                  da1 = dz1 * (1 - z1) * z1               (N, H)   ... and at its INPUT
                  dW1 = x^T . da1,   db1 = sum of da1 over the batch
The trap: the notes' slide writes grads['b1'] = np.sum(dz1, axis=0).  Which array is right, dz1 or da1?

Check it:   tinygrad-edu exercise check 2
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def softmax(a):
    """Row-wise softmax of a (N, C); the row max is subtracted first so exp never overflows."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_error(y, t):
    """Mean over the batch of -sum_c t log y.  y, t (N, C)."""
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def predict(params, x):
    """The forward pass: x (N, D) -> (y (N, C), z1 (N, H))."""
    a1 = x @ params["W1"] + params["b1"]
    z1 = sigmoid(a1)
    a2 = z1 @ params["W2"] + params["b2"]
    return softmax(a2), z1


def loss(params, x, t):
    """The loss the gradients belong to: the batch mean of the cross-entropy."""
    y, _ = predict(params, x)
    return cross_entropy_error(y, t)


def gradient(params, x, t):
    """Every parameter's gradient of loss(params, x, t): a dict with keys W1, b1, W2, b2, each its parameter's shape."""
    W2 = params["W2"]
    y, z1 = predict(params, x)
    N = x.shape[0]
    grads = {}
    # TODO: fill grads['W1'], grads['b1'], grads['W2'], grads['b2'] by the backward pass in the docstring:
    #   dy = (y - t) / N, then W2 and b2, then back through W2 to dz1, through the sigmoid to da1, then W1 and b1.
    dy = (y - t) / N
    grads["W2"] = z1.T @ dy
    grads["b2"] = np.sum(dy, axis=0)
    dz1 = dy @ W2.T
    da1 = dz1 * (1.0 - z1) * z1
    grads["W1"] = x.T @ da1
    grads["b1"] = np.sum(da1, axis=0)
    # END TODO
    return grads


class TwoLayerNet:
    """The same net as an object, as the notes write it (and as `tinygrad-edu grade` checks it): net.params holds
    W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); net.loss(x, t) and net.gradient(x, t) call the functions above."""

    def __init__(self, params=None):
        self.params = {} if params is None else params

    def loss(self, x, t):
        return loss(self.params, x, t)

    def gradient(self, x, t):
        return gradient(self.params, x, t)
