"""The sandboxed checks on TA-built inputs (what the class grader calls): check_layer_in, check_loss_grad_in and
check_grads_in against the shipped homework files, with the TA's reference values, in a HomeworkSandbox."""

import os

import numpy as np
import pytest

from tinygrad_edu.homework_sandboxed import (
    HomeworkSandbox,
    StudentCodeFailure,
    check_grads_in,
    check_layer_in,
    check_loss_grad_in,
)
from tinygrad_edu.sandbox import Limits, Sandbox, SandboxFailure

HOMEWORK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lessons", "homework")
LIMITS = Limits(timeout=20)


def box_for(name):
    return HomeworkSandbox(os.path.join(HOMEWORK, name), LIMITS)


def test_layer_on_ta_inputs_with_a_reference_output():
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 2)), rng.standard_normal(2)
    with box_for("layers.py") as box:
        report = check_layer_in(box, "affine_forward", "affine_backward", x, w, b, expected_out=x @ w + b)
        assert report.passed and [r.name for r in report] == ["x", "w", "b", "out"], str(report)
        assert "bubblewrap" in report.isolation or "process limits only" in report.isolation
        wrong = check_layer_in(box, "affine_forward", "affine_backward", x, w, b, names=["X", "W", "B"],
                               expected_out=x @ w - b)           # the TA's reference says the forward is wrong
        assert not wrong.passed and wrong.failed == ["out"]
        assert "the forward computation itself is wrong" in wrong["out"].diagnosis
        assert [r.name for r in wrong][:3] == ["X", "W", "B"]


def test_loss_grad_on_ta_inputs_knows_reg_and_the_batch():
    rng = np.random.default_rng(3)
    W, X, y = 0.01 * rng.standard_normal((6, 4)), rng.standard_normal((9, 6)), rng.integers(0, 4, size=9)
    with box_for("svm_loss.py") as box:
        report = check_loss_grad_in(box, "svm_loss_vectorized", W, X, y, 0.1)
        assert report.passed, str(report)
        assert len(report) == 1 and report["W"].checked == W.size    # a "loss" row only with expected_loss
        off = check_loss_grad_in(box, "svm_loss_naive", W, X, y, 0.1, expected_loss=123.0)
        assert off.failed == ["loss"] and "your loss is" in off["loss"].diagnosis


def test_grads_on_a_students_net_with_the_tas_weights():
    rng = np.random.default_rng(5)
    params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5), "W2": rng.standard_normal((5, 3)),
              "b2": rng.standard_normal(3)}
    x, t = rng.standard_normal((6, 4)), np.eye(3)[rng.integers(0, 3, size=6)]
    for name, passes in (("two_layer_net.py", True), ("two_layer_net_slide.py", False)):
        with box_for(name) as box:
            net = box.call("TwoLayerNet", 4, 5, 3)
            report = check_grads_in(box, box.getattr(net, "loss"), net, params=params, args=(x, t),
                                    grads=box.getattr(net, "gradient"))
            assert report.passed is passes, str(report)
            if not passes:
                assert report.failed == ["b1"] and "W2 @ grads['b2']" in report["b1"].diagnosis
            np.testing.assert_array_equal(box.call("TwoLayerNet.scores", net, x).shape, (6, 3))


