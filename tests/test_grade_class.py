"""`tinygrad-edu grade` end to end: sample submissions (correct, classic mistakes, hostile) graded in sandboxes
into Gradescope's results.json, summary.csv and the class table; one submission never affects another."""

import csv
import io
import json
import os
import subprocess
import textwrap

import pytest
from rich.console import Console

from tinygrad_edu.assignment import load_assignment
from tinygrad_edu.grade_command import grade_and_report
from tinygrad_edu.grade_report import validate_results_json
from tinygrad_edu.sandbox import Limits, bwrap_status

from .grade_samples import ASSIGNMENT, MISTAKES, ROOT, make_submission

CHECKS = ["TwoLayerNet", "ThreeLayerNet", "affine layer", "relu layer", "svm_loss_naive", "svm_loss_vectorized"]
POINTS = dict(zip(CHECKS, [20, 25, 15, 10, 15, 15]))


def grade(dirs, out, jobs=2, timeout=10.0):
    """Run the command's grading on dirs; (exit status, {name: results.json data}, summary rows, table text)."""
    buffer = io.StringIO()
    status = grade_and_report(load_assignment(ASSIGNMENT), [str(d) for d in dirs], str(out), jobs=jobs,
                              limits=Limits(timeout=timeout, memory_mb=1024), console=Console(file=buffer, width=200,
                                                                                               color_system=None))
    results = {}
    for d in dirs:
        name = os.path.basename(str(d))
        with open(os.path.join(out, name, "results.json"), encoding="utf-8") as f:
            results[name] = json.load(f)
        validate_results_json(results[name])
    with open(os.path.join(out, "summary.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return status, results, rows, buffer.getvalue()


def checks_of(data):
    return {t["name"]: t for t in data["tests"]}


def failed(data):
    return sorted(t["name"] for t in data["tests"] if t["status"] == "failed")


@pytest.mark.slow
def test_a_class_of_correct_and_buggy_submissions(tmp_path):
    subs = tmp_path / "subs"
    dirs = [make_submission(subs, "correct")]
    for i, mistake in enumerate(MISTAKES):
        dirs.append(make_submission(subs, f"student{i:02d}", [mistake]))
    status, results, rows, table = grade(dirs, tmp_path / "out")
    assert status == 0

    correct = results["correct"]
    assert failed(correct) == [] and correct["score"] == 100
    assert [t["name"] for t in correct["tests"]] == CHECKS
    for t in correct["tests"]:
        assert t["max_score"] == POINTS[t["name"]] and t["score"] == t["max_score"]
        assert "ran in: " in t["output"]               # every report says which isolation was in force

    for i, (mistake, (_, _, _, check)) in enumerate(MISTAKES.items()):
        data = results[f"student{i:02d}"]
        assert failed(data) == [check], mistake       # the planted mistake fails its check, and only it
        assert data["score"] == 100 - POINTS[check]

    out = {m: checks_of(results[f"student{i:02d}"])[MISTAKES[m][3]]["output"] for i, m in enumerate(MISTAKES)}
    assert "numeric = grads['W1'] / 6 exactly" in out["two_layer_missing_1/N"]          # N = 6 examples
    assert "the notes' slide writes grads['b1'] = np.sum(dz1, axis=0)" in out["two_layer_b1_trap"]
    assert "transposed gradient: dw has shape (3, 4)" in out["affine_transposed_dw"]
    assert "Sum over the batch axis" in out["affine_db_not_summed"]
    assert "the mask comes from the forward input" in out["relu_mask_on_dout"]
    assert "the regularization gradient is missing" in out["svm_naive_no_reg_grad"]
    assert "where the reference gives" in out["svm_vectorized_loss_off"]

    assert [r["submission"] for r in rows] == [os.path.basename(d) for d in dirs]
    assert rows[0] == {"submission": "correct", "score": "100", "max_score": "100",
                       **{c: str(POINTS[c]) for c in CHECKS}, "execution_time": rows[0]["execution_time"]}
    assert rows[1]["TwoLayerNet"] == "0" and rows[1]["ThreeLayerNet"] == "25"
    # the class table: how many passed each check and the most common problem, by name
    assert "10 submissions graded" in table
    for label in ("1 of 10 forgot 1/N in dW1, db1, dW2, db2", "1 of 10 db1 summed above the activation (the b1 trap)",
                  "1 of 10 transposed dw", "1 of 10 ReLU mask on the wrong array in dx",
                  "1 of 10 missing regularization gradient in dW", "1 of 10 loss differs from the reference"):
        assert label in table, (label, table)


@pytest.mark.slow
def test_hostile_submissions_fail_with_the_reason_and_never_hang(tmp_path):
    subs = tmp_path / "subs"
    layers = open(os.path.join(ROOT, "lessons", "homework", "layers.py")).read()
    dirs = [
        make_submission(subs, "exit_at_import", extra_files={"layers.py": "import sys\nsys.exit(0)\n" + layers}),
        make_submission(subs, "os_exit_in_backward", extra_files={"layers.py": layers.replace(
            "    x, w = cache\n", "    x, w = cache\n    import os\n    os._exit(0)\n")}),
        make_submission(subs, "loop_in_forward", extra_files={"layers.py": layers.replace(
            '    out = x @ w + b\n', '    while True:\n        pass\n')}),
        make_submission(subs, "huge_allocation", extra_files={"layers.py": layers.replace(
            "    x = cache\n", "    x = cache\n    import numpy\n    numpy.ones(20 * 2**30 // 8)\n")}),
        make_submission(subs, "prints_a_lot", extra_files={"layers.py": "print('PASSED ' * 10_000_000)\n" + layers}),
        make_submission(subs, "fake_pass_then_exit", extra_files={"layers.py": layers.replace(
            "    x, w = cache\n", "    x, w = cache\n    print('affine layer passed: every gradient matches')\n"
                                 "    raise SystemExit(0)\n")}),
        make_submission(subs, "returns_a_report", extra_files={"svm_loss.py": textwrap.dedent("""
            class Report:
                passed = True
                score = 15
                def __bool__(self):
                    return True
            def svm_loss_naive(W, X, y, reg):
                return Report()
            def svm_loss_vectorized(W, X, y, reg):
                return 0.0, Report()
        """)}),
    ]
    status, results, rows, table = grade(dirs, tmp_path / "out", timeout=3.0)
    assert status == 0
    expected_failures = {"exit_at_import": ["affine layer", "relu layer"], "os_exit_in_backward": ["affine layer"],
                         "loop_in_forward": ["affine layer"], "huge_allocation": ["relu layer"], "prints_a_lot": [],
                         "fake_pass_then_exit": ["affine layer"],
                         "returns_a_report": ["svm_loss_naive", "svm_loss_vectorized"]}
    assert {name: failed(data) for name, data in results.items()} == expected_failures

    def reason(name, check):
        return checks_of(results[name])[check]["output"]

    assert "sys.exit(0)" in reason("exit_at_import", "affine layer")
    assert "exit" in reason("os_exit_in_backward", "affine layer") and "affine_backward" in reason(
        "os_exit_in_backward", "affine layer")
    assert "timed out" in reason("loop_in_forward", "affine layer")
    assert "memory" in reason("huge_allocation", "relu layer")
    assert "must return (loss, dW)" in reason("returns_a_report", "svm_loss_naive")
    assert len(json.dumps(results["prints_a_lot"])) < 200_000      # the prints are cut, the report stays readable


@pytest.mark.slow
def test_one_submission_never_affects_another(tmp_path):
    """The first patches numpy and the checker and returns a report-like object; the second is honest and wrong:
    the second still fails.  Two submissions with a helper module of the same name each get their own."""
    subs = tmp_path / "subs"
    layers = open(os.path.join(ROOT, "lessons", "homework", "layers.py")).read()
    patcher = textwrap.dedent("""
        import numpy, sys
        numpy.allclose = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.abs = lambda x, *a, **k: x * 0                 # every difference would look like 0
        try:
            import tinygrad_edu.diagnosis as d
            d.HomeworkReport.passed = property(lambda self: True)
            d.rel_error = lambda a, n: a * 0
        except Exception:
            pass
        sys.modules["tinygrad_edu.homework_sandboxed"] = None
    """)
    bad_affine = layers.replace("dw = x.T @ dout", "dw = 2 * x.T @ dout")
    helper = "from helpers import scale\n" + layers.replace("dw = x.T @ dout", "dw = scale(x.T @ dout)")
    dirs = [
        make_submission(subs, "a_patcher", ["affine_transposed_dw"], extra_files={
            "layers.py": patcher + bad_affine}),
        make_submission(subs, "b_honest_wrong", ["affine_transposed_dw"]),
        make_submission(subs, "c_helper_right", extra_files={"helpers.py": "def scale(g):\n    return g\n",
                                                             "layers.py": helper}),
        make_submission(subs, "d_helper_wrong", extra_files={"helpers.py": "def scale(g):\n    return 3 * g\n",
                                                             "layers.py": helper}),
    ]
    status, results, _, _ = grade(dirs, tmp_path / "out", jobs=1)
    assert status == 0
    assert "affine layer" in failed(results["a_patcher"])
    assert "affine layer" in failed(results["b_honest_wrong"])
    assert failed(results["c_helper_right"]) == []
    assert failed(results["d_helper_wrong"]) == ["affine layer"]


@pytest.mark.slow
def test_files_outside_the_working_directory_stay_untouched(tmp_path):
    bwrap, why = bwrap_status()
    if bwrap is None:
        pytest.skip(f"bubblewrap is not usable here ({why}): without it the file system is not isolated")
    ta_file = tmp_path / "ta" / "grades.txt"
    ta_file.parent.mkdir()
    ta_file.write_text("the TA's file\n")
    subs = tmp_path / "subs"
    victim = make_submission(subs, "b_victim")
    layers = open(os.path.join(ROOT, "lessons", "homework", "layers.py")).read()
    vandal = textwrap.dedent(f"""
        import os, shutil, subprocess
        for action in (lambda: open({str(ta_file)!r}, "w").write("gone"),
                       lambda: os.remove({str(ta_file)!r}),
                       lambda: shutil.rmtree({str(victim)!r}),
                       lambda: subprocess.Popen(["sleep", "313.7"])):
            try:
                print("done:", action())
            except Exception as error:
                print("refused:", type(error).__name__)
    """)
    dirs = [make_submission(subs, "a_vandal", extra_files={"layers.py": vandal + layers}), victim]
    status, results, _, _ = grade(dirs, tmp_path / "out", jobs=1)
    assert status == 0
    assert ta_file.read_text() == "the TA's file\n"
    assert sorted(os.listdir(victim)) == sorted(["two_layer_net.py", "three_layer_net.py", "layers.py", "svm_loss.py"])
    assert failed(results["b_victim"]) == []
    assert "bubblewrap" in checks_of(results["a_vandal"])["affine layer"]["output"]
    said = results["a_vandal"]["output"]
    assert said.count("refused:") >= 3 and "done: <Popen" in said    # it tried; the child did start
    stray = subprocess.run(["pgrep", "-f", "sleep 313.7"], capture_output=True, text=True)
    assert stray.stdout.strip() == ""                                     # killed with the sandbox


@pytest.mark.slow
def test_the_gradescope_recipe_writes_results_json(tmp_path):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "source" / "assignment.py").write_text(open(ASSIGNMENT).read())
    make_submission(root, "submission", ["relu_mask_on_dout"])
    env = dict(os.environ, AUTOGRADER=str(root), TINYGRAD_EDU=os.path.join(ROOT, ".venv", "bin", "tinygrad-edu"))
    if not os.path.exists(env["TINYGRAD_EDU"]):
        pytest.skip("the tinygrad-edu command is not installed in .venv")
    run = subprocess.run([os.path.join(ROOT, "docs", "gradescope", "run_autograder")], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate_results_json(data)
    assert failed(data) == ["relu layer"] and data["score"] == 90


@pytest.mark.slow
def test_a_missing_file_or_function_fails_its_checks_saying_what_is_there(tmp_path):
    subs = tmp_path / "subs"
    svm = "import numpy as np\n\ndef svm_loss_naive(W, X, y, reg):\n    return 0.0, np.zeros_like(W)\n"
    nested = make_submission(subs, "nested", files=("two_layer_net.py",), extra_files={"svm_loss.py": svm})
    os.makedirs(os.path.join(nested, "hw3"))
    os.rename(os.path.join(nested, "two_layer_net.py"), os.path.join(nested, "hw3", "two_layer_net.py"))
    os.mkfifo(os.path.join(nested, "pipe"))                     # copying it would block: left out
    (tmp_path / "secret.txt").write_text("the TA's")
    os.symlink(tmp_path / "secret.txt", os.path.join(nested, "layers.py"))     # a link is no file of the student
    status, results, rows, _ = grade([nested], tmp_path / "out")
    assert status == 0
    data = checks_of(results["nested"])
    assert data["TwoLayerNet"]["status"] == "passed"            # found in a subfolder, as Gradescope keeps them
    assert "three_layer_net.py is not in the submission" in data["ThreeLayerNet"]["output"]
    assert "layers.py is not in the submission" in data["affine layer"]["output"]
    assert "svm_loss.py has no 'svm_loss_vectorized' (it defines: np, svm_loss_naive)" in \
        data["svm_loss_vectorized"]["output"]
    assert data["svm_loss_naive"]["status"] == "failed"        # a zero gradient where the loss changes
    assert rows[0]["score"] == "20"


FORGED_SVM = '''
import numpy as np
from svm_loss_honest import svm_loss_vectorized as _true

_first = {}


def svm_loss_naive(W, X, y, reg):
    """The right loss at the checked point, then a made-up plane whose slope is a wrong gradient (2x)."""
    loss, dW = _true(W, X, y, reg)
    if not _first:
        _first.update(W=W.copy(), loss=loss, grad=2 * dW)
        return loss, 2 * dW
    return _first["loss"] + np.sum(_first["grad"] * (W - _first["W"])), 2 * dW


svm_loss_vectorized = svm_loss_naive
'''

FORGED_LAYER = '''
import numpy as np

_seen = {}


def affine_forward(x, w, b):
    out = x @ w + b
    if "dout" in _seen:      # after backward: an output whose sum(out * dout) has the wrong gradients as slope
        g, dout = _seen["grads"], _seen["dout"]
        delta = sum(np.sum(gi * (v - v0)) for gi, v, v0 in zip(g, (x, w, b), _seen["point"]))
        out = _seen["out"] + dout * (delta / np.sum(dout * dout))
    else:
        _seen.update(point=(x.copy(), w.copy(), b.copy()), out=out.copy())
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    grads = (dout @ w.T, 3 * (x.T @ dout), np.sum(dout, axis=0))     # dw three times too big
    _seen.setdefault("dout", dout.copy())
    _seen.setdefault("grads", grads)
    return grads


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
'''


@pytest.mark.slow
def test_a_loss_made_up_to_fit_a_wrong_gradient_fails_against_the_reference(tmp_path):
    """The student's loss agrees with its own wrong gradient (and is right at the checked point), so the check
    of the gradient against the student's own loss passes; the reference's central differences, computed in the
    grader, do not."""
    svm = open(os.path.join(ROOT, "lessons", "homework", "svm_loss.py")).read()
    forger = make_submission(tmp_path / "subs", "forger", extra_files={
        "svm_loss_honest.py": svm, "svm_loss.py": FORGED_SVM, "layers.py": FORGED_LAYER})
    status, results, _, table = grade([forger], tmp_path / "out")
    assert status == 0
    data = checks_of(results["forger"])
    assert failed(results["forger"]) == ["affine layer", "svm_loss_naive", "svm_loss_vectorized"]
    for name in ("affine layer", "svm_loss_naive"):
        out = data[name]["output"]
        assert " passed: every gradient matches" in out          # consistent with the student's own loss
        assert "against the TA's reference" in out and "FAIL" in out.split("against the TA's reference")[1]
    assert "numeric = 2 x dW" in data["svm_loss_naive"]["output"] or "twice" in data["svm_loss_naive"]["output"]
