"""Why a gradient is wrong: the classic mistakes recognised from the numbers.

    diagnose(evidence, others, batch_sizes)    the first recognised pattern, as a sentence, or None

Patterns, in the order they are tried: wrong shape (transposed, not summed over the batch), non-finite values,
a gradient that is the parameter array itself, a transposed square gradient, a gradient equal to another
parameter's (or to another bias gradient pushed back through a weight: the notes' `np.sum(dz1, axis=0)` for
b1), a mask taken on the wrong array (a layer's dout known), a bias summed over the wrong axis, a sign flip (of
everything, or of one row or column), a constant factor (named; the batch size only when it is the loss's
batch dimension; a factor 2's usual causes), a missing or extra regularization gradient (c * W), zeros where
the loss does change (a missing term), and a loss that does not change at all.
Every pattern needs the gradient to disagree with the numbers, so a correct gradient is never diagnosed; a
mistake no pattern explains gets no sentence rather than a guess.
"""

from __future__ import annotations

import numpy as np

from .gradient_report import HomeworkReport, Mutation, ParamResult
from .numeric_grad import Evidence, rel_error

__all__ = ["Evidence", "diagnose", "ParamResult", "Mutation", "HomeworkReport", "rel_error", "PATTERN_RTOL",
           "PATTERNS"]

PATTERN_RTOL = 1e-4     # agreement needed to say "your gradient is exactly X" (looser than the pass threshold)


