"""Regenerate the gallery: the key pictures of visualize/, as SVG files next to this script.

    .venv/bin/python docs/gallery/make_gallery.py          # needs Graphviz's `dot` (sudo apt-get install graphviz)

Every picture comes from a small, seeded computation written out below, so the files change only when the drawing
code (or the engine's numbers) change.  docs/gallery/README.md shows them with a line on what to look for.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import numpy as np

import tinygrad_edu as tg
import visualize
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from visualize import charts

HERE = os.path.dirname(os.path.abspath(__file__))


def save(dot, name, scratch):
    """Render to SVG in a scratch directory (with its .dot) and keep only the SVG here."""
    path = visualize.render(dot, os.path.join(scratch, name))
    shutil.copy(path, os.path.join(HERE, f"{name}.svg"))
    print(f"docs/gallery/{name}.svg")


def save_chart(svg, name):
    charts.save(svg, os.path.join(HERE, name))
    print(f"docs/gallery/{name}.svg")


# ------------------------------------------------------------------------------------------------ the pictures
def scalar_neuron(scratch):
    """micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b), every multiply and add a node with its data and grad."""
    x1, x2 = tg.Scalar(2.0, name="x1"), tg.Scalar(0.0, name="x2")
    w1, w2 = tg.Scalar(-3.0, name="w1"), tg.Scalar(1.0, name="w2")
    b = tg.Scalar(6.8813735870195432, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    o.backward()
    save(visualize.draw(o, title="a neuron in scalar mode: o = tanh(x1·w1 + x2·w2 + b)"), "scalar_neuron", scratch)
    save(visualize.Stepper(o).picture(3), "stepper_step3", scratch)


def affine(scratch):
    """The Affine layer of the notes, Y = X·W + B then L = 2 y1 - y2: scalar mode and tensor mode, both directions."""
    x_values, w_values, b_values = [[1.0, 2.0]], [[0.5, -1.0], [2.0, 0.25]], [0.1, -0.2]
    xs, ws, bs = tg.Scalar.array(x_values, "x"), tg.Scalar.array(w_values, "w"), tg.Scalar.array(b_values, "b")
    ys = F.linear(xs, ws, bs)
    loss = ys[0, 0] * 2.0 - ys[0, 1]
    loss.name = "L"
    loss.backward()
    save(visualize.draw(loss, title="Affine, scalar mode, forward: every multiply and add is a node"),
         "affine_scalar_forward", scratch)
    save(visualize.draw(loss, direction="backward",
                        title="Affine, scalar mode, backward: each arrow carries ∂L/∂input"),
         "affine_scalar_backward", scratch)
    X = tg.Tensor(x_values, requires_grad=True, name="X")
    W = tg.Tensor(w_values, requires_grad=True, name="W")
    B = tg.Tensor(b_values, requires_grad=True, name="B")
    with tg.watch():
        Y = F.linear(X, W, B)
        Y.name = "Y"
        L = (Y * tg.Tensor([2.0, -1.0])).sum()
        L.name = "L"
        L.backward()
    save(visualize.draw(L, title="Affine, tensor mode, forward: one Affine node"), "affine_tensor_forward", scratch)
    save(visualize.draw(L, direction="backward", title="Affine, tensor mode, backward: dL/dW = dL/dYᵀ·X"),
         "affine_tensor_backward", scratch)
    save(visualize.draw(L, direction="both", title="Affine, tensor mode, both directions"), "affine_tensor_both",
         scratch)


def deep_nets(scratch):
    """Ten Linear(16, 16) layers with sigmoid or ReLU, the same He initialisation (std sqrt(2/16), zero biases),
    seed and data: colored by |grad| on one scale.  ReLU passes the gradient on at its size; each sigmoid
    multiplies it by sigma'(z) <= 1/4, so the first layers get a gradient 1e5 times smaller."""
    for act in (nn.Sigmoid, nn.ReLU):
        tg.manual_seed(1)
        net = nn.Sequential(*[m for _ in range(10) for m in (nn.Linear(16, 16), act())], nn.Linear(16, 1))
        for layer in net:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
        x = tg.randn(32, 16)
        x.name = "x"
        with tg.watch():
            loss = (net(x) ** 2).mean()
            loss.name = "loss"
            loss.backward()
        name = act.__name__.lower()
        save(visualize.draw(loss, collapse="module", rankdir="TB", show=("grad",),
                            title=f"10 x (Linear 16→16, {act.__name__}), He init, colored by |grad|"), f"deep_{name}",
             scratch)
        save_chart(visualize.gradient_flow_svg(visualize.parameter_flow(loss),
                                               title=f"|grad| per parameter, {act.__name__} network (input side "
                                                     "first)", decades=(-8, 0)), f"gradflow_{name}")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 3 * 3, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def cnn(scratch):
    tg.manual_seed(0)
    model = LeNet()
    images = tg.randn(4, 1, 12, 12)
    images.name = "images"
    with tg.watch():
        loss = F.cross_entropy(model(images), np.array([3, 1, 4, 1]))
        loss.name = "loss"
        loss.backward()
    save(visualize.draw(loss, collapse="module", rankdir="TB", title="a small CNN, collapsed by module"),
         "cnn_by_module", scratch)


class Reader(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, track_state_grads=True, **kwargs)
        self.head = nn.Linear(4 * (2 if kwargs.get("bidirectional") else 1), 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1]).sum()


def lstm(scratch):
    tg.manual_seed(3)
    model = Reader()
    with tg.watch():
        loss = model(tg.randn(5, 1, 3))
        loss.name = "loss"
        loss.backward()
    save(visualize.draw_bptt(loss, title="an LSTM unrolled over 5 steps: |∂L/∂h_t| shrinks away from the loss"),
         "lstm_bptt", scratch)
    save_chart(visualize.state_grads_svg(visualize.state_grad_norms(loss), title="|∂L/∂h_t| against t, the same LSTM"),
               "lstm_state_grads")
    tg.manual_seed(3)
    deep = Reader(num_layers=2, bidirectional=True)
    with tg.watch():
        loss = deep(tg.randn(6, 1, 3))
        loss.backward()
    save(visualize.draw_bptt(loss, collapse="time", title="2 layers x 2 directions, each time step one box"),
         "lstm_bptt_collapsed", scratch)


def truncated_rnn(scratch):
    """h_t = tanh(x_t U + h_(t-1) W) by hand, one tg.scope per step, the state detached at t = 3."""
    rng = np.random.default_rng(0)
    U = tg.Tensor(rng.standard_normal((2, 3)) * 0.5, requires_grad=True, name="U")
    W = tg.Tensor(rng.standard_normal((3, 3)) * 0.5, requires_grad=True, name="W")
    h, total = tg.zeros(1, 3), None
    with tg.watch():
        for t in range(6):
            if t == 3:
                h = h.detach()                     # truncated BPTT: chunks of 3 steps
            with tg.scope(f"t={t}"):
                h = (tg.Tensor(rng.standard_normal((1, 2))) @ U + h @ W).tanh()
                h.name = "h"
            total = h.sum() if total is None else total + h.sum()
        total.name = "loss"
        total.backward()
    save(visualize.draw_bptt(total, title="truncated BPTT: the state is detached at t = 3"), "rnn_truncated", scratch)


def main():
    if not visualize.dot_available():
        print("Graphviz's dot is not installed: sudo apt-get install graphviz (or brew install graphviz)")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        for make in (scalar_neuron, affine, deep_nets, cnn, lstm, truncated_rnn):
            make(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
