"""The sandbox side of the homework checks: a Sandbox that also holds the checker's evaluation helpers, and
careful reading of what its child sends back (nothing from there is trusted beyond being data).

    HomeworkSandbox(path, limits=, directory=)     a Sandbox whose child imports homework_driver.py, which imports
                                                   the student's file and forwards every other name to it
    StudentCodeFailure                             the student's code sent malformed data: a FAIL
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time

import numpy as np

from .gradient_report import Mutation
from .homework_check import _check_options
from .sandbox import Handle, Sandbox, SandboxFailure

__all__ = ["HomeworkSandbox", "StudentCodeFailure"]

_DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "homework_driver.py")
_DRIVER_FILE = "_tinygrad_edu_driver.py"


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


TEXT_LIMIT = 120      # characters of any one text the student's process sends (a name, a type, a mutation's target)
MAX_MUTATIONS = 20    # mutations kept per report: each is a line of it


def _clip(text, limit=TEXT_LIMIT):
    """A text from the student's process, cut to `limit` characters (with the count cut) so it cannot flood a
    report; anything not a str is named by its type."""
    text = text if isinstance(text, str) else f"<{type(text).__name__}>"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters cut)"


def _name(fn, default="your function"):
    """The student's function's name for the report ("loss_fn" for a lambda, as the in-process checkers say)."""
    name = fn if isinstance(fn, str) else fn.type_name if isinstance(fn, Handle) else ""
    name = name.rsplit("<locals>.", 1)[-1]              # check.<locals>.loss -> loss
    return default if not name or "<lambda>" in name else _clip(name)


def _what(value):
    """How to name a value the student's code sent where data belonged."""
    if isinstance(value, Handle):
        return f"a {_clip(value.type_name)} object"
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        return f"a {_clip(value[1:-1])}"
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
        if isinstance(what, str) and isinstance(count, int) and not isinstance(count, bool) \
                and len(out) < MAX_MUTATIONS:
            index = tuple(int(i) for i in first[:32]) if isinstance(first, list) and all(
                isinstance(i, int) for i in first[:32]) else None
            what = _clip(what)
            out.setdefault(what, Mutation(_clip(by), what, count, index))
    return list(out.values())


def _options(h, rtol, seed):
    _check_options(h, rtol, seed)
    return secrets.randbits(32) if seed is None else int(seed)


def _points(array, index, h):
    """The entries and values to evaluate at: every entry at x + h, then every entry at x - h."""
    flat = np.asarray(array, dtype=np.float64).reshape(-1)[index]
    entries = [int(i) for i in index]
    return entries + entries, np.concatenate([flat + h, flat - h]).tolist()


def _dedupe(mutations):
    seen = {}
    for m in mutations:
        seen.setdefault((m.by, m.what), m)
    return list(seen.values())
