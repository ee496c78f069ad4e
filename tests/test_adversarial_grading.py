"""Hostile submissions nobody showed the grader's builders: each attack below got a pass, a crash or a hang
before its fix.  Every submission is the shipped homework file with an attack added, graded with the example
assignment (lessons/homework/assignment.py) by grade_submission, one sandbox, short timeouts."""

import os

import pytest

from tinygrad_edu.assignment import load_assignment
from tinygrad_edu.grader import grade_submission, reference_table
from tinygrad_edu.sandbox import Limits

from .grade_samples import ASSIGNMENT, HOMEWORK

LIMITS = Limits(timeout=5.0, memory_mb=1024)


@pytest.fixture(scope="module")
def assignment():
    loaded = load_assignment(ASSIGNMENT)
    return loaded, reference_table(loaded)


def shipped(name):
    with open(os.path.join(HOMEWORK, name)) as f:
        return f.read()


def graded(assignment, folder, files):
    """Grade a submission holding `files` (name -> text) -> {check title: TestResult} of the checks it holds."""
    loaded, references = assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    result = grade_submission(loaded, str(folder), limits=LIMITS, references=references)
    return {t.name: t for t in result.tests if any(c.title == t.name and c.file in files for c in loaded.checks)}


# --------------------------------------------------------------------------- which parameters are checked
WRONG_BUT_B2 = """

_Honest = TwoLayerNet


class TwoLayerNet(_Honest):
    def gradient(self, x, t):
        g = super().gradient(x, t)
        return {"b2": g["b2"], "W1": 0 * g["W1"], "W2": -g["W2"], "b1": g["b1"] + 3}     # only db2 is right
"""

SHY_DICT = """

class _Shy(dict):
    def __iter__(self):                  # list(params) shows only b2
        return iter(["b2"])

    def keys(self):
        return ["b2"]


_Wrong = TwoLayerNet


class TwoLayerNet(_Wrong):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.params = _Shy(self.params)
"""

PATCHED_DRIVER = """

import sys as _sys

_Wrong = TwoLayerNet


class TwoLayerNet(_Wrong):
    def __init__(self, *a, **k):            # the checker's helpers live in this process: report b2 only
        super().__init__(*a, **k)
        for module in list(_sys.modules.values()):
            first = getattr(module, "_tgedu_grads_first", None)
            if first is not None and not hasattr(first, "patched"):
                def fake(*args, _first=first):
                    reply = _first(*args)
                    reply["names"] = ["b2"]
                    return reply
                fake.patched = True
                module._tgedu_grads_first = fake
"""


@pytest.mark.parametrize("attack", [SHY_DICT, PATCHED_DRIVER], ids=["params lists b2 only", "driver patched"])
def test_a_model_cannot_choose_which_of_its_parameters_are_checked(assignment, tmp_path, attack):
    """Which parameters a model's report covers came from the student's process: a params dict listing only the
    one parameter whose gradient is right got full points."""
    source = shipped("two_layer_net.py") + WRONG_BUT_B2 + attack
    test = graded(assignment, tmp_path / "student", {"two_layer_net.py": source})["TwoLayerNet"]
    assert not test.passed and test.score == 0, test.output
    assert "W1" in test.output
