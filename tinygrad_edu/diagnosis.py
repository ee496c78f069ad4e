"""Why a hand-written gradient is wrong: the classic mistakes recognised from the numbers, and the report.

    diagnose(evidence, others)     the first recognised pattern, as a sentence, or None
    ParamResult, HomeworkReport    what check_grads / check_loss_grad / check_layer return

Patterns, in the order they are tried: wrong shape (transposed, not summed over the batch), non-finite values,
a transposed square gradient, a gradient equal to another parameter's (or to another bias gradient pushed back
through a weight: the notes' `np.sum(dz1, axis=0)` for b1), a sign flip, a constant factor (1/N: the batch
size), zeros where the loss does change (a missing term), and a loss that does not change at all.
Every pattern needs the gradient to disagree with the numbers, so a correct gradient is never diagnosed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Evidence", "diagnose", "ParamResult", "Mutation", "HomeworkReport", "rel_error", "PATTERN_RTOL"]

PATTERN_RTOL = 1e-4     # agreement needed to say "your gradient is exactly X" (looser than the pass threshold)


def rel_error(a, n):
    """cs231n's relative error, entry by entry: |a - n| / max(1e-8, |a| + |n|)."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))


def _close(x, y, atol, rtol=PATTERN_RTOL):
    """Every entry agrees: relative error <= rtol, or a difference within the numbers' rounding noise atol."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size == 0 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return False
    return bool(np.all((np.abs(x - y) <= atol) | (rel_error(x, y) <= rtol)))


@dataclass(frozen=True)
class Evidence:
    """What the diagnosis sees of one parameter.

    analytic: the student's gradient as returned (float64, any shape); value: the parameter itself (None when
    unknown); shape: the parameter's shape; index: flat indices of the entries compared (kinks left out);
    numeric: central differences at those entries; atol: the differences' rounding noise.
    """

    name: str
    shape: tuple
    analytic: np.ndarray
    index: np.ndarray
    numeric: np.ndarray
    atol: float
    value: np.ndarray | None = None
    label: str = "grads[{!r}]"         # how to name the student's gradient in a sentence

    @property
    def grad(self):
        return self.label.format(self.name)

    def at(self, array):
        """array's entries at the compared positions (array has the parameter's size)."""
        return np.asarray(array, dtype=np.float64).reshape(-1)[self.index]


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
    if k >= 2 and abs(c - k) < 1e-3 * k:
        batch = f" (N = {k}, the batch size here)" if k in sizes else f" (if your batch has {k} examples)"
        return (f"constant factor: numeric = {ev.grad} / {k} exactly{batch}: did you forget to divide by the "
                "batch size? (dy = (y - t) / N)")
    k = round(1 / c)
    if k >= 2 and abs(1 / c - k) < 1e-3 * k:
        batch = f" (N = {k}, the batch size here)" if k in sizes else ""
        return (f"constant factor: numeric = {k} x {ev.grad} exactly{batch}: divided by the batch size twice, "
                "or averaged where the loss sums?")
    return f"constant factor: numeric = {ev.grad} / {c:.6g} everywhere: a scale is wrong (2 * reg * W? 1/N?)"


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


PATTERNS = (_wrong_shape, _non_finite, _transposed, _equals_other, _sign_flip, _constant_factor, _missing_term,
            _loss_ignores)


def diagnose(ev, others=(), batch_sizes=()):
    """The first pattern that explains ev's wrong gradient, as a sentence; None when none does (or it is right).

    others: the Evidence of the other parameters (for "equals another gradient"); batch_sizes: sizes the
    factor pattern may name (the first dimension of the data).
    """
    others = [o for o in others if o.name != ev.name]
    for pattern in PATTERNS:
        if pattern is not _wrong_shape and ev.analytic.shape != tuple(ev.shape):
            return None
        said = pattern(ev, others, set(batch_sizes))
        if said:
            return said
    return None


# ------------------------------------------------------------------------------------------------ report
@dataclass(frozen=True)
class ParamResult:
    """One parameter's verdict.  analytic/numeric: the two values at worst_index; analytic_grad: the student's
    gradient (float64); numeric_grad: central differences (NaN where not sampled); kinks: indices where the
    one-sided differences disagree and the student's value lies between them (not counted as wrong)."""

    name: str
    passed: bool
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    diagnosis: str | None
    checked: int
    size: int
    kinks: tuple
    analytic_grad: np.ndarray
    numeric_grad: np.ndarray

    def __str__(self):
        mark = "ok  " if self.passed else "FAIL"
        where = (f"; worst entry {self.name}{list(self.worst_index)}: analytic {self.analytic:.6g}, numeric "
                 f"{self.numeric:.6g}") if not np.isnan(self.analytic) else ""
        sampled = f", {self.checked} of {self.size} entries sampled" if self.checked < self.size else ""
        text = f"{mark} {self.name}: max relative error {self.max_rel_error:.3g}{where}{sampled}"
        if self.kinks:
            text += (f"\n       {len(self.kinks)} entries at a kink (one-sided differences disagree, your value lies "
                     f"between them; not counted), e.g. {self.name}{list(self.kinks[0])}")
        if self.diagnosis:
            text += f"\n       diagnosis: {self.diagnosis}"
        return text


