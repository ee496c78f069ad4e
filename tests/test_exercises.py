"""The exercises (issue 16): every stub FAILs naming what is unfinished, every solution PASSes, a planted typical
mistake FAILs with a diagnosis that names it; `exercise start` then `check` works outside the repository.

Each check runs the student's file in one real sandbox (tinygrad_edu.sandbox: bubblewrap where it works)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from lessons.exercises import EXERCISES, get
from lessons.exercises.checks import parts
from tests.exercise_mistakes import EXTRA, MISTAKES
from tinygrad_edu.exercise_check import check_exercise

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMBERS = [e.number for e in EXERCISES]


def check(path, number):
    return check_exercise(path, parts(number), title=f"exercise {number}")


def planted(tmp_path, number, old, new):
    """The solution of `number` with the code line `old` replaced by `new`, written under tmp_path."""
    source = open(get(number).solution, encoding="utf-8").read()
    assert source.count(old + "\n") == 1, f"exercise {number}: {old!r} is not one line of the solution"
    path = tmp_path / get(number).file
    path.write_text(source.replace(old + "\n", new + "\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("number", NUMBERS)
def test_the_stub_fails_and_names_what_is_unfinished(number):
    report = check(get(number).stub, number)
    text = str(report)
    assert report.exit_code == 1 and not any(p.passed for p in report.parts), text
    assert report.unfinished and set(report.unfinished) <= set(get(number).functions), text
    for name in report.unfinished:
        assert f"{name} is not written yet" in text
    assert "not written yet: " + ", ".join(report.unfinished) in text.splitlines()[-2]


@pytest.mark.parametrize("number", NUMBERS)
def test_the_solution_passes(number):
    report = check(get(number).solution, number)
    assert report.exit_code == 0 and report.passed, str(report)
    assert len(report.parts) >= 1 and str(report).splitlines()[-2].startswith("PASS")


@pytest.mark.parametrize("number", NUMBERS)
def test_a_planted_mistake_fails_with_a_diagnosis_naming_it(number, tmp_path):
    old, new, diagnosis = MISTAKES[number]
    report = check(planted(tmp_path, number, old, new), number)
    text = str(report)
    assert report.exit_code == 1, text
    assert diagnosis in "\n".join(d for p in report.parts for d in p.diagnoses), text
    assert not report.unfinished


@pytest.mark.parametrize("label", sorted(EXTRA))
def test_more_typical_mistakes_are_named(label, tmp_path):
    number, old, new, diagnosis = EXTRA[label]
    report = check(planted(tmp_path, number, old, new), number)
    assert report.exit_code == 1 and diagnosis in str(report), str(report)


def test_stubs_are_the_solutions_without_the_todo_blocks():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        from exercise_stubs import expected_stubs
    finally:
        sys.path.pop(0)
    stubs = expected_stubs()
    assert sorted(stubs) == sorted(e.file for e in EXERCISES)
    for e in EXERCISES:
        stub = open(e.stub, encoding="utf-8").read()
        assert stub == stubs[e.file], f"{e.file}: run python scripts/exercise_stubs.py"
        solution = open(e.solution, encoding="utf-8").read()
        blocks = re.findall(r"# TODO: .*?\n(.*?)# END TODO", solution, flags=re.S)
        assert blocks
        code = [line.strip() for b in blocks for line in b.splitlines() if line.strip() and
                not line.strip().startswith("#")]
        inside = re.findall(r"# TODO: .*?\n(.*?)# END TODO", stub, flags=re.S)
        written = ["\n".join(line for line in b.splitlines() if not line.strip().startswith("#")) for b in inside]
        assert len(written) == len(blocks), e.file
        assert all(w.strip().startswith("raise NotImplementedError") and not any(c in w for c in code)
                   for w in written), e.file
        for function in e.functions:
            assert f"def {function}(" in stub


def test_the_rbm_check_uses_the_notes_numbers():
    """The worked example in checks.py is the notes' (WORKED_EXAMPLES.md): dW = 0.3 (v^T h - v1^T h1)."""
    from lessons.exercises import checks

    assert np.allclose(checks.DW, 0.3 * (checks.V0.T @ checks.H0 - checks.V1.T @ checks.H1))
    assert np.allclose(checks.W1, checks.W0 + checks.DW)
    text = open(os.path.join(ROOT, "tests", "data", "WORKED_EXAMPLES.md"), encoding="utf-8").read()
    assert "[[-0.3,0],[0.3,0.3],[-0.3,0],[-0.6,-0.3],[-0.3,0],[0,0]]" in text.replace(" ", "")


def test_code_that_exits_or_loops_fails_and_never_passes(tmp_path):
    exits = planted(tmp_path, 1, "    dw = x.T @ dout", "    import sys; sys.exit(0)")
    report = check(exits, 1)
    assert report.exit_code == 1 and "sys.exit" in str(report), str(report)
    assert report.parts[0].passed                     # the forward ran before the exit


