"""Hostile submissions nobody showed the grader's builders: each attack below got a pass, a crash or a hang
before its fix.  Every submission is the shipped homework file with an attack added, graded with the example
assignment (lessons/homework/assignment.py) by grade_submission, one sandbox, short timeouts."""

import io
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from rich.console import Console

from tinygrad_edu.assignment import load_assignment
from tinygrad_edu.cli import main
from tinygrad_edu.grade_report import class_table, write_summary_csv
from tinygrad_edu.grader import grade_class, grade_submission, reference_table
from tinygrad_edu.sandbox import Limits, Sandbox, SandboxFailure, bwrap_status

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


# --------------------------------------------------------------------------- text nobody can write
def test_text_that_utf8_cannot_encode_is_written_not_a_crash(assignment, tmp_path):
    """A lone surrogate in an exception message (or a file or folder name that is not UTF-8) made writing
    results.json raise UnicodeEncodeError in the worker thread: the whole class's grading died with a traceback."""
    loaded, _ = assignment
    raising = shipped("svm_loss.py") + '\n\ndef svm_loss_naive(W, X, y, reg):\n    raise ValueError("no \\ud800 way")\n'
    folder = os.path.join(os.fsencode(tmp_path), b"stud\xff")
    os.mkdir(folder)
    with open(os.path.join(folder, b"svm_loss.py"), "w") as f:
        f.write(raising)
    with open(os.path.join(folder, b"\xfe.py"), "w") as f:
        f.write("x = 1\n")
    out = tmp_path / "out"
    results = grade_class(loaded, [os.fsdecode(folder)], str(out), jobs=1, limits=LIMITS)
    write_summary_csv(results, [c.title for c in loaded.checks], str(out / "summary.csv"))
    (written,) = [json.loads((out / name / "results.json").read_text(encoding="utf-8")) for name in os.listdir(out)
                  if name != "summary.csv"]
    tests = {t["name"]: t for t in written["tests"]}
    assert tests["svm_loss_naive"]["status"] == "failed" and "raised ValueError" in tests["svm_loss_naive"]["output"]
    assert tests["svm_loss_vectorized"]["status"] == "passed"
    assert "stud" in (out / "summary.csv").read_text(encoding="utf-8")
    Console(file=io.StringIO()).print(class_table(results, loaded.checks))


