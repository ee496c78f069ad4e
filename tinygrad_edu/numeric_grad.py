"""The one numeric-gradient core under every gradient check (gradcheck on the engine's ops, the homework
checkers, in this process or in a sandbox): where to perturb, central differences, cs231n's relative error,
kinks, and the comparison that becomes a report row.

    H, NOISE                        the step and the rounding noise of a float64 loss
    noise_atol(scale, h)            the differences' rounding noise for a loss of size `scale`, capped at ATOL_CAP
    same_value(a, b)                two evaluations at one point agree (a loss must be a function of its inputs)
    compared_nothing(checked, kinks)    every checked entry sat at a kink: the gradient was compared with nothing
    rel_error(a, n)                 |a - n| / max(1e-8, |a| + |n|), entry by entry
    sample_entries(size, m, seed, k)    flat indices to perturb: all, or m of them drawn with (seed, k)
    draw_dout(shape, avoid)         a layer's upstream gradient from a fresh os.urandom seed, equal to no input
    differences(loss, array, index, h)  a trusted loss at x +- h for those entries of array (perturbed in place)
    central(plus, minus, h)         (f(x + h) - f(x - h)) / 2h
    compare(...)                    the analytic gradient against the losses at x +- h: a ParamResult (no
                                    diagnosis yet) and the Evidence a diagnosis reads
    judge(...)                      the same from central differences already taken (gradcheck)

Whoever evaluates the loss (this process, a sandboxed child) only supplies numbers: f(x), f(x + h e_i) and
f(x - h e_i) at the entries chosen here; everything judged is computed here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from .gradient_report import ParamResult

__all__ = ["H", "NOISE", "ATOL_CAP", "noise_atol", "noise_note", "same_value", "compared_nothing", "rel_error",
           "sample_entries", "differences", "central", "compare", "Evidence", "CheckUsageError", "draw_dout",
           "vacuous_reason", "judge", "nothing_compared_reason"]

H = 1e-5                                    # cs231n's step
NOISE = 100 * np.finfo(np.float64).eps      # rounding in a loss of size s moves a central difference by ~NOISE*s/h
# the absolute tolerance never exceeds this, whatever the values the code under test returns: a loss made huge at
# one point would otherwise widen the tolerance until a wrong gradient passes (honest float64 losses up to ~1e4
# stay below it with NOISE's margin of 100 ulps)
ATOL_CAP = 1e-6


class CheckUsageError(ValueError):
    """The check was called wrongly (not a wrong gradient): bad arguments or options."""


def noise_atol(scale, h):
    """The central differences' rounding noise for a loss (or a layer's sum) of size `scale` (a non-negative
    number), never above ATOL_CAP: `scale` comes from the code under test, which must not choose its tolerance."""
    scale = float(scale)
    if not np.isfinite(scale):
        return ATOL_CAP
    return min(NOISE * scale / h, ATOL_CAP)


def noise_note(scale, h):
    """A note for the report when rounding in a loss of size `scale` exceeds what the capped tolerance allows
    (honest differences may then fail), else None."""
    scale = float(scale)
    if np.isfinite(scale) and NOISE * scale / h <= ATOL_CAP:
        return None
    return (f"the values checked are of size {scale:.3g}: rounding moves their central differences (h={h:g}) by up "
            f"to ~{NOISE * scale / h:.2g}, more than the tolerance, which is never above {ATOL_CAP:g}; compute a "
            "smaller value (a mean rather than a sum, no large constant added) so the check can judge it")


def same_value(a, b):
    """Two evaluations of one function at one point agree: bit for bit, or within a few ulps (a reduction
    ordered differently); NaN agrees with NaN."""
    a, b = float(a), float(b)
    if a == b or (np.isnan(a) and np.isnan(b)):
        return True
    return bool(abs(a - b) <= 8 * np.finfo(np.float64).eps * max(abs(a), abs(b)))


def compared_nothing(checked, kinks):
    """The rule for kinks, the same everywhere (checkers, grader): a parameter whose every checked entry (checked
    > 0) sits at a kink was compared with nothing, so it cannot pass.  A loss that adds C * |W - W0| around the
    point it is first called at makes every entry such a kink, and any gradient within C of the right one would
    otherwise pass the kink rule."""
    return int(checked) > 0 and int(kinks) >= int(checked)


def nothing_compared_reason(name, checked, label="d{}"):
    """The sentence of a row failed by compared_nothing."""
    return (f"every checked entry of {label.format(name)} ({checked}) sits at a kink of the loss (its one-sided "
            "differences disagree), so the gradient was compared with nothing: a loss with a corner at every entry "
            "of the checked point is not differentiable there; check it at another point")


def rel_error(a, n):
    """cs231n's relative error, entry by entry: |a - n| / max(1e-8, |a| + |n|)."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))


