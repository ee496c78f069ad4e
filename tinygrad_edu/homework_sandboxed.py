"""Checking homework code that runs in a sandbox: the child evaluates, the parent judges.

    HomeworkSandbox(path, limits=, directory=)               a Sandbox whose child also holds the checker's
                                                             evaluation helpers (homework_driver.py)
    check_submission(path, function="check", limits=...)     `tinygrad-edu gradcheck FILE.py:FUNCTION`: run the
                                                             student's check() in a fresh sandbox -> SubmissionResult
    check_grads_in(box, loss_fn, holder, ...)                 one check on TA-built inputs in an open HomeworkSandbox
    check_loss_grad_in(box, fn, W, *args, ...)                    (what the class grader calls, one per check)
    check_layer_in(box, forward, backward, *inputs, ...)

The student's code runs only in the child process of the sandbox.  The parent chooses the entries to perturb,
the step h and a layer's upstream gradient dout (drawn from os.urandom, never equal to an input); the child only
evaluates the student's functions at those points and sends back plain numbers and arrays.  Central
differences, relative errors, kinks, verdicts and diagnoses are computed here, in the parent (numeric_grad.py,
diagnosis.py).  Whatever the student's code returns is data: a returned report object, a patched HomeworkReport
or checker function in the child change nothing, because the parent never asks the child for a verdict.

A failure of the student's code (an exception, sys.exit/os._exit, a timeout, running out of memory, malformed
data such as a gradient that is not an array) is a FAIL with one plain sentence naming the cause and where it
happened; a mistake of the person running the check (no such file or function, bad options) is a
CheckUsageError (exit status 2 on the command line).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .diagnosis import diagnose
from .gradient_report import HomeworkReport, Mutation, ParamResult
from .homework_check import MAX_ENTRIES, RTOL, _check_options, _layer_grads, batch_sizes, regularization
from .homework_inputs import _Precision
from .numeric_grad import NOISE, CheckUsageError, H, compare, draw_dout, rel_error, sample_entries, vacuous_reason
from .sandbox import Handle, Limits, Sandbox, SandboxFailure

__all__ = ["check_submission", "check_grads_in", "check_loss_grad_in", "check_layer_in", "SubmissionResult",
           "CheckUsageError", "StudentCodeFailure", "HomeworkSandbox"]

_DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "homework_driver.py")
_DRIVER_FILE = "_tinygrad_edu_driver.py"
VALUE_RTOL = 1e-6        # a loss / forward output agrees with the TA's reference at this relative error


class StudentCodeFailure(Exception):
    """The student's code sent malformed data (a gradient that is not an array, the wrong number of gradients):
    a FAIL, never a pass.  reason: one plain sentence; phase: the call it came from; traceback: "" (no frames).
    tinygrad_edu.sandbox.SandboxFailure (the child raised, exited, timed out, died) is the other kind of FAIL;
    check_submission reports both, the per-check functions let both propagate.
    """

    def __init__(self, reason, phase="", traceback=""):
        super().__init__(reason)
        self.reason, self.phase, self.traceback = reason, phase, traceback


# ------------------------------------------------------------------------------------------------ the sandbox
class HomeworkSandbox(Sandbox):
    """A Sandbox (same arguments) whose child imports the checker's helpers, which import the student's file.

    The submission (the file alone with its sibling .py files, or `directory`) is staged in a temporary folder
    beside a copy of homework_driver.py, which the sandbox loads as its module: every name the driver does not
    define is the student's, so box.call("affine_forward", ...) works as with a plain Sandbox.
    """

    def __init__(self, path, limits=None, *, directory=None, isolation="auto"):
        path = os.path.abspath(os.fspath(path))
        if not os.path.isfile(path):
            raise ValueError(f"HomeworkSandbox: the student's file {path} does not exist (or is not a file)")
        source = os.path.dirname(path) if directory is None else os.path.abspath(os.fspath(directory))
        if not path.startswith(source + os.sep):
            raise ValueError(f"HomeworkSandbox: the file {path} is not inside the submission folder {source}")
        self.student_path = path
        self._staging = tempfile.mkdtemp(prefix="tinygrad-edu-homework-")
        try:
            if directory is None:                # the file and its sibling modules, not the whole folder
                for name in os.listdir(source):
                    full = os.path.join(source, name)
                    if (name.endswith(".py") and os.path.isfile(full) and not os.path.islink(full)) or full == path:
                        shutil.copy2(full, self._staging)
            else:
                shutil.copytree(source, self._staging, dirs_exist_ok=True, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".git"))
            with open(_DRIVER) as f:
                driver = f.read()
            with open(os.path.join(self._staging, _DRIVER_FILE), "w") as f:
                f.write(f"_STUDENT_FILE = {os.path.relpath(path, source)!r}\n{driver}")
            super().__init__(os.path.join(self._staging, _DRIVER_FILE), limits, directory=self._staging,
                             isolation=isolation)
        except BaseException:
            shutil.rmtree(self._staging, ignore_errors=True)
            raise

    def start(self):
        try:
            return super().start()
        except SandboxFailure as failure:
            raise _renamed(failure, {}) from None

    def close(self):
        super().close()
        shutil.rmtree(self._staging, ignore_errors=True)


def _renamed(failure, names):
    """failure with the driver's helper names replaced by what the student's code was doing, driver frames cut."""
    reason, phase = failure.reason, failure.phase
    for helper, said in names.items():
        reason, phase = reason.replace(helper, said), phase.replace(helper, said)
    lines, kept, skip = failure.traceback.splitlines(), [], False
    for line in lines:
        if line.startswith("  File "):
            skip = _DRIVER_FILE in line
        if not skip:
            kept.append(line)
    return SandboxFailure(reason, phase, "\n".join(kept), kind=failure.kind)


def _ask(box, helper, doing, *args):
    """One helper call in the child; a failure names `doing` (the student's function and what it was asked)."""
    if not isinstance(box, HomeworkSandbox):
        raise TypeError(f"the sandboxed checks need a HomeworkSandbox (tinygrad_edu.homework_sandboxed), got "
                        f"{type(box).__name__}: open it with HomeworkSandbox(path, limits=..., directory=...)")
    try:
        return box.call(helper, *args)
    except SandboxFailure as failure:
        raise _renamed(failure, {helper: doing}) from None


class _Pace:
    """How many points to send per call: as many as fit in a quarter of the per-call timeout, judged by how long
    the first evaluation took, so slow but honest code (cs231n's naive loops) is never timed out by batching."""

    def __init__(self, box):
        self.box, self.started = box, time.monotonic()

    def first_done(self):
        self.each = max(time.monotonic() - self.started, 1e-4)

    def calls(self, helper, doing, make_args, flat, points):
        """The helper's replies, one per chunk of (flat, points)."""
        size = max(1, int(0.25 * self.box.limits.timeout / self.each))
        return [_ask(self.box, helper, doing, *make_args(flat[i:i + size], points[i:i + size]))
                for i in range(0, len(flat), size)]


def _name(fn, default="your function"):
    """The student's function's name for the report ("loss_fn" for a lambda, as the in-process checkers say)."""
    name = fn if isinstance(fn, str) else fn.type_name if isinstance(fn, Handle) else ""
    name = name.rsplit("<locals>.", 1)[-1]              # check.<locals>.loss -> loss
    return default if not name or "<lambda>" in name else name


def _what(value):
    """How to name a value the student's code sent where data belonged."""
    if isinstance(value, Handle):
        return f"a {value.type_name} object"
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        return f"a {value[1:-1]}"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__}"