def test_a_submission_named_summary_csv_is_a_usage_error(tmp_path, capsys):
    """OUT/summary.csv/results.json made a folder where summary.csv is written last: the run died at its end."""
    folder = tmp_path / "summary.csv"
    folder.mkdir()
    (folder / "svm_loss.py").write_text(shipped("svm_loss.py"))
    assert main(["grade", ASSIGNMENT, str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "summary.csv" in capsys.readouterr().err


def test_a_grader_error_on_one_submission_fails_it_and_grades_the_others(assignment, tmp_path, monkeypatch):
    loaded, _ = assignment
    import tinygrad_edu.grader as grader

    real = grader.grade_submission

    def flaky(assignment, directory, **options):
        if directory.endswith("first"):
            raise OSError("disk trouble")
        return real(assignment, directory, **options)

    monkeypatch.setattr(grader, "grade_submission", flaky)
    dirs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "svm_loss.py").write_text(shipped("svm_loss.py"))
        dirs.append(str(tmp_path / name))
    first, second = grade_class(loaded, dirs, str(tmp_path / "out"), jobs=2, limits=LIMITS)
    assert first.score == 0 and "internal error of the grader" in first.tests[0].output
    assert second.score == 30
    assert json.loads((tmp_path / "out" / "first" / "results.json").read_text())["score"] == 0


def test_a_lone_surrogate_from_the_child_is_escaped_before_anyone_prints_it(tmp_path):
    """`tinygrad-edu gradcheck` printing a student's exception message "\\ud800" died with UnicodeEncodeError (a
    traceback, not a FAIL); the sandbox now hands over only text UTF-8 can encode, whatever the child sent."""
    path = tmp_path / "hw.py"
    path.write_text('import numpy as np\n\ndef f(W):\n    raise ValueError("bad \\ud800")\n\n'
                    'def name():\n    return "<\\udcff>"\n\n'
                    'def check():\n    return {"fn": f, "W": np.ones((2, 2))}\n')
    with Sandbox(str(path), LIMITS) as box:
        with pytest.raises(SandboxFailure) as failure:
            box.call("f", np.ones(2))
        failure.value.reason.encode("utf-8")
        assert box.call("name") == "<\\udcff>"
    run = subprocess.run([sys.executable, "-m", "tinygrad_edu", "gradcheck", f"{path}:check", "--timeout", "5"],
                         capture_output=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert run.returncode == 1, run.stderr.decode()
    assert b"raised ValueError in f: bad \\ud800" in run.stdout and b"Traceback" not in run.stderr


def test_a_submission_of_too_many_files_fails_fast(assignment, tmp_path):
    """Every sandbox copied every file, before any time limit ran (tens of thousands of empty files: seconds a
    submission, outside --timeout)."""
    junk = tmp_path / "student" / "junk"
    junk.mkdir(parents=True)
    for i in range(10_001):
        (junk / f"{i}.txt").touch()
    test = graded(assignment, tmp_path / "student", {"svm_loss.py": shipped("svm_loss.py")})["svm_loss_naive"]
    assert not test.passed and "more than 10000 files and folders" in test.output


def test_results_json_stays_small_whatever_the_submission_holds(assignment, tmp_path):
    """Text from the submission goes into the reports (names of the files found, what the child reports): 3,000
    files of long names made each missing-file FAIL 700 KB long, results.json megabytes."""
    folder = tmp_path / "student"
    folder.mkdir()
    for i in range(3000):
        (folder / f"{'a' * 200}{i}.py").touch()
    loaded, references = assignment
    out = tmp_path / "out"
    grade_class(loaded, [str(folder)], str(out), jobs=1, limits=LIMITS)
    data = json.loads((out / "student" / "results.json").read_text())
    assert all(t["status"] == "failed" and "not in the submission" in t["output"] for t in data["tests"])
    assert all(len(t["output"]) < 70_000 for t in data["tests"]) and "characters cut" in data["tests"][0]["output"]


# --------------------------------------------------------------------------- the grader's own memory
FORGER = """
import json, os, struct, sys, time

def forge(header_bytes=None, buffer_bytes=0):
    reply = int(sys.argv[2])                   # the private reply pipe, as the child was started
    if header_bytes is None:
        text = json.dumps({"ok": True, "value": None, "seq": 1, "buffers": [buffer_bytes]}).encode()
    else:
        text = b"[" + b"{}," * (header_bytes // 3) + b"{}]"
    os.write(reply, b"TGSB" + struct.pack(">I", len(text)) + text[:65536])
    time.sleep(30)
"""


@pytest.mark.parametrize("kind, args, said", [
    ("arrays of 300 MiB", (None, 300 * 2**20), "more than the limit of"),
    ("a 5 MiB JSON header", (5 * 2**20,), "larger than the limit of"),
], ids=["buffers", "header"])
def test_a_reply_too_large_for_the_grader_is_refused_before_it_is_read(tmp_path, kind, args, said):
    """The parent read whatever size the child declared: 2 GiB of arrays (the child's whole memory limit), or
    64 MiB of JSON ("[{},{},...]", gigabytes of the grader's memory once parsed), per reply, per job."""
    path = tmp_path / "hw.py"
    path.write_text(FORGER)
    with Sandbox(str(path), Limits(timeout=5.0)) as box:
        with pytest.raises(SandboxFailure) as failure:
            box.call("forge", *args)
    assert failure.value.kind == "protocol" and said in failure.value.reason, (kind, failure.value.reason)


# --------------------------------------------------------------------------- the host's kernel settings
@pytest.mark.skipif(bwrap_status()[0] is None, reason=f"needs a working bubblewrap: {bwrap_status()[1]}")
def test_the_hosts_sysctls_are_read_only_in_the_sandbox(tmp_path):
    """bwrap's fresh /proc still shows the host's /proc/sys, and uid 0 may write it without any capability: a
    grader run as root (this machine's, a container's) let the student write kernel.core_pattern, which names a
    program the kernel runs as root.  Probed by writing a setting's own value back (changes nothing)."""
    path = tmp_path / "hw.py"
    path.write_text(textwrap.dedent("""
        def probe():
            path = "/proc/sys/vm/overcommit_ratio"
            with open(path) as f:
                value = f.read()
            try:
                with open(path, "w") as f:
                    f.write(value)
            except OSError as error:
                return f"refused ({error.strerror})"
            return "written"
    """))
    with Sandbox(str(path), LIMITS, isolation="bwrap") as box:
        assert box.call("probe").startswith("refused")


# --------------------------------------------------------------------------- an assignment without a reference
FAKE_KINKS = """
import numpy as np

_first = []


def f(W):
    if not _first:                       # the point the grader checks at: a corner of the loss at every entry
        _first.append(W.copy())
    loss = float((W ** 2).sum()) + 100.0 * float(np.abs(W - _first[0]).sum())
    return loss, 3 * W                   # the right gradient is 2 W
"""


def test_a_gradient_compared_only_at_made_up_kinks_fails(tmp_path):
    """Without a reference the student's loss is the judge; one with a corner at every entry of the checked
    point (its value there honest) made every entry a kink, none was counted, and a wrong gradient passed."""
    (tmp_path / "assignment.py").write_text(textwrap.dedent("""
        from tinygrad_edu.assignment import LossGradCheck
        CHECKS = [LossGradCheck("f", file="hw.py", inputs=lambda rng: (1 + rng.random((2, 3)),), points=5)]
    """))
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "hw.py").write_text(FAKE_KINKS)
    result = grade_submission(load_assignment(str(tmp_path / "assignment.py")), str(tmp_path / "student"),
                              limits=LIMITS)
    (test,) = result.tests
    assert not test.passed and test.score == 0 and "sits at a kink" in test.output, test.output


# --------------------------------------------------------------------------- the TA's limits
def test_an_infinite_or_huge_timeout_is_a_usage_error_or_works(tmp_path, capsys):
    """--timeout inf was accepted and every call then died in poll() (OverflowError): each student's every check
    got 0 as an 'internal error of the grader'; 1e300 overflowed setrlimit in the child, a FAIL of the student."""
    with pytest.raises(ValueError, match="finite"):
        Limits(timeout=float("inf"))
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "svm_loss.py").write_text(shipped("svm_loss.py"))
    assert main(["grade", ASSIGNMENT, str(tmp_path / "student"), "--out", str(tmp_path / "out"),
                 "--timeout", "inf"]) == 2
    assert "finite" in capsys.readouterr().err
    path = tmp_path / "hw.py"
    path.write_text("def f(x):\n    return 2 * x\n")
    with Sandbox(str(path), Limits(timeout=1e300)) as box:
        assert box.call("f", 21) == 42
        assert "refused the CPU time limit" in box.isolation


