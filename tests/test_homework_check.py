"""Gradient checking of hand-written numpy homework code (issue 7): the notes' two-layer net with its b1 bug,
each diagnosis on a purpose-made wrong gradient (and never on a right one), kinks, inputs left bit-for-bit
unchanged, mutations reported, float32 promotion, sampling, the command line, the pytest helper, and the
double-softmax warning of cross_entropy."""

import importlib.util
import io
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from rich.console import Console

import tinygrad_edu as tg
from tinygrad_edu import cli
from tinygrad_edu import gradcheck as gc
from tinygrad_edu.diagnosis import PATTERNS, Evidence, diagnose
from tinygrad_edu.homework_check import (
    CheckUsageError,
    PrecisionWarning,
    check_grads,
    check_layer,
    check_loss_grad,
    run_check,
)
from tinygrad_edu.nn import functional as F
from tinygrad_edu.testing import assert_gradients_match

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOMEWORK = os.path.join(ROOT, "lessons", "homework")


def homework(name):
    path = os.path.join(HOMEWORK, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_test_homework_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bits(arrays):
    return [np.asarray(a).tobytes() for a in arrays]


# ------------------------------------------------------------------------------------------- the notes' two-layer net
def test_slide_two_layer_net_fails_on_b1_only_and_names_the_gradient_it_equals():
    slide = homework("two_layer_net_slide")
    net, x, t = slide.small_problem()
    grads = net.gradient(x, t)
    report = check_grads(lambda: net.loss(x, t), net.params, grads)
    assert not report.passed
    assert report.failed == ["b1"]
    assert all(report[n].passed and report[n].diagnosis is None for n in ("W1", "W2", "b2"))
    b1 = report["b1"]
    assert b1.max_rel_error > 0.5                                # not a rounding matter
    # what the slide computed: sum(dz1) = W2 @ db2; what it should have: the fixed net's sum(da1)
    np.testing.assert_allclose(b1.analytic_grad, net.params["W2"] @ grads["b2"], rtol=1e-12)
    fixed_net, _, _ = homework("two_layer_net").small_problem()
    np.testing.assert_allclose(b1.numeric_grad, homework("two_layer_net").TwoLayerNet.gradient(fixed_net, x, t)["b1"],
                               rtol=1e-6)
    assert b1.analytic == pytest.approx(b1.analytic_grad[b1.worst_index]) and b1.numeric != pytest.approx(b1.analytic)
    assert "grads['b1'] equals W2 @ grads['b2']" in b1.diagnosis and "np.sum(dz1, axis=0)" in b1.diagnosis
    assert "FAIL b1" in str(report) and "ok   W1" in str(report)


def test_fixed_two_layer_net_passes_every_entry():
    report = check_grads(**homework("two_layer_net").check())
    assert report.passed and bool(report)
    assert [r.name for r in report] == ["W1", "b1", "W2", "b2"]
    for r in report:
        assert r.max_rel_error < 1e-7 and r.diagnosis is None and r.checked == r.size and not r.kinks


@pytest.mark.parametrize("name, function", [("three_layer_net", "check"), ("layers", "check"), ("svm_loss", "check")])
def test_the_other_homework_files_pass(name, function):
    checks = getattr(homework(name), function)()
    for spec in checks if isinstance(checks, list) else [checks]:
        report = run_check(spec)
        assert report.passed, str(report)
        assert max(r.max_rel_error for r in report) < 1e-7


# ------------------------------------------------------------------------------------------- diagnoses
N, D, C = 7, 4, 3


def softmax_loss(W, X, y):
    """(loss, dW): mean softmax cross-entropy of the scores X.W (N, C) against labels y (N,); W (D, C)."""
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = -np.log(p[rows, y]).mean()
    p[rows, y] -= 1
    return loss, X.T @ p / len(y)


def with_grad(transform):
    def fn(W, X, y):
        loss, dW = softmax_loss(W, X, y)
        return loss, transform(dW)
    return fn


def softmax_problem(d=D, c=C, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, c)), rng.standard_normal((N, d)), rng.integers(0, c, size=N)


