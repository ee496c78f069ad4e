"""Small graphs to open in an interactive page (the tests, the gallery, the notebook and the benchmark use them).

    page = visualize.interactive(graph_examples.micrograd())    # L = (a·b + c)·f, a = 2, b = −3, c = 10, f = −2

Each function records a forward pass and returns its output (a loss) without calling backward(): a page
built from it can replay the backward pass in either mode.  Scalar mode: `micrograd`, `affine_scalar` (the
notes' Affine on a 1x2 input), `conv_scalar` (a 3x3 conv on a 4x4 input), `shared_input` (a value reached by
two paths), `chain(n)` (about n nodes).  Tensor mode: `mlp`, `lenet`, `lstm` (one cluster per time step).
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def micrograd():
    """micrograd's classic: e = a·b, d = e + c, L = d·f; dL/da = 6, dL/db = −4, dL/dc = −2, dL/df = 4."""
    a, b = tg.Scalar(2.0, name="a"), tg.Scalar(-3.0, name="b")
    c, f = tg.Scalar(10.0, name="c"), tg.Scalar(-2.0, name="f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return L


def shared_input():
    """y = x·w + x·v with x = 3, w = 2, v = 5: x is reached by two paths, dL/dx = w + v = 7 arrives in two parts."""
    x, w, v = tg.Scalar(3.0, name="x"), tg.Scalar(2.0, name="w"), tg.Scalar(5.0, name="v")
    p, q = x * w, x * v
    p.name, q.name = "p", "q"
    y = p + q
    y.name = "y"
    return y


def affine_scalar():
    """The notes' Affine on one 1x2 input: y = x·W + b (W 2x2), L = y1·c1 + y2·c2, every multiply-add a node."""
    xs = tg.Scalar.array(np.array([[1.0, 2.0]]), "x")
    ws = tg.Scalar.array(np.array([[0.1, -0.2], [0.4, -0.3]]), "w")
    bs = tg.Scalar.array(np.array([0.5, -0.6]), "b")
    ys = xs @ ws + bs                                      # (1, 2) Scalars
    loss = ys[0, 0] * 2.0 + ys[0, 1] * -1.0
    loss.name = "L"
    return loss


def conv_scalar():
    """A 3x3 conv (padding 1) on a 4x4 input in scalar mode: 16 outputs, each nine multiply-adds; L = their sum."""
    x = tg.Scalar.array(np.arange(16.0).reshape(1, 1, 4, 4) / 10.0, "x")
    w = tg.Scalar.array(np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])[None, None], "w")
    ys = F.conv2d(x, w, padding=1).ravel()
    loss = ys[0]
    for y in ys[1:]:
        loss = loss + y
    loss.name = "L"
    return loss


def chain(nodes=500, width=None):
    """A scalar graph of about `nodes` nodes: `width` inputs, then layers of tanh(x_i·x_(i+1) + x_i), each layer
    in its own scope (a cluster the page can close)."""
    rng = np.random.default_rng(0)
    width = width or (10 if nodes >= 200 else 5)
    xs = [tg.Scalar(float(v), name=f"x{i}") for i, v in enumerate(rng.uniform(-1, 1, width))]
    per_layer = 6 * width            # each unit: Mul, Add and Tanh ops and their three values
    layers = max(1, round((nodes - 3 * width) / per_layer))     # inputs, layers, and the final sum's 2(width-1)
    for k in range(layers):
        with tg.scope(f"layer{k}"):
            xs = [(xs[i] * xs[(i + 1) % width] + xs[i]).tanh() for i in range(width)]
    loss = xs[0]
    for x in xs[1:]:
        loss = loss + x
    loss.name = "L"
    return loss


def mlp(seed=0):
    """A 2-layer MLP on a batch of 4: Linear 3→5, ReLU, Linear 5→2, cross-entropy."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = tg.randn(4, 3)
    x.name = "x"
    loss = F.cross_entropy(model(x), tg.tensor([0, 1, 1, 0]))
    loss.name = "loss"
    return loss


class _LeNet(nn.Module):
    """LeNet's shape on 8x8 images (as lesson 8): conv-pool, conv-pool, three fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):                      # x (N, 1, 8, 8)
        x = self.pool1(F.relu(self.conv1(x)))  # (N, 6, 4, 4)
        x = self.pool2(F.relu(self.conv2(x)))  # (N, 16, 2, 2)
        x = F.relu(self.fc1(x.flatten(1)))     # (N, 32)
        x = F.relu(self.fc2(x))
        return self.fc3(x)                     # (N, 10)


def lenet(seed=0):
    tg.manual_seed(seed)
    x = tg.randn(2, 1, 8, 8)
    x.name = "images"
    loss = F.cross_entropy(_LeNet()(x), tg.tensor([3, 7]))
    loss.name = "loss"
    return loss


class _Sequence(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps
        self.lstm = nn.LSTM(3, 4)
        self.head = nn.Linear(4, 1)

    def forward(self, x):                      # x (T, N, 3)
        return self.head(self.lstm(x)[0][-1])  # the last step's output (N, 1)


def lstm(steps=4, seed=0):
    """An LSTM (input 3, hidden 4) unrolled over `steps` steps, one cluster per time step; loss = mean square."""
    tg.manual_seed(seed)
    x = tg.randn(steps, 2, 3)
    x.name = "x"
    loss = (_Sequence(steps)(x) ** 2).mean()
    loss.name = "loss"
    return loss