def sample_entries(size, max_entries, seed, k):
    """Flat indices to check, sorted: all of them, or max_entries distinct ones drawn with (seed, k)."""
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    if int(max_entries) < 1:
        raise CheckUsageError(f"max_entries must be a positive number of entries (or None for all), got {max_entries}")
    return np.sort(np.random.default_rng([seed, k]).choice(size, size=int(max_entries), replace=False))


def draw_dout(shape, avoid=()):
    """A standard normal upstream gradient of `shape` that student code cannot predict or share.

    Seeded from os.urandom (secrets), never a fixed seed: data the student drew from default_rng(0) with the
    same shape would otherwise BE dout, and a mask taken on dout would look right.  Re-drawn (in the vanishing
    event) while it equals, up to sign, any array in `avoid` of the same shape.
    """
    shape = tuple(int(s) for s in shape)
    while True:
        dout = np.random.default_rng(secrets.randbits(128)).standard_normal(shape)
        same = [a for a in avoid if np.shape(a) == shape]
        if not any(np.array_equal(np.abs(dout), np.abs(np.asarray(a, dtype=np.float64))) for a in same):
            return dout


def vacuous_reason(results, atol):
    """Why a finished check tested nothing, or None: no parameters, or a loss that changes with none of the
    checked arrays (every central difference within rounding noise) beside gradients that are all zero."""
    if not results:
        return "no parameter was checked"
    quiet = all(np.all(np.abs(r.numeric_grad[~np.isnan(r.numeric_grad)]) <= atol) for r in results)
    zero = all(np.shape(r.analytic_grad) == tuple(r.shape or np.shape(r.analytic_grad))
               and np.all(np.abs(np.asarray(r.analytic_grad)) <= atol) for r in results)
    if quiet and zero:
        names = ", ".join(r.name for r in results)
        return (f"the loss does not change with any checked array ({names}: every central difference is 0) and "
                "every gradient is 0, so the check compares zeros with zeros; does the loss read the arrays "
                "being checked?")
    return None


def differences(loss, array, index, h):
    """loss() at x + h and at x - h for each flat entry in index of `array`, which loss() reads: the entry is
    perturbed in place and put back.  For trusted losses only (a TA's reference): the homework checkers run
    student code through their own guarded loop."""
    plus, minus = np.empty(len(index)), np.empty(len(index))
    for j, flat in enumerate(index):
        at = np.unravel_index(flat, array.shape)
        kept = array[at]
        array[at] = kept + h
        plus[j] = loss()
        array[at] = kept - h
        minus[j] = loss()
        array[at] = kept
    return plus, minus


def central(plus, minus, h):
    """Central differences from the losses at x + h and x - h."""
    return (np.asarray(plus, dtype=np.float64) - np.asarray(minus, dtype=np.float64)) / (2 * h)


@dataclass(frozen=True)
class Evidence:
    """What a diagnosis sees of one parameter.

    analytic: the gradient under test as returned (float64, any shape); value: the parameter itself (None when
    unknown); shape: the parameter's shape; index: flat indices of the entries compared (kinks left out);
    numeric: central differences at those entries; atol: the differences' rounding noise; label: how to name the
    gradient in a sentence; upstream: a layer's dout (None elsewhere); reg: the regularization strength among the
    loss's arguments (None when unknown); batch: the loss's batch size (None when unknown).
    """

    name: str
    shape: tuple
    analytic: np.ndarray
    index: np.ndarray
    numeric: np.ndarray
    atol: float
    value: np.ndarray | None = None
    label: str = "grads[{!r}]"
    upstream: np.ndarray | None = None
    reg: float | None = None
    aliased: bool = False

    @property
    def grad(self):
        return self.label.format(self.name)

    def at(self, array):
        """array's entries at the compared positions (array has the parameter's size)."""
        return np.asarray(array, dtype=np.float64).reshape(-1)[self.index]


