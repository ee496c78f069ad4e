"""The diagnoses added or corrected in issue 14, each triggered by a purpose-made mistake and never by the right
gradient on the same data: named factors (the batch size only for the loss's batch dimension), vacuous checks,
a missing or extra regularization gradient, a gradient that IS its parameter, a bias summed over the wrong axis,
a mask taken on the wrong array, a sign error in one row or column, the shape-mismatch row; and the dout
collision of default_rng(0) (a ReLU mask on dout, a transposed dw on a square w), in this process and sandboxed.
"""

import io
import re

import numpy as np
import pytest
from rich.console import Console

from tinygrad_edu.diagnosis import PATTERNS, Evidence
from tinygrad_edu.homework_check import check_grads, check_layer, check_loss_grad
from tinygrad_edu.homework_submission import check_submission
from tinygrad_edu.numeric_grad import draw_dout


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def with_backward(change):
    """affine_backward with (dx, dw, db) passed through change(dout, cache, grads) -> grads."""
    return lambda dout, cache: change(dout, cache, affine_backward(dout, cache))


def layer_problem(n=3, d=2, m=4, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)


def diagnosis(report, name):
    assert not report.passed, str(report)
    return report[name].diagnosis or ""


# ------------------------------------------------------------------------------------------------ factors
@pytest.mark.parametrize("factor, said", [
    (2.0, r"numeric = dw / 2 exactly: your gradient is twice the right one\. The usual causes of a factor 2"),
    (0.5, r"numeric = 2 x dw exactly: your gradient is half the right one\. The usual causes of a factor 2"),
    (3.0, r"numeric = dw / 3 exactly: your gradient is 3 times the right one"),
])
def test_a_layers_factor_is_named_and_never_called_the_batch_size(factor, said):
    x, w, b = layer_problem(n=3, d=2)                # N = 3 and w has 2 rows: neither is a layer's batch size
    wrong = check_layer(affine_forward, with_backward(lambda d, c, g: (g[0], g[1] * factor, g[2])), x, w, b)
    text = diagnosis(wrong, "w")
    assert re.search(said, text), text
    assert "batch" not in text and "N =" not in text
    assert check_layer(affine_forward, affine_backward, x, w, b).passed


def softmax_reg(W, X, y, reg, grad_reg=2.0, factor=1.0, flip_row=None):
    """Mean softmax loss + reg * sum(W^2); the gradient's regularization term is grad_reg * reg * W."""
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = -np.log(p[rows, y]).mean() + reg * np.sum(W * W)
    p[rows, y] -= 1
    dW = (X.T @ p / len(y)) * factor + grad_reg * reg * W
    if flip_row is not None:
        dW[flip_row] *= -1
    return loss, dW


def reg_problem(d=4, c=3, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, c)), rng.standard_normal((n, d)), rng.integers(0, c, size=n)


def test_the_batch_size_is_named_only_for_the_losss_batch_dimension():
    W, X, y = reg_problem(n=6)
    wrong = check_loss_grad(lambda W, X, y, reg: softmax_reg(W, X, y, reg, factor=6.0, grad_reg=12.0), W, X, y, 0.0)
    assert "(N = 6, the batch size here): did you forget to divide by the batch size" in diagnosis(wrong, "W")


def test_a_per_class_vector_among_the_args_is_not_taken_for_the_batch():
    W, X, y = reg_problem(d=4, c=3, n=6)
    weights = np.ones(3)                             # (C,): C = 3 is no batch size

    def loss(W, X, y, weights):
        return softmax_reg(W, X, y, 0.0, factor=3.0)
    said = diagnosis(check_loss_grad(loss, W, X, y, weights), "W")
    assert "numeric = dW / 3 exactly" in said and "batch" not in said, said


# ------------------------------------------------------------------------------------------------ regularization
@pytest.mark.parametrize("grad_reg, said", [
    (0.0, r"numeric - dW = 0\.2 \* W exactly: the regularization gradient is missing: add 2 \* reg \* W "
          r"\(reg = 0\.1\)"),
    (1.0, r"numeric - dW = 0\.1 \* W exactly: the regularization gradient is missing: add reg \* W \(reg = 0\.1\)"),
    (3.0, r"dW - numeric = 0\.1 \* W exactly: your gradient has a term the loss does not have"),
])
def test_a_missing_or_extra_regularization_gradient(grad_reg, said):
    W, X, y = reg_problem()
    wrong = check_loss_grad(lambda W, X, y, reg: softmax_reg(W, X, y, reg, grad_reg=grad_reg), W, X, y, 0.1)
    assert re.search(said, diagnosis(wrong, "W")), wrong["W"].diagnosis
    right = check_loss_grad(lambda W, X, y, reg: softmax_reg(W, X, y, reg), W, X, y, 0.1)
    assert right.passed and right["W"].diagnosis is None