FORKS = """
import os, time


def spread(children, mb, wait):
    for _ in range(children):
        if os.fork() == 0:
            try:
                block = bytearray(mb * 2**20)        # each child under the address-space limit
            finally:
                time.sleep(60)
                os._exit(0)
    time.sleep(wait)
    return "survived"
"""


def test_forked_children_cannot_hold_more_memory_together_than_the_limit(tmp_path):
    """RLIMIT_AS binds each process alone (and RLIMIT_NPROC does not bind root): 6 children of 500 MiB each
    held 2.4 GiB under a 1 GiB limit; N children take N times the limit, enough to bring a machine down."""
    path = tmp_path / "hw.py"
    path.write_text(FORKS)
    with Sandbox(str(path), Limits(timeout=10.0, memory_mb=1024)) as box:
        with pytest.raises(SandboxFailure) as failure:
            box.call("spread", 4, 320, 4.0)
    assert failure.value.kind == "memory" and "processes held" in failure.value.reason, failure.value.reason
    with Sandbox(str(path), Limits(timeout=10.0, memory_mb=1024)) as box:
        assert box.call("spread", 2, 100, 1.0) == "survived"       # a few small children are fine


def test_a_fork_bomb_is_stopped_at_the_process_limit_not_the_timeout(tmp_path):
    """RLIMIT_NPROC does not bind root (nor any user's processes in another user's count): a fork bomb ran
    until the wall-clock timeout, taking the machine's process table with it."""
    path = tmp_path / "hw.py"
    path.write_text("import os, time\n\ndef bomb():\n    while True:\n        try:\n            os.fork()\n"
                    "        except OSError:\n            time.sleep(0.01)\n")
    started = time.monotonic()
    with Sandbox(str(path), Limits(timeout=20.0)) as box:
        with pytest.raises(SandboxFailure) as failure:
            box.call("bomb")
    assert failure.value.kind == "processes" and "more than 64 processes" in failure.value.reason
    assert time.monotonic() - started < 15


def test_a_model_that_is_plain_data_is_the_students_failure_not_the_graders(assignment, tmp_path):
    source = shipped("two_layer_net.py") + "\n\ndef TwoLayerNet(*sizes):\n    return {'params': {}}\n"
    test = graded(assignment, tmp_path / "student", {"two_layer_net.py": source})["TwoLayerNet"]
    assert not test.passed and "returned a dict, not an object" in test.output
    assert "internal error" not in test.output


def test_a_backward_that_changes_its_answer_the_second_time_fails_with_the_reason(assignment, tmp_path):
    """The grader asks a layer's backward again, for its own dout: arrays the first time and a str the second
    was an 'internal error of the grader' (np.asarray of a str)."""
    source = shipped("layers.py") + textwrap.dedent("""

        _honest, _calls = affine_backward, []


        def affine_backward(dout, cache):
            _calls.append(1)
            dx, dw, db = _honest(dout, cache)
            return (dx, dw, db) if len(_calls) == 1 else (dx, "dw", db)
    """)
    test = graded(assignment, tmp_path / "student", {"layers.py": source})["affine layer"]
    assert not test.passed and "returned str" in test.output and "internal error" not in test.output, test.output


def test_folders_nested_too_deep_fail_that_submission_only(assignment, tmp_path):
    """1,100 nested folders made os.walk raise RecursionError outside any check: the exception left the worker
    thread and the whole class's grading died (no summary.csv)."""
    loaded, _ = assignment
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "svm_loss.py").write_text(shipped("svm_loss.py"))
    chain = [os.path.join(str(deep), *["d"] * k) for k in range(1, 1101)]
    for folder in chain:                    # one at a time: os.makedirs and rmtree recurse as deep as the tree
        os.mkdir(folder)
    honest = tmp_path / "honest"
    honest.mkdir()
    (honest / "svm_loss.py").write_text(shipped("svm_loss.py"))
    try:
        first, second = grade_class(loaded, [str(deep), str(honest)], str(tmp_path / "out"), jobs=2, limits=LIMITS)
    finally:
        for folder in reversed(chain):
            os.rmdir(folder)
    assert first.score == 0 and second.score == 30
