"""The class grader's parts that run no student code: the assignment file and its loader, results.json,
summary.csv, the class table and the command's usage errors (exit status 2)."""

import csv
import io
import json
import os
import textwrap

import numpy as np
import pytest
from rich.console import Console

from tinygrad_edu.assignment import AssignmentError, GradsCheck, LayerCheck, LossGradCheck, load_assignment
from tinygrad_edu.cli import main
from tinygrad_edu.grade_report import (
    SubmissionResult,
    TestResult,
    class_table,
    merged_problems,
    short_problem,
    validate_results_json,
    write_results_json,
    write_summary_csv,
)

from .grade_samples import ASSIGNMENT


def write(tmp_path, text, name="assignment.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


HEADER = "import numpy as np\nfrom tinygrad_edu.assignment import GradsCheck, LayerCheck, LossGradCheck\n"


# ------------------------------------------------------------------------------------------- the assignment file
def test_the_example_assignment_loads_with_the_same_inputs_every_time():
    a, b = load_assignment(ASSIGNMENT), load_assignment(ASSIGNMENT)
    assert [c.title for c in a.checks] == ["TwoLayerNet", "ThreeLayerNet", "affine layer", "relu layer",
                                           "svm_loss_naive", "svm_loss_vectorized"]
    assert a.max_score == 100
    assert a.files == ("two_layer_net.py", "three_layer_net.py", "layers.py", "svm_loss.py")
    for x, y in zip(a.inputs, b.inputs):       # seeded by the grader: the same arrays for every student and run
        for u, v in zip(x, y):
            if isinstance(u, dict):
                assert all(np.array_equal(u[k], v[k]) for k in u)
            else:
                np.testing.assert_array_equal(u, v)
    # the inputs are not numpy's default_rng(0) stream a student might also draw from
    x_affine = a.inputs[2][0]
    assert not np.array_equal(x_affine, np.random.default_rng(0).standard_normal(x_affine.shape))


def test_the_example_references_agree_with_the_shipped_homework():
    """The TA's reference losses are independent code: they must equal the shipped (correct) homework's."""
    import importlib.util

    a = load_assignment(ASSIGNMENT)
    home = os.path.dirname(ASSIGNMENT)

    def module(name):
        spec = importlib.util.spec_from_file_location(f"_ref_{name}", os.path.join(home, name + ".py"))
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        return m

    two, three, layers, svm = (module(n) for n in ("two_layer_net", "three_layer_net", "layers", "svm_loss"))
    for check, inputs, cls in ((a.checks[0], a.inputs[0], two.TwoLayerNet), (a.checks[1], a.inputs[1],
                                                                             three.ThreeLayerNet)):
        params, x, t = inputs
        net = cls(*check.init)
        net.params = {k: v.copy() for k, v in params.items()}
        assert check.reference(params, x, t) == pytest.approx(net.loss(x, t), rel=1e-12)
    np.testing.assert_allclose(a.checks[2].reference(*a.inputs[2]), layers.affine_forward(*a.inputs[2])[0])
    np.testing.assert_allclose(a.checks[3].reference(*a.inputs[3]), layers.relu_forward(*a.inputs[3])[0])
    for check, inputs in zip(a.checks[4:], a.inputs[4:]):
        assert check.reference(*inputs) == pytest.approx(svm.svm_loss_naive(*inputs)[0], rel=1e-12)


@pytest.mark.parametrize("body, says", [
    ("CHECKS = []\n", "must define CHECKS"),
    ("x = 1\n", "must define CHECKS"),
    ("CHECKS = [1]\n", "CHECKS[0] is a int"),
    ("CHECKS = [LossGradCheck('f', file='a.py')]\n", "missing 1 required keyword-only argument: 'inputs'"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (1,), colour='red')]\n", "colour"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2).astype(int),))]\n",
     "must be a float numpy array"),
    ("CHECKS = [LossGradCheck('f', file='/etc/a.py', inputs=lambda r: (np.ones(2),))]\n", "relative to the submission"),
    ("CHECKS = [LossGradCheck('f', file='../a.py', inputs=lambda r: (np.ones(2),))]\n", "relative to the submission"),
    ("CHECKS = [LossGradCheck('f', file='a.txt', inputs=lambda r: (np.ones(2),))]\n", ".py path"),
    ("CHECKS = [LossGradCheck('f(x)', file='a.py', inputs=lambda r: (np.ones(2),))]\n", "function names"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),), points=-1)]\n", "points="),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),), visibility='secret')]\n",
     "visibility="),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: 1 / 0)]\n", "inputs(rng) raised ZeroDivisionError"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: [np.ones(2)])]\n", "non-empty tuple"),
    ("CHECKS = [LayerCheck('f', 'b', file='a.py', inputs=lambda r: (np.ones(2),), names=('x', 'w'))]\n",
     "names="),
    ("CHECKS = [LayerCheck('f', 'b', file='a.py', inputs=lambda r: (np.arange(3),))]\n", "no float numpy array"),
    ("CHECKS = [GradsCheck('Net', file='a.py', inputs=lambda r: (np.ones(2), 1))]\n", "params dict"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),)),\n"
     "          LossGradCheck('f', file='b.py', inputs=lambda r: (np.ones(2),))]\n", "two checks are named ['f']"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),), reference=lambda W: W[5])]\n",
     "reference(...) at the inputs raised IndexError"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),), reference=lambda W: np.inf)]\n",
     "not finite"),
    ("CHECKS = [LossGradCheck('f', file='a.py', inputs=lambda r: (np.ones(2),), reference=3)]\n",
     "reference= must be a function"),
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("CHECKS = [\n", "SyntaxError"),
])
def test_a_broken_assignment_says_what_is_wrong(tmp_path, body, says):
    with pytest.raises(AssignmentError, match=None) as info:
        load_assignment(write(tmp_path, HEADER + body))
    assert says in str(info.value)