def test_regularization_without_a_reg_argument_still_names_the_term():
    W, X, y = reg_problem()
    wrong = check_loss_grad(lambda W, X, y: softmax_reg(W, X, y, 0.05, grad_reg=0.0), W, X, y)
    assert "numeric - dW = 0.1 * W exactly: the regularization gradient is missing" in diagnosis(wrong, "W")


# ------------------------------------------------------------------------------------------------ aliasing
def test_a_gradient_that_is_its_parameter_array():
    rng = np.random.default_rng(0)
    X, reg = rng.standard_normal((5, 3)), 0.5
    params = {"W": rng.standard_normal((3, 2))}

    def loss():
        return 0.5 * np.sum((X @ params["W"]) ** 2) + 0.5 * reg * np.sum(params["W"] ** 2)

    def gradient():
        dW = params["W"]                             # the slide's trap: a second name, not a copy
        dW *= reg                                    # ... so W itself is scaled
        dW += X.T @ (X @ params["W"])
        return {"W": dW}

    def gradient_right():
        return {"W": reg * params["W"] + X.T @ (X @ params["W"])}

    assert check_grads(loss, params, gradient_right()).passed
    wrong = check_grads(loss, params, gradient())
    assert "grads['W'] is W itself (the same values, the same array)" in diagnosis(wrong, "W")


# ------------------------------------------------------------------------------------------------ layers
def test_a_bias_summed_over_the_wrong_axis_when_the_shapes_agree():
    x, w, b = layer_problem(n=4, d=3, m=4)           # N = M = 4: dout.sum(axis=1) has b's shape
    wrong = check_layer(affine_forward, with_backward(lambda d, c, g: (g[0], g[1], d.sum(axis=1))), x, w, b)
    assert "db is dout summed over axis 1" in diagnosis(wrong, "b") and "axis 0" in wrong["b"].diagnosis
    assert check_layer(affine_forward, affine_backward, x, w, b).passed


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def relu_backward_masks_dout(dout, cache):
    return dout * (dout > 0)                         # the mask taken on the wrong array


def test_a_relu_mask_on_the_wrong_array():
    x = np.random.default_rng(3).standard_normal((4, 5))
    wrong = check_layer(relu_forward, relu_backward_masks_dout, x)
    said = diagnosis(wrong, "x")
    assert "dx keeps dout on the wrong entries" in said and "where dout > 0" in said, said
    right = check_layer(relu_forward, relu_backward, x)
    assert right.passed and right["x"].diagnosis is None


@pytest.mark.parametrize("axis", [0, 1])
def test_a_sign_error_in_one_row_or_column(axis):
    W, X, y = reg_problem(d=4, c=3)

    def flipped(W, X, y):
        loss, dW = softmax_reg(W, X, y, 0.0)
        if axis == 0:
            dW[2] *= -1
        else:
            dW[:, 1] *= -1
        return loss, dW
    said = diagnosis(check_loss_grad(flipped, W, X, y), "W")
    expected = "dW[2] is exactly minus" if axis == 0 else "dW[:, 1] is exactly minus"
    assert f"sign error in one {'row' if axis == 0 else 'column'}: {expected}" in said, said
    whole = check_loss_grad(lambda W, X, y: (lambda r: (r[0], -r[1]))(softmax_reg(W, X, y, 0.0)), W, X, y)
    assert diagnosis(whole, "W").startswith("sign flip")        # all of it: the older pattern, not one row


def test_a_shape_mismatch_row_says_the_shapes():
    W, X, y = reg_problem(d=3, c=4)
    wrong = check_loss_grad(lambda W, X, y: (lambda r: (r[0], r[1].T))(softmax_reg(W, X, y, 0.0)), W, X, y)
    text = str(wrong)
    assert "FAIL W: shape (4, 3), expected (3, 4)" in text and "inf []" not in text
    console = Console(file=io.StringIO(), width=140, color_system=None)
    wrong.print(console)
    assert "shape (4, 3), expected (3, 4)" in console.file.getvalue()