def zero_column(dW):
    dW = dW.copy()
    dW[:, 0] = 0
    return dW


def nan_entry(dW):
    dW = dW.copy()
    dW[1, 2] = np.nan
    return dW


WRONG_DW = [  # id, shape of W, the mistake, what the diagnosis must say
    ("forgot_1/N", (D, C), lambda g: g * N, r"numeric = dW / 7 exactly \(N = 7, the batch size here\): did you forget "
                                            r"to divide by the batch size"),
    ("divided_twice", (D, C), lambda g: g / N, r"numeric = 7 x dW exactly.*divided by the batch size twice"),
    ("other_factor", (D, C), lambda g: g * 2.5, r"constant factor: numeric = dW / 2\.5 everywhere"),
    ("sign_flip", (D, C), lambda g: -g, r"sign flip"),
    ("transposed_square", (4, 4), lambda g: g.T, r"transposed gradient: dW\.T is right"),
    ("transposed_shape", (5, 3), lambda g: g.T, r"transposed gradient: dW has shape \(3, 5\) but W has shape \(5, 3\)"),
    ("missing_term", (D, C), zero_column, r"zeros where the numeric gradient is not: 4 entries of dW are exactly 0"),
    ("all_zeros", (D, C), np.zeros_like, r"dW is all zeros but the loss does change with W"),
    ("non_finite", (D, C), nan_entry, r"dW has 1 non-finite entries \(first at \(1, 2\)"),
]


@pytest.mark.parametrize("case, shape, mistake, said", WRONG_DW, ids=[c[0] for c in WRONG_DW])
def test_each_diagnosis_on_a_purpose_made_wrong_gradient(case, shape, mistake, said):
    W, X, y = softmax_problem(*shape)
    wrong = check_loss_grad(with_grad(mistake), W, X, y)
    assert not wrong.passed and wrong["W"].diagnosis is not None
    assert re.search(said, wrong["W"].diagnosis), wrong["W"].diagnosis
    assert wrong["W"].diagnosis in str(wrong)
    right = check_loss_grad(softmax_loss, W, X, y)                          # same data, right gradient
    assert right.passed and right["W"].diagnosis is None and right["W"].max_rel_error < 1e-7


@pytest.mark.parametrize("shape", [(D, C), (4, 4), (5, 3)])
def test_no_pattern_fires_on_a_correct_gradient(shape):
    W, X, y = softmax_problem(*shape)
    r = check_loss_grad(softmax_loss, W, X, y)["W"]
    ev = Evidence("W", W.shape, r.analytic_grad, np.arange(W.size), r.numeric_grad.reshape(-1), atol=1e-9, value=W,
                  label="d{}")
    flipped = Evidence("V", W.shape, -r.analytic_grad, np.arange(W.size), -r.numeric_grad.reshape(-1), 1e-9, W, "d{}")
    same = Evidence("U", W.shape, r.analytic_grad, np.arange(W.size), r.numeric_grad.reshape(-1), 1e-9, W, "d{}")
    bias = Evidence("c", (W.shape[1],), W.T @ r.analytic_grad[:, 0], np.arange(W.shape[1]),
                    W.T @ r.analytic_grad[:, 0], 1e-9, None, "d{}")        # equal to W.T @ (a column): but right
    zero = Evidence("z", (3,), np.zeros(3), np.arange(3), np.zeros(3), 1e-9)   # a right gradient of zeros
    column = Evidence("g", (W.shape[0],), r.analytic_grad[:, 0], np.arange(W.shape[0]), r.numeric_grad[:, 0], 1e-9)
    for e in (ev, bias, zero):
        for pattern in PATTERNS:
            assert pattern(e, [flipped, same, column, ev], {N}) is None, (e.name, pattern.__name__)
        assert diagnose(e, [flipped, same, column, ev], [N]) is None