def compare(name, shape, analytic, index, plus, minus, f0, h, rtol, atol, *, rule="relative", value=None,
            label="d{}", **evidence):
    """One row of a report: the analytic gradient (float64, any shape) against central differences at the flat
    entries `index` of a parameter of `shape`, from the losses plus/minus at those entries and f0 at the point.

    rule "relative": an entry passes when rel_error <= rtol or |a - n| <= atol (the homework checkers);
    "allclose": when |a - n| <= atol + rtol |n| (gradcheck).  Entries where the one-sided differences disagree
    and the analytic value lies between them sit at a kink (ReLU, max, a hinge at 0): listed, not counted.
    Returns (ParamResult without diagnosis, Evidence of the counted entries).  evidence: more Evidence fields.
    """
    plus, minus = np.asarray(plus, dtype=np.float64), np.asarray(minus, dtype=np.float64)
    return judge(name, shape, analytic, index, central(plus, minus, h), ((plus - f0) / h, (f0 - minus) / h), rtol,
                 atol, rule=rule, value=value, label=label, **evidence)


def judge(name, shape, analytic, index, numeric, one_sided, rtol, atol, *, rule="relative", value=None,
          label="d{}", **evidence):
    """compare() from the central differences `numeric` at the flat entries `index`; one_sided: the forward and
    backward differences there (for kinks), or None when only central differences are known (no kinks)."""
    shape = tuple(int(s) for s in shape)
    index = np.asarray(index, dtype=np.int64)
    numeric = np.asarray(numeric, dtype=np.float64).reshape(-1)
    numeric_grad = np.full(shape, np.nan)
    numeric_grad.reshape(-1)[index] = numeric
    size = int(np.prod(shape))
    if analytic.shape != shape:
        return (ParamResult(name, False, float("inf"), (), float("nan"), float("nan"), None, len(index), size, (),
                            analytic, numeric_grad, float("inf"), shape),
                Evidence(name, shape, analytic, index, numeric, atol, value, label, **evidence))
    a = analytic.reshape(-1)[index]
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(a) & np.isfinite(numeric)
        err = np.where(finite, np.abs(a - numeric), np.inf)
        rel = np.where(finite, rel_error(a, numeric), np.inf)
        if rule == "allclose":
            excess = err - (atol + rtol * np.abs(numeric))          # > 0: the entry fails
            ok = excess <= 0
        else:
            ok = (rel <= rtol) | (err <= atol)
            excess = rel
        kink = np.zeros(len(index), dtype=bool)
        if one_sided is not None:
            # a kink: x +- h straddles a corner, so the one-sided slopes disagree; a value between them is a valid
            # slope (a subgradient)
            fwd, bwd = (np.asarray(d, dtype=np.float64) for d in one_sided)
            lo, hi = np.minimum(fwd, bwd), np.maximum(fwd, bwd)
            slack = atol + rtol * (np.abs(fwd) + np.abs(bwd))
            kink = ~ok & finite & np.isfinite(lo) & np.isfinite(hi) & (hi - lo > 2 * atol) \
                & (rel_error(fwd, bwd) > rtol) & (a >= lo - slack) & (a <= hi + slack)
    counted = ~kink
    failing = ~ok & counted
    vacant = compared_nothing(len(index), int(kink.sum()))
    score = np.where(failing if failing.any() else counted, np.where(np.isnan(excess), np.inf, excess), -np.inf)
    j = int(np.argmax(score)) if counted.any() else None
    unravel = lambda flat: tuple(int(i) for i in np.unravel_index(flat, shape))  # noqa: E731
    result = ParamResult(
        name=name, passed=not failing.any() and not vacant,
        max_rel_error=float(rel[counted].max()) if counted.any() else 0.0,
        worst_index=unravel(index[j]) if j is not None else (), analytic=float(a[j]) if j is not None else float("nan"),
        numeric=float(numeric[j]) if j is not None else float("nan"),
        diagnosis=nothing_compared_reason(name, len(index), label) if vacant else None, checked=len(index), size=size,
        kinks=tuple(unravel(index[k]) for k in np.flatnonzero(kink)), analytic_grad=analytic,
        numeric_grad=numeric_grad, max_abs_error=float(err[counted].max()) if counted.any() else 0.0, shape=shape)
    return result, Evidence(name, shape, analytic, index[counted], numeric[counted], atol, value, label, **evidence)