def _number(value, said, phase):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise StudentCodeFailure(f"{said} must be a number, but it is {_what(value)}", phase)


def _numbers(values, count, said, phase):
    if not isinstance(values, list) or len(values) != count:
        raise StudentCodeFailure(f"the sandbox sent {_what(values)} where {count} values of {said} belong", phase)
    return np.array([_number(v, said, phase) for v in values], dtype=np.float64)


def _grad(value, said, phase):
    """The student's gradient as a float64 array (a copy); malformed -> StudentCodeFailure."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        raise StudentCodeFailure(f"{said} must be a numeric array, but it is {_what(value)}"
                                 + (": the gradient was never computed" if value is None else ""), phase)
    return np.array(value, dtype=np.float64)


def _float_input(value, label, notes):
    """A TA-built float array as float64 (a copy), noting lower precision."""
    array = np.asarray(value)
    if array.dtype.kind == "f" and array.dtype != np.float64:
        notes.append(f"{label} is {array.dtype}; checked as a float64 copy (float32 central differences are noise)")
    return np.array(array, dtype=np.float64) if array.dtype.kind == "f" else np.array(array)


def _mutations(by, found, labels=None):
    out = {}
    for item in found if isinstance(found, list) else []:
        if not (isinstance(item, list) and len(item) == 3):
            continue
        what, count, first = item
        what = labels[what] if labels is not None and isinstance(what, int) and 0 <= what < len(labels) else what
        if isinstance(what, str) and isinstance(count, int):
            index = tuple(int(i) for i in first) if isinstance(first, list) else None
            out.setdefault(what, Mutation(by, what, count, index))
    return list(out.values())


def _options(h, rtol, seed):
    _check_options(h, rtol, seed)
    return secrets.randbits(32) if seed is None else int(seed)


def _points(array, index, h):
    """The entries and values to evaluate at: every entry at x + h, then every entry at x - h."""
    flat = np.asarray(array, dtype=np.float64).reshape(-1)[index]
    entries = [int(i) for i in index]
    return entries + entries, np.concatenate([flat + h, flat - h]).tolist()


def _value_row(name, got, expected, atol=0.0):
    """A report row comparing the student's loss / forward output with the TA's reference."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return ParamResult(name, False, float("inf"), (), float("nan"), float("nan"),
                           f"your {name} has shape {got.shape}; the reference's is {expected.shape}", 1,
                           int(expected.size), (), got, expected, float("inf"), expected.shape)
    err = np.abs(got - expected)
    rel = rel_error(got, expected)
    ok = np.isfinite(got) & ((rel <= VALUE_RTOL) | (err <= atol))
    j = np.unravel_index(int(np.argmax(np.where(ok, rel, np.inf))), got.shape) if got.size else ()
    said = None if ok.all() else (f"your {name} is {got[j]:.6g} where the reference gives {expected[j]:.6g}" +
                                  (f" (at {list(map(int, j))})" if got.ndim else "") +
                                  ": the forward computation itself is wrong, not only its gradient")
    return ParamResult(name, bool(ok.all()), float(np.max(rel)) if rel.size else 0.0, tuple(int(i) for i in j),
                       float(got[j]) if got.size else float("nan"), float(expected[j]) if got.size else float("nan"),
                       said, int(got.size), int(got.size), (), got, expected, float(np.max(err)) if err.size else 0.0,
                       got.shape)


