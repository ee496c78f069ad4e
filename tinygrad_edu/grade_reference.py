"""The TA's reference as a second, trusted judge of a student's gradients (used by tinygrad_edu.grader).

homework_sandboxed's checks compare the student's gradient with central differences of the student's OWN loss,
evaluated in the sandbox: right for honest code, but a loss the student's code makes up (its value right at
the checked point, its slope there the student's own wrong gradient) agrees with any gradient.  When the
assignment gives a reference, the grader also compares the student's gradient with central differences of the
reference, computed here, in the grader's process, with the TA's code: nothing the student's process returns
goes into them.  A layer's reference differences are of L = sum(out * dout) for a dout drawn here at random.

    diffs = reference_differences(check, inputs, max_entries)   once per grading run (the same for everyone)
    rows = against_reference(diffs, grads)                      grads: name -> the student's gradient there
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

import numpy as np

from .assignment import GradsCheck, LayerCheck
from .diagnosis import diagnose
from .homework_check import MAX_ENTRIES, RTOL
from .numeric_grad import NOISE, H, compare, differences, draw_dout, sample_entries

__all__ = ["ReferenceDifferences", "reference_differences", "against_reference"]


@dataclass(frozen=True)
class ReferenceDifferences:
    """Central differences of the reference at the check's inputs.

    params: name -> (shape, flat index checked, loss at +h, loss at -h, the parameter's value); f0: the
    reference loss (a layer: sum(out * dout)); atol: its rounding noise; dout: a layer's upstream gradient
    (None otherwise); names: a layer's input names for its float inputs, in order; batch_sizes: N of the loss.
    """

    params: dict
    f0: float
    atol: float
    dout: np.ndarray | None = None
    names: tuple = ()
    batch_sizes: tuple = ()


def reference_differences(check, inputs, max_entries=None):
    """ReferenceDifferences of check.reference at inputs (None when the check has no reference)."""
    if check.reference is None:
        return None
    seed, limit = secrets.randbits(32), max_entries or MAX_ENTRIES     # entries the student cannot predict
    inputs = [_copy(x) for x in inputs]
    if isinstance(check, GradsCheck):
        params, args = inputs[0], inputs[1:]
        arrays = dict(params)
        loss = lambda: float(check.reference(params, *args))  # noqa: E731   reads params' arrays as perturbed
        names, dout = tuple(arrays), None
    elif isinstance(check, LayerCheck):
        floats = [i for i, x in enumerate(inputs) if isinstance(x, np.ndarray) and x.dtype.kind == "f"]
        labels = list(check.names) if check.names else [f"input {i}" for i in range(len(inputs))]
        arrays = {labels[i]: inputs[i] for i in floats}
        out = _forward(check.reference(*inputs))
        dout = draw_dout(out.shape, [x for x in inputs if isinstance(x, np.ndarray)] + [out])
        loss = lambda: float(np.sum(_forward(check.reference(*inputs)) * dout))  # noqa: E731
        names = tuple(arrays)
    else:
        W, args = inputs[0], inputs[1:]
        arrays = {"W": W}
        loss = lambda: float(check.reference(W, *args))  # noqa: E731
        names, dout = ("W",), None
    f0 = loss()
    table = {}
    for k, (name, array) in enumerate(arrays.items()):
        index = sample_entries(array.size, limit, seed, k)
        plus, minus = differences(loss, array, index, H)
        table[name] = (array.shape, index, plus, minus, array.copy())
    scale = abs(f0) if dout is None else float(np.sum(np.abs(_forward(check.reference(*inputs)) * dout)))
    batch = () if isinstance(check, LayerCheck) else tuple(
        a.shape[0] for a in inputs[1:] if isinstance(a, np.ndarray) and a.ndim >= 1)
    return ReferenceDifferences(table, f0, NOISE * scale / H, dout, names, batch)


def against_reference(diffs, grads):
    """One report row (ParamResult, with a diagnosis when wrong) per parameter: the student's gradient grads[name]
    against the reference's central differences.  A missing gradient is not judged here (the check itself
    already failed on it)."""
    verdicts = []
    for name, (shape, index, plus, minus, value) in diffs.params.items():
        if name not in grads:
            continue
        analytic = np.asarray(grads[name], dtype=np.float64)
        verdicts.append(compare(f"{name}", shape, analytic, index, plus, minus, diffs.f0, H, RTOL, diffs.atol,
                                value=value, label="d{}"))
    evidence = [ev for _, ev in verdicts]
    return [r if r.passed else replace(r, diagnosis=diagnose(ev, evidence, diffs.batch_sizes))
            for r, ev in verdicts]


def _forward(value):
    value = value[0] if isinstance(value, tuple) else value     # a reference forward returning (out, cache)
    return np.asarray(value, dtype=np.float64)


def _copy(x):
    if isinstance(x, np.ndarray):       # C order: entries are perturbed through a flat view
        return np.array(x, dtype=np.float64 if x.dtype.kind == "f" else x.dtype, order="C")
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    return x