def _cli(args, cwd, timeout=120):
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_start_then_check_outside_the_repository(tmp_path):
    listed = _cli(["exercises"], tmp_path)
    assert listed.returncode == 0 and "not started" in listed.stdout and "GRU step backward" in listed.stdout
    started = _cli(["exercise", "start", "7"], tmp_path)
    mine = tmp_path / "my_exercises" / "07_rnn_bptt.py"
    assert started.returncode == 0 and mine.is_file(), started.stderr
    assert "started, not edited yet" in _cli(["exercises"], tmp_path).stdout

    stub = _cli(["exercise", "check", "7"], tmp_path)
    assert stub.returncode == 1 and "rnn_step_forward is not written yet" in stub.stdout, stub.stdout

    mine.write_text(open(get(7).solution, encoding="utf-8").read(), encoding="utf-8")
    assert "edited" in _cli(["exercises"], tmp_path).stdout
    done = _cli(["exercise", "check", "7"], tmp_path)
    assert done.returncode == 0 and "PASS: all 3 parts" in done.stdout, done.stdout + done.stderr

    again = _cli(["exercise", "start", "7"], tmp_path)             # never overwrites without --force
    assert again.returncode == 2 and "already exists" in again.stderr
    assert mine.read_text(encoding="utf-8") == open(get(7).solution, encoding="utf-8").read()
    forced = _cli(["exercise", "start", "7", "--force"], tmp_path)
    assert forced.returncode == 0 and mine.read_text(encoding="utf-8") == open(get(7).stub, encoding="utf-8").read()

    other = _cli(["exercise", "start", "1", "elsewhere"], tmp_path)
    assert other.returncode == 0 and (tmp_path / "elsewhere" / "01_affine.py").is_file()
    named = _cli(["exercise", "check", "1", "elsewhere/01_affine.py"], tmp_path)
    assert named.returncode == 1 and "affine_forward is not written yet" in named.stdout


@pytest.mark.parametrize("args, message", [
    (["exercise", "check", "99"], "there is no exercise 99"),
    (["exercise", "start", "0"], "there is no exercise 0"),
    (["exercise", "check", "2"], "start it with `tinygrad-edu exercise start 2`"),
    (["exercise", "check", "2", "nowhere.py"], "no file nowhere.py"),
    (["exercise", "check", "two"], "invalid int value"),
])
def test_usage_errors_exit_2(args, message, tmp_path):
    from tinygrad_edu import cli

    result = _cli(args, tmp_path) if args[-1] == "two" else None
    if result is None:
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            import contextlib
            import io

            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = cli.main(args)
        finally:
            os.chdir(old)
        assert code == 2 and message in err.getvalue()
    else:
        assert result.returncode == 2 and message in result.stderr


def test_a_teacher_grades_the_exercises_with_the_shipped_assignment(tmp_path):
    """lessons/exercises/assignment.py in `tinygrad-edu grade` covers all ten exercises: the solutions score 100,
    the stubs 0; a planted transposed dw, the LSTM's lane without the forget gate and CD-k's flipped sign each lose
    their own exercise's 10 points only, with the reason in results.json."""
    import csv
    import json
    import shutil

    for name, folder in (("good", "solutions"), ("stub", "exercises")):
        (tmp_path / name).mkdir()
        for e in EXERCISES:
            shutil.copy(os.path.join(ROOT, "lessons", folder, e.file), tmp_path / name)
    planted_in = {"transposed": 1, "lstm_lane": 8, "cd_sign": 9}
    for name, number in planted_in.items():
        shutil.copytree(tmp_path / "good", tmp_path / name)
        old, new, _ = MISTAKES[number]
        path = tmp_path / name / get(number).file
        source = path.read_text(encoding="utf-8")
        assert source.count(old + "\n") == 1
        path.write_text(source.replace(old + "\n", new + "\n"), encoding="utf-8")
    result = _cli(["grade", os.path.join(ROOT, "lessons", "exercises", "assignment.py"), "good", "stub",
                   *planted_in, "--out", "graded"], tmp_path, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    with open(tmp_path / "graded" / "summary.csv", encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert float(rows["good"]["score"]) == 100 and float(rows["stub"]["score"]) == 0
    for name, column in (("transposed", "1 affine layer"), ("lstm_lane", "8 LSTM step"),
                         ("cd_sign", "9 RBM CD-k update")):
        assert float(rows[name]["score"]) == 90 and float(rows[name][column]) == 0, (name, rows[name])
    tests = {t["name"]: t for t in json.loads((tmp_path / "graded" / "cd_sign" / "results.json").read_text())["tests"]}
    said = tests["9 RBM CD-k update"]["output"]
    assert "FAIL W_new" in said and "FAIL dW: differs from the reference's" in said and "sign flipped" in said, said
    stub = json.loads((tmp_path / "graded" / "stub" / "results.json").read_text())["tests"]
    assert all(t["score"] == 0 and "NotImplementedError" in t["output"] for t in stub), [t["output"] for t in stub]


def test_a_file_that_does_not_load_or_lacks_a_function_fails_with_the_reason(tmp_path):
    broken = tmp_path / "01_affine.py"
    broken.write_text("def affine_forward(x, w, b)\n    return x\n", encoding="utf-8")
    report = check(broken, 1)
    assert report.exit_code == 1 and all("SyntaxError" in p.failure for p in report.parts), str(report)
    broken.write_text("def affine_forward(x, w, b):\n    return x @ w + b, (x, w, b)\n", encoding="utf-8")
    report = check(broken, 1)
    assert report.exit_code == 1 and report.parts[0].passed and "affine_backward" in report.parts[1].failure