def _where(name, shape, index):
    """How to name each evaluated point of one parameter: its entry moved up by h, then down by h."""
    at = [f"{name}{list(np.unravel_index(int(i), shape))}" for i in index]
    return [f"with {a} + h" for a in at] + [f"with {a} - h" for a in at]


def _agreement(row, name, got, expected, where, atol):
    """row (the value at the point itself), failed when the values at the perturbed points differ from the
    reference's: the student's function is then wrong near the point, whatever its value there."""
    if row is None or not row.passed or not len(got):
        return row
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    err, rel = np.abs(got - expected), rel_error(got, expected)
    bad = ~(np.isfinite(got) & ((rel <= VALUE_RTOL) | (err <= atol)))
    if not bad.any():
        return row
    j = int(np.argmax(np.where(bad, rel, -1.0)))
    said = (f"your {name} is {got[j]:.9g} where the reference gives {expected[j]:.9g} {where[j]} "
            f"({int(bad.sum())} of {len(got)} nearby points differ): the function itself is wrong near this point, "
            "so its gradient cannot be right")
    return replace(row, passed=False, diagnosis=said, max_rel_error=max(row.max_rel_error, float(rel[j])))


def _call_reference(reference, args, what):
    """The TA's reference at args (copies): a float array (out) or number (loss); (value, ...) takes value."""
    value = reference(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])
    if isinstance(value, tuple):
        value = value[0]
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckUsageError(f"the reference {what} returned {type(value).__name__}, not numbers") from None


def _finish(check, verdicts, h, rtol, atol, notes, mutations, sizes, box, extra=(), seed=None):
    evidence = [ev for _, ev in verdicts]
    if seed is not None and any(r.checked < r.size for r, _ in verdicts):
        notes = [*notes, f"entries sampled with seed {seed} (--seed {seed} samples the same ones again)"]
    results = tuple(r if r.passed else replace(r, diagnosis=diagnose(ev, evidence, sizes)) for r, ev in verdicts)
    return HomeworkReport(check, results + tuple(extra), h, rtol, atol, tuple(notes), tuple(mutations),
                          vacuous=vacuous_reason(results, atol), isolation=box.isolation)


