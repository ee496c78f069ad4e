"""`tinygrad-edu gradcheck`'s whole-file check: run the student's check() in a fresh HomeworkSandbox and check
every dict it returns with the sandboxed checks (homework_sandboxed.py).

    check_submission(path, function="check", limits=...)  -> SubmissionResult (reports, or the failure's reason,
                                                             or the usage error; exit_code 0 / 1 / 2)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np

from .homework_box import HomeworkSandbox, StudentCodeFailure, _ask, _clip, _options, _what
from .homework_check import MAX_ENTRIES, RTOL
from .homework_sandboxed import check_grads_in, check_layer_in, check_loss_grad_in
from .numeric_grad import CheckUsageError, H
from .sandbox import Limits, SandboxFailure

__all__ = ["check_submission", "SubmissionResult"]


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
        kind = _clip(spec.get("type", "?")) if isinstance(spec, dict) else "?"
        keys = f" with keys {_clip(str(spec['keys']), 400)}" if isinstance(spec, dict) and spec.get("keys") else ""
        raise StudentCodeFailure(f"{where} returned a {kind}{keys}, not a dict of one checker's arguments "
                                 f"({_ACCEPTED}); a report or verdict is never accepted: the checker computes "
                                 "its own", where)
    if "bad" in spec:
        raise StudentCodeFailure(f"{where}: {_clip(str(spec['bad']), 400)}", where)
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
                                    name=_clip(str(options.get("name", "W"))), arg_names=spec.get("arg_names"),
                                    **settings)
    else:
        inputs = spec.get("inputs") if isinstance(spec.get("inputs"), list) else []
        names = options.get("names")
        names = names if isinstance(names, (list, tuple)) and len(names) == len(inputs) else spec.get("arg_names")
        report = check_layer_in(box, spec["forward"], spec["backward"], *inputs, names=names, **settings)
    ignored = spec.get("ignored") if isinstance(spec.get("ignored"), list) else []
    if ignored:
        note = (f"{where} set {_clip(', '.join(map(str, ignored)), 400)}: ignored. The checker sets the step and "
                "the thresholds, samples the entries and draws dout itself")
        report = replace(report, notes=report.notes + (note,))
    return report
