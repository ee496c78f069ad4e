"""Checking homework code that runs in a sandbox: the child evaluates, the parent judges.

    check_submission(path, function="check", limits=...)     `tinygrad-edu gradcheck FILE.py:FUNCTION`: run the
                                                             student's check() in a fresh sandbox -> SubmissionResult
    check_grads_in(box, loss_fn, holder, ...)                 one check on TA-built inputs, in an open Sandbox
    check_loss_grad_in(box, fn, W, *args, ...)                    (what the class grader calls, one per check)
    check_layer_in(box, forward, backward, *inputs, ...)

The student's code runs only in the child process of a tinygrad_edu.sandbox.Sandbox.  The parent chooses the
entries to perturb, the step h and a layer's upstream gradient dout (drawn from os.urandom, never equal to an
input); the child only evaluates the student's functions at those points and sends back plain numbers and
arrays.  Central differences, relative errors, kinks, verdicts and diagnoses are computed here, in the parent.
Whatever the student's code returns is data: a returned report object, a patched HomeworkReport or checker
function in the child change nothing, because the parent never asks the child for a verdict.

A failure of the student's code (an exception, sys.exit/os._exit, a timeout, running out of memory, malformed
data such as a gradient that is not an array) is a FAIL with one plain sentence naming the cause and where it
happened; a mistake of the person running the check (no such file or function, bad options) is a
CheckUsageError (exit status 2 on the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .homework_check import MAX_ENTRIES, RTOL, CheckUsageError, H, HomeworkReport

__all__ = ["check_submission", "check_grads_in", "check_loss_grad_in", "check_layer_in", "SubmissionResult",
           "CheckUsageError", "StudentCodeFailure"]


class StudentCodeFailure(Exception):
    """The student's code failed or sent malformed data: a FAIL, never a pass.

    reason: one plain sentence ("backward returned 2 gradients for 3 float inputs", "your code called sys.exit(0)
    during affine_backward"); phase: the call it happened in; traceback: the last frames in the student's file
    (text, may be empty).  tinygrad_edu.sandbox.SandboxFailure (the child died, timed out, raised) is reported the
    same way by check_submission; the per-check functions let it propagate.
    """

    def __init__(self, reason, phase="", traceback=""):
        super().__init__(reason)
        self.reason, self.phase, self.traceback = reason, phase, traceback


@dataclass
class SubmissionResult:
    """What check_submission found.

    reports: one HomeworkReport per check the student's check() returned (those finished before a failure);
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


def check_submission(path, function="check", *, limits=None, h=H, rtol=RTOL, max_entries=MAX_ENTRIES, seed=None):
    """Run `function` (no arguments) of the student's file `path` in a fresh Sandbox and check what it returns.

    function returns one check or a list of them, each a dict of one checker's arguments (lessons/homework/
    README.md): {"loss_fn", "params", "grads"} | {"fn", "W", "args"} | {"forward", "backward", "inputs"}.  Its
    objects stay in the child; the parent sends the points.  limits: a tinygrad_edu.sandbox.Limits (default: its
    defaults); seed: the sampling of entries of large arrays (None: a fresh random seed).  Never raises for
    anything the student's code does: returns a SubmissionResult (failure set) instead.  Raises CheckUsageError
    for bad options (h, rtol, max_entries, seed).
    """
    raise NotImplementedError("check_submission: being written by helper 14b (signature final)")


def check_grads_in(box, loss_fn, holder, *, params=None, args=(), grads=None, names=None, expected_loss=None, h=H,
                   rtol=RTOL, max_entries=MAX_ENTRIES, seed=None) -> HomeworkReport:
    """check_grads on TA-built inputs, the student's code running in `box` (an open Sandbox).

    loss_fn: the student's loss, called in the child as loss_fn(*args) -> loss or (loss, grads) (cs231n's
    TwoLayerNet.loss): the name of a top-level function of the student's module, or a Handle (e.g. a bound method,
    box.getattr(net, "loss")).  holder: a Handle to the child-side object owning the parameters that loss_fn reads
    (a dict name -> array, or an object with such a `params` dict); they are perturbed in place in the child and
    restored.  params: optional TA-built arrays (name -> array) copied into the holder's arrays first, so the
    TA decides the point.  grads: the student's gradients: None (loss_fn returns (loss, grads)), a name or Handle
    of a callable grads(*args) -> dict, or a dict of arrays.  names: which parameters (default: all of holder's).
    expected_loss: the TA's reference value of the loss at this point (checked as a row "loss"; None: not checked).
    Raises SandboxFailure / StudentCodeFailure when the student's code fails, CheckUsageError for the TA's mistakes.
    """
    raise NotImplementedError("check_grads_in: being written by helper 14b (signature final)")


def check_loss_grad_in(box, fn, W, *args, name="W", expected_loss=None, h=H, rtol=RTOL, max_entries=MAX_ENTRIES,
                       seed=None) -> HomeworkReport:
    """check_loss_grad on TA-built inputs in `box`: fn(W, *args) -> (loss, dW) (cs231n's svm_loss_naive).

    fn: a name of the student's module's function or a Handle; W, args: TA-built arrays and numbers (sent to the
    child; W perturbed in copies the parent makes).  expected_loss: the reference loss at W (None: not checked).
    """
    raise NotImplementedError("check_loss_grad_in: being written by helper 14b (signature final)")


def check_layer_in(box, forward, backward, *inputs, names=None, expected_out=None, h=H, rtol=RTOL,
                   max_entries=MAX_ENTRIES, seed=None) -> HomeworkReport:
    """check_layer on TA-built inputs in `box`: forward(*inputs) -> (out, cache), backward(dout, cache) -> grads.

    forward, backward: names of the student's module's functions or Handles.  inputs: TA-built arrays (float
    arrays are checked; others passed through).  dout is drawn by the parent from os.urandom, never equal to an
    input or to out.  names: the inputs' names (default x, w, b... from the TA's order: "input 0", ...).
    expected_out: the reference forward output at inputs (None: not checked).
    """
    raise NotImplementedError("check_layer_in: being written by helper 14b (signature final)")
