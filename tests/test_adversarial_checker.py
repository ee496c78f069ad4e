"""Hostile homework files against the checker itself (`tinygrad-edu gradcheck`, check_*_in, check_submission),
from the adversarial pass of issue 14: each got a pass (or a 3 MB report) before its fix.  The student's
process chooses none of the tolerance, the parameters checked, or the length of the report."""

import textwrap

import numpy as np
import pytest

from tinygrad_edu.homework_sandboxed import HomeworkSandbox, StudentCodeFailure, check_grads_in
from tinygrad_edu.homework_submission import check_submission
from tinygrad_edu.numeric_grad import ATOL_CAP, H, compare, compared_nothing, noise_atol, same_value
from tinygrad_edu.sandbox import Limits

LIMITS = Limits(timeout=5.0, total_timeout=30.0)


def submit(tmp_path, source):
    path = tmp_path / "hw.py"
    path.write_text(textwrap.dedent(source))
    return check_submission(str(path), limits=LIMITS)


def text_of(result):
    return "\n".join([str(r) for r in result.reports] + [result.failure or ""])


# --------------------------------------------------------------------------- a loss that changes from call to call
BIG_FIRST_LOSS = """
    import numpy as np

    _calls = []


    def f(W):
        _calls.append(1)
        loss = float((W ** 2).sum())
        return (4e9 if len(_calls) == 1 else loss), 3 * W          # right: 2 W


    def check():
        return {"fn": f, "W": np.arange(1.0, 7.0).reshape(2, 3)}
"""

BIG_FIRST_OUT = """
    import numpy as np

    _calls = []


    def forward(x):
        _calls.append(1)
        out = x.copy()
        if len(_calls) == 1:
            out[0, 0] = 3e9
        return out, x


    def backward(dout, cache):
        return 3 * dout                                            # right: dout


    def check():
        return {"forward": forward, "backward": backward,
                "inputs": (np.random.default_rng(1).standard_normal((3, 4)),)}
"""


@pytest.mark.parametrize("source", [BIG_FIRST_LOSS, BIG_FIRST_OUT], ids=["loss", "layer"])
def test_a_value_huge_on_the_first_call_only_fails_as_not_a_function(tmp_path, source):
    """The absolute tolerance came from the first evaluation alone (NOISE * |f0| / h ~ 9): 3 W passed for 2 W."""
    result = submit(tmp_path, source)
    assert not result.passed and result.exit_code == 1, text_of(result)
    assert "gives different values at the same point" in result.failure


# --------------------------------------------------------------------------- deterministic, still huge
HUGE_AT_THE_POINT = """
    import numpy as np

    W0 = np.arange(1.0, 7.0).reshape(2, 3)


    def f(W):
        loss = float((W ** 2).sum())
        return (4e9 if np.array_equal(W, W0) else loss), 3 * W      # the same huge value on every call there


    def check():
        return {"fn": f, "W": W0.copy()}
"""

HUGE_EVERYWHERE = """
    import numpy as np


    def f(W):
        return 4e9 + float((W ** 2).sum()), 3 * W                  # honest but huge: atol was ~9


    def check():
        return {"fn": f, "W": np.arange(1.0, 7.0).reshape(2, 3)}
"""

HUGE_OUT_AT_THE_POINT = """
    import numpy as np

    X0 = np.random.default_rng(1).standard_normal((3, 4))


    def forward(x):
        out = x.copy()
        if np.array_equal(x, X0):
            out[0, 0] = 3e9
        return out, x


    def backward(dout, cache):
        return 3 * dout


    def check():
        return {"forward": forward, "backward": backward, "inputs": (X0.copy(),)}
"""


@pytest.mark.parametrize("source", [HUGE_AT_THE_POINT, HUGE_EVERYWHERE, HUGE_OUT_AT_THE_POINT],
                         ids=["loss at the point", "loss everywhere", "layer out at the point"])
def test_a_deterministic_huge_value_cannot_widen_the_tolerance(tmp_path, source):
    result = submit(tmp_path, source)
    assert not result.passed and result.exit_code == 1, text_of(result)
    for report in result.reports:
        assert report.atol <= ATOL_CAP


def test_the_tolerance_is_capped_whatever_the_scale():
    assert noise_atol(4e9, H) == ATOL_CAP and noise_atol(float("inf"), H) == ATOL_CAP
    assert noise_atol(1.0, H) < ATOL_CAP
    assert same_value(1.0, 1.0) and same_value(float("nan"), float("nan")) and not same_value(4e9, 91.0)


def test_an_honest_loss_still_passes_with_its_two_evaluations_at_the_point(tmp_path):
    result = submit(tmp_path, HUGE_EVERYWHERE.replace("3 * W", "2 * W").replace("4e9", "1e3"))
    assert result.passed, text_of(result)


def test_a_loss_too_large_to_judge_says_so(tmp_path):
    """A loss of 4e9 rounds its central differences by ~1e-3: above the capped tolerance, so even the right
    gradient may fail; the report says why."""
    result = submit(tmp_path, HUGE_EVERYWHERE.replace("3 * W", "2 * W"))
    assert "never above" in text_of(result) and "a mean rather than a sum" in text_of(result)