def _precision(precision, losses, by, notes, h):
    for v in losses:
        precision.loss(v, by)
    computed = precision.computed_in()
    if computed:
        notes.append(f"{by} computes the loss in {computed} (its values are all {computed} numbers): central "
                     f"differences with h={h:g} are then too noisy to judge; compute in float64")


# ------------------------------------------------------------------------------------------------ three checks
def check_grads_in(box, loss_fn, holder, *, params=None, args=(), grads=None, names=None, expected_loss=None, h=H,
                   rtol=RTOL, max_entries=MAX_ENTRIES, seed=None, reference=None) -> HomeworkReport:
    """check_grads on TA-built inputs, the student's code running in `box` (an open HomeworkSandbox).

    loss_fn: the student's loss, called in the child as loss_fn(*args) -> loss or (loss, grads) (cs231n's
    TwoLayerNet.loss): the name of a top-level function of the student's module, or a Handle (e.g. a bound method,
    box.getattr(net, "loss")).  holder: a Handle to the child-side object owning the parameters that loss_fn reads
    (an object with a `params` dict name -> array, a cs231n net); they are perturbed in place in the child and
    restored bit for bit.  params: optional TA-built arrays (name -> array) written into the holder's arrays
    first, so the TA decides the point.  grads: the student's gradients: None (loss_fn returns (loss, grads)), a
    name or Handle of a callable grads(*args) -> dict, or a dict of arrays.  names: which parameters (default:
    every one in the holder's dict).  expected_loss: the TA's reference value of the loss at this point (a row
    "loss"; None: not checked).  reference: the TA's loss, reference(params, *args) -> loss, run here in the
    parent at the point and at every perturbed point: the row "loss" then also fails when the student's loss
    differs from it anywhere the checker looked (a loss made to agree with a wrong gradient cannot pass).
    seed: the sampling of entries of arrays larger than max_entries (None: random).
    Raises SandboxFailure / StudentCodeFailure when the student's code fails, CheckUsageError for the TA's mistakes.
    """
    seed = _options(h, rtol, seed)
    by, notes = _name(loss_fn, "loss_fn"), []
    if params is not None:
        sent = {str(n): _float_input(p, f"params[{n!r}]", notes) for n, p in dict(params).items()}
        _ask(box, "_tgedu_set_params", "setting the parameters", holder, sent)
    pace = _Pace(box)
    first = _ask(box, "_tgedu_grads_first", by, loss_fn, holder, list(args), grads,
                 None if names is None else [str(n) for n in names])
    pace.first_done()
    if not isinstance(first, dict) or not {"loss", "grads", "params", "names", "aliased"} <= set(first):
        raise StudentCodeFailure(f"the sandbox sent {_what(first)} where the first evaluation belongs", by)
    checked = [n for n in first["names"] if isinstance(n, str)]
    if not checked:
        return HomeworkReport(f"check_grads({by})", (), h, rtol, 0.0, tuple(notes), vacuous="the params dict is "
                              "empty (or names=[]): there is no gradient to check", isolation=box.isolation)
    f0 = _number(first["loss"], f"the loss {by} returns", by)
    got = first["grads"]
    if not isinstance(got, dict):
        raise StudentCodeFailure(f"the gradients must be a dict name -> array, but they are {_what(got)}", by)
    missing = [n for n in checked if n not in got]
    if missing:
        raise StudentCodeFailure(f"the gradients have no {missing} (they have {sorted(map(str, got))})", by)
    values = first["params"]
    for n in checked:
        p = values.get(n) if isinstance(values, dict) else None
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise StudentCodeFailure(f"params[{n!r}] must be a float numpy array (it is perturbed in place), but "
                                     f"it is {_what(p)}", by)
    analytic = {n: _grad(got[n], f"grads[{n!r}]", by) for n in checked}
    atol = NOISE * abs(f0) / h
    precision, mutations, verdicts, losses_seen = _Precision(), _mutations(by, first.get("mutations")), [], [f0]
    base = {n: np.array(p, dtype=np.float64) for n, p in (params or values).items()}
    ref_got, ref_expected, ref_where = [], [], []
    for k, n in enumerate(checked):
        value = values[n]
        index = sample_entries(value.size, max_entries, seed, k)
        flat, points = _points(value, index, h)
        replies = pace.calls("_tgedu_grads_losses", f"{by} (central differences of {n})",
                             lambda f, v, n=n: (loss_fn, holder, n, f, v, list(args)), flat, points)
        if not all(isinstance(r, list) and len(r) == 2 and isinstance(r[0], list) for r in replies):
            raise StudentCodeFailure(f"the sandbox sent malformed data for the central differences of {n}", by)
        losses = _numbers([v for r in replies for v in r[0]], 2 * len(index), f"the loss {by} returns", by)
        for r in replies:
            mutations += _mutations(by, r[1])
        losses_seen += losses.tolist()
        if reference is not None:
            for flat_i, point in zip(flat, points):
                moved = {key: array.copy() for key, array in base.items()}
                moved[n].flat[flat_i] = point
                ref_expected.append(float(_call_reference(reference, (moved, *args), "loss")))
            ref_got += losses.tolist()
            ref_where += _where(n, value.shape, index)
        verdicts.append(compare(n, value.shape, analytic[n], index, losses[:len(index)], losses[len(index):], f0, h,
                                rtol, atol, value=value, label="grads[{!r}]", aliased=n in first["aliased"]))
    _precision(precision, losses_seen, by, notes, h)
    if reference is not None and expected_loss is None:
        expected_loss = float(_call_reference(reference, (base, *args), "loss"))
    row = None if expected_loss is None else _value_row("loss", f0, expected_loss, atol * h)
    row = _agreement(row, "loss", ref_got, ref_expected, ref_where, atol * h)
    extra = () if row is None else (row,)
    return _finish(f"check_grads({by})", verdicts, h, rtol, atol, notes, _dedupe(mutations), (), box, extra, seed)


