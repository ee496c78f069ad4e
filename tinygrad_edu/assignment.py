"""The TA's assignment file for `tinygrad-edu grade`: which functions of a student's file to check, and how.

An assignment is a Python file (trusted: it runs in the grader, never in a sandbox) with a list `CHECKS`:

    import numpy as np
    from tinygrad_edu.assignment import GradsCheck, LayerCheck, LossGradCheck

    def svm_inputs(rng):                        # the function's arguments, drawn from the grader's seeded rng
        W = 0.01 * rng.standard_normal((6, 4))
        X = rng.standard_normal((10, 6))
        return W, X, rng.integers(0, 4, size=10), 0.1

    CHECKS = [
        LossGradCheck("svm_loss_naive", file="svm_loss.py", inputs=svm_inputs, points=10, reference=my_svm_loss),
        LayerCheck("affine_forward", "affine_backward", file="layers.py", points=10,
                   inputs=lambda rng: (rng.standard_normal((5, 4)), rng.standard_normal((4, 3)),
                                       rng.standard_normal(3))),
        GradsCheck("TwoLayerNet", init=(4, 5, 3), file="two_layer_net.py", points=20, inputs=net_inputs),
    ]

The shapes of homework (the first three are the ones `tinygrad-edu gradcheck` knows):
- LossGradCheck(function, ...): function(W, *args) -> (loss, dW); inputs(rng) -> (W, *args);
  reference(W, *args) -> the right loss.
- LayerCheck(forward, backward, ...): forward(*inputs) -> (out, cache), backward(dout, cache) -> one gradient
  per float input; inputs(rng) -> the inputs; reference(*inputs) -> the right out.
- GradsCheck(model, init=(...), ...): the student's class (or factory) built as model(*init); its `params`
  dict is replaced by the TA's arrays; model.loss(*args) -> the loss (or (loss, grads)), model.gradient(*args)
  -> dict name -> gradient (gradient=None: take the grads from loss's second result, cs231n's TwoLayerNet);
  inputs(rng) -> (params, *args); reference(params, *args) -> the right loss.
- ValueCheck(function, outputs=("W_new", "dW"), ...): an update rule or a sampler, checked by its values:
  function(*inputs) -> one array per name of outputs (a tuple; one array when there is one name);
  inputs(rng) -> the inputs; reference(*inputs) -> the right outputs (required).  Each output passes when
  np.allclose(yours, reference's, rtol, atol) (rtol=1e-7, atol=1e-9 unless given), compared in the grader.

With a reference, the student's loss (or out) must equal the reference's at the inputs, and the student's
gradients must also match central differences of the reference, computed by the grader (tinygrad_edu.
grade_reference), not only those of the student's own loss.

Every check: `points` (all or nothing: every gradient right, and the value when a reference is given),
`name` (the test's name in Gradescope and the column of summary.csv; default from the function names),
`seed` (of the rng handed to `inputs`; default from the name, the same for every student), `visibility`
(Gradescope's: "visible", "hidden", "after_due_date", "after_published"), `max_entries` (entries checked per
array, sampled).  LayerCheck also takes `names=("x", "w", "b")` for its inputs.  A broken assignment raises
AssignmentError (`tinygrad-edu grade` exits 2 with its message).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["GradsCheck", "LossGradCheck", "LayerCheck", "ValueCheck", "Assignment", "AssignmentError",
           "load_assignment"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class AssignmentError(ValueError):
    """The assignment file (the TA's) is broken: the grader stops with exit status 2 and this message."""


class _Check:
    """What every check has (see the module docstring); the subclasses add the student's function names."""

    kind = "check"

    def __init__(self, *, file, inputs, points=1, reference=None, name=None, seed=None, visibility="visible",
                 max_entries=None):
        self.file, self.inputs, self.points, self.reference = file, inputs, points, reference
        self.name, self.seed, self.visibility, self.max_entries = name, seed, visibility, max_entries

    def __repr__(self):
        return f"{type(self).__name__}({self.title!r}, file={self.file!r}, points={self.points})"

    @property
    def functions(self) -> tuple:
        """The names the check calls in the student's file."""
        raise NotImplementedError

    @property
    def title(self) -> str:
        return self.name or "/".join(self.functions)

    @property
    def rng_seed(self) -> int:
        """The seed of the inputs: given, or from the check's title (stable across runs and machines)."""
        return int(self.seed) if self.seed is not None else zlib.crc32(self.title.encode())

    def make_inputs(self):
        """inputs(rng) called with a fresh rng seeded by rng_seed: the same arrays for every student."""
        return self.inputs(np.random.default_rng(self.rng_seed))


class LossGradCheck(_Check):
    """function(W, *args) -> (loss, dW): cs231n's svm_loss_naive.  inputs(rng) -> (W, *args)."""

    kind = "loss_grad"

    def __init__(self, function, **options):
        super().__init__(**options)
        self.function = function

    @property
    def functions(self):
        return (self.function,)


class LayerCheck(_Check):
    """forward(*inputs) -> (out, cache), backward(dout, cache) -> gradients.  inputs(rng) -> the inputs."""

    kind = "layer"

    def __init__(self, forward, backward, *, names=None, **options):
        super().__init__(**options)
        self.forward, self.backward, self.names = forward, backward, names

    @property
    def functions(self):
        return (self.forward, self.backward)


class GradsCheck(_Check):
    """A model with a params dict: model(*init).params <- params; .loss(*args), .gradient(*args) -> grads dict.

    inputs(rng) -> (params, *args).  gradient=None: loss(*args) returns (loss, grads).
    """

    kind = "grads"

    def __init__(self, model, *, init=(), loss="loss", gradient="gradient", **options):
        super().__init__(**options)
        init = tuple(init) if isinstance(init, list) else init
        self.model, self.init, self.loss, self.gradient = model, init, loss, gradient

    @property
    def functions(self):
        methods = [self.loss] + ([self.gradient] if self.gradient else [])
        return (self.model,) + tuple(f"{self.model}.{m}" for m in methods)

    @property
    def title(self):
        return self.name or self.model


class ValueCheck(_Check):
    """function(*inputs) -> outputs, compared by value with reference(*inputs) (no gradient: an update rule).

    outputs: the names of the function's results, in order; rtol, atol: np.allclose's tolerance per output.
    """

    kind = "value"

    def __init__(self, function, *, outputs=("out",), rtol=1e-7, atol=1e-9, **options):
        super().__init__(**options)
        outputs = tuple(outputs) if isinstance(outputs, list) else outputs
        self.function, self.outputs, self.rtol, self.atol = function, outputs, rtol, atol

    @property
    def functions(self):
        return (self.function,)


@dataclass(frozen=True)
class Assignment:
    """A loaded, validated assignment: its checks (with their inputs built once) and where it came from."""

    path: str
    title: str
    checks: tuple
    inputs: tuple = field(repr=False)     # one tuple of arguments per check, built from its seed
    expected: tuple = field(repr=False)   # per check: the reference's loss (float), out (array), outputs (tuple of
    #                                       arrays, a ValueCheck) or None

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    @property
    def files(self) -> tuple:
        return tuple(dict.fromkeys(c.file for c in self.checks))


def load_assignment(path) -> Assignment:
    """Run the TA's file and validate its CHECKS (AssignmentError saying what is wrong otherwise)."""
    if not os.path.isfile(path):
        raise AssignmentError(f"no such assignment file: {path}")
    if not str(path).endswith(".py"):
        raise AssignmentError(f"the assignment must be a Python file (.py), got {path}")
    name = f"_assignment_{abs(hash(os.path.abspath(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                       # dataclasses defined in the file need it
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)                       # the TA's file may import its own helpers
    try:
        spec.loader.exec_module(module)
    except AssignmentError:
        raise
    except BaseException as error:                   # SystemExit too: a TA's typo is exit 2, not a crash
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-3:]).rstrip()
        raise AssignmentError(f"could not load the assignment {path}: {type(error).__name__}: {error}\n{detail}") \
            from None
    finally:
        sys.path.remove(folder)
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, (list, tuple)) or not checks:
        raise AssignmentError(f"{path} must define CHECKS = [...], a non-empty list of GradsCheck / LossGradCheck / "
                              f"LayerCheck (from tinygrad_edu.assignment); got {type(checks).__name__}")
    title = getattr(module, "TITLE", None) or os.path.splitext(os.path.basename(path))[0]
    inputs, expected = [], []
    for i, check in enumerate(checks):
        _validate(check, i)
        inputs.append(_built_inputs(check))
        expected.append(_reference_value(check, inputs[-1]))
    titles = [c.title for c in checks]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise AssignmentError(f"{path}: two checks are named {duplicates}: give each a different name='...' "
                              "(names are the tests of results.json and the columns of summary.csv)")
    return Assignment(os.path.abspath(path), str(title), tuple(checks), tuple(inputs), tuple(expected))


