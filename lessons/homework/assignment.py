"""An example assignment for `tinygrad-edu grade`: the homework files of this folder, 100 points.

Grade a folder of submissions (each a directory holding a student's copies of these files):

    tinygrad-edu grade lessons/homework/assignment.py submissions/* --out graded/

A check names the student's function(s) and file, builds the inputs from the seeded rng it is given (the
same arrays for every student, never drawn by the student's code), and may give a reference: the TA's own
loss (or forward output) at those inputs, so a loss that is wrong but consistent with its wrong gradient
fails too.  The references below are written independently of the homework files, as a TA would.
"""

import numpy as np

from tinygrad_edu.assignment import GradsCheck, LayerCheck, LossGradCheck

TITLE = "Homework: backpropagation by hand"


# --------------------------------------------------------------------------- references (the TA's own code)
def _softmax_cross_entropy(scores, t):
    """Mean cross-entropy of softmax(scores) (N, C) against one-hot t (N, C)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-(t * log_p).sum() / len(scores))


def two_layer_loss(params, x, t):
    h = 1 / (1 + np.exp(-(x @ params["W1"] + params["b1"])))
    return _softmax_cross_entropy(h @ params["W2"] + params["b2"], t)


def three_layer_loss(params, x, t):
    h1 = 1 / (1 + np.exp(-(x @ params["W1"] + params["b1"])))
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"])
    return _softmax_cross_entropy(h2 @ params["W3"] + params["b3"], t)


def svm_loss(W, X, y, reg):
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(len(y)), y][:, None] + 1)
    margins[np.arange(len(y)), y] = 0
    return float(margins.sum() / len(y) + reg * (W * W).sum())


# --------------------------------------------------------------------------- inputs (seeded by the grader)
def net_inputs(sizes, N=6):
    """inputs(rng) for a net of layer sizes (D, H..., C): (params, x, t), weights of std 1 so the sigmoid
    leaves its linear middle and a missing derivative shows."""
    def inputs(rng):
        params = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{k}"] = rng.standard_normal((fan_in, fan_out))
            params[f"b{k}"] = 0.1 * rng.standard_normal(fan_out)
        x = rng.standard_normal((N, sizes[0]))
        t = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]      # one-hot targets (N, C)
        return params, x, t
    return inputs


def affine_inputs(rng):
    return rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)   # x, w, b


def relu_inputs(rng):
    x = rng.standard_normal((4, 5))
    return (np.where(x >= 0, 1, -1) * (0.05 + np.abs(x)),)     # no entry within h of the kink at 0


def svm_inputs(rng):
    W = 0.01 * rng.standard_normal((6, 4))                      # D=6, C=4
    X = rng.standard_normal((10, 6))                            # N=10
    return W, X, rng.integers(0, 4, size=10), 0.1


CHECKS = [
    GradsCheck("TwoLayerNet", init=(4, 5, 3), file="two_layer_net.py", inputs=net_inputs((4, 5, 3)),
               reference=two_layer_loss, points=20),
    GradsCheck("ThreeLayerNet", init=(4, 5, 4, 3), file="three_layer_net.py", inputs=net_inputs((4, 5, 4, 3)),
               reference=three_layer_loss, points=25),
    LayerCheck("affine_forward", "affine_backward", file="layers.py", inputs=affine_inputs, names=("x", "w", "b"),
               reference=lambda x, w, b: x @ w + b, points=15, name="affine layer"),
    LayerCheck("relu_forward", "relu_backward", file="layers.py", inputs=relu_inputs, names=("x",),
               reference=lambda x: np.maximum(0, x), points=10, name="relu layer"),
    LossGradCheck("svm_loss_naive", file="svm_loss.py", inputs=svm_inputs, reference=svm_loss, points=15),
    LossGradCheck("svm_loss_vectorized", file="svm_loss.py", inputs=svm_inputs, reference=svm_loss, points=15),
]
