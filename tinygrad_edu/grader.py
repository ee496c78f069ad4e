"""The class grader: every submission checked in its own sandboxed process, the verdicts computed here.

    grade_submission(assignment, directory, limits=None) -> SubmissionResult
    grade_class(assignment, directories, out, jobs=None, limits=None, on_done=None) -> [SubmissionResult]

For each check of the assignment (tinygrad_edu.assignment), the student's functions run in the submission's
sandbox (tinygrad_edu.grade_boxes: one HomeworkSandbox child holding all its files, a fresh one whenever the
student's code killed the last) and tinygrad_edu.homework_sandboxed's check_*_in evaluate them there at the
TA's inputs: the parent picks the points and dout and computes every difference, error and verdict, and
compares the loss or output with the TA's reference and the gradients with the reference's own central
differences (tinygrad_edu.grade_reference), computed here.  Anything the student's code does (exits, raises, loops,
allocates, patches numpy or the checker in its own process, returns something else) is a FAIL of that check
with the reason; nothing of one submission is shared with another (separate processes, separate copies of the
files).  `jobs` submissions are graded at a time, each on a thread of this process that waits on its sandbox.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .assignment import GradsCheck, LayerCheck, LossGradCheck, ValueCheck
from .grade_boxes import SubmissionBoxes
from .grade_reference import against_reference, reference_differences
from .grade_report import SubmissionResult, TestResult, merged_problems, short_problem, write_results_json
from .grade_values import value_rows

__all__ = ["grade_submission", "grade_class", "submission_name", "reference_table"]


def submission_name(directory):
    """The submission's name in OUT_DIR and summary.csv: the directory's base name."""
    return os.path.basename(os.path.normpath(os.path.abspath(directory)))


def grade_class(assignment, directories, out, *, jobs=None, limits=None, on_done=None):
    """Grade every directory, `jobs` at a time; write OUT/<name>/results.json as each finishes.

    on_done(result): called (from a worker thread) after each submission.  Returns the results in the order
    of directories.
    """
    jobs = jobs or os.cpu_count() or 1
    references = reference_table(assignment)

    def one(directory):
        try:
            result = grade_submission(assignment, directory, limits=limits, references=references)
            write_results_json(result, os.path.join(out, result.name, "results.json"))
        except Exception as error:      # a bug of the grader: this submission FAILs, the others are still graded
            result = _crashed(assignment, directory, error)
            write_results_json(result, os.path.join(out, result.name, "results.json"))
        if on_done is not None:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
        return list(pool.map(one, directories))


def reference_table(assignment):
    """Per check, the central differences of the TA's reference at its inputs (None without a reference)."""
    return tuple(None if isinstance(c, ValueCheck) else reference_differences(c, i, c.max_entries)
                 for c, i in zip(assignment.checks, assignment.inputs))       # a ValueCheck has no gradient


def grade_submission(assignment, directory, *, limits=None, references=None):
    """Every check of assignment on the submission in directory -> SubmissionResult (never raises for what the
    student's code does).  references: reference_table(assignment), computed once for a class."""
    from .sandbox import Limits

    references = references if references is not None else reference_table(assignment)
    start = time.perf_counter()
    found = {c.file: _find_file(directory, c.file) for c in assignment.checks}
    boxes = SubmissionBoxes(directory, [p for p in found.values() if p is not None], limits or Limits())
    tests = []
    try:
        for check, inputs, expected, diffs in zip(assignment.checks, assignment.inputs, assignment.expected,
                                                  references):
            tests.append(_grade_check(check, inputs, expected, diffs, directory, found[check.file], boxes))
    finally:
        output = boxes.close()
    header = [f"{assignment.title}: graded by tinygrad-edu grade ({len(tests)} checks)",
              "isolation: " + ("; ".join(sorted(boxes.isolations)) or "none: no file of the submission was run")]
    return SubmissionResult(submission_name(directory), os.path.abspath(directory), tuple(tests),
                            time.perf_counter() - start, "\n".join(header + output))