def _dedupe(mutations):
    seen = {}
    for m in mutations:
        seen.setdefault((m.by, m.what), m)
    return list(seen.values())


def check_loss_grad_in(box, fn, W, *args, name="W", expected_loss=None, h=H, rtol=RTOL, max_entries=MAX_ENTRIES,
                       seed=None, arg_names=None, reference=None) -> HomeworkReport:
    """check_loss_grad on TA-built inputs in `box`: fn(W, *args) -> (loss, dW) (cs231n's svm_loss_naive).

    fn: a name of the student's module's function or a Handle; W, args: TA-built arrays and numbers (sent to the
    child; every evaluation gets fresh copies, W perturbed at entries the parent picks).  The factor diagnosis
    knows the batch size N from the args' first dimension; the regularization diagnosis knows reg from the
    argument named reg.  expected_loss: the reference loss at W (None: not checked).  reference: the TA's
    reference(W, *args) -> loss (or (loss, dW)), run here at W and at every perturbed W: the row "loss" fails
    when the student's loss differs anywhere the checker looked.  arg_names: the names of (W, *args) for the
    report (default: fn's parameter names, as the child reports them).
    """
    seed = _options(h, rtol, seed)
    by, notes = _name(fn, "fn"), []
    if not isinstance(W, np.ndarray) or W.dtype.kind != "f":
        raise CheckUsageError(f"check_loss_grad: W must be a float numpy array, got {_what(W)}")
    W = _float_input(W, name, notes)
    args = [_float_input(a, f"argument {i + 1}", notes) if isinstance(a, np.ndarray) else a
            for i, a in enumerate(args)]
    labels = list(arg_names) if arg_names is not None else _ask(box, "_tgedu_arg_names", by, fn, 1 + len(args))
    labels = [str(x) for x in labels][:1 + len(args)] if isinstance(labels, list) else []
    labels += [f"input {i}" for i in range(len(labels), 1 + len(args))]
    pace = _Pace(box)
    first = _ask(box, "_tgedu_loss_grad_first", by, fn, W, args)
    pace.first_done()
    if not (isinstance(first, list) and len(first) == 4):
        raise StudentCodeFailure(f"the sandbox sent {_what(first)} where fn's first result belongs", by)
    loss, dW, aliased, changed = first
    if isinstance(dW, str):                              # the driver's word for "not a (loss, dW) pair"
        raise StudentCodeFailure(f"{by}(W, ...) must return (loss, dW), but it returned {_what(dW)}", by)
    f0 = _number(loss, f"the loss {by} returns", by)
    analytic = _grad(dW, f"d{name}", by)
    atol = NOISE * abs(f0) / h
    index = sample_entries(W.size, max_entries, seed, 0)
    flat, points = _points(W, index, h)
    replies = pace.calls("_tgedu_loss_grad_losses", f"{by} (central differences of {name})",
                         lambda f, v: (fn, W, args, f, v), flat, points)
    losses = _numbers([v for r in replies for v in (r if isinstance(r, list) else [r])], 2 * len(index),
                      f"the loss {by} returns", by)
    _precision(_Precision(), [f0, *losses.tolist()], by, notes, h)
    verdicts = [compare(name, W.shape, analytic, index, losses[:len(index)], losses[len(index):], f0, h, rtol, atol,
                        value=W, label="d{}", reg=regularization(labels[1:], args), aliased=aliased is True)]
    ref_expected = []
    if reference is not None:
        if expected_loss is None:
            expected_loss = float(_call_reference(reference, (W, *args), "loss"))
        for flat_i, point in zip(flat, points):
            moved = W.copy()
            moved.flat[flat_i] = point
            ref_expected.append(float(_call_reference(reference, (moved, *args), "loss")))
    row = None if expected_loss is None else _value_row("loss", f0, expected_loss, atol * h)
    row = _agreement(row, "loss", losses if ref_expected else [], ref_expected, _where(name, W.shape, index),
                     atol * h)
    extra = () if row is None else (row,)
    mutations = _mutations(by, changed, labels)
    return _finish(f"check_loss_grad({by})", verdicts, h, rtol, atol, notes, mutations, batch_sizes(args), box,
                   extra, seed)


