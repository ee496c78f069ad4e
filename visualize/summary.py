"""Short text for numbers in a picture: the numbers themselves when few, min/mean/max otherwise."""

import numpy as np

TINY = 6   # arrays with at most this many entries are printed in full


def fmt(x: float) -> str:
    return f"{x:.4g}"


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
        flat = ", ".join(fmt(float(v)) for v in array.ravel())
        return f"[{flat}]" if array.ndim else flat
    a = array.astype(np.float64)
    return f"min {fmt(a.min())} mean {fmt(a.mean())} max {fmt(a.max())}"


def norm(value) -> float | None:
    """The size of a gradient: |g| for a number, the L2 norm for an array."""
    if value is None:
        return None
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).ravel()))
