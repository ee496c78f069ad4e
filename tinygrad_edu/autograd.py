"""The autograd core behind Scalar and Tensor mode.  Read it top to bottom beside one op (`Mul` in
ops/elementwise.py); docs/engine.md is the reading guide.  1. switches  2. Context, the record of one op
3. Function and its apply  4. Value, what the core asks of Scalar and Tensor  5. backward.
Speed lives in tinygrad_edu/fast/, plugged into the two seams marked SEAM (TINYGRAD_EDU_FAST_PATHS=0: none)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import broadcast_error, check_finite, freed_graph_error


class _State:
    grad_enabled = True   # False inside no_grad(): nothing is recorded
    scope = ""            # "encoder/t=3": the path pushed by scope() and Module.__call__
    watching = False      # inside watch(): keep every node's gradient
    anomaly = False       # inside detect_anomaly(): check every payload for NaN and Inf


STATE = _State()


class _Seams:                            # where tinygrad_edu/fast/ plugs in (None: this file's code runs)
    apply: Callable | None = None      # apply(fn, inputs, params) -> the output value
    backward: Callable | None = None   # backward(root, seed, retain_graph)


SEAMS = _Seams()


# -------------------- 1. switches
@contextlib.contextmanager
def _switch(name: str, value: bool):
    """STATE.<name> = value inside a with-block, the previous value back afterwards (even on error)."""
    previous = getattr(STATE, name)
    setattr(STATE, name, value)
    try:
        yield
    finally:
        setattr(STATE, name, previous)


def no_grad() -> contextlib.AbstractContextManager:
    """Nothing computed inside is recorded (evaluation, optimizer updates)."""
    return _switch("grad_enabled", False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Recording back on inside a `no_grad` block."""
    return _switch("grad_enabled", True)


def watch() -> contextlib.AbstractContextManager:
    """Keep every node's gradient (not only leaves' and retain_grad()'s) in backward passes run inside: pictures
    color nodes by it."""
    return _switch("watching", True)


def detect_anomaly() -> contextlib.AbstractContextManager:
    """Raise RuntimeError at the first op whose forward output or backward gradient holds NaN or Inf."""
    return _switch("anomaly", True)


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


def current_scope() -> str:
    return STATE.scope


class scope(contextlib.ContextDecorator):
    """Name a region of the graph; nested scopes join with '/' (`with tg.scope("encoder"):`, or `@tg.scope(...)`
    on a function).  A class, not a generator: every module call and RNN step enters one, so it must be cheap."""

    def __init__(self, name: str):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"scope: name must be a non-empty string without '/', got {name!r}")
        self.name, self.outer = name, []    # outer: the path each (possibly nested) entry replaced

    def __enter__(self) -> str:
        self.outer.append(STATE.scope)
        STATE.scope = f"{STATE.scope}/{self.name}" if STATE.scope else self.name
        return STATE.scope

    def __exit__(self, *exc_info):
        STATE.scope = self.outer.pop()


# -------------------- 2. Context
FREED = ("the values saved for backward were freed",)   # ctx.saved after a backward pass without retain_graph


class Context:
    """The record of one op (PyTorch's `ctx`, the output's `grad_fn`): forward fills it, backward reads it.
    fn, inputs (values and constants), params (keyword hyper-parameters), saved (save_for_backward's values),
    needs_input_grad (per input: does it need a gradient?), scope.  Ops may add attributes (ctx.dim)."""

    __slots__ = ("fn", "inputs", "params", "saved", "needs_input_grad", "scope", "__dict__")

    def __init__(self, fn: type[Function], inputs: tuple, params: dict):
        self.fn, self.inputs, self.params, self.scope = fn, inputs, params, STATE.scope
        self.saved, self.needs_input_grad = (), (True,) * len(inputs)

    def save_for_backward(self, *values: Any) -> None:
        self.saved = values

    @property
    def op(self) -> str:
        return self.fn.op_name or self.fn.__name__

    def where(self) -> str:                              # for error messages: "Mul (scope 'encoder')"
        return f"{self.op} (scope '{self.scope}')" if self.scope else self.op

    def __repr__(self):
        return f"<{self.op} backward{' in ' + self.scope if self.scope else ''}>"