def _grade_check(check, inputs, expected, diffs, directory, path, boxes):
    from .homework_sandboxed import CheckUsageError, StudentCodeFailure
    from .sandbox import SandboxFailure

    head = f"{check.title} ({_describe(check)}, in {check.file})"
    if path is None:
        present = sorted(os.path.relpath(os.path.join(d, f), directory) for d, _, fs in os.walk(directory)
                         for f in fs if f.endswith(".py") and not os.path.islink(os.path.join(d, f)))
        copies = [p for p in present if os.path.basename(p) == os.path.basename(check.file)]
        said = (f"{len(copies)} files are named {os.path.basename(check.file)} ({', '.join(copies)}): keep one, at "
                f"the top of the submission" if len(copies) > 1 else f"{check.file} is not in the submission")
        return _failed(check, f"{head}\nFAIL: {said} (Python files found: {present or 'none'})",
                       (f"{check.file} missing",))
    try:
        box, resolve = boxes.get(path)
        if isinstance(check, ValueCheck):
            return _value_result(check, head, value_rows(check, box, resolve, _fresh(inputs), expected))
        report = _run(check, box, resolve, _fresh(inputs), expected)     # check_grads_in FAILs a skipped name
        _require_compared(report.results)
        rows = _reference_rows(check, box, resolve, _fresh(inputs), report, diffs) if report.passed else []
    except (SandboxFailure, StudentCodeFailure) as failure:
        where = f" (in {failure.phase})" if failure.phase and failure.phase not in failure.reason else ""
        trace = f"\n{failure.traceback.rstrip()}" if failure.traceback else ""
        return _failed(check, f"{head}\nFAIL: {failure.reason}{where}{trace}\n  ran in: {boxes.isolation}",
                       (short_problem(failure.reason),))
    except CheckUsageError as error:
        return _failed(check, f"{head}\nFAIL: the check could not run on this submission: {error}\n"
                              f"  ran in: {boxes.isolation}", (f"check could not run: {short_problem(str(error))}",))
    except Exception as error:      # a bug of the grader, not the student's: still a FAIL, never a pass
        return _failed(check, f"{head}\nFAIL: internal error of the grader (please tell your TA): "
                              f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-3)}",
                       (f"grader error: {type(error).__name__}",))
    text = f"{head}\n{report}"
    if rows:
        what = "L = sum(out * dout), a dout of the grader's" if isinstance(check, LayerCheck) else "loss"
        text += (f"\nagainst the TA's reference: central differences of the reference {what}, computed by the "
                 "grader, not in your process:\n" + "\n".join(f"  {r}" for r in rows))
    failing = [r for r in report.results if not r.passed] + [r for r in rows if not r.passed]
    problems = merged_problems(_problem(r, _batch_sizes(check, inputs)) for r in failing)
    if report.vacuous is not None:
        problems += (f"nothing tested: {short_problem(report.vacuous)}",)
    passed = bool(report.passed) and all(r.passed for r in rows)
    if passed:
        try:
            _require_compared(rows)
        except StudentCodeFailure as failure:
            return _failed(check, f"{text}\nFAIL: {failure.reason}", ("gradient compared with nothing",))
    if not passed and not problems:
        problems = ("failed",)
    score = float(check.points) if passed else 0.0
    return TestResult(check.title, score, float(check.points), passed, text, check.visibility, problems)


def _value_result(check, head, rows):
    """A ValueCheck's TestResult: all its points when every output equals the reference's, else 0."""
    passed = all(r.passed for r in rows)
    text = f"{head}\n" + "\n".join(f"  {r}" for r in rows) + f"\n{'PASS' if passed else 'FAIL'}"
    problems = merged_problems(r.problem for r in rows if not r.passed)
    return TestResult(check.title, float(check.points) if passed else 0.0, float(check.points), passed, text,
                      check.visibility, problems if passed or problems else ("failed",))


def _reference_rows(check, box, resolve, inputs, report, diffs):
    """The student's gradients against the reference's central differences (no rows without a reference).  A
    layer's backward is asked once more, for the grader's own dout."""
    from .homework_sandboxed import StudentCodeFailure
    from .sandbox import Handle

    if diffs is None:
        return []
    if not isinstance(check, LayerCheck):
        return against_reference(diffs, {r.name: r.analytic_grad for r in report.results
                                         if r.name not in ("loss", "out")})

    def call(name, *args):
        target = resolve(name)
        return box.call_handle(target, *args) if isinstance(target, Handle) else box.call(target, *args)

    first = call(check.forward, *inputs)
    if not (isinstance(first, (tuple, list)) and len(first) == 2):
        raise StudentCodeFailure(f"{check.forward} must return (out, cache)", check.forward)
    grads = call(check.backward, diffs.dout.copy(), first[1])
    floats = [i for i, x in enumerate(inputs) if isinstance(x, np.ndarray) and x.dtype.kind == "f"]
    if isinstance(grads, np.ndarray) and len(floats) == 1:
        grads = [grads]
    elif isinstance(grads, (tuple, list)) and len(grads) == len(inputs) and len(grads) != len(floats):
        grads = [grads[i] for i in floats]
    if not isinstance(grads, (tuple, list)) or len(grads) != len(floats):
        raise StudentCodeFailure(f"{check.backward} returned {type(grads).__name__} where one gradient per float "
                                 f"input ({len(floats)}) belongs", check.backward)
    for name, g in zip(diffs.names, grads):
        number = isinstance(g, (int, float)) and not isinstance(g, bool)
        if not (number or isinstance(g, np.ndarray) and g.dtype.kind in "fiub"):
            raise StudentCodeFailure(f"{check.backward} returned {type(g).__name__} "
                                     f"{getattr(g, 'dtype', '')} for d{name} where a numeric array belongs "
                                     "(asked a second time, with the grader's dout)", check.backward)
    return against_reference(diffs, dict(zip(diffs.names, grads)))


