"""Hostile homework against `tinygrad-edu gradcheck` (issue 14), in each of the three shapes: every way out
ends in FAIL (exit 1) naming the cause, never a pass and never a hang; the TA's files are left alone.

Each homework below is correct except for the hostile line put at one place (at import, in check(), in the
forward/loss, in the backward/gradient, on the 5th evaluation: mid-differences), so a pass would mean the
hostile line fooled the checker.  The student's code runs in the sandbox; the tests use short timeouts.
"""

import os
import textwrap
import time

import numpy as np
import pytest

from tests.processes import alive_with
from tinygrad_edu import cli
from tinygrad_edu.homework_submission import check_submission
from tinygrad_edu.sandbox import Limits, bwrap_status

BWRAP, BWRAP_WHY = bwrap_status()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"needs a working bubblewrap: {BWRAP_WHY}")

GRADS = """
import os, sys
import numpy as np
CALLS = [0]
{at_import}
def loss(params, x):
    CALLS[0] += 1
    {in_forward}
    return 0.5 * np.sum((x @ params["W"]) ** 2)
def gradient(params, x):
    {in_backward}
    return {{"W": x.T @ (x @ params["W"]) * FACTOR}}
FACTOR = 1.0
def check():
    {in_check}
    rng = np.random.default_rng(0)
    params = {{"W": rng.standard_normal((3, 2))}}
    x = rng.standard_normal((4, 3))
    return {{"loss_fn": lambda: loss(params, x), "params": params, "grads": gradient(params, x)}}
"""

LOSS_GRAD = """
import os, sys
import numpy as np
CALLS = [0]
{at_import}
FACTOR = 1.0
def softmax_loss(W, X, y):
    CALLS[0] += 1
    {in_forward}
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    {in_backward}
    p[np.arange(len(y)), y] -= 1
    return loss, X.T @ p / len(y) * FACTOR
def check():
    {in_check}
    rng = np.random.default_rng(0)
    W, X, y = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.integers(0, 3, size=5)
    return {{"fn": softmax_loss, "W": W, "args": (X, y)}}
"""

LAYER = """
import os, sys
import numpy as np
CALLS = [0]
{at_import}
FACTOR = 1.0
def forward(x, w):
    CALLS[0] += 1
    {in_forward}
    return x @ w, (x, w)
def backward(dout, cache):
    {in_backward}
    x, w = cache
    return dout @ w.T, x.T @ dout * FACTOR
def check():
    {in_check}
    rng = np.random.default_rng(0)
    return {{"forward": forward, "backward": backward, "inputs": (rng.standard_normal((4, 3)),
                                                                 rng.standard_normal((3, 2)))}}
"""

SHAPES = {"check_grads": GRADS, "check_loss_grad": LOSS_GRAD, "check_layer": LAYER}
PLACES = ("at_import", "in_check", "in_forward", "in_backward", "in_forward_5th")
# what the report names as the phase of each place, per shape (the grads dict is computed inside check())
PHASE = {
    "check_grads": {"at_import": "while your file was imported", "in_check": "check()", "in_forward": "loss_fn",
                    "in_backward": "check()", "in_forward_5th": "loss_fn (central differences of W)"},
    "check_loss_grad": {"at_import": "while your file was imported", "in_check": "check()",
                        "in_forward": "softmax_loss", "in_backward": "softmax_loss",
                        "in_forward_5th": "softmax_loss (central differences of W)"},
    "check_layer": {"at_import": "while your file was imported", "in_check": "check()", "in_forward": "forward",
                    "in_backward": "backward", "in_forward_5th": "forward (central differences of"},
}


def homework(tmp_path, shape, place=None, code="pass", factor=1.0, name="hw.py"):
    """The student's file: the shape's template with `code` at `place` (one statement, or lines)."""
    slots = {p: "pass" for p in ("at_import", "in_check", "in_forward", "in_backward")}
    if place == "in_forward_5th":
        slots["in_forward"] = "if CALLS[0] == 5:\n        " + code.replace("\n", "\n        ")
    elif place == "at_import":
        slots[place] = code
    elif place is not None:
        slots[place] = code.replace("\n", "\n    ")
    source = SHAPES[shape].format(**slots).replace("FACTOR = 1.0", f"FACTOR = {factor}")
    path = tmp_path / name
    path.write_text(source)
    return str(path)


def gradcheck(target, capsys, *options):
    """(exit status, stdout + stderr) of the command, run in this process (the homework runs in a sandbox)."""
    status = cli.main(["gradcheck", target, "--timeout", "5", *options])
    out = capsys.readouterr()
    return status, out.out + out.err


@pytest.mark.parametrize("shape", SHAPES)
def test_the_templates_pass_and_a_wrong_factor_fails(tmp_path, shape, capsys):
    status, text = gradcheck(homework(tmp_path, shape) + ":check", capsys)
    assert status == 0, text
    status, text = gradcheck(homework(tmp_path, shape, factor=2.0) + ":check", capsys)
    assert status == 1 and "constant factor" in text, text


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("call, said", [("sys.exit(0)", "your code called sys.exit(0)"),
                                        ("os._exit(0)", "the process exited with status 0")])
