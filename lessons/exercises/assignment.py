"""The exercises as an assignment for `tinygrad-edu grade` (a teacher grading a class), 100 points.

Each submission is a directory holding a student's copies of the exercise files (what `tinygrad-edu exercise
start N` writes into my_exercises/), graded in the sandbox:

    tinygrad-edu grade lessons/exercises/assignment.py submissions/* --out graded/

Exercise 8's step has two outputs (next_h, next_c): it is graded through lstm_step_packed_forward/backward,
given (not written by the student) in the stub, which put the two side by side in one output and split dout
back into dnext_h and dnext_c, so the student's lstm_step_backward is what is checked.  Exercise 9 (CD-k is an
update rule, not a gradient) is a ValueCheck: the student's cd_k at the TA's inputs (k = 2, uniform draws
given) against the solution's, by value.
The references are the solutions' functions (lessons/solutions, trusted code run by the grader).
"""

import importlib

import numpy as np

from tinygrad_edu.assignment import GradsCheck, LayerCheck, LossGradCheck, ValueCheck

TITLE = "Exercises: backward passes by hand"


def _solution(name):
    return importlib.import_module(f"lessons.solutions.{name}")


# --------------------------------------------------------------------------- inputs (seeded by the grader)
def affine_inputs(rng):
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)       # x, w, b


def net_inputs(rng, N=6, D=4, H=5, C=3):
    params = {"W1": rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
              "W2": rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}
    return params, rng.standard_normal((N, D)), np.eye(C)[rng.integers(0, C, N)]


def away_from_zero(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(x >= 0, 1, -1) * (0.05 + np.abs(x))        # no entry within h of ReLU's kink


def conv_inputs(rng):
    return (rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2),
            {"stride": np.int64(2), "pad": np.int64(1)})       # numpy ints: the grader copies a dict's values


def pool_inputs(rng):
    x = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 7.0                   # distinct values: no ties
    return x, {"pool_height": np.int64(2), "pool_width": np.int64(2), "stride": np.int64(1)}


def rnn_step_inputs(rng, N=2, D=3, H=4):
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), 0.5 * rng.standard_normal((D, H)),
            0.5 * rng.standard_normal((H, H)), 0.1 * rng.standard_normal(H))


def rnn_inputs(rng, N=2, T=5, D=3, H=4):
    x, h0, Wx, Wh, b = rnn_step_inputs(rng, N, D, H)
    return rng.standard_normal((N, T, D)), h0, Wx, Wh, b


def lstm_inputs(rng, N=2, D=3, H=4):
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            0.5 * rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H)),
            0.1 * rng.standard_normal(4 * H))


def rbm_inputs(rng, N=4, V=6, H=3, k=2):
    """v0 binary (N, V), W (V, H), lr, the uniform draws uh (k+1, N, H) and uv (k, N, V)."""
    return ((rng.random((N, V)) < 0.5).astype(float), 0.5 * rng.standard_normal((V, H)), 0.3,
            rng.random((k + 1, N, H)), rng.random((k, N, V)))


def gru_inputs(rng, N=2, D=3, H=4):
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), 0.5 * rng.standard_normal((D, 3 * H)),
            0.5 * rng.standard_normal((H, 3 * H)), 0.1 * rng.standard_normal(3 * H), 0.1 * rng.standard_normal(3 * H))


def _out(module, function):
    """The reference `out` of a solution's forward, which returns (out, cache)."""
    return lambda *inputs: getattr(_solution(module), function)(*inputs)[0]


CHECKS = [
    LayerCheck("affine_forward", "affine_backward", file="01_affine.py", inputs=affine_inputs, names=("x", "w", "b"),
               reference=_out("01_affine", "affine_forward"), points=10, name="1 affine layer"),
    GradsCheck("TwoLayerNet", file="02_two_layer_net.py", inputs=net_inputs, points=10, name="2 two-layer net",
               reference=lambda params, x, t: _solution("02_two_layer_net").loss(params, x, t)),
    LayerCheck("sigmoid_forward", "sigmoid_backward", file="03_activations.py", names=("x",), points=5,
               inputs=lambda rng: (rng.standard_normal((4, 5)),), name="3 sigmoid layer",
               reference=_out("03_activations", "sigmoid_forward")),
    LayerCheck("relu_forward", "relu_backward", file="03_activations.py", names=("x",), points=5,
               inputs=lambda rng: (away_from_zero(rng, (4, 5)),), name="3 relu layer",
               reference=_out("03_activations", "relu_forward")),
    LossGradCheck("softmax_cross_entropy", file="03_activations.py", points=5, name="3 softmax cross-entropy",
                  inputs=lambda rng: (rng.standard_normal((4, 6)), np.eye(6)[rng.integers(0, 6, 4)]),
                  reference=lambda x, t: _solution("03_activations").softmax_cross_entropy(x, t)[0]),
    LayerCheck("conv_forward_naive", "conv_backward_naive", file="04_conv_naive.py", inputs=conv_inputs,
               names=("x", "w", "b", "conv_param"), reference=_out("04_conv_naive", "conv_forward_naive"),
               points=10, name="4 naive convolution"),
    LayerCheck("conv_forward_im2col", "conv_backward_im2col", file="05_im2col.py", inputs=conv_inputs,
               names=("x", "w", "b", "conv_param"), reference=_out("05_im2col", "conv_forward_im2col"),
               points=5, name="5 convolution by im2col"),
    LayerCheck("max_pool_forward", "max_pool_backward", file="06_max_pool.py", inputs=pool_inputs,
               names=("x", "pool_param"), reference=_out("06_max_pool", "max_pool_forward"), points=10,
               name="6 max pooling"),
    LayerCheck("rnn_step_forward", "rnn_step_backward", file="07_rnn_bptt.py", inputs=rnn_step_inputs,
               names=("x", "prev_h", "Wx", "Wh", "b"), reference=_out("07_rnn_bptt", "rnn_step_forward"), points=5,
               name="7 RNN step"),
    LayerCheck("rnn_forward", "rnn_backward", file="07_rnn_bptt.py", inputs=rnn_inputs,
               names=("x", "h0", "Wx", "Wh", "b"), reference=_out("07_rnn_bptt", "rnn_forward"), points=10,
               name="7 BPTT"),
    LayerCheck("lstm_step_packed_forward", "lstm_step_packed_backward", file="08_lstm_step.py", inputs=lstm_inputs,
               names=("x", "prev_h", "prev_c", "Wx", "Wh", "b"), points=10, name="8 LSTM step",
               reference=_out("08_lstm_step", "lstm_step_packed_forward")),
    ValueCheck("cd_k", file="09_rbm_cd.py", inputs=rbm_inputs, outputs=("W_new", "dW"), points=10,
               reference=lambda *inputs: _solution("09_rbm_cd").cd_k(*inputs), name="9 RBM CD-k update"),
    LayerCheck("gru_step_forward", "gru_step_backward", file="10_gru_step.py", inputs=gru_inputs,
               names=("x", "prev_h", "Wx", "Wh", "bx", "bh"), reference=_out("10_gru_step", "gru_step_forward"),
               points=5, name="10 GRU step (optional)"),
]
