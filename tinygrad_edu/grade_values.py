"""A ValueCheck graded (tinygrad_edu.grader): the student's function runs in the sandbox, the verdict is made here.

    value_rows(check, box, resolve, inputs, expected) -> [ValueRow]   one row per name of check.outputs

The student's function is called once in its sandbox at the TA's inputs; what comes back is data (arrays sent
by the sandbox's protocol), never code.  This process turns each output into a float array and compares it with
the TA's reference output (computed by the grader, tinygrad_edu.assignment) by np.allclose with the check's
rtol and atol.  A row that fails says which output, where the largest difference is, both values there, and a
known pattern when it fits (the sign flipped, a constant factor such as a missing learning rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ValueRow", "value_rows"]


@dataclass(frozen=True)
class ValueRow:
    """One output of a ValueCheck: passed, and one line saying why (shapes, differences, the pattern)."""

    name: str
    passed: bool
    message: str
    problem: str = ""           # a few words for the class table ("" when passed)

    def __str__(self):
        return f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.message}"


def value_rows(check, box, resolve, inputs, expected):
    """Call check.function(*inputs) in box and compare each output with expected (a tuple of float arrays)."""
    from .homework_sandboxed import StudentCodeFailure
    from .sandbox import Handle

    target = resolve(check.function)
    got = box.call_handle(target, *inputs) if isinstance(target, Handle) else box.call(target, *inputs)
    names = check.outputs
    if len(names) == 1 and not isinstance(got, (tuple, list)):
        got = (got,)
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = f"{len(got)} results" if isinstance(got, (tuple, list)) else f"a {type(got).__name__}"
        raise StudentCodeFailure(f"{check.function} returned {what} where {len(names)} belong: "
                                 f"({', '.join(names)})", check.function)
    return [_row(name, value, want, check.rtol, check.atol) for name, value, want in zip(names, got, expected)]


def _row(name, value, want, rtol, atol):
    from .sandbox import Handle

    if isinstance(value, Handle) or value is None:     # an object left in the sandbox: not data
        return ValueRow(name, False, f"your {name} is {type(value).__name__}, not an array of numbers",
                        f"{name} is not an array")
    try:
        yours = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return ValueRow(name, False, f"your {name} is a {type(value).__name__} that is not an array of numbers",
                        f"{name} is not an array")
    if yours.shape != want.shape:
        return ValueRow(name, False, f"your {name} has shape {yours.shape}, the reference's {want.shape}",
                        f"{name} has the wrong shape")
    if not np.all(np.isfinite(yours)):
        bad = int(np.sum(~np.isfinite(yours)))
        return ValueRow(name, False, f"{bad} of {yours.size} entries of your {name} are nan or inf",
                        f"{name} is not finite")
    close = np.isclose(yours, want, rtol=rtol, atol=atol)
    tolerance = f"rtol={rtol:g}, atol={atol:g}"
    if close.all():
        return ValueRow(name, True, f"equals the reference's {name}, all {yours.size} entries ({tolerance})")
    where = np.unravel_index(int(np.argmax(np.abs(yours - want))), want.shape) if want.ndim else ()
    message = (f"differs from the reference's at {int(np.sum(~close))} of {yours.size} entries ({tolerance}); "
               f"largest difference at {tuple(int(i) for i in where)}: yours {yours[where]:.6g}, the reference "
               f"{want[where]:.6g}")
    pattern = _pattern(yours, want, rtol, atol)
    return ValueRow(name, False, message + (f": {pattern}" if pattern else ""),
                    f"{name}: {pattern}" if pattern else f"{name} differs from the reference")


def _pattern(yours, want, rtol, atol):
    """A known shape of mistake: the sign flipped, or every entry off by one constant factor."""
    if np.any(np.abs(want) > atol) and np.allclose(yours, -want, rtol=rtol, atol=atol):
        return "yours is the reference with its sign flipped"
    big = np.abs(want) > 1e-6
    if big.any() and np.all(np.abs(yours[~big]) <= 1e-6):
        ratios = yours[big] / want[big]
        if np.allclose(ratios, ratios[0], rtol=1e-6) and abs(ratios[0]) > 1e-12:
            return f"yours is the reference times {ratios[0]:.6g} (a factor missing or extra?)"
    return ""
