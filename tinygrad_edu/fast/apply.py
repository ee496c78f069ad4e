"""Specialised copies of `Function.apply` (tinygrad_edu/autograd.py) for the hot paths.

They do what the core's apply does (run forward on the payloads; record the op when an input needs a gradient)
with less general machinery: no list of payloads for one or two inputs, no keyword dict for the operators, a
plain `type(...) is float` test for scalar mode, whose outputs are compact records (scalar_record.py).  Every
test runs through them by default, and through the core's apply with TINYGRAD_EDU_FAST_PATHS=0.
"""

from __future__ import annotations

import numpy as np

from ..autograd import STATE, Value
from ..checks import broadcast_error, check_finite
from ..scalar import apply_to_scalars
from ..tensor import Tensor
from . import scalar_record
from .reused_weights import TENSOR_FORWARD
from .scalar_forward import SCALAR_FORWARD
from .scalar_record import NO_PARAMS, TensorRecord, tensor_record

PLAIN_NUMBERS = (float, int)
ONE = (True,)                          # needs_input_grad of a recorded one-input op
BOTH, FIRST, SECOND = (True, True), (True, False), (False, True)


def apply(fn, inputs: tuple, params: dict):
    """Function.apply(*inputs, **params), through the seam autograd.SEAMS.apply."""
    if len(inputs) == 1 and isinstance(inputs[0], Value):
        return apply_one(fn, inputs[0], params)
    first = None
    payloads, needs, parents = [], [], []
    for x in inputs:
        if isinstance(x, Value):
            payloads.append(x.data)
            need = x.requires_grad
            needs.append(need)
            parents.append(x if need else None)
            if first is None:
                first = x
        elif isinstance(x, np.ndarray) and x.dtype == object:
            return apply_to_scalars(fn, inputs, params)
        else:
            payloads.append(x.item() if isinstance(x, np.generic) else x)   # numpy scalars would promote float32
            needs.append(False)
            parents.append(None)
    if first is None:
        raise TypeError(f"{fn.op_name or fn.__name__}: expected at least one Tensor or Scalar input, "
                        f"got {tuple(type(x).__name__ for x in inputs)}")
    recorded = STATE.grad_enabled and any(needs)
    if type(first.data) is float:
        node = scalar_record.record(fn, inputs, params)
        return scalar_output(node, fn.forward(node, *payloads, **params), recorded)
    ctx = tensor_record(fn, inputs, params)
    try:
        out = TENSOR_FORWARD.get(fn, fn.forward)(ctx, *payloads, **params)
    except ValueError as error:
        raise broadcast_error(fn, payloads) or error from None
    if not recorded:
        return tensor_output(ctx, out, None, None)
    return tensor_output(ctx, out, tuple(needs), tuple(parents))


def apply_unary(fn, x):
    """fn.apply(x) for a value x and no hyper-parameters: x.exp(), x.relu(), -x."""
    return apply_one(fn, x, NO_PARAMS)


def apply_one(fn, x, params: dict):
    """fn.apply(x, **params) for one value input."""
    payload = x.data
    if type(payload) is float:
        node = scalar_record.record_pair(fn, x, scalar_record.ONE_INPUT)
        node.params = params
        out = SCALAR_FORWARD.get(fn, fn.forward)(node, payload, **params)
        if STATE.anomaly:
            check_finite(out, f"{node.where()} produced {{what}} in its forward output")
        return scalar_record.finish(node, out, x.requires_grad and STATE.grad_enabled)   # (inlined: the hot path)
    inputs = (x,)
    ctx = tensor_record(fn, inputs, params)
    out = fn.forward(ctx, payload, **params)
    if x.requires_grad and STATE.grad_enabled:
        return tensor_output(ctx, out, ONE, inputs)
    return tensor_output(ctx, out, None, None)


def apply_binary(fn, a, b):
    """fn.apply(a, b) for the arithmetic operators, where one side is a value and the other a value or a plain
    number: the hot path of both modes."""
    if isinstance(a, Value):
        owner, pa, ra = a, a.data, a.requires_grad
        if isinstance(b, Value):
            pb, rb = b.data, b.requires_grad
        elif type(b) in PLAIN_NUMBERS:
            pb, rb = b, False
        else:
            return apply(fn, (a, b), NO_PARAMS)
    elif isinstance(b, Value) and type(a) in PLAIN_NUMBERS:
        owner, pa, ra, pb, rb = b, a, False, b.data, b.requires_grad
    else:
        return apply(fn, (a, b), NO_PARAMS)
    recorded = (ra or rb) and STATE.grad_enabled
    if type(owner.data) is float:
        node = scalar_record.record_pair(fn, a, b)
        out = fn.forward(node, pa, pb)
        if STATE.anomaly:
            check_finite(out, f"{node.where()} produced {{what}} in its forward output")
        return scalar_record.finish(node, out, recorded)       # (scalar_output inlined: the hot path)
    inputs = (a, b)
    ctx = tensor_record(fn, inputs, NO_PARAMS)
    try:
        out = fn.forward(ctx, pa, pb)
    except ValueError as error:
        raise broadcast_error(fn, [pa, pb]) or error from None
    if not recorded:
        return tensor_output(ctx, out, None, None)
    if ra and rb:
        return tensor_output(ctx, out, BOTH, inputs)
    return tensor_output(ctx, out, FIRST, (a, None)) if ra else tensor_output(ctx, out, SECOND, (None, b))


def scalar_output(node, out, recorded: bool):
    """The ScalarNode `node` holding forward's result (checked under detect_anomaly)."""
    if STATE.anomaly:
        check_finite(out, f"{node.where()} produced {{what}} in its forward output")
    return scalar_record.finish(node, out, recorded)


def tensor_output(ctx: TensorRecord, out, needs_input_grad: tuple | None, parents: tuple | None) -> Tensor:
    """The Tensor holding forward's result (checked under detect_anomaly), made by ctx unless needs_input_grad is
    None (nothing to differentiate)."""
    if STATE.anomaly:
        check_finite(out, f"{ctx.where()} produced {{what}} in its forward output")
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if needs_input_grad is None:
        return Tensor._make(out, None)
    ctx.needs_input_grad = needs_input_grad
    ctx.parents = parents
    return Tensor._make(out, ctx)