def check_layer_in(box, forward, backward, *inputs, names=None, expected_out=None, h=H, rtol=RTOL,
                   max_entries=MAX_ENTRIES, seed=None, reference=None) -> HomeworkReport:
    """check_layer on TA-built inputs in `box`: forward(*inputs) -> (out, cache), backward(dout, cache) -> grads.

    The check is of L = sum(out * dout).  forward, backward: names of the student's module's functions or
    Handles.  inputs: TA-built arrays (float arrays are checked; others passed through).  dout is drawn by the
    parent from os.urandom, never equal to an input or to out.  names: the inputs' names (default: forward's
    parameter names, as the child reports them).  expected_out: the reference forward output (None: not checked).
    reference: the TA's forward, reference(*inputs) -> out (or (out, cache)), run here at the inputs and at
    every perturbed point: the row "out" fails when sum(out * dout) differs from the reference's anywhere.
    A layer's backward never divides by the batch size, so no diagnosis here names one.
    """
    seed = _options(h, rtol, seed)
    fwd, bwd, notes = _name(forward, "forward"), _name(backward, "backward"), []
    inputs = [_float_input(x, f"input {i}", notes) if isinstance(x, np.ndarray) else x for i, x in enumerate(inputs)]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, np.ndarray) and x.dtype.kind == "f"]
    if not checked:
        raise CheckUsageError("check_layer: no input is a float numpy array, so there is nothing to check")
    labels = list(names) if names is not None else _ask(box, "_tgedu_arg_names", fwd, forward, len(inputs))
    if not isinstance(labels, list) or len(labels) != len(inputs):
        raise CheckUsageError(f"check_layer: {len(labels) if isinstance(labels, list) else '?'} names for "
                              f"{len(inputs)} inputs")
    labels = [str(x) for x in labels]
    pace = _Pace(box)
    first = _ask(box, "_tgedu_layer_first", fwd, forward, inputs)
    pace.first_done()
    if not (isinstance(first, list) and len(first) == 3):
        raise StudentCodeFailure(f"the sandbox sent {_what(first)} where forward's result belongs", fwd)
    out, cache, changed = first
    if cache is None:
        raise StudentCodeFailure(f"{fwd}(...) must return (out, cache), but it returned {_what(out)}", fwd)
    if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
        raise StudentCodeFailure(f"{fwd}'s out must be a float array, but it is {_what(out)}", fwd)
    if out.dtype != np.float64:
        notes.append(f"{fwd} computes in {out.dtype} from float64 inputs; the check is then too noisy to judge")
    out = out.astype(np.float64)
    dout = draw_dout(out.shape, [x for x in inputs if isinstance(x, np.ndarray)] + [out])
    back = _ask(box, "_tgedu_layer_backward", bwd, backward, dout, cache)
    if not (isinstance(back, list) and len(back) == 2):
        raise StudentCodeFailure(f"the sandbox sent {_what(back)} where backward's result belongs", bwd)
    try:
        grads = _layer_grads(back[0], checked, len(inputs), bwd)
    except CheckUsageError as error:                     # the student's backward returned the wrong count
        raise StudentCodeFailure(str(error).replace("check_layer: ", ""), bwd) from None
    analytic = [_grad(g, f"d{labels[i]}", bwd) for i, g in zip(checked, grads)]
    mutations = _mutations(fwd, changed, labels)
    if isinstance(back[1], list) and len(back[1]) == 2 and isinstance(back[1][0], int) and back[1][0]:
        mutations += _mutations(bwd, [["dout", back[1][0], back[1][1]]])
    f0 = float(np.sum(out * dout))
    atol = NOISE * float(np.sum(np.abs(out * dout))) / h      # the sum's size before its terms cancel
    verdicts, seen, ref_got, ref_expected, ref_where = [], [f0], [], [], []
    for k, i in enumerate(checked):
        index = sample_entries(inputs[i].size, max_entries, seed, k)
        flat, points = _points(inputs[i], index, h)
        replies = pace.calls("_tgedu_layer_sums", f"{fwd} (central differences of {labels[i]})",
                             lambda f, v, i=i: (forward, inputs, i, f, v, dout), flat, points)
        sums = _numbers([v for r in replies for v in (r if isinstance(r, list) else [r])], 2 * len(index),
                        f"{fwd}'s out (an array of shape {out.shape})", fwd)
        seen += sums.tolist()
        if reference is not None:
            for flat_i, point in zip(flat, points):
                moved = [x.copy() if isinstance(x, np.ndarray) else x for x in inputs]
                moved[i].flat[flat_i] = point
                ref_expected.append(float(np.sum(_call_reference(reference, moved, "forward") * dout)))
            ref_got += sums.tolist()
            ref_where += _where(labels[i], inputs[i].shape, index)
        verdicts.append(compare(labels[i], inputs[i].shape, analytic[k], index, sums[:len(index)],
                                sums[len(index):], f0, h, rtol, atol, value=inputs[i], label="d{}", upstream=dout))
    if reference is not None and expected_out is None:
        expected_out = _call_reference(reference, inputs, "forward")
    row = None if expected_out is None else _value_row("out", out, expected_out)
    row = _agreement(row, "sum(out * dout)", ref_got, ref_expected, ref_where, atol * h)
    extra = () if row is None else (row,)
    return _finish(f"check_layer({fwd}, {bwd})", verdicts, h, rtol, atol, notes, mutations, (), box, extra, seed)


