"""What Jupyter shows for the checkers' reports and the charts: an HTML table carrying the report's numbers (or the
chart's SVG), never a dataclass repr."""

import xml.etree.ElementTree as ET

import numpy as np

import visualize
from tinygrad_edu.exercise_check import ExerciseReport, PartResult
from tinygrad_edu.grade_report import SubmissionResult, TestResult
from tinygrad_edu.homework_check import check_loss_grad


def parsed(html):
    """The HTML as an element tree (it is well-formed XML), and its table rows as lists of cell texts."""
    root = ET.fromstring(html)
    rows = [["".join(cell.itertext()) for cell in tr] for tr in root.iter("tr")]
    return root, rows


def half_gradient(W):
    """loss = sum(W^2) whose true gradient is 2W; returns W: every entry's relative error is |W - 2W| / 3|W| = 1/3."""
    return float(np.sum(W ** 2)), W.copy()


def test_a_failing_homework_report_shows_a_row_per_parameter_with_its_numbers():
    W = np.array([[0.5, -1.0, 2.0], [1.5, -0.25, 0.75]])
    report = check_loss_grad(half_gradient, W, name="W")
    assert not report
    html = report._repr_html_()
    _, rows = parsed(html)
    assert rows[0] == ["", "param", "max rel err", "worst at", "analytic", "numeric", "checked", "kinks"]
    mark, name, err, worst, analytic, numeric, checked, _ = rows[1]
    assert (mark, name, err, checked) == ("FAIL", "W", "3.3e-01", "6/6")          # 1/3 everywhere, 6 entries
    i, j = report["W"].worst_index
    assert worst == f"[{i}, {j}]"
    assert np.isclose(float(analytic), W[i, j], rtol=1e-3) and np.isclose(float(numeric), 2 * W[i, j], rtol=1e-3)
    assert "wrong gradient for W" in html and "HomeworkReport(" not in html and "array(" not in html


def test_a_passing_report_and_one_parameter_on_its_own():
    W = np.array([[0.5, -1.0], [2.0, 1.5]])
    report = check_loss_grad(lambda W: (float(np.sum(W ** 2)), 2 * W), W, name="W")
    assert report
    _, rows = parsed(report._repr_html_())
    assert rows[1][:2] == ["ok", "W"] and float(rows[1][2]) < 1e-7 and rows[1][6] == "4/4"
    _, rows = parsed(report["W"]._repr_html_())
    assert len(rows) == 2 and rows[1][:2] == ["ok", "W"] and "ParamResult(" not in report["W"]._repr_html_()


def test_an_exercise_report_shows_each_part_and_its_diagnosis():
    report = ExerciseReport("exercise 3", "ex3.py", [
        PartResult("forward", True, lines=["out: max abs error 0"]),
        PartResult("backward", False, lines=["dx: max rel error 0.5"], diagnoses=["dx is missing the 1/N"]),
        PartResult("update", False, unfinished="sgd_step"),
    ])
    html = report._repr_html_()
    _, rows = parsed(html)
    assert [r[:2] for r in rows[1:]] == [["ok", "forward"], ["FAIL", "backward"], ["FAIL", "update"]]
    assert "dx: max rel error 0.5" in rows[2][2] and "diagnosis: dx is missing the 1/N" in rows[2][2]
    assert "FAIL, 1 of 3 parts pass; not written yet: sgd_step" in html and "ExerciseReport(" not in html


def test_a_graded_submission_shows_its_tests_and_score():
    result = SubmissionResult("alice", "/subs/alice", (
        TestResult("affine backward", 3.0, 3.0, True, "ok"),
        TestResult("softmax loss", 0.0, 2.0, False, "wrong dW", problems=("dW wrong",)),
    ), execution_time=1.5)
    html = result._repr_html_()
    _, rows = parsed(html)
    assert rows[1] == ["ok", "affine backward", "3 / 3", ""]
    assert rows[2] == ["FAIL", "softmax loss", "0 / 2", "dW wrong"]
    assert "alice: 3 / 5 points" in html and "SubmissionResult(" not in html


def test_text_from_a_submission_is_escaped():
    result = SubmissionResult("<b>bob</b>", "/x", (TestResult("t<1>", 0.0, 1.0, False, "", problems=("a & b",)),),
                              execution_time=0.1)
    html = result._repr_html_()
    parsed(html)                                                     # still well-formed
    assert "&lt;b&gt;bob&lt;/b&gt;" in html and "a &amp; b" in html and "<b>bob" not in html


def test_a_chart_displays_as_its_svg():
    chart = visualize.gradient_flow_svg([])
    assert chart._repr_svg_().lstrip().startswith("<svg") and chart._repr_svg_() == str(chart)