def _validate(check, i):
    where = f"CHECKS[{i}]"
    if not isinstance(check, _Check):
        raise AssignmentError(f"{where} is a {type(check).__name__}; expected GradsCheck, LossGradCheck, LayerCheck "
                              "or ValueCheck")
    where = f"{where} ({type(check).__name__} {check.title!r})"
    for fn in check.functions:
        if not isinstance(fn, str) or not all(part.isidentifier() for part in fn.split(".")):
            raise AssignmentError(f"{where}: function names must be the names in the student's file, got {fn!r}")
    if not isinstance(check.file, str) or not check.file.endswith(".py") or os.path.isabs(check.file) \
            or ".." in check.file.replace("\\", "/").split("/"):
        raise AssignmentError(f"{where}: file= must be a .py path relative to the submission, got {check.file!r}")
    if not callable(check.inputs):
        raise AssignmentError(f"{where}: inputs= must be a function of a numpy Generator, got {check.inputs!r}")
    if check.reference is not None and not callable(check.reference):
        raise AssignmentError(f"{where}: reference= must be a function or None, got {check.reference!r}")
    if isinstance(check.points, bool) or not isinstance(check.points, (int, float)) or not check.points >= 0:
        raise AssignmentError(f"{where}: points= must be a number >= 0, got {check.points!r}")
    if check.visibility not in VISIBILITIES:
        raise AssignmentError(f"{where}: visibility= must be one of {VISIBILITIES}, got {check.visibility!r}")
    if check.max_entries is not None and (not isinstance(check.max_entries, int) or check.max_entries < 1):
        raise AssignmentError(f"{where}: max_entries= must be a positive int or None, got {check.max_entries!r}")
    if isinstance(check, ValueCheck):
        if check.reference is None:
            raise AssignmentError(f"{where}: a ValueCheck needs reference= (the right outputs): it has no gradient "
                                  "to check without one")
        if not isinstance(check.outputs, tuple) or not check.outputs or not all(isinstance(n, str)
                                                                              for n in check.outputs):
            raise AssignmentError(f"{where}: outputs= must be a non-empty tuple of names, got {check.outputs!r}")
        for label in ("rtol", "atol"):
            tol = getattr(check, label)
            if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
                raise AssignmentError(f"{where}: {label}= must be a number >= 0, got {tol!r}")
    if isinstance(check, GradsCheck):
        if not isinstance(check.init, tuple):
            raise AssignmentError(f"{where}: init= must be a tuple of the constructor's arguments, got {check.init!r}")