def test_a_broken_assignment_or_argument_exits_2_with_the_reason(tmp_path, capsys):
    sub = tmp_path / "alice"
    sub.mkdir()
    out = str(tmp_path / "out")
    bad = write(tmp_path, HEADER + "CHECKS = []\n", "bad.py")
    cases = [
        ([bad, str(sub), "--out", out], "must define CHECKS"),
        ([str(tmp_path / "nope.py"), str(sub), "--out", out], "no such assignment file"),
        ([ASSIGNMENT, str(tmp_path / "nobody"), "--out", out], "not there"),
        ([ASSIGNMENT, bad, "--out", out], "is a file"),
        ([ASSIGNMENT, str(sub), "--out", out, "--jobs", "0"], "--jobs must be at least 1"),
        ([ASSIGNMENT, str(sub), "--out", out, "--timeout", "-1"], "--timeout must be a positive"),
        ([ASSIGNMENT, str(sub), "--out", out, "--memory", "0"], "--memory must be a positive"),
        ([ASSIGNMENT, str(sub), "--out", str(sub / "graded")], "inside the submission"),
    ]
    twin = tmp_path / "other" / "alice"
    twin.mkdir(parents=True)
    cases.append(([ASSIGNMENT, str(sub), str(twin), "--out", out], "share the name ['alice']"))
    for argv, says in cases:
        assert main(["grade", *argv]) == 2, argv
        assert says in capsys.readouterr().err, argv
    with pytest.raises(SystemExit) as info:             # argparse: --out is required
        main(["grade", ASSIGNMENT, str(sub)])
    assert info.value.code == 2
    assert not os.path.exists(out) or not os.listdir(out)


def test_the_check_constructors_name_their_tests():
    inputs = lambda rng: (np.ones(2),)  # noqa: E731
    assert LossGradCheck("svm", file="s.py", inputs=inputs).title == "svm"
    assert LayerCheck("f", "b", file="l.py", inputs=inputs).title == "f/b"
    assert GradsCheck("Net", file="n.py", inputs=inputs, name="my net").title == "my net"
    assert LossGradCheck("svm", file="s.py", inputs=inputs).rng_seed == LossGradCheck("svm", file="t.py",
                                                                                      inputs=inputs).rng_seed


# ------------------------------------------------------------------------------------------- results.json, csv
def _result(name, scores, outputs=None):
    tests = tuple(TestResult(f"check {i}", s, 10.0, s == 10.0, (outputs or {}).get(i, f"report {i}"),
                             problems=() if s == 10.0 else (f"forgot 1/N in dW{i}",)) for i, s in enumerate(scores))
    return SubmissionResult(name, f"/x/{name}", tests, 1.25, "isolation: test")


def test_results_json_is_gradescopes_format(tmp_path):
    path = write_results_json(_result("alice", [10.0, 0.0], {1: "FAIL é\n  W1: ..."}), str(tmp_path / "a" /
                                                                                          "results.json"))
    data = json.loads(open(path, encoding="utf-8").read())
    assert data["score"] == 10.0 and data["execution_time"] == 1.25 and data["output"] == "isolation: test"
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"]) for t in data["tests"]] == [
        ("check 0", 10.0, 10.0, "passed", "visible"), ("check 1", 0.0, 10.0, "failed", "visible")]
    assert data["tests"][1]["output"] == "FAIL é\n  W1: ..."
    validate_results_json(data)