def _close(x, y, atol, rtol=PATTERN_RTOL):
    """Every entry agrees: relative error <= rtol, or a difference within the numbers' rounding noise atol."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size == 0 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return False
    return bool(np.all((np.abs(x - y) <= atol) | (rel_error(x, y) <= rtol)))


# ------------------------------------------------------------------------------------------------ patterns
def _wrong_shape(ev, others, sizes):
    a, shape = ev.analytic, tuple(ev.shape)
    if a.shape == shape:
        return None
    said = f"{ev.grad} has shape {a.shape} but {ev.name} has shape {shape}"
    if a.ndim == 2 and a.shape == shape[::-1] and _close(ev.at(a.T), ev.numeric, ev.atol):
        return f"transposed gradient: {said}, and its transpose is right (x.T @ dout, not dout.T @ x?)"
    if a.ndim == len(shape) + 1 and a.shape[1:] == shape and _close(ev.at(a.sum(axis=0)), ev.numeric, ev.atol):
        return (f"{said}: one row per example. Sum over the batch axis (np.sum(..., axis=0)): a parameter "
                "shared by every example gets the sum of their gradients")
    if a.size == int(np.prod(shape)) and _close(ev.at(a), ev.numeric, ev.atol):
        return f"{said}: the values are right, reshape it to {shape}"
    return f"{said}; a gradient has its parameter's shape"


def _non_finite(ev, others, sizes):
    a = ev.analytic
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))
        return (f"{ev.grad} has {len(bad)} non-finite entries (first at {tuple(int(i) for i in bad[0])}: "
                f"{a[tuple(bad[0])]}): look for log(0), 0/0 or exp overflow in the backward pass")
    if not np.isfinite(ev.numeric).all():
        k = int(np.flatnonzero(~np.isfinite(ev.numeric))[0])
        where = tuple(int(i) for i in np.unravel_index(ev.index[k], ev.shape))
        return (f"the loss is not finite near {ev.name}{list(where)} (its central difference is {ev.numeric[k]}): "
                "log(0) or exp overflow in the forward pass; subtract the row max before exp, clip before log")
    return None


def _transposed(ev, others, sizes):
    a = ev.analytic
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(ev.at(a.T), ev.numeric, ev.atol) and not _right(ev):
        return f"transposed gradient: {ev.grad}.T is right (x.T @ dout, not dout.T @ x?)"
    return None


def _right(ev):
    return _close(ev.at(ev.analytic), ev.numeric, ev.atol)


def _equals_other(ev, others, sizes):
    if _right(ev):
        return None
    a = ev.at(ev.analytic)
    for o in others:                                 # a copy-paste: grads['b1'] = grads['b2']
        if o.analytic.shape == tuple(ev.shape) and _close(a, ev.at(o.analytic), ev.atol):
            return (f"{ev.grad} equals {o.grad}, the gradient of another parameter: a copy-paste, or the "
                    f"wrong upstream gradient used for {ev.name}")
    if len(ev.shape) != 1:
        return None
    for w in others:                                 # the notes' b1: sum(dz1) = W2 @ db2, dz1 = dy @ W2.T
        if w.value is None or w.value.ndim != 2:
            continue
        for b in others:
            if b is w or b.analytic.ndim != 1:
                continue
            W, g = w.value, b.analytic
            if W.shape == (ev.shape[0], g.shape[0]):
                pushed, said = W @ g, f"{w.name} @ {b.grad}"
            elif W.shape == (g.shape[0], ev.shape[0]):
                pushed, said = W.T @ g, f"{w.name}.T @ {b.grad}"
            else:
                continue
            if _close(a, ev.at(pushed), ev.atol):
                return (f"{ev.grad} equals {said}: the batch sum of the gradient at the activation's OUTPUT "
                        f"(dz = dy @ {w.name}.T), not at its input. The activation's derivative is missing: the "
                        "notes' slide writes grads['b1'] = np.sum(dz1, axis=0) where np.sum(da1, axis=0) is meant, "
                        "da1 = dz1 * z1 * (1 - z1)")
    return None


def _sign_flip(ev, others, sizes):
    if _close(-ev.at(ev.analytic), ev.numeric, ev.atol) and not _right(ev):
        return (f"sign flip: {ev.grad} is exactly minus the numeric gradient ((t - y) for (y - t)? a + for a -? "
                "or the update direction w -= lr * dw baked into the gradient?)")
    return None


def _constant_factor(ev, others, sizes):
    a, n = ev.at(ev.analytic), ev.numeric
    if not np.any(np.abs(n) > ev.atol) or not np.any(a):
        return None
    c = float(a @ n / (n @ n))                                   # least-squares a = c n
    if abs(c - 1) < 1e-3 or abs(c + 1) < 1e-3 or not _close(a, c * n, ev.atol):
        return None
    k = round(c)
    if k >= 2 and abs(c - k) < 1e-3 * k:                        # the gradient is k times too large
        said = f"constant factor: numeric = {ev.grad} / {k} exactly"
        if k in sizes:
            return (f"{said} (N = {k}, the batch size here): did you forget to divide by the batch size? "
                    "(dy = (y - t) / N)")
        if k == 2:
            return (f"{said}: your gradient is twice the right one. The usual causes of a factor 2: a loss term "
                    "0.5 * x**2 differentiated as 2 * x (0.5 * reg * sum(W * W) has gradient reg * W, not "
                    "2 * reg * W), or one term added twice")
        return f"{said}: your gradient is {k} times the right one (a term added {k} times? a scale applied twice?)"
    k = round(1 / c)
    if k >= 2 and abs(1 / c - k) < 1e-3 * k:                    # the gradient is k times too small
        said = f"constant factor: numeric = {k} x {ev.grad} exactly"
        if k in sizes:
            return (f"{said} (N = {k}, the batch size here): divided by the batch size twice, or averaged where "
                    "the loss sums?")
        if k == 2:
            return (f"{said}: your gradient is half the right one. The usual causes of a factor 2: the 2 of "
                    "d(x**2) = 2 * x left out (reg * sum(W * W) has gradient 2 * reg * W), or a 0.5 applied twice")
        return f"{said}: your gradient is 1/{k} of the right one (a scale applied where it does not belong?)"
    return f"constant factor: numeric = {ev.grad} / {c:.6g} everywhere: a scale factor in the backward pass is wrong"


def _regularization(ev, others, sizes):
    """numeric - analytic = c W: a term c/2 * sum(W * W) of the loss whose gradient c * W is missing (or extra)."""
    if ev.value is None or ev.value.shape != tuple(ev.shape) or _right(ev):
        return None
    a, n, w = ev.at(ev.analytic), ev.numeric, ev.at(ev.value)
    if not np.any(np.abs(w) > 0):
        return None
    d = n - a
    c = float(d @ w / (w @ w))
    scale = max(float(np.max(np.abs(n))), float(np.max(np.abs(a))), 1e-300)
    if abs(c) * float(np.max(np.abs(w))) < 1e-3 * scale or not _close(a + c * w, n, ev.atol):
        return None
    name, reg = ev.name, ev.reg
    if c > 0:
        said = f"numeric - {ev.grad} = {c:.6g} * {name} exactly: the regularization gradient is missing"
        if reg and abs(c - 2 * reg) <= 1e-3 * abs(reg):
            return f"{said}: add 2 * reg * {name} (reg = {reg:g}), the gradient of reg * sum({name} * {name})"
        if reg and abs(c - reg) <= 1e-3 * abs(reg):
            return f"{said}: add reg * {name} (reg = {reg:g}), the gradient of 0.5 * reg * sum({name} * {name})"
        return f"{said} (a loss term {c / 2:.6g} * sum({name} * {name}) has gradient {c:.6g} * {name})"
    said = f"{ev.grad} - numeric = {-c:.6g} * {name} exactly: your gradient has a term the loss does not have"
    if reg and abs(-c - reg) <= 1e-3 * abs(reg):
        return (f"{said}: reg * {name} (reg = {reg:g}) added twice, or 2 * reg * {name} where the loss has "
                f"0.5 * reg * sum({name} * {name})?")
    if reg and abs(-c - 2 * reg) <= 1e-3 * abs(reg):
        return f"{said}: 2 * reg * {name} (reg = {reg:g}) added, but the loss has no reg * sum({name} * {name})?"
    return f"{said} (a regularization gradient the loss does not match?)"


def _sign_in_one_row(ev, others, sizes):
    """Right everywhere except one row (or column) that is exactly minus the numbers."""
    if len(ev.shape) != 2 or _right(ev):
        return None
    a, n = ev.at(ev.analytic), ev.numeric
    where = np.unravel_index(ev.index, ev.shape)
    for axis, word in ((0, "row"), (1, "column")):
        lines = where[axis]
        flipped = []
        for line in np.unique(lines):
            sel = lines == line
            if _close(a[sel], n[sel], ev.atol):
                continue
            if not _close(-a[sel], n[sel], ev.atol):
                break
            flipped.append(int(line))
        else:
            if len(flipped) == 1 and ev.shape[axis] > 1:
                at = f"{ev.grad}[{flipped[0]}]" if axis == 0 else f"{ev.grad}[:, {flipped[0]}]"
                return (f"sign error in one {word}: {at} is exactly minus the numeric gradient and every other "
                        f"{word} is right: look for a + / - or (a - b) / (b - a) in what writes that {word}")
    return None


def _aliased(ev, others, sizes):
    """The gradient is the parameter array itself: `dW = params['W']; dW *= ...` changes W as well."""
    if _right(ev) or ev.value is None or ev.analytic.shape != tuple(ev.shape) or not np.any(ev.at(ev.value)):
        return None
    if ev.aliased or _close(ev.at(ev.analytic), ev.at(ev.value), 0.0, rtol=1e-12):
        return (f"{ev.grad} is {ev.name} itself (the same values{', the same array' if ev.aliased else ''}): "
                f"`d = params[...]` gives a second name for the parameter, not a copy, so `d *= ...` or `d += ...` "
                f"also changes {ev.name}; start from np.zeros_like({ev.name}) or {ev.name}.copy()")
    return None


def _wrong_mask(ev, others, sizes):
    """A layer's dx keeps dout on some entries and zeroes the rest, but not where the forward passed x through."""
    u = ev.upstream
    if u is None or u.shape != tuple(ev.shape) or _right(ev):
        return None
    a, n, up = ev.at(ev.analytic), ev.numeric, ev.at(u)
    mine = np.abs(a - up) <= ev.atol + PATTERN_RTOL * np.abs(up)
    right = np.abs(n - up) <= ev.atol + PATTERN_RTOL * np.abs(up)
    if not (np.all(mine | (a == 0)) and np.all(right | (np.abs(n) <= ev.atol))):
        return None                                        # not a 0/1 mask of dout on both sides
    said = (f"{ev.grad} keeps dout on the wrong entries ({int(np.sum(mine != right))} of {len(a)} differ): "
            "a mask taken on the wrong array")
    if np.array_equal(mine & (np.abs(up) > ev.atol), up > ev.atol):
        return f"{said}: it keeps dout where dout > 0; the mask comes from the forward input (x > 0, from the cache)"
    return f"{said}: the mask must come from the forward pass's own input (x > 0 for a ReLU), kept in the cache"


