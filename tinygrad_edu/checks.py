"""The checks and messages behind the core's errors: NaN/Inf under detect_anomaly(), shapes numpy cannot broadcast
(said with the op's name instead of numpy's bare message), a second backward through a freed graph."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def check_finite(payload: Any, message: str) -> None:
    """Under detect_anomaly: raise RuntimeError(message with {what} = 'NaN' or 'Inf') if payload is not finite."""
    if isinstance(payload, np.ndarray) and payload.dtype.kind in "fc":
        if not np.isfinite(payload).all():
            what = "NaN" if np.isnan(payload).any() else "Inf"
            raise RuntimeError(message.format(what=what) + " (detect_anomaly)")
    elif isinstance(payload, (float, np.floating)) and not math.isfinite(payload):
        raise RuntimeError(message.format(what="NaN" if payload != payload else "Inf") + " (detect_anomaly)")


def broadcast_error(fn, payloads: list) -> ValueError | None:
    """For an elementwise op whose inputs numpy cannot broadcast: a ValueError naming the op and the shapes."""
    shapes = [np.shape(p) for p in payloads]
    if not fn.elementwise or len(shapes) != 2:
        return None
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return ValueError(f"{(fn.op_name or fn.__name__).lower()}: shapes {shapes[0]} and {shapes[1]} cannot be "
                          "broadcast together (numpy's rule: aligned from the right, each pair of sizes must be "
                          "equal or one of them 1)")
    return None


def freed_graph_error(ctx) -> RuntimeError:
    """The error of a backward pass reaching an op whose saved values a previous backward freed."""
    return RuntimeError(f"backward: trying to backward through the graph a second time: the values saved by "
                        f"{ctx.where()} were freed by the first backward(). Call .backward(retain_graph=True) the "
                        "first time to keep them, or run the forward pass again.")