def test_the_students_failures_propagate_with_the_students_names(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("import numpy as np\n"
                    "def forward(x):\n    return 2 * x, x\n"
                    "def backward(dout, cache):\n    return 'two'\n"
                    "def crash(dout, cache):\n    raise KeyError('cache')\n")
    x = np.ones((2, 2))
    with HomeworkSandbox(path, LIMITS) as box:
        with pytest.raises(StudentCodeFailure, match=r"backward must return one gradient per float input \(1\)"):
            check_layer_in(box, "forward", "backward", x, names=["x"])
        with pytest.raises(SandboxFailure, match="raised KeyError in crash") as info:
            check_layer_in(box, "forward", "crash", x, names=["x"])
        assert "_tgedu" not in info.value.reason and "_tinygrad_edu_driver" not in info.value.traceback


def test_a_plain_sandbox_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("def forward(x):\n    return x, x\n")
    with Sandbox(path, LIMITS) as box:
        with pytest.raises(TypeError, match="need a HomeworkSandbox"):
            check_layer_in(box, "forward", "forward", np.ones(2), names=["x"])


def test_assert_submission_passes_for_teachers_pytest_files(tmp_path):
    from tinygrad_edu.testing import assert_submission_passes

    assert len(assert_submission_passes(os.path.join(HOMEWORK, "layers.py") + ":check", timeout=20)) == 2
    with pytest.raises(AssertionError, match=r"(?s)FAILED: wrong gradient for b1.*W2 @ grads\['b2'\]"):
        assert_submission_passes(os.path.join(HOMEWORK, "two_layer_net_slide.py"), timeout=20)
    path = tmp_path / "quitter.py"
    path.write_text("import sys\nsys.exit(0)\n")
    with pytest.raises(AssertionError, match=r"FAIL: your code called sys.exit\(0\) while your file was imported"):
        assert_submission_passes(f"{path}:check", timeout=20)
    with pytest.raises(ValueError, match="no function 'nope'"):
        assert_submission_passes(os.path.join(HOMEWORK, "layers.py") + ":nope", timeout=20)


def test_slow_but_honest_code_is_sent_few_points_per_call(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text("import time\nimport numpy as np\n"
                    "def slow_loss(W):\n    time.sleep(0.04)\n    return float(np.sum(W ** 2)), 2 * W\n")
    W = np.linspace(-1, 1, 20)                     # 40 evaluations of 0.04 s: 1.6 s, more than one call's 1 s
    with HomeworkSandbox(path, Limits(timeout=1.0, total_timeout=10)) as box:
        assert check_loss_grad_in(box, "slow_loss", W).passed


def test_a_loss_without_its_gradient_is_told_what_to_return(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("import numpy as np\ndef only_loss(W):\n    return float(np.sum(W ** 2))\n")
    with HomeworkSandbox(path, LIMITS) as box:
        with pytest.raises(StudentCodeFailure, match=r"only_loss\(W, ...\) must return \(loss, dW\), but it returned "
                                                     r"a float"):
            check_loss_grad_in(box, "only_loss", np.ones(3))


def test_a_helper_module_beside_the_file_is_imported(tmp_path):
    from tinygrad_edu.homework_submission import check_submission

    (tmp_path / "helpers.py").write_text("import numpy as np\ndef square_loss(W):\n"
                                         "    return float(np.sum(W ** 2)), 2 * W\n")
    (tmp_path / "hw.py").write_text("import numpy as np\nfrom helpers import square_loss\n"
                                    "def check():\n    return {'fn': square_loss, 'W': np.arange(3.0)}\n")
    result = check_submission(str(tmp_path / "hw.py"))
    assert result.passed, result.failure


CHEAT = """
import numpy as np
FIRST = []
def softmax_loss(W, X, y):
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    p[np.arange(len(y)), y] -= 1
    return loss, X.T @ p / len(y)
def honest(W, X, y):
    return softmax_loss(W, X, y)
def cheat(W, X, y):
    if not FIRST:                                   # remember the first point, and a wrong gradient there
        loss, dW = softmax_loss(W, X, y)
        FIRST.append((W.copy(), loss, 2 * dW))
    W0, loss0, wrong = FIRST[0]
    return loss0 + float(np.sum((W - W0) * wrong)), wrong      # a loss made linear to agree with it
"""


def reference_softmax(W, X, y):
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(y)), y]))


def test_a_loss_made_to_agree_with_a_wrong_gradient_fails_against_the_reference(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text(CHEAT)
    rng = np.random.default_rng(2)
    W, X, y = rng.standard_normal((4, 3)), rng.standard_normal((6, 4)), rng.integers(0, 3, size=6)
    with HomeworkSandbox(path, LIMITS) as box:
        fooled = check_loss_grad_in(box, "cheat", W, X, y, expected_loss=reference_softmax(W, X, y))
        assert fooled.passed                        # consistency and the value at W alone cannot see it ...
        caught = check_loss_grad_in(box, "cheat", W, X, y, reference=reference_softmax)
        assert caught.failed == ["loss"], str(caught)          # ... the reference at the perturbed points does
        assert "nearby points differ" in caught["loss"].diagnosis and "with W[" in caught["loss"].diagnosis
        assert check_loss_grad_in(box, "honest", W, X, y, reference=reference_softmax).passed


def test_references_for_layers_and_nets():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    with box_for("layers.py") as box:
        assert check_layer_in(box, "affine_forward", "affine_backward", x, w, b,
                              reference=lambda x, w, b: (x @ w + b, None)).passed
        wrong = check_layer_in(box, "affine_forward", "affine_backward", x, w, b, reference=lambda x, w, b: x @ w)
        assert wrong.failed == ["out"]
    params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5), "W2": rng.standard_normal((5, 3)),
              "b2": rng.standard_normal(3)}
    xs, t = rng.standard_normal((6, 4)), np.eye(3)[rng.integers(0, 3, size=6)]

    def reference(p, x, t):
        z = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
        a = z @ p["W2"] + p["b2"]
        a = a - a.max(axis=1, keepdims=True)
        return float(-np.sum(t * (a - np.log(np.exp(a).sum(axis=1, keepdims=True)))) / len(x))
    with box_for("two_layer_net.py") as box:
        net = box.call("TwoLayerNet", 4, 5, 3)
        report = check_grads_in(box, box.getattr(net, "loss"), net, params=params, args=(xs, t),
                                grads=box.getattr(net, "gradient"), reference=reference)
        assert report.passed and report["loss"].passed, str(report)
