"""Gradient checking of hand-written numpy backward passes, in the three shapes students write them.

    check_grads(loss_fn, params, grads)       loss_fn() reads the `params` dict (name -> array); grads: name -> array
    check_loss_grad(fn, W, *args)             fn(W, *args) -> (loss, dW)            (cs231n svm_loss_naive)
    check_layer(forward, backward, *inputs)   forward(*inputs) -> (out, cache); backward(dout, cache) -> grads
    run_check(spec)                           a dict of one checker's arguments (as check() returns them)

These run the code under test in this process: for your own code and the engine's lessons.  A student's file
is checked in a sandbox by homework_sandboxed.py (`tinygrad-edu gradcheck`, the grader), which shares the
numeric core (numeric_grad.py), the diagnoses and the report type with these.

Every checker works in float64 (float32 arrays are checked as float64 copies; that, and a loss computed in
float32, give a PrecisionWarning), uses central differences with step h and cs231n's relative error, samples
max_entries entries (seeded) of a larger array, and leaves every array it was given bit-for-bit as it was,
even when the student's code raises or writes into its arguments (undone, and reported in the report).
Entries whose one-sided differences disagree, with the student's value between them, sit at a kink
(ReLU, max, hinge near 0): they are listed, not called wrong.  Options: h, rtol, max_entries, seed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np

from .diagnosis import HomeworkReport, ParamResult, diagnose
from .hints import ArrayLike
from .homework_inputs import (
    CheckUsageError,
    PrecisionWarning,
    _as_grad,
    _copied,
    _Inputs,
    _Notes,
    _Precision,
    _promoted,
)
from .numeric_grad import H, compare, draw_dout, noise_atol, sample_entries, vacuous_reason

__all__ = ["check_grads", "check_loss_grad", "check_layer", "run_check", "run_checks", "CheckUsageError",
           "PrecisionWarning", "HomeworkReport", "ParamResult"]

RTOL = 1e-5           # an entry passes at this relative error (smooth float64 code gives ~1e-8)
MAX_ENTRIES = 200     # larger arrays are checked on this many entries, sampled with the seed


# ------------------------------------------------------------------------------------------- differences and verdicts
def _differences(inputs, call, by, array, index, h):
    """The loss at x + h and x - h for each flat entry in index of array (perturbed in place, put back)."""
    plus, minus = np.empty(len(index)), np.empty(len(index))
    pristine = inputs.pristine(array)
    for j, flat in enumerate(index):
        at = np.unravel_index(flat, array.shape)
        inputs.doing = f"perturbing entry {list(map(int, at))}"
        plus[j] = inputs.probe(call, by, array, at, pristine[at] + h)
        minus[j] = inputs.probe(call, by, array, at, pristine[at] - h)
    return plus, minus


def _report(check, verdicts, h, rtol, atol, inputs, notes, precision, by, sizes):
    computed = precision.computed_in()
    if computed:
        notes.add(f"{notes.check}: {by} computes the loss in {computed} (its values are all {computed} numbers): "
                  f"central differences with h={h:g} are then too noisy to judge; compute in float64")
    evidence = [ev for _, ev in verdicts]
    results = tuple(r if r.passed or r.diagnosis else replace(r, diagnosis=diagnose(ev, evidence, sizes))
                    for r, ev in verdicts)
    return HomeworkReport(check, results, h, rtol, atol, tuple(notes), tuple(inputs.mutations.values()),
                          vacuous=vacuous_reason(results, atol))


def _annotate(error, by, check, inputs):
    if hasattr(error, "add_note") and not isinstance(error, CheckUsageError):
        error.add_note(f"tinygrad_edu.{check}: {by} raised while {inputs.doing}; every array given to the check "
                       "has been restored bit for bit")


def _name(fn, default):
    name = getattr(fn, "__name__", None)
    return name if name and name != "<lambda>" else default


def _arg_names(fn, count):
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input {i}" for i in range(count)]


def _check_options(h, rtol, seed=0):
    if not (h > 0 and rtol > 0):
        raise CheckUsageError(f"h and rtol must be positive, got h={h}, rtol={rtol}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise CheckUsageError(f"seed must be a whole number >= 0 (it seeds the sampling of entries), got {seed!r}")


# ------------------------------------------------------------------------------------------- the three checkers
def check_grads(loss_fn: Callable[[], Any], params: MutableMapping[str, np.ndarray], grads: Mapping[str, ArrayLike],
                *, h: float = H, rtol: float = RTOL, max_entries: int = MAX_ENTRIES, seed: int | None = 0,
                names: Iterable[str] | None = None) -> HomeworkReport:
    """Check a dict of hand-written gradients against the loss they belong to (the notes' TwoLayerNet).

    loss_fn(): the loss from the current contents of the `params` arrays (a number, or (loss, grads)).
    params: dict name -> float array, perturbed in place one entry at a time and always restored.
    grads: dict name -> the student's gradient, each of its parameter's shape.  names: the keys to check
    (default: every key of params, which must all be in grads).

        net = TwoLayerNet(4, 5, 3)
        report = check_grads(lambda: net.loss(x, t), net.params, net.gradient(x, t))
        report["b1"].passed, report["b1"].diagnosis
    """
    _check_options(h, rtol, seed)
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise CheckUsageError(f"check_grads: params and grads must be dicts name -> array, got "
                              f"{type(params).__name__} and {type(grads).__name__}")
    names = list(params) if names is None else list(names)
    missing = [n for n in names if n not in params or n not in grads]
    if missing:
        raise CheckUsageError(f"check_grads: no parameter or no gradient named {missing} (params: {list(params)}, "
                              f"grads: {list(grads)}); pass names=[...] to check some of them")
    for n in names:
        p = params[n]
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f" or not p.flags.writeable:
            raise CheckUsageError(f"check_grads: params[{n!r}] must be a writeable float numpy array (it is perturbed "
                                  f"in place and restored), got {type(p).__name__} {getattr(p, 'dtype', '')}")
    by, inputs, precision, notes = _name(loss_fn, "loss_fn"), _Inputs(), _Precision(), _Notes("check_grads")
    if not names:
        return HomeworkReport(f"check_grads({by})", (), h, rtol, 0.0, vacuous="params is empty (or names=[]): "
                              "there is no gradient to check")
    aliased = {n for n in names if isinstance(grads[n], np.ndarray) and np.shares_memory(grads[n], params[n])}
    originals = {n: params[n] for n in names}
    try:
        work = {}
        for n in names:
            work[n] = _promoted(originals[n], f"params[{n!r}]", notes) \
                if originals[n].dtype != np.float64 else originals[n]
            if work[n] is not originals[n]:
                params[n] = work[n]                     # loss_fn reads the dict: it now sees the float64 copy
                inputs.add(f"your {originals[n].dtype} params[{n!r}]", originals[n])
            inputs.add(f"params[{n!r}]", work[n])
            inputs.bind(f"params[{n!r}]", params, n)
        analytic = {n: _as_grad(grads[n], f"grads[{n!r}]", notes) for n in names}
        notes.flush()
        for n, g in grads.items():
            if isinstance(g, np.ndarray) and all(g is not w for w in work.values()):
                inputs.add(f"grads[{n!r}]", g)
        call = lambda: precision.loss(loss_fn(), by)  # noqa: E731
        f0 = inputs.probe(call, by)
        atol = noise_atol(abs(f0), h)
        verdicts = []
        for k, n in enumerate(names):
            index = sample_entries(work[n].size, max_entries, seed, k)
            plus, minus = _differences(inputs, call, by, work[n], index, h)
            verdicts.append(compare(n, work[n].shape, analytic[n], index, plus, minus, f0, h, rtol, atol,
                                    value=inputs.pristine(work[n]), label="grads[{!r}]", aliased=n in aliased))
    except Exception as error:
        _annotate(error, by, "check_grads", inputs)
        raise
    finally:
        inputs.restore()
        for n in originals:
            params[n] = originals[n]
    return _report(f"check_grads({by})", verdicts, h, rtol, atol, inputs, notes, precision, by, ())


def check_loss_grad(fn: Callable[..., tuple | list], W: np.ndarray, *args: Any, h: float = H, rtol: float = RTOL,
                    max_entries: int = MAX_ENTRIES, seed: int | None = 0, name: str = "W") -> HomeworkReport:
    """Check a loss function that returns its own gradient: fn(W, *args) -> (loss, dW) (cs231n's SVM/softmax).

    W: float array (D, C); args: the rest, e.g. X (N, D), y (N,), reg.  fn gets float64 copies of the arrays,
    so W and args are never touched.  The factor diagnosis knows N from the first dimension of the arrays.

        report = check_loss_grad(svm_loss_naive, W, X, y, 0.1)
    """
    _check_options(h, rtol, seed)
    if not isinstance(W, np.ndarray) or W.dtype.kind != "f":
        raise CheckUsageError(f"check_loss_grad: W must be a float numpy array, got {type(W).__name__} "
                              f"{getattr(W, 'dtype', '')}")
    by, inputs, precision, notes = _name(fn, "fn"), _Inputs(), _Precision(), _Notes("check_loss_grad")
    labels = _arg_names(fn, 1 + len(args))
    work = _promoted(W, labels[0], notes)
    inputs.add(labels[0], work)
    wargs = []
    for label, a in zip(labels[1:], args):
        if isinstance(a, np.ndarray):
            a = _promoted(a, label, notes)
            inputs.add(label, a)
        wargs.append(a)
    try:
        seen = {}

        def first_call():
            result = fn(work, *wargs)
            if isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], np.ndarray):
                seen["aliased"] = np.shares_memory(result[1], work)      # dW = W; dW *= ...: W itself
            return _copied(result)
        first = inputs.probe(first_call, by)
        if not isinstance(first, (tuple, list)) or len(first) != 2:
            raise CheckUsageError(f"check_loss_grad: {by}(W, ...) must return (loss, dW), got {type(first).__name__}")
        f0 = precision.loss(first[0], by)
        analytic = _as_grad(first[1], "dW", notes)
        notes.flush()
        atol = noise_atol(abs(f0), h)
        call = lambda: precision.loss(fn(work, *wargs), by)  # noqa: E731
        index = sample_entries(work.size, max_entries, seed, 0)
        plus, minus = _differences(inputs, call, by, work, index, h)
        verdicts = [compare(name, work.shape, analytic, index, plus, minus, f0, h, rtol, atol,
                            value=inputs.pristine(work), label="d{}", reg=regularization(labels[1:], args),
                            aliased=seen.get("aliased", False))]
    except Exception as error:
        _annotate(error, by, "check_loss_grad", inputs)
        raise
    finally:
        inputs.restore()
    sizes = batch_sizes(args)
    return _report(f"check_loss_grad({by})", verdicts, h, rtol, atol, inputs, notes, precision, by, sizes)


def check_layer(forward: Callable[..., tuple | list], backward: Callable[..., np.ndarray | tuple | list], *inputs: Any,
                dout: ArrayLike | None = None, h: float = H, rtol: float = RTOL, max_entries: int = MAX_ENTRIES,
                seed: int | None = 0, names: Iterable[str] | None = None) -> HomeworkReport:
    """Check a layer's forward/backward pair (cs231n style) through L = sum(forward(*inputs)[0] * dout).

    forward(*inputs) -> (out, cache); backward(dout, cache) -> one gradient per float-array input, in order
    (a single array when there is one).  Other inputs (int arrays, dicts of settings) are passed through.
    dout: the upstream gradient, out's shape (default: standard normal from a fresh os.urandom seed, re-drawn
    if it equals an input, so no input can share its stream).  Results are named after forward's parameters
    (x, w, b), or names=[...].  Both functions get copies of the arrays.

        report = check_layer(affine_forward, affine_backward, x, w, b)
        report["w"].max_rel_error
    """
    _check_options(h, rtol, seed)
    fwd_name, bwd_name = _name(forward, "forward"), _name(backward, "backward")
    labels = list(names) if names is not None else _arg_names(forward, len(inputs))
    if len(labels) != len(inputs):
        raise CheckUsageError(f"check_layer: {len(labels)} names for {len(inputs)} inputs")
    guard, precision, notes = _Inputs(), _Precision(), _Notes("check_layer")
    work, checked = [], []
    for i, (label, x) in enumerate(zip(labels, inputs)):
        if isinstance(x, np.ndarray):
            x = _promoted(x, label, notes)
            guard.add(label, x)
            if x.dtype.kind == "f":
                checked.append(i)
        work.append(x)
    if not checked:
        raise CheckUsageError("check_layer: no input is a float numpy array, so there is nothing to check")
    by = fwd_name                                        # whose code runs now, for the note on an exception
    try:
        first = guard.probe(lambda: _copied(forward(*work)), fwd_name)
        if not isinstance(first, (tuple, list)) or len(first) != 2:
            raise CheckUsageError(f"check_layer: {fwd_name}(...) must return (out, cache), got {type(first).__name__}")
        out = np.asarray(first[0])
        if out.dtype.kind != "f":
            raise CheckUsageError(f"check_layer: {fwd_name}'s out must be a float array, got {out.dtype}")
        if out.dtype != np.float64:
            notes.add(f"check_layer: {fwd_name} computes in {out.dtype} from float64 inputs; the check is then too "
                      "noisy to judge (compute in float64)")
        if dout is None:
            dout = draw_dout(out.shape, [x for x in work if isinstance(x, np.ndarray)] + [out])
        dout = np.array(dout, dtype=np.float64)
        if dout.shape != out.shape:
            raise CheckUsageError(f"check_layer: dout has shape {dout.shape} but {fwd_name}'s out has {out.shape}")
        given = dout.copy()                              # backward's copy: writing into it is reported
        guard.add("dout", given)
        guard.doing, by = f"running {bwd_name}", bwd_name
        grads = guard.probe(lambda: _copied(backward(given, first[1])), bwd_name)
        by = fwd_name
        grads = _layer_grads(grads, checked, len(inputs), bwd_name)
        analytic = [_as_grad(g, f"d{labels[i]}", notes) for i, g in zip(checked, grads)]
        notes.flush()
        f0 = float(np.sum(out * dout))
        atol = noise_atol(float(np.sum(np.abs(out * dout))), h)    # the sum's size before its terms cancel
        call = lambda: float(np.sum(np.asarray(forward(*work)[0], dtype=np.float64) * dout))  # noqa: E731
        verdicts = []
        for k, (i, a) in enumerate(zip(checked, analytic)):
            index = sample_entries(work[i].size, max_entries, seed, k)
            plus, minus = _differences(guard, call, fwd_name, work[i], index, h)
            verdicts.append(compare(labels[i], work[i].shape, a, index, plus, minus, f0, h, rtol, atol,
                                    value=guard.pristine(work[i]), label="d{}", upstream=dout))
    except Exception as error:
        _annotate(error, by, "check_layer", guard)
        raise
    finally:
        guard.restore()
    # no batch sizes: a layer's backward never divides by N (the loss above it does)
    return _report(f"check_layer({fwd_name}, {bwd_name})", verdicts, h, rtol, atol, guard, notes, precision, fwd_name,
                   ())


def batch_sizes(args):
    """The loss's batch size: the first dimension of its data arrays (X (N, D) and y (N,) after W).  With two or
    more arrays, only a first dimension they share (so a per-class weight vector (C,) is not taken for N)."""
    firsts = [a.shape[0] for a in args if isinstance(a, np.ndarray) and a.ndim >= 1]
    shared = {n for n in firsts if firsts.count(n) >= 2}
    return sorted(shared if len(firsts) >= 2 else set(firsts))


def regularization(labels, args):
    """The regularization strength among a loss's arguments: the number passed as `reg` (or `lam`, `lambda_`)."""
    for label, a in zip(labels, args):
        if label in ("reg", "lam", "lambda_", "weight_decay") and isinstance(a, (int, float, np.floating)) \
                and not isinstance(a, bool):
            return float(a)
    return None


def _layer_grads(grads, checked, n_inputs, by):
    if isinstance(grads, np.ndarray) and len(checked) == 1:
        return [grads]
    if not isinstance(grads, (tuple, list)):
        raise CheckUsageError(f"check_layer: {by} must return one gradient per float input ({len(checked)}), "
                              f"got {type(grads).__name__}")
    if len(grads) == len(checked):
        return list(grads)
    if len(grads) == n_inputs:
        return [grads[i] for i in checked]
    raise CheckUsageError(f"check_layer: {by} returned {len(grads)} gradients for {len(checked)} float inputs")


# ------------------------------------------------------------------------------------ specs (command line, pytest)
_FORMS = {  # checker -> (required keys, optional keys, options it accepts)
    "check_grads": (("loss_fn", "params", "grads"), (), ("h", "rtol", "max_entries", "seed", "names")),
    "check_loss_grad": (("fn", "W"), ("args",), ("h", "rtol", "max_entries", "seed", "name")),
    "check_layer": (("forward", "backward", "inputs"), ("dout",), ("h", "rtol", "max_entries", "seed", "names")),
}
SPEC_HELP = ("A check is a report from check_grads/check_loss_grad/check_layer, or a dict of one checker's "
             "arguments: {'loss_fn', 'params', 'grads'} | {'fn', 'W', 'args'} | {'forward', 'backward', 'inputs', "
             "'dout'}, plus options h, rtol, max_entries, seed")


def run_check(spec, **options):
    """The report for spec: a HomeworkReport (returned as is) or a dict of one checker's arguments.

    options (None values ignored) override the dict's, e.g. run_check(spec, max_entries=50).
    """
    if isinstance(spec, HomeworkReport):
        return spec
    if not isinstance(spec, Mapping):
        raise CheckUsageError(f"expected a check, got {type(spec).__name__}. {SPEC_HELP}")
    keys = set(spec)
    for form, (required, optional, allowed) in _FORMS.items():
        if set(required) <= keys:
            unknown = keys - set(required) - set(optional) - set(allowed)
            if unknown:
                raise CheckUsageError(f"{form}: unknown keys {sorted(unknown)}. {SPEC_HELP}")
            kwargs = {k: spec[k] for k in keys & set(allowed)}
            kwargs.update({k: v for k, v in options.items() if v is not None and k in allowed})
            if form == "check_grads":
                return check_grads(spec["loss_fn"], spec["params"], spec["grads"], **kwargs)
            if form == "check_loss_grad":
                return check_loss_grad(spec["fn"], spec["W"], *tuple(spec.get("args", ())), **kwargs)
            return check_layer(spec["forward"], spec["backward"], *tuple(spec["inputs"]), dout=spec.get("dout"),
                               **kwargs)
    raise CheckUsageError(f"a dict with keys {sorted(keys)} matches no checker. {SPEC_HELP}")


def run_checks(obj, **options):
    """A list of reports: obj is one check (see run_check) or a list/tuple of them."""
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    if not items:
        raise CheckUsageError(f"an empty list of checks. {SPEC_HELP}")
    return [run_check(item, **options) for item in items]