@dataclass(frozen=True)
class Mutation:
    """Student code changed an array it was given (the check undid it)."""

    by: str
    what: str
    changed: int
    index: tuple | None

    def __str__(self):
        where = f", first at {list(self.index)}" if self.index else ""
        entries = "1 entry" if self.changed == 1 else f"{self.changed} entries"
        return (f"{self.by} modified {self.what} in place ({entries}{where}). The check undid it, but your code "
                "changes its caller's arrays: work on a copy (x = x.copy()) or build a new array")


@dataclass(frozen=True)
class HomeworkReport:
    """The verdict of check_grads / check_loss_grad / check_layer: truthy when every gradient matches.

    report["b1"].passed, `for r in report`, str(report) (plain text), report.print(console=None) (a rich table).
    notes: precision warnings; mutations: arguments the student's code changed in place.
    """

    check: str
    results: tuple
    h: float
    rtol: float
    atol: float
    notes: tuple = ()
    mutations: tuple = ()

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self):
        return [r.name for r in self.results if not r.passed]

    def __bool__(self):
        return self.passed

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    def __getitem__(self, name):
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"{self.check} report: no parameter named {name!r} (checked: {[r.name for r in self.results]})")

    def headline(self):
        if self.passed:
            return f"{self.check} passed: every gradient matches ({len(self.results)} checked)"
        return f"{self.check} FAILED: wrong gradient for {', '.join(self.failed)} ({len(self.results)} checked)"

    def thresholds(self):
        return (f"central differences, h={self.h:g}; relative error |a - n| / max(1e-8, |a| + |n|) per entry (cs231n), "
                f"max over the entries checked; an entry passes at <= {self.rtol:g}, or when |a - n| <= "
                f"{self.atol:.2g} (the differences' rounding noise). cs231n's guide: < 1e-7 good, < 1e-4 fine with "
                "kinks, > 1e-2 probably wrong")

    def __str__(self):
        lines = [self.headline(), "  " + self.thresholds()]
        lines += ["  " + str(r) for r in self.results]
        lines += ["  NOTE: " + n for n in self.notes]
        lines += ["  MUTATION: " + str(m) for m in self.mutations]
        return "\n".join(lines)

    def __rich__(self):
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.headline(), title_style="bold green" if self.passed else "bold red")
        for column in ("", "param", "max rel err", "worst at", "analytic", "numeric", "checked", "kinks"):
            table.add_column(column, justify="left" if column in ("", "param") else "right")
        for r in self.results:
            table.add_row(Text("ok", style="green") if r.passed else Text("FAIL", style="bold red"), r.name,
                          f"{r.max_rel_error:.1e}", str(list(r.worst_index)), f"{r.analytic:.4g}", f"{r.numeric:.4g}",
                          f"{r.checked}/{r.size}", str(len(r.kinks)) if r.kinks else "")
        parts = [table, Text(self.thresholds(), style="dim")]
        parts += [Text(f"{r.name}: {len(r.kinks)} entries at a kink (one-sided differences disagree, your value lies "
                       f"between them; not counted), e.g. {r.name}{list(r.kinks[0])}", style="dim")
                  for r in self.results if r.kinks]
        parts += [Text(f"{r.name}: {r.diagnosis}", style="red") for r in self.results if r.diagnosis]
        parts += [Text(f"note: {n}", style="yellow") for n in self.notes]
        parts += [Text(f"mutation: {m}", style="bold yellow") for m in self.mutations]
        return Group(*parts)

    def print(self, console=None):
        from rich.console import Console

        (console or Console()).print(self)
