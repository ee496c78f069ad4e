"""Checking an exercise: the student's functions run in a sandbox, the references and every verdict stay here.

    check_exercise(path, parts, limits=None)      -> ExerciseReport (per-part verdicts; .exit_code 0 pass / 1 fail)
    ValuePart(title, produce, expected, ...)      the student's outputs against trusted reference values
    GradientPart(title, produce, inputs, loss, ...)  the student's gradients against central differences of a
                                                  trusted loss, computed here, with diagnoses
    Mistake(output, wrong, says)                  a known wrong answer, recognised by value and named

A part's `produce(student)` calls the student's functions (`student.call("affine_forward", x, w, b)`), which run
in the child process of one tinygrad_edu.sandbox.Sandbox; only plain arrays and numbers come back.  The inputs,
the upstream gradients, the reference values (from lessons/solutions, trusted code) and the central differences
(of the reference loss, in this process: the student's code cannot bend them) are chosen and computed here.
A function still raising its stub's NotImplementedError is named as not written yet; any other failure of the
student's code (an exception, an exit, a timeout, too much memory, something that is not an array) fails its
part with the reason.  Nothing the child says is taken as a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .diagnosis import diagnose
from .numeric_grad import NOISE, compare, differences, rel_error, sample_entries

__all__ = ["check_exercise", "ValuePart", "GradientPart", "Mistake", "PartResult", "ExerciseReport", "Student",
           "StudentError"]

H = 1e-5                 # central differences' step (cs231n's)
GRAD_RTOL = 1e-5         # an entry of a gradient passes at this relative error (smooth float64 code gives ~1e-8)
VALUE_RTOL = 1e-6        # an entry of a forward value passes at this relative error
MAX_ENTRIES = 200        # larger arrays are checked on this many entries (drawn with the seed)


class StudentError(Exception):
    """The student's code failed (or returned something unusable) while a part ran: that part FAILs."""

    def __init__(self, reason, unfinished=None):
        super().__init__(reason)
        self.reason, self.unfinished = reason, unfinished


class Student:
    """The student's module, loaded in an open Sandbox: call(name, *args) runs one of its functions there."""

    def __init__(self, box):
        self.box = box

    def call(self, function, *args):
        from .sandbox import SandboxFailure

        try:
            return self.box.call(function, *args)
        except SandboxFailure as failure:
            reason = failure.reason
            if "NotImplementedError" in reason:
                stub = re.search(r"(\w+): write the TODO block", reason)     # the stub's own message names it
                where = stub.group(1) if stub else function
                via = f" (called by {function})" if where != function else ""
                raise StudentError(f"{where} is not written yet{via}: it still raises the stub's NotImplementedError "
                                   "(write its TODO block and delete that line)", unfinished=where) from None
            if "has no attribute" in reason or "no function" in reason:
                raise StudentError(f"your file has no function {function} (keep the stub's function names): "
                                   f"{reason}") from None
            raise StudentError(reason) from None


def as_array(value, what, shape=None):
    """The student's `value` as a float64 array (a StudentError naming `what` otherwise)."""
    if value is None:
        raise StudentError(f"{what} is None: the TODO block did not set it")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise StudentError(f"{what} is a {type(value).__name__}, not an array of numbers") from None
    if shape is not None and array.shape != tuple(shape):
        raise StudentError(f"{what} has shape {array.shape}, expected {tuple(shape)}")
    return array


def returned(value, count, function):
    """A tuple of `count` values from `function` (a StudentError saying what came back otherwise)."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
        raise StudentError(f"{function} must return {count} values, returned {got}")
    return tuple(value)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer for one output: wrong(context) is what a student making it returns (context: the
    part's inputs, and 'dout' for a layer); says: the sentence naming it."""

    output: str
    wrong: Callable
    says: str


@dataclass
class PartResult:
    """One part's verdict: title, passed, lines (one per output compared), diagnoses (sentences), unfinished (the
    function still raising NotImplementedError, or None), failure (why the student's code could not run)."""

    title: str
    passed: bool
    lines: list = field(default_factory=list)
    diagnoses: list = field(default_factory=list)
    unfinished: str | None = None
    failure: str | None = None


