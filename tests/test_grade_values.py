"""ValueCheck (tinygrad_edu.assignment, graded by tinygrad_edu.grader + grade_values): a function checked by its
values against the TA's reference, the verdict made in the grader, a clear FAIL per output."""

import pytest

from tinygrad_edu.assignment import AssignmentError, load_assignment
from tinygrad_edu.grader import grade_submission

ASSIGNMENT = '''
import numpy as np
from tinygrad_edu.assignment import ValueCheck

def step(x, lr):
    return x - lr * x, -lr * x

CHECKS = [ValueCheck("step", file="step.py", inputs=lambda rng: (rng.standard_normal(4), 0.5), outputs=("new", "dx"),
                     reference=step, points=7)]
'''


def grade(tmp_path, body):
    (tmp_path / "a.py").write_text(ASSIGNMENT, encoding="utf-8")
    (tmp_path / "s").mkdir(exist_ok=True)
    (tmp_path / "s" / "step.py").write_text(body, encoding="utf-8")
    return grade_submission(load_assignment(str(tmp_path / "a.py")), str(tmp_path / "s")).tests[0]


def test_the_right_values_get_the_points_and_wrong_ones_fail_per_output(tmp_path):
    right = grade(tmp_path, "def step(x, lr):\n    return x - lr * x, -lr * x\n")
    assert right.passed and right.score == 7 and "PASS new" in right.output and "PASS dx" in right.output
    sign = grade(tmp_path, "def step(x, lr):\n    return x - lr * x, lr * x\n")
    assert not sign.passed and sign.score == 0 and "PASS new" in sign.output, sign.output
    assert "FAIL dx: differs from the reference's at 4 of 4 entries" in sign.output and "sign flipped" in sign.output
    factor = grade(tmp_path, "def step(x, lr):\n    return x - lr * x, -x\n")
    assert "yours is the reference times 2" in factor.output, factor.output


@pytest.mark.parametrize("body, said", [
    ("def step(x, lr):\n    return x\n", "step returned a ndarray where 2 belong"),
    ("def step(x, lr):\n    return x, x[:2]\n", "your dx has shape (2,), the reference's (4,)"),
    ("def step(x, lr):\n    return x, x * float('nan')\n", "4 of 4 entries of your dx are nan or inf"),
    ("def step(x, lr):\n    raise NotImplementedError('step')\n", "NotImplementedError"),
])
def test_a_wrong_return_fails_with_the_reason(tmp_path, body, said):
    result = grade(tmp_path, body)
    assert not result.passed and result.score == 0 and said in result.output, result.output


def test_a_value_check_without_a_reference_is_a_broken_assignment(tmp_path):
    (tmp_path / "a.py").write_text("from tinygrad_edu.assignment import ValueCheck\nCHECKS = [ValueCheck('f', "
                                   "file='f.py', inputs=lambda rng: (1.0,))]\n", encoding="utf-8")
    with pytest.raises(AssignmentError, match="needs reference="):
        load_assignment(str(tmp_path / "a.py"))
