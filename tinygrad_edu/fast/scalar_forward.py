"""Forwards specialised for one Python float (scalar mode), where numpy's per-call overhead dominates.

Each computes exactly what the op's own forward computes on a float (tests/test_fast_paths.py checks it).
"""

from __future__ import annotations

from ..ops.activation import ReLU


def relu_of_float(ctx, x: float) -> float:
    """ReLU.forward for a float: max(x, 0) with a comparison, not a numpy call (NaN stays NaN, as np.maximum)."""
    y = 0.0 if x < 0.0 else x
    ctx.save_for_backward(y)
    return y


SCALAR_FORWARD = {ReLU: relu_of_float}