def test_no_pattern_fires_on_correct_gradients_with_every_clue_given():
    x, w, b = layer_problem(n=4, d=3, m=4)
    dout = draw_dout((4, 4))
    dx, dw, db = affine_backward(dout, (x, w))
    W, X, y = reg_problem()
    _, dW = softmax_reg(W, X, y, 0.1)
    up = draw_dout(x.shape)                          # a ReLU's upstream gradient, x's shape
    cases = [("x", x, dx, dout, None), ("w", w, dw, dout, None), ("b", b, db, dout, None), ("W", W, dW, None, 0.1),
             ("r", np.maximum(x, 0), up * (x > 0), up, None)]
    evidence = [Evidence(n, v.shape, g, np.arange(g.size), g.reshape(-1), 1e-12, v, "d{}", upstream=u, reg=r)
                for n, v, g, u, r in cases]
    for ev in evidence:
        for pattern in PATTERNS:
            assert pattern(ev, [o for o in evidence if o is not ev], {4, 6}) is None, (ev.name, pattern.__name__)


# ------------------------------------------------------------------------------------------------ vacuous checks
def test_an_empty_params_dict_is_not_a_pass():
    report = check_grads(lambda: 0.0, {}, {})
    assert not report.passed and "nothing was tested" in report.headline() and "params is empty" in str(report)


def test_a_loss_that_reads_none_of_the_checked_arrays_with_zero_gradients_is_not_a_pass():
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    other = np.arange(3.0)
    report = check_grads(lambda: float(np.sum(other ** 2)), params, {"W": np.zeros((2, 2)), "b": np.zeros(2)})
    assert not report.passed and all(r.passed for r in report)       # each row agrees: zeros with zeros ...
    assert "the loss does not change with any checked array" in report.headline()     # ... which tests nothing
    live = {"W": np.ones((2, 2))}
    report = check_grads(lambda: float(np.sum(live["W"] ** 2)), live, {"W": 2 * live["W"]})
    assert report.passed and report.vacuous is None


def test_an_exception_in_backward_is_blamed_on_backward_in_process():
    x, w, b = layer_problem()

    def broken_backward(dout, cache):
        raise IndexError("no")
    with pytest.raises(IndexError) as info:
        check_layer(affine_forward, broken_backward, x, w, b)
    assert any("broken_backward raised while running broken_backward" in n for n in info.value.__notes__)


# ------------------------------------------------------------------------------------------------ dout collision
def test_dout_is_fresh_and_never_an_input():
    x = np.random.default_rng(0).standard_normal((4, 5))
    douts = [draw_dout((4, 5), [x]) for _ in range(3)]
    assert not any(np.array_equal(d, x) for d in douts)
    assert not np.array_equal(douts[0], douts[1])          # not a fixed seed


COLLISION = """
import numpy as np
def relu_forward(x):
    return np.maximum(0, x), x
def relu_backward(dout, cache):
    return dout * (dout > 0)              # the mask on dout: right only when dout's signs are x's
def affine_forward(x, w):
    return x @ w, (x, w)
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, dout.T @ x         # transposed dw: right only when dout is x (x.T @ x is symmetric)
def check_relu():
    x = np.random.default_rng(0).standard_normal((4, 5))       # the old checker's dout stream, same shape
    return {"forward": relu_forward, "backward": relu_backward, "inputs": (x,)}
def check_affine():
    x = np.random.default_rng(0).standard_normal((4, 3))
    w = np.random.default_rng(1).standard_normal((3, 3))       # square: dout has x's shape
    return {"forward": affine_forward, "backward": affine_backward, "inputs": (x, w)}
"""


def test_the_dout_collision_case_fails_in_process_and_sandboxed(tmp_path):
    path = tmp_path / "collide.py"
    path.write_text(COLLISION)
    namespace = {}
    exec(compile(COLLISION, str(path), "exec"), namespace)
    old_dout = np.random.default_rng(0).standard_normal((4, 5))       # what check_layer used before issue 14
    spec = namespace["check_relu"]()
    assert np.array_equal(old_dout, spec["inputs"][0])                 # the student's input IS the old dout
    assert not check_layer(spec["forward"], spec["backward"], *spec["inputs"]).passed
    affine = namespace["check_affine"]()
    assert not check_layer(affine["forward"], affine["backward"], *affine["inputs"]).passed
    relu = check_submission(str(path), "check_relu")
    assert relu.exit_code == 1 and "where dout > 0" in relu.reports[0]["x"].diagnosis
    transposed = check_submission(str(path), "check_affine")
    assert transposed.exit_code == 1 and "transposed gradient" in transposed.reports[0]["w"].diagnosis