@dataclass
class ExerciseReport:
    """Every part's verdict for one exercise; passed when every part passed.  isolation: what the sandbox
    enforced; stdout: what the student's code printed (truncated)."""

    title: str
    path: str
    parts: list
    isolation: str = ""
    stdout: str = ""

    @property
    def passed(self):
        return bool(self.parts) and all(p.passed for p in self.parts)

    @property
    def exit_code(self):
        return 0 if self.passed else 1

    @property
    def unfinished(self):
        """The functions still raising the stub's NotImplementedError, in order."""
        return list(dict.fromkeys(p.unfinished for p in self.parts if p.unfinished))

    def __str__(self):
        lines = [f"{self.title}: {self.path}"]
        for p in self.parts:
            lines.append(f"{'ok  ' if p.passed else 'FAIL'} {p.title}")
            lines += [f"       {line}" for line in p.lines]
            if p.failure:
                lines.append(f"       {p.failure}")
            lines += [f"       diagnosis: {d}" for d in p.diagnoses]
        ok = sum(p.passed for p in self.parts)
        if self.passed:
            lines.append(f"PASS: all {len(self.parts)} parts")
        else:
            todo = f"; not written yet: {', '.join(self.unfinished)}" if self.unfinished else ""
            lines.append(f"FAIL: {ok} of {len(self.parts)} parts pass{todo}")
        if self.isolation:
            lines.append(f"(your code ran in a sandbox: {self.isolation})")
        return "\n".join(lines)

    def _repr_html_(self):
        """Jupyter shows the parts as a table, not the dataclass."""
        from .report_html import exercise_html

        return exercise_html(self)


# ------------------------------------------------------------------------------------------------ parts
def _known(mistakes, output, analytic, context):
    """The sentence of the first known mistake whose wrong answer the student's `analytic` equals."""
    for m in mistakes:
        if m.output != output:
            continue
        wrong = np.asarray(m.wrong(context), dtype=np.float64)
        if wrong.shape == analytic.shape and np.allclose(analytic, wrong, rtol=1e-6, atol=1e-9) \
                and np.all(np.isfinite(analytic)):
            return m.says
    return None


@dataclass(frozen=True)
class ValuePart:
    """Compare the student's outputs with reference values.

    produce(student) -> {name: value}: calls the student's functions; expected() -> {name: array}: the trusted
    reference at the same inputs; context: what Mistake.wrong reads; rtol: per-entry relative error allowed.
    """

    title: str
    produce: Callable
    expected: Callable
    mistakes: tuple = ()
    context: dict = field(default_factory=dict)
    rtol: float = VALUE_RTOL

    def run(self, student, seed=0):
        result = PartResult(self.title, False)
        expected = self.expected()
        got = self.produce(student)
        passed = True
        for name, want in expected.items():
            want = np.asarray(want, dtype=np.float64)
            try:
                have = as_array(got.get(name), name, want.shape)
            except StudentError as error:
                passed = False
                result.lines.append(f"FAIL {name}: {error.reason}")
                continue
            err = np.abs(have - want)
            rel = rel_error(have, want)
            ok = (rel <= self.rtol) | (err <= 1e-9 * max(1.0, float(np.abs(want).max(initial=0))))
            if ok.all():
                result.lines.append(f"ok   {name}: max relative error {float(rel.max(initial=0)):.2g}")
                continue
            passed = False
            worst = np.unravel_index(int(np.argmax(np.where(ok, -1, rel))), want.shape)
            at = list(map(int, worst))
            result.lines.append(f"FAIL {name}: {int((~ok).sum())} of {want.size} entries wrong; at {name}{at} yours "
                                f"{have[worst]:.6g}, expected {want[worst]:.6g}")
            said = _known(self.mistakes, name, have, self.context)
            if said:
                result.diagnoses.append(f"{name}: {said}")
        result.passed = passed
        return result