# --------------------------------------------------------------------------- made-up kinks
FAKE_KINKS = """
    import numpy as np

    _first = []


    def f(W):
        if not _first:
            _first.append(W.copy())
        return float((W ** 2).sum()) + 100.0 * float(np.abs(W - _first[0]).sum()), 3 * W


    def check():
        return {"fn": f, "W": np.arange(1.0, 7.0).reshape(2, 3)}
"""


def test_a_gradient_compared_only_at_kinks_fails(tmp_path):
    result = submit(tmp_path, FAKE_KINKS)
    assert not result.passed and result.exit_code == 1, text_of(result)
    (report,) = result.reports
    assert len(report["W"].kinks) == 6 and "sits at a kink" in report["W"].diagnosis


def test_the_kink_rule_is_one_rule_in_judge():
    """Every entry a kink: compared with nothing, FAIL; one entry compared: the kinks excuse the others."""
    W = np.arange(1.0, 4.0)
    index = np.arange(3)
    f = lambda w: float((w ** 2).sum()) + 100.0 * float(np.abs(w - W).sum())  # noqa: E731
    plus = [f(W + H * np.eye(3)[i]) for i in index]
    minus = [f(W - H * np.eye(3)[i]) for i in index]
    row, _ = compare("W", (3,), 3 * W, index, plus, minus, f(W), H, 1e-5, 1e-8)
    assert not row.passed and len(row.kinks) == 3 and "compared with nothing" in row.diagnosis
    assert compared_nothing(3, 3) and not compared_nothing(3, 2) and not compared_nothing(0, 0)
    g = lambda w: float((w ** 2).sum()) + 100.0 * abs(float(w[0] - W[0]))  # noqa: E731   one corner only
    plus = [g(W + H * np.eye(3)[i]) for i in index]
    minus = [g(W - H * np.eye(3)[i]) for i in index]
    row, _ = compare("W", (3,), 2 * W + [50.0, 0.0, 0.0], index, plus, minus, g(W), H, 1e-5, 1e-8)
    assert row.passed and row.kinks == ((0,),)                 # a subgradient at the corner, two entries compared


# --------------------------------------------------------------------------- text from the student's process
FLOOD = """
    import sys

    import numpy as np


    def f(W):
        for module in list(sys.modules.values()):
            first = getattr(module, "_tgedu_loss_grad_first", None)
            if first is not None and not hasattr(first, "patched"):
                def fake(*args, _first=first):
                    reply = _first(*args)
                    reply[3] = [["X" * 3_000_000, 1, [0]]] + [[f"m{i}", 1, [0]] for i in range(1000)]
                    return reply
                fake.patched = True
                module._tgedu_loss_grad_first = fake
        return float((W ** 2).sum()), 2 * W


    def check():
        return [{"fn": f, "W": np.ones((2, 3))}, {"fn": f, "W": np.ones((2, 3))}]
"""


def test_text_from_the_students_process_is_capped_in_the_report(tmp_path):
    result = submit(tmp_path, FLOOD)
    text = text_of(result)
    assert len(text) < 20_000, len(text)
    assert "more characters cut" in text


# --------------------------------------------------------------------------- which parameters are checked
NET = """
    import sys

    import numpy as np


    class Net:
        def __init__(self):
            self.params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
            for module in list(sys.modules.values()):        # the checker's helper: report b only
                first = getattr(module, "_tgedu_grads_first", None)
                if first is not None and not hasattr(first, "patched"):
                    def fake(*args, _first=first):
                        reply = _first(*args)
                        reply["names"] = ["b"]
                        {CHANGE}
                        return reply
                    fake.patched = True
                    module._tgedu_grads_first = fake

        def loss(self, x):
            W, b = self.params["W"], self.params["b"]
            out = x @ W + b
            return float((out ** 2).sum()), {"W": 0 * W, "b": (2 * out).sum(axis=0)}     # dW wrong (zeros)
"""


def run_net(tmp_path, change="pass", **options):
    path = tmp_path / "net.py"
    path.write_text(textwrap.dedent(NET).replace("{CHANGE}", change))
    with HomeworkSandbox(str(path), limits=LIMITS) as box:
        net = box.call("Net")
        return check_grads_in(box, box.getattr(net, "loss"), net, args=(np.ones((3, 2)),), **options)


def test_the_parent_chooses_the_parameters_checked(tmp_path):
    with pytest.raises(StudentCodeFailure, match=r"\['W'\] were never checked"):
        run_net(tmp_path, names=["W", "b"])


def test_the_tas_params_are_every_parameter_checked(tmp_path):
    params = {"W": np.full((2, 2), 0.5), "b": np.ones(2)}
    with pytest.raises(StudentCodeFailure, match=r"\['W'\] were never checked"):
        run_net(tmp_path, params=params)


def test_a_parameter_reported_at_another_shape_fails_naming_it(tmp_path):
    params = {"W": np.full((2, 2), 0.5), "b": np.ones(2)}
    change = 'reply["names"] = ["W", "b"]; reply["params"]["W"] = np.ones((1, 4))'
    with pytest.raises(StudentCodeFailure, match=r"params\['W'\] has shape \(1, 4\)"):
        run_net(tmp_path, change, params=params)