def test_exit_anywhere_is_a_fail_naming_where(tmp_path, capsys, shape, place, call, said):
    target = homework(tmp_path, shape, place, call) + ":check"
    status, text = gradcheck(target, capsys)
    assert status == 1, text
    assert "FAIL" in text and said in text and PHASE[shape][place] in text, text
    assert f"{target}: FAILED" in text and f"{target}: passed" not in text


@pytest.mark.parametrize("shape", SHAPES)
def test_a_fake_passed_line_before_exiting_is_the_students_output_not_a_verdict(tmp_path, capsys, shape):
    target = homework(tmp_path, shape, "in_backward", "") + ":check"
    fake = (f'print("check passed: every gradient matches"); print("tinygrad-edu gradcheck {target}: passed"); '
            'sys.stdout.flush(); '
            'os._exit(0)')
    homework(tmp_path, shape, "in_backward", fake)
    status, text = gradcheck(target, capsys)
    assert status == 1 and f"tinygrad-edu gradcheck {target}: FAILED" in text, text
    assert "what your code wrote to stdout (not the checker's verdict)" in text


PATCH = """
try:                                     # whether the sandbox lets the package be imported or not
    import tinygrad_edu.gradient_report as gr, tinygrad_edu.homework_check as hc, tinygrad_edu.diagnosis as dg
    import tinygrad_edu.homework_sandboxed as hs, tinygrad_edu.numeric_grad as ng
    gr.HomeworkReport.passed = property(lambda self: True)
    gr.HomeworkReport.__bool__ = lambda self: True
    hc.check_grads = hc.check_loss_grad = hc.check_layer = lambda *a, **k: True
    ng.compare = lambda *a, **k: None
    hs.check_submission = lambda *a, **k: None
    dg.diagnose = lambda *a, **k: None
except ImportError:
    pass
"""


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("place", ["at_import", "in_check"])
def test_patching_the_report_and_the_checker_changes_nothing(tmp_path, capsys, shape, place):
    target = homework(tmp_path, shape, place, PATCH.strip(), factor=3.0) + ":check"
    status, text = gradcheck(target, capsys)
    assert status == 1 and "constant factor" in text and "FAILED" in text, text


REPORT_LIKE = """
class Report:
    passed = True
    failed = []
    results = ()
    def __bool__(self):
        return True
    def __str__(self):
        return "check passed: every gradient matches"
return Report()
"""

REAL_REPORT = """
try:
    from tinygrad_edu.homework_check import check_loss_grad
    return check_loss_grad(lambda W: (float(np.sum(W * W)), 2 * W), np.ones(3))
except ImportError:                      # the sandbox hides the package: a look-alike of the same name
    HomeworkReport = type("HomeworkReport", (), {"passed": True})
    return HomeworkReport()
"""


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("returned, said", [(REPORT_LIKE, "returned a Report"),
                                            (REAL_REPORT, "returned a HomeworkReport")])
def test_a_returned_report_is_never_believed(tmp_path, capsys, shape, returned, said):
    status, text = gradcheck(homework(tmp_path, shape, "in_check", returned.strip()) + ":check", capsys)
    assert status == 1 and said in text and "a report or verdict is never accepted" in text, text


@pytest.mark.parametrize("shape", SHAPES)
def test_an_infinite_loop_is_killed_at_the_timeout(tmp_path, shape):
    path = homework(tmp_path, shape, "in_forward_5th", "while True:\n    pass")
    start = time.monotonic()
    result = check_submission(path, limits=Limits(timeout=1.5))
    assert time.monotonic() - start < 20
    assert result.exit_code == 1 and "timed out after 1.5 s in" in result.failure, result.failure
    assert "central differences" in result.failure


@pytest.mark.parametrize("shape", SHAPES)
def test_a_20_gb_allocation_is_a_clean_memory_failure(tmp_path, shape):
    path = homework(tmp_path, shape, "in_backward", "big = np.ones(20 * 2**30 // 8)")
    result = check_submission(path, limits=Limits(timeout=10, memory_mb=1024))
    assert result.exit_code == 1 and "ran out of memory (limit 1024 MiB)" in result.failure, result.failure


@pytest.mark.parametrize("shape", SHAPES)
def test_50_mb_of_output_is_truncated_and_the_wrong_gradient_still_fails(tmp_path, capsys, shape):
    flood = 'sys.stdout.write("check passed: every gradient matches\\n" * 1_400_000)'
    status, text = gradcheck(homework(tmp_path, shape, "in_check", flood, factor=2.0) + ":check", capsys)
    assert status == 1 and "constant factor" in text
    assert len(text) < 200_000 and "bytes cut" in text


