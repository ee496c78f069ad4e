"""The exercises: stubs the student completes (this folder), their solutions (lessons/solutions/, same names).

    tinygrad-edu exercises                   list them, with the status of your copies in ./my_exercises/
    tinygrad-edu exercise start N [DIR]      copy stub N to DIR (default ./my_exercises/)
    tinygrad-edu exercise check N [FILE]     check your copy: forward values, gradients, diagnoses

EXERCISES is the catalog; lessons/exercises/checks.py says how each one is checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
SOLUTIONS = os.path.join(os.path.dirname(HERE), "solutions")
DEFAULT_DIR = "my_exercises"


@dataclass(frozen=True)
class Exercise:
    number: int
    name: str
    file: str                 # the stub's (and the solution's) file name
    lessons: str              # the lessons it belongs to
    notes: str                # the lecture notes it follows
    functions: tuple          # what the student writes
    optional: bool = False

    @property
    def stub(self):
        return os.path.join(HERE, self.file)

    @property
    def solution(self):
        return os.path.join(SOLUTIONS, self.file)


EXERCISES = (
    Exercise(1, "Affine layer forward/backward", "01_affine.py", "1, 2", "003", ("affine_forward", "affine_backward")),
    Exercise(2, "two-layer net's gradient (the b1 trap)", "02_two_layer_net.py", "4", "003", ("gradient",)),
    Exercise(3, "sigmoid, ReLU, softmax-cross-entropy backward", "03_activations.py", "3, 5", "000, 002, 003",
             ("sigmoid_backward", "relu_backward", "softmax_cross_entropy")),
    Exercise(4, "naive convolution with stride and padding", "04_conv_naive.py", "6", "003",
             ("conv_forward_naive", "conv_backward_naive")),
    Exercise(5, "im2col, col2im, convolution as one product", "05_im2col.py", "7", "003",
             ("im2col", "col2im", "conv_forward_im2col", "conv_backward_im2col")),
    Exercise(6, "max pooling forward/backward", "06_max_pool.py", "8", "002, 003",
             ("max_pool_forward", "max_pool_backward")),
    Exercise(7, "RNN step and backpropagation through time", "07_rnn_bptt.py", "10", "001, 002, 004",
             ("rnn_step_forward", "rnn_step_backward", "rnn_backward")),
    Exercise(8, "LSTM step backward", "08_lstm_step.py", "11", "000, 001, 004", ("lstm_step_backward",)),
    Exercise(9, "one CD-k update of an RBM", "09_rbm_cd.py", "12", "002", ("p_h_given_v", "p_v_given_h", "cd_k")),
    Exercise(10, "GRU step backward (optional, harder)", "10_gru_step.py", "11", "004", ("gru_step_backward",),
             optional=True),
)


def get(number: int) -> Exercise:
    """Exercise `number` (a ValueError listing the numbers otherwise)."""
    for exercise in EXERCISES:
        if exercise.number == number:
            return exercise
    raise ValueError(f"there is no exercise {number}; the exercises are {[e.number for e in EXERCISES]}")


def for_lesson(lesson: int):
    """The exercises that belong to lesson `lesson`."""
    return [e for e in EXERCISES if str(lesson) in [s.strip() for s in e.lessons.split(",")]]