# -------------------- 3. Function
class Function:
    """An op: `forward(ctx, *payloads, **params) -> payload`, `backward(ctx, grad_out) -> one grad per input`.

    Payloads: numpy arrays (Tensor), Python floats (Scalar), or numpy object arrays of Scalars (tensor math in
    scalar mode).  Write an op once, with numpy calls and operators that work on all three.  On object arrays an
    `elementwise` op is applied entry by entry; any other op runs its forward, recording each multiply and add.
    backward returns the plain arrays its formula gives (None where not ctx.needs_input_grad[i]), in the broadcast
    shape.  `derivatives`: per input, that formula, written once for pictures and the stepper: for an elementwise
    op the local derivative dy/dx_i (backward returns g times it), else dL/dx_i in g = dL/dy; inputs {0}, {1}.
    """

    op_name: str | None = None        # the name pictures show (default: the class name)
    elementwise = False
    derivatives: tuple[str, ...] = ()

    @staticmethod
    def forward(ctx: Context, *inputs: Any, **params: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run forward on the inputs' payloads; record its Context if some input needs a gradient."""
        if SEAMS.apply is not None:                               # SEAM 1: tinygrad_edu/fast/apply.py
            return SEAMS.apply(cls, inputs, params)
        if any(isinstance(x, np.ndarray) and x.dtype == object for x in inputs):
            from .scalar import apply_to_scalars  # tensor math on arrays of Scalars
            return apply_to_scalars(cls, inputs, params)
        values = [x for x in inputs if isinstance(x, Value)]
        if not values:
            raise TypeError(f"{cls.op_name or cls.__name__}: expected at least one Tensor or Scalar input, "
                            f"got {tuple(type(x).__name__ for x in inputs)}")
        payloads = [x.data if isinstance(x, Value) else x.item() if isinstance(x, np.generic) else x
                    for x in inputs]               # (np.float64(2) would turn float32 arrays into float64)
        ctx = Context(cls, inputs, params)
        try:
            out = cls.forward(ctx, *payloads, **params)
        except ValueError as error:
            raise broadcast_error(cls, payloads) or error from None
        if STATE.anomaly:
            check_finite(out, f"{ctx.where()} produced {{what}} in its forward output")
        ctx.needs_input_grad = tuple(isinstance(x, Value) and x.requires_grad for x in inputs)
        recorded = STATE.grad_enabled and any(ctx.needs_input_grad)
        return values[0]._wrap(out, ctx if recorded else None)


# -------------------- 4. Value
class Value:
    """What the core asks of a value class: Scalar and Tensor define the four methods below.  Every value has data
    (its payload), grad, requires_grad, grad_fn (the Context that made it; None for a leaf), name, _hooks,
    _retains_grad; _pending and _uses are tinygrad_edu/fast's (gradient so far, uses still to come)."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "name", "_hooks", "_retains_grad", "_pending", "_uses",
                 "__weakref__")
    _is_parameter = False

    def _wrap(self, payload: Any, ctx: Context | None) -> Value:
        """A new value of this class holding `payload`, made by the op `ctx` (None: a constant, not recorded)."""
        raise NotImplementedError

    def _seed_gradient(self, gradient: Any) -> Any:
        """The payload backward starts from: 1 for a one-element output when gradient is None, else `gradient`."""
        raise NotImplementedError

    def _store_grad(self, grad: Any) -> None:
        """Add a finished gradient payload to .grad."""
        raise NotImplementedError

    def _hook_grad(self, grad: Any, hook: Callable) -> Any:
        """Call hook with the gradient as a user sees it; return the payload to use (the hook's result, if any)."""
        raise NotImplementedError

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def register_hook(self, hook: Callable) -> Callable:
        """Call hook(grad) when this value's gradient is complete; a non-None return replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError(f"register_hook: {self._describe()} does not require grad: no gradient will reach it")
        self._hooks = [*(self._hooks or ()), hook]
        return hook

    def retain_grad(self) -> Value:
        """Keep .grad on this non-leaf value after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: {self._describe()} does not require grad")
        self._retains_grad = True
        return self

    def _describe(self) -> str:
        return f"{type(self).__name__} {self.name!r}" if self.name else type(self).__name__

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires it."""
        backward(self, gradient, retain_graph)


# -------------------- 5. backward
def topological_order(root: Value) -> list:
    """The values root depends on (through inputs needing a gradient), each before the inputs of its op: so every
    op using a value has sent its share before we reach it.  Iterative: a long RNN exceeds the recursion limit."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)                   # after all its inputs: a post-order
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        ctx = node.grad_fn
        if ctx is not None:
            if ctx.saved is FREED:
                raise freed_graph_error(ctx)
            stack.extend((x, False) for x, needed in zip(ctx.inputs, ctx.needs_input_grad) if needed)
    return order[::-1]


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`: the adjoint of numpy broadcasting, undone here and nowhere else."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    if extra:
        out = out.reshape(out.shape[extra:])
    if out.shape != shape:
        raise RuntimeError(f"backward: gradient of shape {grad.shape} cannot be summed to input shape {shape} "
                           "(an op's backward returned a wrongly shaped gradient)")
    return out


def backward(root: Value, gradient: Any = None, retain_graph: bool = False) -> None:
    """Backpropagate from `root`: the chain rule, one op at a time, in topological order."""
    if not root.requires_grad:
        raise RuntimeError(f"backward: {root._describe()} does not require grad and has no grad_fn; create the "
                           "inputs with requires_grad=True (Scalars always do)")
    seed = root._seed_gradient(gradient)
    if SEAMS.backward is not None:                                # SEAM 2: tinygrad_edu/fast/backward.py
        return SEAMS.backward(root, seed, retain_graph)
    grads = {root: seed}                     # value -> its gradient so far (values hash by identity)
    for node in topological_order(root):
        grad = grads.pop(node, None)         # complete: every op using `node` came earlier in the order
        if grad is None:
            continue                         # no gradient reached it (every op using it returned None)
        for hook in node._hooks or ():
            grad = node._hook_grad(grad, hook)
        ctx = node.grad_fn
        if ctx is None or STATE.watching or node._retains_grad:
            node._store_grad(grad)
        if ctx is None:
            continue
        input_grads = ctx.fn.backward(ctx, grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(ctx.inputs):
            raise RuntimeError(f"backward of {ctx.where()} returned {len(input_grads)} gradient(s) for "
                               f"{len(ctx.inputs)} input(s); return one per input (None where there is none)")
        for x, needed, g in zip(ctx.inputs, ctx.needs_input_grad, input_grads):
            if needed and g is not None:
                if STATE.anomaly:
                    check_finite(g, f"backward of {ctx.where()} produced {{what}} in an input gradient")
                if isinstance(x.data, np.ndarray):                 # in x's shape and dtype (floats stay)
                    g = unbroadcast(np.asarray(g), x.data.shape).astype(x.data.dtype, copy=False)
                grads[x] = grads[x] + g if x in grads else g       # a value used twice: its shares add up
        if not retain_graph:
            ctx.saved = FREED                # backward will not run here again: let the saved arrays go
