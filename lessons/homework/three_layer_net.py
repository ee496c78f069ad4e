"""The notes' three-layer homework net (note 003): sigmoid, then ReLU, then softmax, with a hand-written backward.

Check it (it passes; ReLU's kink at 0 is never within h of these pre-activations, but the checker would say so):

    tinygrad-edu gradcheck lessons/homework/three_layer_net.py:check

Shapes (cs231n letters): x (N, D), t (N, C) one-hot, W1 (D, H1), b1 (H1,), W2 (H1, H2), b2 (H2,), W3 (H2, C), b3 (C,).
Forward: a1 = x.W1 + b1, z1 = sigmoid(a1), a2 = z1.W2 + b2, z2 = relu(a2), a3 = z2.W3 + b3, y = softmax(a3).
Backward: dy = (y - t) / N; dW3 = z2^T.dy, db3 = sum dy; dz2 = dy.W3^T; da2 = dz2 where a2 > 0, else 0;
dW2 = z1^T.da2, db2 = sum da2; dz1 = da2.W2^T; da1 = dz1 * z1 * (1 - z1); dW1 = x^T.da1, db1 = sum da1.

The slide writes `da2 = dz2` and then `da2[a2 <= 0] = 0`: both names are the SAME array, so that line also
zeroes dz2. Harmless there (dz2 is not used again), a classic trap elsewhere: here da2 is a new array.
"""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax(a):
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_error(a, t):
    """Mean over the batch of -sum(t * log softmax(a)); a (N, C) scores, t (N, C) one-hot."""
    a = a - a.max(axis=1, keepdims=True)
    return -np.sum(t * (a - np.log(np.exp(a).sum(axis=1, keepdims=True)))) / a.shape[0]


class ThreeLayerNet:
    def __init__(self, input_size, hidden1, hidden2, output_size, weight_init_std=1.0, seed=0):
        rng = np.random.default_rng(seed)
        sizes = [(input_size, hidden1), (hidden1, hidden2), (hidden2, output_size)]
        self.params = {}
        for k, (fan_in, fan_out) in enumerate(sizes, start=1):
            self.params[f"W{k}"] = weight_init_std * rng.standard_normal((fan_in, fan_out))
            self.params[f"b{k}"] = 0.1 * rng.standard_normal(fan_out)

    def scores(self, x):
        p = self.params
        z1 = sigmoid(x @ p["W1"] + p["b1"])               # (N, H1)
        z2 = np.maximum(0, z1 @ p["W2"] + p["b2"])        # (N, H2)
        return z2 @ p["W3"] + p["b3"]                     # (N, C)

    def loss(self, x, t):
        return cross_entropy_error(self.scores(x), t)

    def gradient(self, x, t):
        p = self.params
        grads = {}

        # forward
        a1 = x @ p["W1"] + p["b1"]
        z1 = sigmoid(a1)
        a2 = z1 @ p["W2"] + p["b2"]
        z2 = np.maximum(0, a2)
        a3 = z2 @ p["W3"] + p["b3"]
        y = softmax(a3)

        # backward
        dy = (y - t) / x.shape[0]
        grads["W3"] = z2.T @ dy
        grads["b3"] = np.sum(dy, axis=0)

        dz2 = dy @ p["W3"].T
        da2 = dz2 * (a2 > 0)                # ReLU passes the gradient where it passed the input (a new array)
        grads["W2"] = z1.T @ da2
        grads["b2"] = np.sum(da2, axis=0)

        dz1 = da2 @ p["W2"].T
        da1 = dz1 * z1 * (1 - z1)
        grads["W1"] = x.T @ da1
        grads["b1"] = np.sum(da1, axis=0)
        return grads


def check():
    """For `tinygrad-edu gradcheck`: N=8 inputs, D=4, H1=6, H2=5, C=3."""
    rng = np.random.default_rng(1)
    net = ThreeLayerNet(4, 6, 5, 3, seed=1)
    x = rng.standard_normal((8, 4))
    t = np.eye(3)[rng.integers(0, 3, size=8)]
    return {"loss_fn": lambda: net.loss(x, t), "params": net.params, "grads": net.gradient(x, t)}