def _bias_axis(ev, others, sizes):
    """A bias gradient summed over the features instead of the batch, when the two sizes happen to agree."""
    u = ev.upstream
    if u is None or u.ndim != 2 or len(ev.shape) != 1 or u.shape[0] != u.shape[1] or u.shape[1] != ev.shape[0]:
        return None
    if _right(ev) or not _close(ev.at(ev.analytic), ev.at(u.sum(axis=1)), ev.atol):
        return None
    return (f"{ev.grad} is dout summed over axis 1 (each example's features); {ev.name} is added to every row, so "
            "its gradient sums dout over the batch, axis 0. The shapes agree here only because N equals the width")


def _missing_term(ev, others, sizes):
    a, n = ev.at(ev.analytic), ev.numeric
    live = np.abs(n) > ev.atol                                  # the loss does change here
    wrong = ~((np.abs(a - n) <= ev.atol) | (rel_error(a, n) <= PATTERN_RTOL))
    zeros = wrong & live & (a == 0)
    if not zeros.any() or (wrong & ~zeros).any():
        return None
    where = tuple(int(i) for i in np.unravel_index(ev.index[np.argmax(zeros)], ev.shape))
    if not np.any(ev.analytic):
        return (f"{ev.grad} is all zeros but the loss does change with {ev.name} (numeric {n[np.argmax(zeros)]:.4g} "
                f"at {where}): the gradient was never computed, or never written into the result")
    return (f"zeros where the numeric gradient is not: {int(zeros.sum())} entries of {ev.grad} are exactly 0 but "
            f"the loss changes there (first at {where}): a missing term (a path whose gradient was not added, "
            "or a mask that zeroes too much)")


def _loss_ignores(ev, others, sizes):
    if np.all(ev.numeric == 0) and np.any(ev.at(ev.analytic)) and not _right(ev):
        return (f"the loss does not change at all when {ev.name} changes: does the loss read this very array at call "
                "time (not a copy made earlier), and is the parameter used?")
    return None


PATTERNS = (_wrong_shape, _non_finite, _aliased, _transposed, _equals_other, _wrong_mask, _bias_axis, _sign_flip,
            _sign_in_one_row, _constant_factor, _regularization, _missing_term, _loss_ignores)


def diagnose(ev, others=(), batch_sizes=()):
    """The first pattern that explains ev's wrong gradient, as a sentence; None when none does (or it is right).

    others: the Evidence of the other parameters (for "equals another gradient"); batch_sizes: the loss's batch
    sizes, which the factor pattern may name (never a layer's: its backward does not divide by N).
    """
    others = [o for o in others if o.name != ev.name]
    for pattern in PATTERNS:
        if pattern is not _wrong_shape and ev.analytic.shape != tuple(ev.shape):
            return None
        said = pattern(ev, others, set(batch_sizes))
        if said:
            return said
    return None