@pytest.mark.parametrize("change, says", [
    (lambda d: d.pop("score"), "score must be a finite number"),
    (lambda d: d.update(score=float("nan")), "score must be a finite number"),
    (lambda d: d.update(score=3.0), "not the sum"),
    (lambda d: d["tests"][0].update(status="ok"), "status must be 'passed' or 'failed'"),
    (lambda d: d["tests"][0].update(score=11.0), "outside 0..max_score"),
    (lambda d: d["tests"][0].update(visibility="public"), "visibility"),
    (lambda d: d["tests"][0].pop("name"), "needs a non-empty name"),
    (lambda d: d["tests"][0].update(output=None), "output must be a string"),
    (lambda d: d.update(tests={}), "tests must be a list"),
])
def test_the_results_json_validator_catches_each_broken_field(change, says):
    data = _result("bob", [10.0, 0.0]).as_gradescope()
    validate_results_json(data)
    change(data)
    with pytest.raises(ValueError, match="results.json") as info:
        validate_results_json(data)
    assert says in str(info.value)


def test_summary_csv_has_one_row_per_submission_and_one_column_per_check(tmp_path):
    results = [_result("alice", [10.0, 0.0]), _result("bob", [10.0, 10.0])]
    path = write_summary_csv(results, ["check 0", "check 1"], str(tmp_path / "summary.csv"))
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["submission", "score", "max_score", "check 0", "check 1", "execution_time"]
    assert rows[1] == ["alice", "10", "20", "10", "0", "1.25"]
    assert rows[2] == ["bob", "20", "20", "10", "10", "1.25"]


def test_the_class_table_counts_the_most_common_problem():
    results = [_result(n, [10.0, 0.0]) for n in ("a", "b", "c")] + [_result("d", [0.0, 10.0])]
    checks = [LossGradCheck(f"f{i}", file="f.py", inputs=None, points=10, name=f"check {i}") for i in range(2)]
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(class_table(results, checks))
    text = buffer.getvalue()
    assert "4 submissions graded" in text
    assert "3 of 4 forgot 1/N in dW1" in text and "1 of 4 forgot 1/N in dW0" in text
    assert "3/4" in text and "1/4" in text
    assert "0 of 4 full marks" in text


def test_one_mistake_in_several_gradients_counts_once():
    assert merged_problems(["forgot 1/N in dW1", "forgot 1/N in db1", "transposed dw", "timed out"]) == (
        "forgot 1/N in dW1, db1", "transposed dw", "timed out")


@pytest.mark.parametrize("text, name, label", [
    ("constant factor: numeric = grads['W1'] / 6 exactly (N = 6, the batch size here): did you forget to divide "
     "by the batch size? (dy = (y - t) / N)", "W1", "forgot 1/N in dW1"),
    ("transposed gradient: dw.T is right (x.T @ dout, not dout.T @ x?)", "w", "transposed dw"),
    ("sign flip: dW is exactly minus the numeric gradient", "W", "sign flip in dW"),
    ("sign error in one column: dW[:, 2] is exactly minus the numeric gradient and every other column is right", "W",
     "sign error in one column of dW"),
    ("numeric - dW = 0.2 * W exactly: the regularization gradient is missing: add 2 * reg * W (reg = 0.1)", "W",
     "missing regularization gradient in dW"),
    ("dx keeps dout on the wrong entries (7 of 20 differ): it keeps dout where dout > 0; the mask comes from the "
     "forward input", "x", "ReLU mask on the wrong array in dx"),
    ("grads['W1'] is W1 itself (the same values, the same array): `d = params[...]` gives a second name", "W1",
     "dW1 is the parameter array itself"),
    ("db is dout summed over axis 1 (each example's features); b is added to every row", "b",
     "bias summed over the wrong axis in db"),
    ("grads['b1'] equals W2 @ grads['b2']: the batch sum of the gradient at the activation's OUTPUT", "b1",
     "db1 summed above the activation (the b1 trap)"),
    ("timed out after 30 s in affine_backward", None, "timed out"),
    ("your code called sys.exit(0) during affine_backward", None, "exited"),
    ("your code called sys.exit(0) while your file was imported", None, "exited while imported"),
    ("the process exited with status 0 during affine_backward", None, "exited"),
    ("ran out of memory (limit 2048 MiB) in relu_forward", None, "ran out of memory"),
    ("raised ValueError in affine_backward: shapes (5,3) and (4,3) not aligned", None, "raised ValueError"),
    ("something entirely new: with details", "W", "something entirely new (dW)"),
])
def test_short_problem_labels(text, name, label):
    assert short_problem(text, name) == label