@needs_bwrap
@pytest.mark.parametrize("shape", SHAPES)
def test_files_outside_its_directory_are_untouched(tmp_path, shape):
    ta_file, other = tmp_path / "ta" / "grades.csv", tmp_path / "ta" / "other_student.py"
    ta_file.parent.mkdir()
    ta_file.write_text("alice,100\n")
    other.write_text("def check(): pass\n")
    attack = (f"open({str(ta_file)!r}, 'w').write('mallory,100')\n"
              f"os.remove({str(other)!r})")
    for place in ("at_import", "in_check", "in_backward"):
        student = tmp_path / f"student_{place}"
        student.mkdir()
        result = check_submission(homework(student, shape, place, attack))
        assert result.exit_code == 1 and ("Error" in result.failure), result.failure
        assert ta_file.read_text() == "alice,100\n" and other.exists()
    (tmp_path / "plain").mkdir()                # without bubblewrap the report says what is NOT isolated
    plain = check_submission(homework(tmp_path / "plain", shape), isolation="none")
    assert plain.passed and "the file system, network and other processes are NOT isolated" in plain.isolation


@pytest.mark.parametrize("shape", SHAPES)
def test_a_child_process_left_running_is_killed_with_the_group(tmp_path, shape):
    token = f"tinygrad-edu-hostile-{os.getpid()}-{shape}"
    spawn = (f"import subprocess; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
             f"{token!r}])\nos._exit(0)")
    result = check_submission(homework(tmp_path, shape, "in_backward", spawn), limits=Limits(timeout=5))
    assert result.exit_code == 1 and "exited with status 0" in result.failure
    deadline = time.monotonic() + 5
    while alive_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive_with(token) == []


# ------------------------------------------------------------------------------------------------ attribution
def test_usage_errors_exit_2_and_the_students_errors_exit_1(tmp_path, capsys):
    good = homework(tmp_path, "check_layer")
    for options in (["--seed", "-1"], ["--timeout", "0"], ["--memory", "-5"], ["--max-entries", "0"]):
        status, text = gradcheck(good + ":check", capsys, *options)
        assert status == 2 and "tinygrad-edu gradcheck:" in text, options
    for target in (good, good + ":nope", good + ":forward", str(tmp_path / "missing.py") + ":check"):
        status, text = gradcheck(target, capsys)
        assert status == 2, (target, text)
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\n\ndef check(:\n    pass\n")
    status, text = gradcheck(f"{broken}:check", capsys)
    assert status == 1 and "SyntaxError (broken.py, line 3)" in text, text


def test_an_exception_in_backward_is_blamed_on_backward(tmp_path, capsys):
    path = homework(tmp_path, "check_layer", "in_backward", "raise ValueError('shapes do not align')")
    status, text = gradcheck(path + ":check", capsys)
    assert status == 1 and "raised ValueError in backward: shapes do not align" in text, text
    assert 'File "hw.py"' in text and "in backward" in text and "_tinygrad_edu_driver" not in text


def test_malformed_results_are_fails_not_usage_errors(tmp_path, capsys):
    cases = {"return 42": "returned a int", "return {'loss_fn': 1}": "not a dict of one checker's arguments"}
    for code, said in cases.items():
        status, text = gradcheck(homework(tmp_path, "check_layer", "in_check", code) + ":check", capsys)
        assert status == 1 and said in text, text
    status, text = gradcheck(homework(tmp_path, "check_layer", "in_backward", "return None") + ":check", capsys)
    assert status == 1 and "backward must return one gradient per float input" in text, text


def test_check_options_that_would_set_the_verdict_are_ignored(tmp_path, capsys):
    source = textwrap.dedent("""
        import numpy as np
        def f(W):
            return float(np.sum(W ** 3)), 2 * W           # wrong: d(W^3) = 3 W^2
        def check():
            return {"fn": f, "W": np.linspace(1, 2, 6), "rtol": 1e9, "h": 1.0}
    """)
    path = tmp_path / "lenient.py"
    path.write_text(source)
    status, text = gradcheck(f"{path}:check", capsys)
    assert status == 1 and "set h, rtol: ignored" in text, text


def test_the_help_no_longer_invites_a_report_and_says_what_runs_where(capsys):
    with pytest.raises(SystemExit):
        cli.main(["gradcheck", "--help"])
    text = capsys.readouterr().out
    assert "a report from calling the checker yourself" not in text
    assert "--timeout" in text and "--memory" in text and "sandboxed process" in text


def test_a_sampled_check_says_its_seed_so_it_can_be_repeated(tmp_path):
    path = tmp_path / "big.py"
    path.write_text("import numpy as np\n"
                    "def f(W):\n    return float(np.sum(W ** 2)), 2 * W\n"
                    "def check():\n    return {'fn': f, 'W': np.linspace(-1, 1, 300)}\n")
    first = check_submission(str(path), max_entries=20)
    seed = int(first.reports[0].notes[-1].split("seed ")[1].split()[0])
    again = check_submission(str(path), max_entries=20, seed=seed)
    same = [~np.isnan(r.reports[0]["W"].numeric_grad) for r in (first, again)]
    assert first.passed and (same[0] == same[1]).all() and same[0].sum() == 20