def two_matrix_problem(seed=0):
    """loss = |X A B - Y|^2 / 2 with A, B both (3, 3): two parameters of one shape."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    params = {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3))}

    def loss():
        R = X @ params["A"] @ params["B"] - Y
        return 0.5 * np.sum(R * R)

    R = X @ params["A"] @ params["B"] - Y
    grads = {"A": X.T @ R @ params["B"].T, "B": (X @ params["A"]).T @ R}
    return loss, params, grads


def test_diagnosis_gradient_equal_to_another_parameters():
    loss, params, grads = two_matrix_problem()
    assert check_grads(loss, params, grads).passed
    report = check_grads(loss, params, {"A": grads["A"], "B": grads["A"]})    # copy-paste of A's gradient
    assert report.failed == ["B"]
    assert report["B"].diagnosis.startswith("grads['B'] equals grads['A'], the gradient of another parameter")


def test_diagnosis_loss_that_does_not_read_the_params():
    loss, params, grads = two_matrix_problem()
    A = params["A"].copy()
    stale = {"A": A, "B": params["B"]}             # loss() reads `params`, the check perturbs `stale`["A"]
    report = check_grads(loss, stale, grads)
    assert report.failed == ["A"] and report["B"].passed
    assert "the loss does not change at all when A changes" in report["A"].diagnosis


def test_diagnosis_bias_not_summed_over_the_batch():
    layers = homework("layers")

    def affine_backward_unsummed(dout, cache):
        dx, dw, _ = layers.affine_backward(dout, cache)
        return dx, dw, dout                         # db = dout: one row per example
    spec = layers.check_affine()
    report = check_layer(layers.affine_forward, affine_backward_unsummed, *spec["inputs"])
    assert report.failed == ["b"]
    assert "db has shape (5, 3) but b has shape (3,): one row per example. Sum over the batch axis" \
        in report["b"].diagnosis


def test_diagnosis_loss_not_finite_near_the_point():
    W = np.array([0.0, 1.0, 4.0])

    def sqrt_loss(W):                               # sqrt(W) is not defined left of 0
        return np.sum(np.sqrt(W)), 0.5 / np.sqrt(np.maximum(W, 1e-2))
    with np.errstate(invalid="ignore"):
        report = check_loss_grad(sqrt_loss, W)
    assert not report.passed
    assert "the loss is not finite near W[0] (its central difference is nan)" in report["W"].diagnosis
    with np.errstate(invalid="ignore"):
        right = check_loss_grad(lambda W: (np.sum(np.sqrt(W)), 0.5 / np.sqrt(W)), np.array([0.5, 1.0, 4.0]))
    assert right.passed and right["W"].diagnosis is None


# ------------------------------------------------------------------------------------------- kinks
def test_correct_relu_at_its_kink_is_not_called_wrong_and_a_wrong_one_still_fails():
    layers = homework("layers")
    spec = layers.check_relu()                      # x[0, :3] = 0, 1e-7, -1e-7: within h of the kink
    report = check_layer(layers.relu_forward, layers.relu_backward, *spec["inputs"])
    assert report.passed
    assert set(report["x"].kinks) == {(0, 0), (0, 1), (0, 2)}
    assert "3 entries at a kink" in str(report)
    no_mask = check_layer(layers.relu_forward, lambda dout, cache: dout.copy(), *spec["inputs"])
    assert not no_mask.passed                       # the kinks excuse three entries, not the rest
    assert no_mask["x"].worst_index[0] != 0 or no_mask["x"].worst_index[1] > 2


def test_svm_hinge_exactly_at_the_margin_is_a_kink():
    svm = homework("svm_loss")
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    # the margins of classes 0 and 1 are s_j - s_y + 1 = 0: the hinge's corner; class 2's are -5, smooth
    W = np.array([[1.0, 0.0, -5.0], [0.0, 1.0, -5.0]])
    report = check_loss_grad(svm.svm_loss_naive, W, X, y, 0.0)
    assert report.passed and len(report["W"].kinks) == 4, report
    # every entry at a corner: the gradient is compared with nothing, which is no pass (numeric_grad's one rule)
    cornered = check_loss_grad(svm.svm_loss_naive, W[:, :2].copy(), X, y, 0.0)
    assert not cornered.passed and len(cornered["W"].kinks) == 4
    assert "compared with nothing" in cornered["W"].diagnosis


# ------------------------------------------------------------------------------------------- inputs left unchanged
class Boom(RuntimeError):
    pass


def raise_on_call(k, fn, scribble=None):
    calls = [0]

    def wrapped(*args):
        calls[0] += 1
        if calls[0] == k:
            if scribble is not None:
                scribble(*args)
            raise Boom("student code failed")
        return fn(*args)
    return wrapped


def test_check_grads_raising_mid_check_leaves_every_array_bit_for_bit():
    loss, params, grads = two_matrix_problem()
    params["A"][0, 0] = -0.0                        # bits a careless restore (x + h - h) would change
    params["A"][2, 2] = 1e-300
    grads["A"][1, 1] = np.nan
    objects, before = dict(params), bits([*params.values(), *grads.values()])

    def scribble():
        params["A"][...] = 7.0                      # and writes into the array before raising
    with pytest.raises(Boom) as info:
        check_grads(raise_on_call(9, loss, scribble), params, grads)
    assert bits([*params.values(), *grads.values()]) == before
    assert all(params[k] is objects[k] for k in params)
    assert any("restored bit for bit" in note for note in info.value.__notes__)


def test_check_loss_grad_and_check_layer_raising_leave_their_inputs_unchanged():
    W, X, y = softmax_problem()
    before = bits([W, X, y])

    def scribble(W, X, y):
        W[:] = 0
        X[:] = 0
    with pytest.raises(Boom):
        check_loss_grad(raise_on_call(5, softmax_loss, scribble), W, X, y)
    assert bits([W, X, y]) == before

    layers = homework("layers")
    inputs = layers.check_affine()["inputs"]
    before = bits(inputs)
    with pytest.raises(Boom):
        check_layer(raise_on_call(4, layers.affine_forward, lambda x, w, b: x.fill(3)), layers.affine_backward, *inputs)
    assert bits(inputs) == before


def test_mutating_functions_are_reported_and_undone():
    W, X, y = softmax_problem()
    X_before = X.copy()

    def centering_loss(W, X, y):
        X -= X.mean(axis=0)                         # in place: the caller's data would change
        return softmax_loss(W, X, y)
    report = check_loss_grad(centering_loss, W, X, y)
    assert np.array_equal(X, X_before)
    assert report.mutations and report.mutations[0].by == "centering_loss" and report.mutations[0].what == "X"
    assert "centering_loss modified X in place" in str(report)

    layers = homework("layers")

    def relu_backward_aliasing(dout, cache):
        dx = dout                                   # the three-layer slide's da2 = dz2: the same array
        dx[cache <= 0] = 0
        return dx
    spec = layers.check_relu()
    report = check_layer(layers.relu_forward, relu_backward_aliasing, *spec["inputs"])
    assert report.passed                             # the values are right ...
    assert [(m.by, m.what) for m in report.mutations] == [("relu_backward_aliasing", "dout")]   # ... the aliasing not

    loss, params, grads = two_matrix_problem()
    B = params["B"]

    def replacing_loss():
        value = loss()
        params["B"] = params["B"] * 1.0             # rebinds the dict entry
        return value
    report = check_grads(replacing_loss, params, grads)
    assert params["B"] is B and report.passed
    assert "replacing_loss modified params['B'] (replaced it with a new object)" in str(report)


# ------------------------------------------------------------------------------------------- float32, sampling
def test_float32_params_are_checked_in_float64_with_a_warning():
    net, x, t = homework("two_layer_net").small_problem()
    grads = net.gradient(x, t)
    originals = {k: v.astype(np.float32) for k, v in net.params.items()}
    net.params.update(originals)
    before = bits(originals.values())
    with pytest.warns(PrecisionWarning) as caught:
        report = check_grads(lambda: net.loss(x, t), net.params, {k: g.astype(np.float32) for k, g in grads.items()})
    said = [str(w.message) for w in caught]
    assert said == list(report.notes) and len(said) == 2       # one warning for the params, one for the grads
    assert "params['W1'] is float32, params['b1'] is float32" in said[0] and "checking float64 copies" in said[0]
    assert "grads['W1'] is float32" in said[1]
    assert caught[0].filename == __file__                              # the warning points at the caller's line
    assert all(net.params[k] is originals[k] for k in originals) and bits(originals.values()) == before
    assert report.passed                    # float64 differences against float32-rounded gradients: ~1e-7 apart


def test_a_loss_computed_in_float32_is_flagged():
    W, X, y = softmax_problem()

    def loss32(W, X, y):
        loss, dW = softmax_loss(W.astype(np.float32), X.astype(np.float32), y)
        return float(loss), dW.astype(np.float64)    # hides the dtype: only the values tell
    with pytest.warns(PrecisionWarning, match="computes the loss in float32"):
        report = check_loss_grad(loss32, W, X, y)
    assert not report.passed                         # float32 differences are noise, and the report says why
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_loss_grad(softmax_loss, W, X, y).passed


def test_sparse_sampling_is_seeded_and_settable():
    rng = np.random.default_rng(0)
    W, X, y = rng.standard_normal((500, 10)), rng.standard_normal((N, 500)), rng.integers(0, 10, size=N)
    a = check_loss_grad(softmax_loss, W, X, y, max_entries=40, seed=1)
    b = check_loss_grad(softmax_loss, W, X, y, max_entries=40, seed=1)
    c = check_loss_grad(softmax_loss, W, X, y, max_entries=40, seed=2)
    sampled = [~np.isnan(r["W"].numeric_grad) for r in (a, b, c)]
    assert a["W"].checked == 40 and sampled[0].sum() == 40 and a.passed
    assert np.array_equal(sampled[0], sampled[1]) and not np.array_equal(sampled[0], sampled[2])
    assert "40 of 5000 entries sampled" in str(a)
    wrong = check_loss_grad(with_grad(lambda g: g * N), W, X, y, max_entries=40)
    assert "forget to divide by the batch size" in wrong["W"].diagnosis


# ------------------------------------------------------------------------------------------- report, helper, command
def test_report_prints_a_rich_table_and_plain_text():
    report = check_grads(**homework("two_layer_net_slide").check())
    console = Console(file=io.StringIO(), width=120, color_system=None)
    report.print(console)
    table = console.file.getvalue()
    assert "FAIL" in table and "b1" in table and "max rel err" in table and "┃" in table
    text = str(report)
    assert text.splitlines()[0] == "check_grads(loss_fn) FAILED: wrong gradient for b1 (4 checked)"
    assert "an entry passes at <= 1e-05" in text and "┃" not in text


def test_checkers_live_in_the_gradcheck_namespace():
    assert (gc.check_grads, gc.check_loss_grad, gc.check_layer) == (check_grads, check_loss_grad, check_layer)
    assert {"check_grads", "check_loss_grad", "check_layer"} <= set(gc.__all__)


def test_assert_gradients_match_for_teachers():
    slide, fixed = homework("two_layer_net_slide"), homework("two_layer_net")
    net, x, t = fixed.small_problem()
    assert assert_gradients_match(lambda: net.loss(x, t), net.params, net.gradient(x, t)).passed
    assert len(assert_gradients_match(homework("layers").check())) == 2
    with pytest.raises(AssertionError, match=r"(?s)FAILED: wrong gradient for b1.*equals W2 @ grads\['b2'\]"):
        assert_gradients_match(slide.check())
    layers = homework("layers")

    def relu_backward_aliasing(dout, cache):
        dout[cache <= 0] = 0
        return dout
    spec = {**layers.check_relu(), "backward": relu_backward_aliasing}
    with pytest.raises(AssertionError, match="modified dout in place"):
        assert_gradients_match(spec)
    assert assert_gradients_match(spec, allow_mutation=True).passed


def test_usage_errors_are_not_wrong_gradients():
    loss, params, grads = two_matrix_problem()
    with pytest.raises(CheckUsageError, match=r"no parameter or no gradient named \['B'\]"):
        check_grads(loss, params, {"A": grads["A"]})
    with pytest.raises(CheckUsageError, match="matches no checker"):
        run_check({"loss": loss})
    with pytest.raises(CheckUsageError, match=r"must return \(loss, dW\)"):
        check_loss_grad(lambda W: 0.0, np.ones(3))


def write(tmp_path, text):
    path = tmp_path / "hw.py"
    path.write_text(text)
    return str(path)


def test_command_line_exit_codes(tmp_path, capsys):
    slide = os.path.join(HOMEWORK, "two_layer_net_slide.py")
    assert cli.main(["gradcheck", f"{slide}:check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "equals W2 @ grads['b2']" in out
    assert cli.main(["gradcheck", os.path.join(HOMEWORK, "two_layer_net.py") + ":check"]) == 0
    assert cli.main(["gradcheck", os.path.join(HOMEWORK, "layers.py") + ":check", "--max-entries", "5"]) == 0
    assert "5/20" in capsys.readouterr().out
    bad = [slide,                                                     # no :function
           f"{slide}:nope",                                           # no such function
           os.path.join(HOMEWORK, "layers.py") + ":affine_forward",    # needs arguments
           str(tmp_path / "missing.py") + ":check"]
    for target in bad:
        assert cli.main(["gradcheck", target]) == 2, target
        assert "tinygrad-edu gradcheck:" in capsys.readouterr().err
    # the student's code returning something else, or not compiling, is the student's FAIL (issue 14), not usage
    for source, said in (("def check():\n    return 42\n", "check() returned a int"),
                         ("def check(:\n", "SyntaxError (hw.py, line 1)")):
        assert cli.main(["gradcheck", write(tmp_path, source) + ":check"]) == 1, source
        assert said in capsys.readouterr().out
    raising = write(tmp_path, "import numpy as np\n"
                              "def check():\n"
                              "    p = {'w': np.ones(2)}\n"
                              "    def loss():\n"
                              "        raise ZeroDivisionError('oops')\n"
                              "    return {'loss_fn': loss, 'params': p, 'grads': {'w': np.ones(2)}}\n")
    assert cli.main(["gradcheck", f"{raising}:check"]) == 1
    assert "raised ZeroDivisionError in loss: oops" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        cli.main(["gradcheck"])
    assert info.value.code == 2


def test_command_line_as_a_process():
    target = os.path.join(HOMEWORK, "two_layer_net_slide.py") + ":check"
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "gradcheck", target], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1 and "wrong gradient for b1" in result.stdout


def test_every_homework_file_starts_with_the_command_that_checks_it():
    for name in sorted(os.listdir(HOMEWORK)):
        if name.endswith(".py") and name != "assignment.py":          # the grader's example assignment
            with open(os.path.join(HOMEWORK, name)) as f:
                doc = f.read().split('"""')[1]
            assert f"tinygrad-edu gradcheck lessons/homework/{name}:" in doc, name


# ------------------------------------------------------------------------------------------- cross_entropy's warning
def test_cross_entropy_warns_on_probabilities_the_double_softmax():
    logits = tg.Tensor([[1.3, 2.1, -1.2, 0.7], [0.2, -0.4, 1.0, 0.1]])
    target = np.array([1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(logits, target)                              # raw scores: silent
        F.cross_entropy(tg.Tensor([[0.2, 0.3], [0.5, 0.4]]), np.array([0, 1]))   # in [0, 1] but rows sum to 0.5, 0.9
    with pytest.warns(UserWarning, match=r"in \[0, 1\] and sums to 1.*softmax twice \(the double softmax of note 004"):
        F.cross_entropy(F.softmax(logits, dim=1), target)
    with pytest.warns(UserWarning, match="double softmax"):
        tg.nn.CrossEntropyLoss()(tg.Tensor([0.1, 0.9]), np.array(1))
