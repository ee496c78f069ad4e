"""Lessons 2-5 run headless in --fast mode, reproduce their worked examples and write their pictures."""

import io
import re
import shutil

import pytest
from rich.console import Console

import lessons
from lessons.runner import Lesson

SUFFIX = ".svg" if shutil.which("dot") else ".dot"


def run_lesson(number, tmp_path):
    console = Console(file=io.StringIO(), width=100, color_system=None)
    lesson = Lesson(out=str(tmp_path), step=True, console=console, fast=True)
    lessons.load(number).run(lesson)
    return lesson, console.file.getvalue()


def assert_pictures(lesson, tmp_path, names):
    written = {p.name for p in tmp_path.iterdir()}
    for name in names:
        assert f"{name}.dot" in written and any(p.endswith(name + SUFFIX) for p in lesson.pictures), name


def test_lesson_2_affine_batch_layouts_sigmoid(tmp_path):
    lesson, text = run_lesson(2, tmp_path)
    assert lessons.load(2).NOTES == "003"
    assert "ok dL/dB = dL/dY summed over the batch = [3, 2]: [3. 2.]" in text
    assert "dL/db1  = dL/dy11 + dL/dy21 = 2 + 1 = 3" in text
    assert "dL/dw11 = dL/dy11*x11 + dL/dy21*x21 = 2*1 + 1*3 = 5" in text
    assert "ok PyTorch's dL/dW = dL/dY^T . X is the notes' dL/dW transposed" in text
    assert "z = sigmoid(y) = [0.1978, 0.9089]" in text                 # sigmoid(-1.4), sigmoid(2.3)
    assert "dL/dy1 = dL/dz1 * z1 (1 - z1) = 2 * 0.1587 = 0.3174" in text
    assert "gradcheck passed" in text and "ok gradcheck passes for X, W and B" in text
    assert lesson.checks >= 12
    assert_pictures(lesson, tmp_path, ["02_affine_batch_scalar", "02_affine_tensor", "02_affine_sigmoid_scalar",
                                       "02_affine_sigmoid_tensor"])


def test_lesson_3_softmax_cross_entropy_minibatches_digits(tmp_path):
    pytest.importorskip("sklearn")
    lesson, text = run_lesson(3, tmp_path)
    assert "softmax(h)  = [0.259, 0.577, 0.021, 0.142]" in text          # 000
    assert "the slide   = [0.26, 0.58, 0.02, 0.14]" in text
    assert "ok 002: softmax(1, 2, 3) = (0.0900, 0.2447, 0.6652): [0.09   0.2447 0.6652]" in text
    assert "-ln 0.3 = 1.2040" in text and "not a probability distribution" in text   # 002 cross-entropy
    assert "ok 20,000 samples, batches of 200 -> 100 iterations per epoch: 100" in text
    accuracy = float(re.search(r"Held-out accuracy after 3 epochs: (\d+\.\d)%", text).group(1)) / 100
    assert accuracy >= 0.85                                               # the --fast bar (full settings: 95 %)
    assert lesson.results["held-out accuracy"] == pytest.approx(accuracy, abs=5e-4)
    assert_pictures(lesson, tmp_path, ["03_cross_entropy", "03_fc_classifier"])


def test_lesson_4_finds_the_b1_bug_and_the_fix_passes(tmp_path):
    lesson, text = run_lesson(4, tmp_path)
    assert "check_grads(loss_fn) FAILED: wrong gradient for b1" in text
    assert re.search(r"FAIL\s+│\s+b1", text)
    assert "ok W1, W2 and b2 pass: [True, True, True]" in text       # booleans printed as booleans
    assert "grads['b1'] equals W2 @ grads['b2']" in text                   # the diagnosis
    assert "ok the fixed two-layer net passes: True" in text
    assert "ok autograd's b1 gradient equals the fixed one" in text
    assert "np.shares_memory(da2, dz2) = True" in text                     # the aliasing trap
    assert "ok the three-layer net passes: True" in text
    assert_pictures(lesson, tmp_path, ["04_two_layer_net"])


def test_lesson_5_sigmoid_vanishes_relu_does_not(tmp_path):
    lesson, text = run_lesson(5, tmp_path)
    assert "ok max of sigmoid'(x) is 1/4, at x = 0: [0.25 0.  ]" in text
    match = re.search(r"First layer over last layer: sigmoid (\S+), ReLU (\S+)\. ", text)
    sigmoid_ratio, relu_ratio = float(match.group(1).rstrip(",")), float(match.group(2))
    assert sigmoid_ratio < 1e-4 < 1e-2 < relu_ratio
    assert "sigmoid: ||grad|| per layer" in text and "relu: ||grad|| per layer" in text
    assert_pictures(lesson, tmp_path, ["05_backward_sigmoid", "05_backward_relu"])