@dataclass(frozen=True)
class GradientPart:
    """Compare the student's gradients with central differences of a reference loss, computed here.

    produce(student) -> {name: gradient}; inputs: {name: float array} the loss reads (perturbed here, one entry
    at a time, on copies); loss(inputs) -> float: the reference loss (for a layer: sum(forward(...) * dout));
    names: which gradients to check (default: every key of inputs); values: {name: the parameter} for the
    diagnoses that push gradients through weights; upstream: a layer's dout (for the mask and bias diagnoses);
    batch: the batch size N (for the 1/N diagnosis); mistakes: known wrong answers, tried first.
    """

    title: str
    produce: Callable
    inputs: dict
    loss: Callable
    names: tuple = ()
    mistakes: tuple = ()
    upstream: np.ndarray | None = None
    batch: int | None = None
    label: str = "d{}"

    def run(self, student, seed=0):
        result = PartResult(self.title, False)
        names = self.names or tuple(self.inputs)
        got = self.produce(student)
        work = {k: np.array(v, dtype=np.float64) for k, v in self.inputs.items()}
        f0 = float(self.loss(work))
        atol = NOISE * max(1.0, abs(f0)) / H
        verdicts, passed = [], True
        for k, name in enumerate(names):
            array = work[name]
            try:
                analytic = as_array(got.get(name), self.label.format(name))
            except StudentError as error:
                passed = False
                result.lines.append(f"FAIL {self.label.format(name)}: {error.reason}")
                continue
            index = sample_entries(array.size, MAX_ENTRIES, seed, k)
            plus, minus = differences(lambda: self.loss(work), array, index, H)
            extra = {"upstream": self.upstream} if self.upstream is not None else {}
            verdict, evidence = compare(name, array.shape, analytic, index, plus, minus, f0, H, GRAD_RTOL, atol,
                                        value=array.copy(), label=self.label, **extra)
            verdicts.append((name, analytic, verdict, evidence))
        evidence_all = [ev for *_, ev in verdicts]
        context = dict(self.inputs, dout=self.upstream)
        said_for = {}                                   # sentence -> the gradients it explains (said once)
        for name, analytic, verdict, evidence in verdicts:
            result.lines.append(_gradient_line(self.label.format(name), verdict))
            if verdict.passed:
                continue
            passed = False
            said = _known(self.mistakes, name, analytic, context) or diagnose(
                evidence, evidence_all, (self.batch,) if self.batch else ()) or verdict.diagnosis
            if said:
                said_for.setdefault(said, []).append(self.label.format(name))
        result.diagnoses += [f"{', '.join(labels)}: {said}" for said, labels in said_for.items()]
        result.passed = passed
        return result


def _gradient_line(label, v):
    if v.shape_error:
        return f"FAIL {label}: {v.shape_error}"
    mark = "ok  " if v.passed else "FAIL"
    where = "" if v.passed or np.isnan(v.analytic) else \
        f"; worst at {label}{list(v.worst_index)}: yours {v.analytic:.6g}, numeric {v.numeric:.6g}"
    sampled = f" ({v.checked} of {v.size} entries sampled)" if v.checked < v.size else ""
    kinks = f"; {len(v.kinks)} entries at a kink, not counted" if v.kinks else ""
    return f"{mark} {label}: max relative error {v.max_rel_error:.2g}{where}{sampled}{kinks}"


# ------------------------------------------------------------------------------------------------ the check
def check_exercise(path, parts, title="exercise", limits=None, seed=0, sandbox=None):
    """Run every part against the student's file `path` in one sandbox -> ExerciseReport.

    parts: ValueParts and GradientParts, run in order (a failing part does not stop the others); limits: a
    tinygrad_edu.sandbox.Limits (default: its defaults); sandbox: the Sandbox class (tests may pass another).
    """
    from . import sandbox as sandbox_module

    Sandbox = sandbox or sandbox_module.Sandbox
    SandboxFailure = sandbox_module.SandboxFailure
    kwargs = {"limits": limits} if limits is not None else {}
    report = ExerciseReport(title, str(path), [])
    try:
        with Sandbox(str(path), **kwargs) as box:
            report.isolation = getattr(box, "isolation", "")
            student = Student(box)
            for part in parts:
                report.parts.append(_run_part(part, student, seed))
            report.stdout = getattr(box, "stdout", "") or ""
    except SandboxFailure as failure:              # the file did not load, or the child died between parts
        done = len(report.parts)
        for part in parts[done:]:
            report.parts.append(PartResult(part.title, False, failure=f"could not run: {failure.reason}"))
    return report


def _run_part(part, student, seed):
    try:
        return part.run(student, seed)
    except StudentError as error:
        return PartResult(part.title, False, unfinished=error.unfinished, failure=error.reason)
