"""Checking homework code that runs in a sandbox: the child evaluates, the parent judges.

    check_grads_in(box, loss_fn, holder, ...)          one check on TA-built inputs in an open HomeworkSandbox
    check_loss_grad_in(box, fn, W, *args, ...)             (homework_box.py; what the class grader calls, and
    check_layer_in(box, forward, backward, *inputs, ...)   homework_submission.check_submission for check())

The student's code runs only in the child process of the sandbox.  The parent chooses the entries to perturb,
the step h and a layer's upstream gradient dout (drawn from os.urandom, never equal to an input); the child only
evaluates the student's functions at those points and sends back plain numbers and arrays.  Central
differences, relative errors, kinks, verdicts and diagnoses are computed here, in the parent (numeric_grad.py,
diagnosis.py).  Whatever the student's code returns is data: a returned report object, a patched HomeworkReport
or checker function in the child change nothing, because the parent never asks the child for a verdict.  With
the TA's `reference`, the student's function is also compared with it at every point evaluated.

A failure of the student's code (an exception, sys.exit/os._exit, a timeout, running out of memory) raises
SandboxFailure, malformed data (a gradient that is not an array) StudentCodeFailure: both a FAIL with one plain
sentence naming the cause and where it happened; a mistake of the TA (bad inputs or options) is a
CheckUsageError.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .diagnosis import diagnose
from .gradient_report import HomeworkReport, ParamResult
from .homework_box import (
    HomeworkSandbox,
    StudentCodeFailure,
    _ask,
    _clip,
    _dedupe,
    _float_input,
    _grad,
    _mutations,
    _name,
    _number,
    _numbers,
    _options,
    _Pace,
    _points,
    _what,
)
from .homework_check import MAX_ENTRIES, RTOL, _layer_grads, batch_sizes, regularization
from .homework_inputs import _Precision
from .numeric_grad import (
    CheckUsageError,
    H,
    compare,
    draw_dout,
    noise_atol,
    noise_note,
    rel_error,
    same_value,
    sample_entries,
    vacuous_reason,
)

__all__ = ["check_grads_in", "check_loss_grad_in", "check_layer_in", "CheckUsageError", "StudentCodeFailure",
           "HomeworkSandbox", "VALUE_RTOL"]

VALUE_RTOL = 1e-6        # a loss / forward output agrees with the TA's reference at this relative error


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
    results = tuple(r if r.passed or r.diagnosis else replace(r, diagnosis=diagnose(ev, evidence, sizes))
                    for r, ev in verdicts)
    return HomeworkReport(check, results + tuple(extra), h, rtol, atol, tuple(notes), tuple(mutations),
                          vacuous=vacuous_reason(results, atol), isolation=box.isolation)


def _again(f0, values, by, what="loss"):
    """f0 against the same point evaluated again (values): a function whose value at one point changes from call
    to call is not one the checker can judge (a huge value on the first call only would set the tolerance)."""
    for v in values:
        if not same_value(f0, v):
            raise StudentCodeFailure(f"your {what} gives different values at the same point ({f0!r} on one call, "
                                     f"{float(v)!r} on another, with the same inputs): it must be a function of its "
                                     "inputs alone (no state kept between calls, no randomness)", by)


def _which(reported, names, params, by):
    """The parameters to check: the parent's choice (names, else the TA's params), never the list the student's
    process sends (a patched reply or a params dict that hides a key would choose the ones it gets right); each
    must be in the student's params dict.  Only when neither is given, the holder's dict as the child lists it."""
    listed = [n for n in reported if isinstance(n, str)] if isinstance(reported, list) else []
    if names is None and params is None:
        return [_clip(n) for n in listed]
    wanted = [str(n) for n in (names if names is not None else dict(params))]
    missing = [n for n in wanted if n not in listed]
    if missing:
        raise StudentCodeFailure(f"the gradients of {_clip(str(missing), 400)} were never checked: your model's "
                                 f"params dict did not list them (it must hold every parameter checked: "
                                 f"{_clip(str(wanted), 400)})", by)
    return wanted


def _tolerance(scale, h, notes):
    """noise_atol(scale, h), noting when the cap makes it tighter than the rounding of such values."""
    said = noise_note(scale, h)
    if said is not None:
        notes.append(said)
    return noise_atol(scale, h)


def _median_scale(values):
    """The size of the losses evaluated: the median of their magnitudes (one value cannot set it)."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else 0.0


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
    checked = _which(first["names"], names, params, by)
    if not checked:
        return HomeworkReport(f"check_grads({by})", (), h, rtol, 0.0, tuple(notes), vacuous="the params dict is "
                              "empty (or names=[]): there is no gradient to check", isolation=box.isolation)
    f0 = _number(first["loss"], f"the loss {by} returns", by)
    got = first["grads"]
    if not isinstance(got, dict):
        raise StudentCodeFailure(f"the gradients must be a dict name -> array, but they are {_what(got)}", by)
    missing = [n for n in checked if n not in got]
    if missing:
        have = _clip(str(sorted(map(str, got))), 400)
        raise StudentCodeFailure(f"the gradients have no {_clip(str(missing), 400)} (they have {have})", by)
    values = first["params"]
    for n in checked:
        p = values.get(n) if isinstance(values, dict) else None
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise StudentCodeFailure(f"params[{n!r}] must be a float numpy array (it is perturbed in place), but "
                                     f"it is {_what(p)}", by)
        if params is not None and n in sent and p.shape != sent[n].shape:
            raise StudentCodeFailure(f"params[{n!r}] has shape {p.shape} in your model, but the checker's {n} has "
                                     f"shape {sent[n].shape}", by)
    analytic = {n: _grad(got[n], f"grads[{n!r}]", by) for n in checked}
    base = dict(sent) if params is not None else {n: np.array(p, dtype=np.float64) for n, p in values.items()
                                                  if isinstance(p, np.ndarray) and p.dtype.kind == "f"}
    for n in checked:                                    # asked for by name, not among the TA's params
        base.setdefault(n, np.array(values[n], dtype=np.float64))

    def at_point():                                      # the loss at the point itself, evaluated again
        n = checked[0]
        reply = _ask(box, "_tgedu_grads_losses", by, loss_fn, holder, n, [0], [float(base[n].flat[0])], list(args))
        if not (isinstance(reply, list) and len(reply) == 2):
            raise StudentCodeFailure("the sandbox sent malformed data for the loss at the point", by)
        return _numbers(reply[0], 1, f"the loss {by} returns", by).tolist()

    again = at_point()
    precision, mutations, verdicts, losses_seen = _Precision(), _mutations(by, first.get("mutations")), [], [f0]
    ref_got, ref_expected, ref_where, plus_minus = [], [], [], []
    for n in checked:
        index = sample_entries(base[n].size, max_entries, seed, checked.index(n))
        flat, points = _points(base[n], index, h)
        replies = pace.calls("_tgedu_grads_losses", f"{by} (central differences of {n})",
                             lambda f, v, n=n: (loss_fn, holder, n, f, v, list(args)), flat, points)
        if not all(isinstance(r, list) and len(r) == 2 and isinstance(r[0], list) for r in replies):
            raise StudentCodeFailure(f"the sandbox sent malformed data for the central differences of {n}", by)
        losses = _numbers([v for r in replies for v in r[0]], 2 * len(index), f"the loss {by} returns", by)
        for r in replies:
            mutations += _mutations(by, r[1])
        plus_minus.append((n, index, flat, points, losses))
    _again(f0, again + at_point(), by)
    # the tolerance from every loss evaluated, never from one: a value made huge at one point cannot widen it
    scale = _median_scale([f0, *again, *(v for *_, losses in plus_minus for v in losses)])
    atol = _tolerance(scale, h, notes)
    for n, index, flat, points, losses in plus_minus:
        value = base[n]
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
    labels = [_clip(str(x)) for x in labels][:1 + len(args)] if isinstance(labels, list) else []
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

    def at_point():                                      # the loss at W itself, evaluated again
        reply = _ask(box, "_tgedu_loss_grad_losses", by, fn, W, args, [0], [float(W.flat[0])])
        return _numbers(reply, 1, f"the loss {by} returns", by).tolist()

    again = at_point()
    index = sample_entries(W.size, max_entries, seed, 0)
    flat, points = _points(W, index, h)
    replies = pace.calls("_tgedu_loss_grad_losses", f"{by} (central differences of {name})",
                         lambda f, v: (fn, W, args, f, v), flat, points)
    losses = _numbers([v for r in replies for v in (r if isinstance(r, list) else [r])], 2 * len(index),
                      f"the loss {by} returns", by)
    _again(f0, again + at_point(), by)
    atol = _tolerance(_median_scale([f0, *again, *losses.tolist()]), h, notes)     # no one value sets it
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
    labels = [_clip(str(x)) for x in labels]
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

    def at_point():                                      # sum(out * dout) at the inputs themselves, again
        k = checked[0]
        reply = _ask(box, "_tgedu_layer_sums", fwd, forward, inputs, k, [0], [float(inputs[k].flat[0])], dout)
        return _numbers(reply, 1, f"{fwd}'s out (an array of shape {out.shape})", fwd).tolist()

    again = at_point()
    # the sum's size before its terms cancel, from an out that forward gives again (checked below) and never
    # above ATOL_CAP, whatever out holds
    atol = _tolerance(float(np.sum(np.abs(out * dout))), h, notes)
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
    _again(f0, again + at_point(), fwd, "forward")
    if reference is not None and expected_out is None:
        expected_out = _call_reference(reference, inputs, "forward")
    row = None if expected_out is None else _value_row("out", out, expected_out)
    row = _agreement(row, "sum(out * dout)", ref_got, ref_expected, ref_where, atol * h)
    extra = () if row is None else (row,)
    return _finish(f"check_layer({fwd}, {bwd})", verdicts, h, rtol, atol, notes, mutations, (), box, extra, seed)