# ------------------------------------------------------------------------------------------------ a whole file
@dataclass
class SubmissionResult:
    """What check_submission found.

    reports: one HomeworkReport per check the student's function returned (those finished before a failure);
    failure: None, or the reason the student's code failed (a sentence; a FAIL); failure_phase/failure_traceback:
    where (the last frames in the student's file); usage_error: None, or why the check could not run (exit 2);
    isolation: which isolation was in force (Sandbox.isolation); stdout/stderr: the child's output, truncated.
    passed: no failure, no usage error, at least one report, every report passed.  exit_code: 0 / 1 / 2.
    """

    path: str
    function: str
    reports: list = field(default_factory=list)
    failure: str | None = None
    failure_phase: str = ""
    failure_traceback: str = ""
    usage_error: str | None = None
    isolation: str = ""
    stdout: str = ""
    stderr: str = ""

    @property
    def passed(self) -> bool:
        return (self.failure is None and self.usage_error is None and bool(self.reports)
                and all(r.passed for r in self.reports))

    @property
    def exit_code(self) -> int:
        if self.usage_error is not None:
            return 2
        return 0 if self.passed else 1


def check_submission(path, function="check", *, limits=None, h=H, rtol=RTOL, max_entries=MAX_ENTRIES, seed=None,
                     isolation="auto"):
    """Run `function` (no arguments) of the student's file `path` in a fresh HomeworkSandbox and check what it
    returns.

    function returns one check or a list of them, each a dict of one checker's arguments (lessons/homework/
    README.md): {"loss_fn", "params", "grads"} | {"fn", "W", "args"} | {"forward", "backward", "inputs"}.  Its
    objects stay in the child; the parent sends the points.  Options in those dicts that set the verdict (h,
    rtol, dout, ...) are ignored, with a note.  limits: a tinygrad_edu.sandbox.Limits (default: its defaults);
    seed: the sampling of entries of large arrays (None: random).  Never raises for anything the student's code
    does: returns a SubmissionResult (failure set) instead.  Raises CheckUsageError for bad options.
    """
    seed = _options(h, rtol, seed)
    if max_entries is not None and int(max_entries) < 1:
        raise CheckUsageError(f"max_entries must be a positive number of entries (or None for all), got {max_entries}")
    result = SubmissionResult(str(path), function)
    if not os.path.isfile(path):
        result.usage_error = f"no such file: {path}"
        return result
    if limits is not None and not isinstance(limits, Limits):
        raise CheckUsageError(f"limits must be a tinygrad_edu.sandbox.Limits, got {type(limits).__name__}")
    box = HomeworkSandbox(path, limits, isolation=isolation)
    try:
        result.isolation = box.isolation
        box.start()
        described = _ask(box, "_tgedu_check", f"{function}()", function)
        if isinstance(described, dict) and isinstance(described.get("usage"), str):
            result.usage_error = described["usage"]
            return result
        specs = described.get("checks") if isinstance(described, dict) else None
        if not isinstance(specs, list) or not specs:
            raise StudentCodeFailure(f"{function}() returned nothing to check", f"{function}()")
        for k, spec in enumerate(specs):
            result.reports.append(_run_spec(box, spec, function, k, h, rtol, max_entries, seed))
    except SandboxFailure as failure:
        result.failure, result.failure_phase, result.failure_traceback = failure.reason, failure.phase, \
            failure.traceback
    except StudentCodeFailure as failure:
        result.failure, result.failure_phase = failure.reason, failure.phase
    except CheckUsageError as error:                     # here every input came from the student's check()
        result.failure, result.failure_phase = str(error), f"{function}()"
    finally:
        box.close()
        result.stdout, result.stderr = box.stdout, box.stderr
    return result


