"""Short text for numbers in a picture: the numbers themselves when few, min/mean/max otherwise."""

from __future__ import annotations

import math

import numpy as np

TINY = 6   # arrays with at most this many entries are printed in full


def fmt(x: float) -> str:
    return f"{x:.4g}"


def num(x: float) -> str:
    """A number as a derivation writes it: 3.0, -0.5, 0.07065, 1.2e-07."""
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    return f"{x:.4g}"


def fmt_norm(x: float | None) -> str:
    """A gradient size: 0.031, 2.4, 3.1e-07 (scientific outside 1e-3 .. 1e4)."""
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.2g}" if abs(x) < 1 else f"{x:.3g}"
    return f"{x:.1e}"


def summarize(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, int, np.floating, np.integer)):
        return fmt(float(value))
    array = np.asarray(value)
    if array.size == 0:
        return "[]"
    if array.dtype.kind not in "fiub":
        return str(array.dtype)
    if array.size <= TINY:
        if array.ndim == 2 and min(array.shape) > 1:        # a (3, 2) matrix: one line per row
            return "\n".join("[" + ", ".join(fmt(float(v)) for v in row) + "]" for row in array)
        flat = ", ".join(fmt(float(v)) for v in array.ravel())
        return f"[{flat}]" if array.ndim else flat
    a = array.astype(np.float64)
    return f"min {fmt(a.min())} mean {fmt(a.mean())} max {fmt(a.max())}"


def norm(value) -> float | None:
    """The size of a gradient: |g| for a number, the L2 (Frobenius) norm for an array."""
    if value is None:
        return None
    if isinstance(value, (float, int)):
        return abs(float(value))
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).ravel()))


def is_tiny(value) -> bool:
    return value is not None and (np.ndim(value) == 0 or np.size(value) <= TINY)