def _run(check, box, resolve, inputs, expected):
    """The report of one check, the student's code running in box; resolve(name) -> what names the student's
    function there (a Handle, or the name itself)."""
    from .homework_sandboxed import check_grads_in, check_layer_in, check_loss_grad_in
    from .sandbox import Handle

    options = {} if check.max_entries is None else {"max_entries": check.max_entries}
    if isinstance(check, GradsCheck):
        options["names"] = [str(n) for n in inputs[0]]      # the TA's parameters, not those the child lists
    if isinstance(check, LossGradCheck):
        W, *args = inputs
        return check_loss_grad_in(box, resolve(check.function), W, *args, expected_loss=expected, **options)
    if isinstance(check, LayerCheck):
        return check_layer_in(box, resolve(check.forward), resolve(check.backward), *inputs, names=check.names,
                              expected_out=expected, **options)
    if isinstance(check, GradsCheck):
        params, *args = inputs
        model = resolve(check.model)
        net = box.call_handle(model, *check.init) if isinstance(model, Handle) else box.call(model, *check.init)
        if not isinstance(net, Handle):             # plain data came back: no object to hold the parameters
            from .homework_sandboxed import StudentCodeFailure

            raise StudentCodeFailure(f"{check.model}{check.init!r} returned a {type(net).__name__}, not an object "
                                     "with a params dict and a loss method", check.model)
        loss_fn = box.getattr(net, check.loss)
        grads = box.getattr(net, check.gradient) if check.gradient else None
        return check_grads_in(box, loss_fn, net, params=params, args=tuple(args), grads=grads,
                              expected_loss=expected, **options)
    raise TypeError(f"grade: unknown check {check!r}")


def _require_compared(rows):
    """numeric_grad.compared_nothing, the one rule for kinks, on rows that say they passed: judge() already fails
    such a row, so this only guards rows built elsewhere."""
    from .homework_sandboxed import StudentCodeFailure
    from .numeric_grad import compared_nothing, nothing_compared_reason

    for r in rows:
        if r.passed and compared_nothing(r.checked, len(r.kinks)):
            raise StudentCodeFailure(nothing_compared_reason(r.name, r.checked), r.name)


def _problem(result, batch_sizes=()):
    """A few words for the class table: what went wrong with one row of a report."""
    text = result.diagnosis or ""
    if result.name in ("loss", "out") and "the reference gives" in text:      # the value row
        return f"{result.name} differs from the reference"
    factor = re.search(r"numeric = \S+ / (\d+) exactly", text)
    if factor and int(factor.group(1)) in batch_sizes:
        # the loss's data has N examples and the gradient is exactly N times the right one: the 1/N of the mean
        return f"forgot 1/N in d{result.name}"
    if text:
        return short_problem(text, result.name)
    return f"wrong d{result.name} (no known pattern)"


def _batch_sizes(check, inputs):
    """N of the loss's data: the first dimension of the array arguments after the parameters (GradsCheck's
    args, LossGradCheck's X); a layer has no batch of the loss."""
    if isinstance(check, LayerCheck):
        return ()
    return tuple(a.shape[0] for a in inputs[1:] if isinstance(a, np.ndarray) and a.ndim >= 1)


def _find_file(directory, relative):
    """directory/relative, or the one file of that base name anywhere below directory (Gradescope keeps the
    folders a student uploads); None when absent or ambiguous.  Links are no student's file (one could point
    at the TA's files)."""
    def regular(path):
        return os.path.isfile(path) and not os.path.islink(path)

    exact = os.path.join(directory, relative)
    if regular(exact):
        return exact
    base = os.path.basename(relative)
    found = [os.path.join(d, base) for d, _, files in os.walk(directory) if base in files]
    found = [p for p in found if regular(p)]
    return found[0] if len(found) == 1 else None


def _fresh(inputs):
    """A copy of the inputs (arrays and dicts of arrays), so nothing a check does reaches the next submission."""
    def copy(x):
        if isinstance(x, np.ndarray):
            return x.copy()
        if isinstance(x, dict):
            return {k: copy(v) for k, v in x.items()}
        return x
    return tuple(copy(x) for x in inputs)


def _describe(check):
    if isinstance(check, LossGradCheck):
        return f"{check.function}(W, ...) -> (loss, dW)"
    if isinstance(check, LayerCheck):
        return f"{check.forward} -> (out, cache), {check.backward}(dout, cache) -> grads"
    if isinstance(check, ValueCheck):
        return f"{check.function}(...) -> ({', '.join(check.outputs)}), compared by value"
    methods = f".{check.loss}(...)" + (f", .{check.gradient}(...)" if check.gradient else " -> (loss, grads)")
    return f"{check.model}{check.init!r}.params, {methods}"


def _crashed(assignment, directory, error):
    """Every check FAILed, saying the grader itself broke on this submission (never a pass, never a lost run)."""
    said = (f"FAIL: internal error of the grader on this submission (please tell your TA): {type(error).__name__}: "
            f"{error}\n{traceback.format_exc(limit=-3)}")
    tests = tuple(_failed(c, f"{c.title}\n{said}", (f"grader error: {type(error).__name__}",))
                  for c in assignment.checks)
    return SubmissionResult(submission_name(directory), os.path.abspath(directory), tests, 0.0, said)


def _failed(check, text, problems):
    return TestResult(check.title, 0.0, float(check.points), False, text, check.visibility, problems)