def _built_inputs(check):
    """The check's arguments, validated: a TA's bug in inputs() is found before any student is graded."""
    where = f"{type(check).__name__} {check.title!r}"
    try:
        made = check.make_inputs()
    except Exception as error:
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-2:]).rstrip()
        raise AssignmentError(f"{where}: inputs(rng) raised {type(error).__name__}: {error}\n{detail}") from None
    if not isinstance(made, tuple) or not made:
        raise AssignmentError(f"{where}: inputs(rng) must return a non-empty tuple of arguments, got "
                              f"{type(made).__name__}")
    if isinstance(check, LossGradCheck):
        _float_array(made[0], f"{where}: inputs(rng)[0] (W)")
    elif isinstance(check, ValueCheck):
        pass                                         # any arguments: the values are what is checked
    elif isinstance(check, LayerCheck):
        if not any(isinstance(x, np.ndarray) and x.dtype.kind == "f" for x in made):
            raise AssignmentError(f"{where}: inputs(rng) has no float numpy array: nothing to check")
        if check.names is not None and (len(check.names) != len(made) or not all(isinstance(n, str)
                                                                                 for n in check.names)):
            raise AssignmentError(f"{where}: names= must name each of the {len(made)} inputs, got {check.names!r}")
    else:
        params = made[0]
        if not isinstance(params, Mapping) or not params:
            raise AssignmentError(f"{where}: inputs(rng)[0] must be the params dict name -> float array, got "
                                  f"{type(params).__name__}")
        for key, value in params.items():
            _float_array(value, f"{where}: params[{key!r}]")
    return made


def _reference_value(check, inputs):
    """The TA's reference at the inputs, computed once (on copies: a reference cannot change the inputs)."""
    if check.reference is None:
        return None
    where = f"{type(check).__name__} {check.title!r}"
    copies = [{k: v.copy() for k, v in x.items()} if isinstance(x, Mapping) else
              x.copy() if isinstance(x, np.ndarray) else x for x in inputs]
    try:
        value = check.reference(*copies)
        if isinstance(check, ValueCheck):
            value = _outputs(value, check)
        elif isinstance(check, LayerCheck):
            value = value[0] if isinstance(value, tuple) else value      # a forward returning (out, cache)
            value = np.asarray(value, dtype=np.float64)
        else:
            value = float(value)
    except Exception as error:
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-2:]).rstrip()
        raise AssignmentError(f"{where}: reference(...) at the inputs raised {type(error).__name__}: {error} "
                              f"(it must return the {'forward output' if isinstance(check, LayerCheck) else 'loss'})"
                              f"\n{detail}") from None
    if not all(np.all(np.isfinite(v)) for v in (value if isinstance(check, ValueCheck) else (value,))):
        raise AssignmentError(f"{where}: reference(...) at the inputs is not finite: {value}")
    return value


def _outputs(value, check):
    """A ValueCheck reference's result as a tuple of float64 arrays, one per name of check.outputs."""
    value = (value,) if len(check.outputs) == 1 and not isinstance(value, (tuple, list)) else tuple(value)
    if len(value) != len(check.outputs):
        raise ValueError(f"it returned {len(value)} results for the {len(check.outputs)} outputs {check.outputs}")
    return tuple(np.asarray(v, dtype=np.float64) for v in value)


def _float_array(x, label):
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise AssignmentError(f"{label} must be a float numpy array, got {type(x).__name__} {getattr(x, 'dtype', '')}")
