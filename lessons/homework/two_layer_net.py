"""The notes' two-layer net with the slide's b1 bug fixed: every gradient matches.

Check it (it passes):

    tinygrad-edu gradcheck lessons/homework/two_layer_net.py:check

Shapes (cs231n letters): x (N, D) inputs, t (N, C) one-hot targets, W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
Forward: a1 = x.W1 + b1, z1 = sigmoid(a1), a2 = z1.W2 + b2, y = softmax(a2), loss = cross-entropy(y, t).
Backward: dy = (y - t) / N; dW2 = z1^T.dy, db2 = sum dy; dz1 = dy.W2^T; da1 = dz1 * z1 * (1 - z1) (the
sigmoid's derivative); dW1 = x^T.da1, db1 = sum da1.  The slide (two_layer_net_slide.py) summed dz1 for b1.
"""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax(a):
    a = a - a.max(axis=1, keepdims=True)        # subtracting the row max keeps exp from overflowing
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_error(a, t):
    """Mean over the batch of -sum(t * log softmax(a)), from the scores a (N, C); t (N, C) one-hot.

    Computed as log-softmax, not np.log(y + 1e-7) as in the book: that 1e-7 changes the loss without
    changing the backward formula (y - t) / N, which a gradient check would (rightly) see."""
    a = a - a.max(axis=1, keepdims=True)
    log_y = a - np.log(np.exp(a).sum(axis=1, keepdims=True))
    return -np.sum(t * log_y) / a.shape[0]


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),   # (D, H)
            "b1": np.zeros(hidden_size),                                              # (H,)
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),  # (H, C)
            "b2": np.zeros(output_size),                                              # (C,)
        }

    def scores(self, x):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        z1 = sigmoid(np.dot(x, W1) + b1)        # (N, H)
        return np.dot(z1, W2) + b2              # (N, C)

    def predict(self, x):
        return softmax(self.scores(x))

    def loss(self, x, t):
        return cross_entropy_error(self.scores(x), t)

    def gradient(self, x, t):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        grads = {}
        batch_num = x.shape[0]

        # forward
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)

        # backward
        dy = (y - t) / batch_num
        grads["W2"] = np.dot(z1.T, dy)
        grads["b2"] = np.sum(dy, axis=0)

        dz1 = np.dot(dy, W2.T)
        da1 = z1 * (1 - z1) * dz1
        grads["W1"] = np.dot(x.T, da1)
        grads["b1"] = np.sum(da1, axis=0)       # below the sigmoid, like W1 (the slide summed dz1)
        return grads


def small_problem(seed=0):
    """A net and a batch small enough to check every entry: N=6, D=4, H=5, C=3.  Weights of std 1 (not 0.01)
    so the sigmoid leaves its nearly linear middle and every term of the backward pass matters."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(input_size=4, hidden_size=5, output_size=3, weight_init_std=1.0, seed=seed)
    net.params["b1"] = 0.1 * rng.standard_normal(5)
    net.params["b2"] = 0.1 * rng.standard_normal(3)
    x = rng.standard_normal((6, 4))
    t = np.eye(3)[rng.integers(0, 3, size=6)]    # one-hot targets (N, C)
    return net, x, t


def check():
    """For `tinygrad-edu gradcheck`: the loss as a function of net.params, beside the hand-written gradients."""
    net, x, t = small_problem()
    return {"loss_fn": lambda: net.loss(x, t), "params": net.params, "grads": net.gradient(x, t)}