_ACCEPTED = ("{'loss_fn', 'params', 'grads'} | {'fn', 'W', 'args'} | {'forward', 'backward', 'inputs'}")


def _run_spec(box, spec, function, k, h, rtol, max_entries, seed):
    where = f"{function}()" + (f"[{k}]" if k else "")
    if not isinstance(spec, dict) or spec.get("form") not in ("check_grads", "check_loss_grad", "check_layer"):
        kind = spec.get("type", "?") if isinstance(spec, dict) else "?"
        keys = f" with keys {spec['keys']}" if isinstance(spec, dict) and spec.get("keys") else ""
        raise StudentCodeFailure(f"{where} returned a {kind}{keys}, not a dict of one checker's arguments "
                                 f"({_ACCEPTED}); a report or verdict is never accepted: the checker computes "
                                 "its own", where)
    if "bad" in spec:
        raise StudentCodeFailure(f"{where}: {spec['bad']}", where)
    options = spec.get("options") if isinstance(spec.get("options"), dict) else {}
    settings = dict(h=h, rtol=rtol, max_entries=max_entries, seed=seed)
    form = spec["form"]
    if form == "check_grads":
        names = options.get("names")
        report = check_grads_in(box, spec["loss_fn"], spec["holder"], grads="__held__",
                                names=[names] if isinstance(names, str) else names, **settings)
    elif form == "check_loss_grad":
        W, args = spec.get("W"), spec.get("args")
        if not isinstance(W, np.ndarray) or W.dtype.kind != "f":
            raise StudentCodeFailure(f"{where}: W must be a float numpy array, but it is {_what(W)}", where)
        report = check_loss_grad_in(box, spec["fn"], W, *(args if isinstance(args, list) else []),
                                    name=str(options.get("name", "W")), arg_names=spec.get("arg_names"), **settings)
    else:
        inputs = spec.get("inputs") if isinstance(spec.get("inputs"), list) else []
        names = options.get("names")
        names = names if isinstance(names, (list, tuple)) and len(names) == len(inputs) else spec.get("arg_names")
        report = check_layer_in(box, spec["forward"], spec["backward"], *inputs, names=names, **settings)
    ignored = spec.get("ignored") if isinstance(spec.get("ignored"), list) else []
    if ignored:
        note = (f"{where} set {', '.join(map(str, ignored))}: ignored. The checker sets the step and the thresholds, "
                "samples the entries and draws dout itself")
        report = replace(report, notes=report.notes + (note,))
    return report
