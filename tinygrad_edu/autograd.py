"""The one autograd engine behind both Scalar mode and Tensor mode.

A `Function` holds the forward math and its backward side by side. `Function.apply` runs the forward on raw
payloads (Python floats for `Scalar`, numpy arrays for `Tensor`) and, when some input requires a gradient,
records a `Context`: the op, its inputs, what the backward needs, its hyper-parameters and the scope it was
made in. `backward` walks that record once, in an iteratively computed topological order, accumulates
gradients of nodes used many times, undoes broadcasting in one place and frees what the backward saved.

Everything mode-specific lives in the two value classes (`Scalar`, `Tensor`): how a payload is wrapped and
how a finished gradient is stored. The engine itself knows nothing else about them.
"""

from __future__ import annotations

import contextlib
import gc
import math

import numpy as np

__all__ = [
    "Context", "Function", "Value", "no_grad", "enable_grad", "is_grad_enabled", "scope", "current_scope",
    "watch", "detect_anomaly", "unbroadcast",
]


class _State:
    """Global switches, read on every op: plain attributes are the cheapest thing Python can read."""

    grad_enabled = True
    scope = ""            # "encoder/t=3": the path pushed by tg.scope and Module.__call__
    watching = 0          # depth of `with watch():` blocks
    anomaly = 0           # depth of `with detect_anomaly():` blocks


STATE = _State()


# ----------------------------------------------------------------------------------------- switches
@contextlib.contextmanager
def no_grad():
    """Nothing computed inside is recorded (evaluation, optimizer updates)."""
    previous, STATE.grad_enabled = STATE.grad_enabled, False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Recording back on inside a `no_grad` block."""
    previous, STATE.grad_enabled = STATE.grad_enabled, True
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class scope(contextlib.ContextDecorator):
    """Name a region of the graph; nested scopes join with '/' (e.g. 'encoder/t=3').

        with tg.scope("encoder") as path: ...     # ops recorded inside carry the scope path (here 'encoder')
        @tg.scope("encoder")                      # or every call of a function
        def encode(x): ...

    A small class, not a generator: a training step enters one per module call and per RNN time step, and this
    costs a third of a @contextmanager's time.  One instance may be entered again inside itself (a recursive
    decorated function): each entry remembers the path it replaced."""

    def __init__(self, name: str):
        name = str(name)
        if not name or "/" in name:
            raise ValueError(f"scope: name must be a non-empty string without '/', got {name!r}")
        self.name = name
        self.outer = []

    def __enter__(self) -> str:
        previous = STATE.scope
        self.outer.append(previous)
        STATE.scope = f"{previous}/{self.name}" if previous else self.name
        return STATE.scope

    def __exit__(self, *exc_info):
        STATE.scope = self.outer.pop()


def current_scope() -> str:
    return STATE.scope


@contextlib.contextmanager
def watch():
    """Keep the gradient of every node a backward pass inside this block reaches, not only the leaves'.

    Wrap forward and backward: pictures then color every node by its gradient. Training loops without it
    store gradients on leaves (and `retain_grad()` tensors) only.
    """
    STATE.watching += 1
    try:
        yield
    finally:
        STATE.watching -= 1


@contextlib.contextmanager
def detect_anomaly():
    """Raise RuntimeError at the first op whose forward output or backward gradient holds NaN or Inf."""
    STATE.anomaly += 1
    try:
        yield
    finally:
        STATE.anomaly -= 1


# ----------------------------------------------------------------------------------------- records
_FREED = object()   # marks a context whose saved values a backward pass released


class Record:
    """The record of one op, as forward and backward see it (`ctx`): the Function, its inputs, what forward
    saved, the hyper-parameters and the scope.  Tensor mode keeps it in a Context beside the output; in Scalar
    mode the output Scalar is its own record (one object per node keeps the garbage collector's work small).

    fn: the Function subclass; inputs: as given (values or constants, for graph.trace); parents: one entry per
    input, the input if it needs a gradient else None; params: the keyword hyper-parameters; scope: the scope
    path at record time; saved: what forward chose to keep.  Ops may set their own attributes (ctx.dim = ...).
    """

    __slots__ = ()

    def save_for_backward(self, *values):
        self.saved = values

    @property
    def op(self) -> str:
        return self.fn.op_name or self.fn.__name__

    @property
    def needs_input_grad(self):
        return tuple(p is not None for p in self.parents) if self.parents is not None else ()

    def where(self) -> str:
        return f"{self.op} (scope '{self.scope}')" if self.scope else self.op


class Context(Record):
    """Tensor mode's record, kept beside the output Tensor as its grad_fn."""

    __slots__ = ("fn", "inputs", "params", "saved", "parents", "scope", "__dict__")   # op extras go in __dict__

    def __init__(self, fn, inputs, params):
        self.fn = fn
        self.inputs = inputs
        self.params = params
        self.saved = ()
        self.parents = None
        self.scope = STATE.scope

    def __repr__(self):
        return f"<{self.op} backward{' in ' + self.scope if self.scope else ''}>"


def parents_of(inputs):
    """One entry per input: the input if it needs a gradient, else None (the inputs tuple itself when all do)."""
    for x in inputs:
        if not (isinstance(x, Value) and x.requires_grad):
            return tuple(x if isinstance(x, Value) and x.requires_grad else None for x in inputs)
    return inputs


class Function:
    """An op: `forward(ctx, *payloads, **params)` and `backward(ctx, grad_out) -> one grad per input`.

    Payloads are what the values hold: floats in Scalar mode, numpy arrays in Tensor mode (or numpy object
    arrays of Scalars, when tensor math is run in scalar mode). Backward returns a tuple with one entry per
    input (None where no gradient is needed or defined); the engine sums broadcast axes back itself.

    `elementwise = True` tells scalar mode it may apply the op entry by entry (one node per entry).
    """

    op_name: str | None = None
    elementwise = False

    @staticmethod
    def forward(ctx, *inputs, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' payloads and record the op if any input requires a gradient."""
        if len(inputs) == 1 and isinstance(inputs[0], Value):      # one value and its hyper-parameters
            return _apply_one(cls, inputs, params)
        first = None
        payloads = []
        needs_grad = False
        for x in inputs:
            if isinstance(x, Value):
                payloads.append(x.data)
                if first is None:
                    first = x
                if x.requires_grad:
                    needs_grad = True
            elif isinstance(x, np.ndarray) and x.dtype == object:
                return _apply_scalar_mode(cls, inputs, params)
            else:
                if isinstance(x, np.generic):   # a numpy scalar would promote float32 payloads
                    x = x.item()
                payloads.append(x)
        if first is None:
            raise TypeError(f"{cls.op_name or cls.__name__}: expected at least one Tensor or Scalar input, "
                            f"got {tuple(type(x).__name__ for x in inputs)}")
        ctx = first._record(cls, inputs, params)
        out = cls.forward(ctx, *payloads, **params)
        if STATE.anomaly:
            _check_finite(out, f"{ctx.where()} produced {{what}} in its forward output")
        return first._finish(ctx, out, parents_of(inputs) if needs_grad and STATE.grad_enabled else None)


ALL_INPUTS = ("every input needs a gradient",)   # _finish's parents when they are the inputs themselves
_NO_PARAMS: dict = {}      # shared by ops called without hyper-parameters; never mutated
_PLAIN_NUMBERS = (float, int)


def apply_unary(fn, x):
    """fn.apply(x) for a value x and no hyper-parameters: the hot path of x.exp(), x.relu(), -x."""
    return _apply_one(fn, (x,), _NO_PARAMS)


def _apply_one(fn, inputs, params):
    """fn.apply for a single value input (inputs = (x,)) with keyword hyper-parameters."""
    x = inputs[0]
    ctx = x._record(fn, inputs, params)
    out = fn.forward(ctx, x.data, **params)
    if STATE.anomaly:
        _check_finite(out, f"{ctx.where()} produced {{what}} in its forward output")
    return x._finish(ctx, out, inputs if x.requires_grad and STATE.grad_enabled else None)


def apply_binary(fn, a, b):
    """fn.apply(a, b) for the arithmetic operators, where one side is a value and the other a value or a
    plain number: the hot path of both modes (no loops, no keyword parameters)."""
    if isinstance(a, Value):
        owner, pa, ra = a, a.data, a.requires_grad
        if isinstance(b, Value):
            pb, rb = b.data, b.requires_grad
        elif type(b) in _PLAIN_NUMBERS:
            pb, rb = b, False
        else:
            return fn.apply(a, b)
    elif isinstance(b, Value) and type(a) in _PLAIN_NUMBERS:
        owner, pa, ra, pb, rb = b, a, False, b.data, b.requires_grad
    else:
        return fn.apply(a, b)
    ctx = owner._record_pair(fn, a, b)
    try:
        out = fn.forward(ctx, pa, pb)
    except ValueError as error:
        raise _explain_broadcast(fn, pa, pb) or error from None
    if STATE.anomaly:
        _check_finite(out, f"{ctx.where()} produced {{what}} in its forward output")
    if not (ra or rb) or not STATE.grad_enabled:
        return owner._finish(ctx, out, None)
    return owner._finish(ctx, out, ALL_INPUTS if ra and rb else (a if ra else None, b if rb else None))


def _explain_broadcast(fn, a, b):
    """A ValueError naming the op and both shapes when numpy could not broadcast them (else None)."""
    sa, sb = np.shape(a), np.shape(b)
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        return ValueError(f"{(fn.op_name or fn.__name__).lower()}: shapes {sa} and {sb} cannot be broadcast together "
                          "(numpy's rule: aligned from the right, each pair of sizes must be equal or one of them 1)")
    return None


def _apply_scalar_mode(fn, inputs, params):
    """Tensor math on numpy object arrays of Scalars: every float op inside becomes a Scalar node.

    Elementwise ops are applied entry by entry, so each entry is one node named after the op (a ReLU node
    per entry); every other op runs its own forward on the object arrays, so its multiplies and adds are
    recorded one by one. Either way the op's math has one source of truth: its forward.
    """
    from .scalar import Scalar

    def as_scalar_payload(x):
        if isinstance(x, np.ndarray) and x.dtype == object:
            return x
        if isinstance(x, Value) and isinstance(x.data, np.ndarray):
            return Scalar.array(x.data, requires_grad=False)   # a Tensor constant joins as Scalars
        return x

    args = [as_scalar_payload(x) for x in inputs]
    if fn.elementwise:
        return np.vectorize(lambda *xs: fn.apply(*xs, **params), otypes=[object])(*args)
    ctx = Context(fn, tuple(inputs), params)
    return fn.forward(ctx, *args, **params)


def _check_finite(payload, message):
    if isinstance(payload, np.ndarray):
        if payload.dtype.kind in "fc" and not np.isfinite(payload).all():
            what = "NaN" if np.isnan(payload).any() else "Inf"
            raise RuntimeError(message.format(what=what) + " (detect_anomaly)")
    elif isinstance(payload, float) and not math.isfinite(payload):
        raise RuntimeError(message.format(what="NaN" if payload != payload else "Inf") + " (detect_anomaly)")


# ----------------------------------------------------------------------------------------- values
class Value:
    """What Scalar and Tensor share: a payload, a gradient, and the record of the op that made it."""

    __slots__ = ("data", "grad", "requires_grad", "name", "_hooks", "_retains_grad", "_pending", "_uses",
                 "__weakref__")
    _is_parameter = False
    _own_record = False     # True where the value is also the record of the op that made it (Scalar)

    # Subclasses define: _ctx (the Record of the op that made the value, or None);
    # _record(fn, inputs, params) -> the ctx an op's forward receives (_record_pair(fn, a, b): the same for two
    # inputs and no hyper-parameters, without building a tuple); _finish(ctx, payload, parents) -> the output
    # value (recording ctx with those parents - ALL_INPUTS: the inputs themselves - or not at all when None);
    # _store_grad(payload); _seed_gradient(gradient); _grad_for_hook(payload); _as_payload(what a hook returned).

    @property
    def grad_fn(self):
        """The record of the op that produced this value (None for leaves)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def register_hook(self, fn):
        """Call fn(grad) when this value's gradient is computed; a non-None return replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError(f"register_hook: {self._describe()} does not require grad, so no gradient "
                               "will ever reach a hook on it")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return fn

    def retain_grad(self):
        """Keep .grad on this non-leaf value after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: {self._describe()} does not require grad")
        self._retains_grad = True
        return self

    def _describe(self) -> str:
        return f"{type(self).__name__} {self.name!r}" if self.name else type(self).__name__

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad that requires it."""
        backward(self, gradient, retain_graph=retain_graph)


# ----------------------------------------------------------------------------------------- backward
class SliceGrad:
    """A gradient that is zero except at x[index] (what a slice's backward returns).  The engine gathers the slices
    of one input and joins them when its gradient is complete (see _Slices), so slicing a (T, ...) tensor T times
    costs O(T) in backward, not O(T^2).  Only the engine sees it: hooks, .grad and every other op receive full
    arrays."""

    __slots__ = ("index", "values")

    def __init__(self, index, values):
        self.index, self.values = index, values

    def dense(self, shape, dtype):
        """The full gradient: zeros of `shape` with `values` at `index`."""
        out = np.zeros(shape, dtype)
        out[self.index] += self.values
        return out


class ProductGrad:
    """A weight gradient left as the product a^T b (a (N, out), b (N, in)), what Affine's backward returns for W.
    The engine collects the products of every use of the weight (an RNN's W_hh, once per time step) and multiplies
    once, over all of them, when the weight's gradient is complete: one large matrix product instead of T small
    ones and T-1 additions.  Only the engine sees it: hooks, .grad and every op receive full arrays."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b


class _Products:
    """The ProductGrads gathered for one node so far (engine-internal)."""

    __slots__ = ("parts",)

    def __init__(self, first):
        self.parts = [first]

    def dense(self, target):
        """sum_k a_k^T b_k as one product of the stacked factors, in the dtype of `target` (the node's data)."""
        parts = self.parts
        if len(parts) == 1:
            out = parts[0].a.T @ parts[0].b
        else:
            out = np.concatenate([p.a for p in parts]).T @ np.concatenate([p.b for p in parts])
        return out if out.dtype == target.dtype else out.astype(target.dtype)


class _Slices:
    """The SliceGrads gathered for one node so far (engine-internal).  When the slices tile the node exactly (the
    T steps x[t] of a sequence, the gate blocks z[..., a:b] of an LSTM step) they are joined by one np.stack or
    np.concatenate; otherwise they are added into zeros.  Only slices that could tile are gathered, and only up to
    the node's own size (more must overlap): past that they go into a buffer at once, so memory stays bounded."""

    __slots__ = ("parts", "size")

    def __init__(self, first):
        self.parts = [first]
        self.size = first.values.size

    @staticmethod
    def could_tile(index):
        """x[t], or x[..., a:b]: the two index forms _join_tiles joins."""
        return type(index) is int or (type(index) is tuple and len(index) == 2 and index[0] is Ellipsis
                                      and type(index[1]) is slice)

    def take(self, g, target):
        """Gather g if it may still be part of a tiling of `target`; False if the slices must be added up instead."""
        if not self.could_tile(g.index) or self.size + g.values.size > target.size:
            return False
        self.parts.append(g)
        self.size += g.values.size
        return True

    def dense(self, target):
        out = _join_tiles(self.parts, target.shape)
        if out is None:
            out = np.zeros(target.shape, target.dtype)
            for part in self.parts:
                out[part.index] += part.values
        return out if out.dtype == target.dtype else out.astype(target.dtype)


def _join_tiles(parts, shape):
    """The parts' values joined into an array of `shape` if their indices tile it exactly, else None.  Every index
    is one of the two forms _Slices.could_tile admits: integers 0..n-1 along the first axis (x[t]), or blocks
    (..., a:b) covering the last axis; a mix of the two never tiles."""
    if type(parts[0].index) is int:
        n = shape[0]
        if len(parts) != n:
            return None
        rows = [None] * n
        for part in parts:
            i = part.index
            if type(i) is not int or not -n <= i < n or rows[i] is not None:
                return None
            rows[i] = part.values
        return np.stack(rows)
    width = shape[-1]
    by_start = {}                              # start -> (stop, values)
    for part in parts:
        if type(part.index) is int:
            return None
        start, stop, step = part.index[1].indices(width)
        if step != 1 or stop <= start or start in by_start:
            return None
        by_start[start] = (stop, part.values)
    pieces, end = [], 0
    while end < width:                         # walk the blocks from column 0: each must start where one ended
        block = by_start.get(end)
        if block is None:
            return None
        end, values = block
        pieces.append(values)
    return np.concatenate(pieces, axis=-1) if len(pieces) == len(parts) else None


_GATHERED = (_Products, _Slices)


def dense_gradient(g, target):
    """An op's input gradient as a full array for an input holding `target` (SliceGrad and ProductGrad are the
    engine's shortcuts; anyone else reading a backward's result sees arrays)."""
    if type(g) is SliceGrad:
        return g.dense(target.shape, target.dtype)
    if type(g) is ProductGrad:
        return _Products(g).dense(target)
    return g


def unbroadcast(grad, shape):
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


def _fit(grad, target):
    """A gradient as an array of the input's shape (broadcasting undone) and dtype."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad, dtype=target.dtype)
    if grad.shape != target.shape:
        grad = unbroadcast(grad, target.shape)
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _count_uses(root, seen):
    """Set `node._uses` to how many recorded ops use it, over everything `root` depends on that needs a
    gradient, appending those nodes to `seen`.  (A slot, not a dict: a 65,000-node graph is counted twice as fast.)

    Also refuses, before anything is accumulated, a graph whose saved values a backward pass freed.
    """
    seen.append(root)
    stack = [root]
    while stack:
        node = stack.pop()
        ctx = (node if node.fn is not None else None) if node._own_record else node._ctx
        if ctx is None:
            continue
        if ctx.saved is _FREED:
            raise RuntimeError(
                f"backward: trying to backward through the graph a second time: the values saved by "
                f"{ctx.where()} were freed by the first backward(). Call .backward(retain_graph=True) the "
                "first time to keep them, or run the forward pass again.")
        for parent in ctx.parents:
            if parent is not None:
                uses = parent._uses
                parent._uses = uses + 1
                if not uses:                   # first time seen
                    stack.append(parent)
                    seen.append(parent)


def _reset_uses(nodes):
    """Back to the state between backward passes: no uses counted, nothing pending."""
    for node in nodes:
        node._uses = 0
        node._pending = None


def backward(root, gradient=None, retain_graph=False):
    """Backpropagate from `root`: the one backward pass of both modes.

    Nodes are visited from the root in dependency order (Kahn's algorithm on the consumer counts): a node's
    gradient is complete, every consumer having added its share, before its own op's backward runs.  The cyclic
    garbage collector is paused meanwhile: backward only makes short-lived objects, and a collection would
    re-scan the whole graph for nothing.
    """
    if not root.requires_grad:
        raise RuntimeError(f"backward: {root._describe()} does not require grad and has no grad_fn; "
                           "create the inputs with requires_grad=True (Scalars always do)")
    seed = root._seed_gradient(gradient)
    nodes = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        _count_uses(root, nodes)
        _run_backward(root, seed, retain_graph)
    except BaseException:              # counting or backward failed: leave no half-counted node behind
        _reset_uses(nodes)
        raise
    finally:
        if collecting:
            gc.enable()


def _accumulate(node, g, owned):
    """Add an input gradient (an array, a SliceGrad or a ProductGrad) into node._pending.  Slices and products are
    gathered (_Slices, _Products) while nothing else arrives.  Buffers whose ids are in `owned` were allocated by
    this pass and seen by nothing else, so they are added to in place."""
    pending = node._pending
    kind = type(g)
    if kind is SliceGrad:
        if pending is None and _Slices.could_tile(g.index):
            node._pending = _Slices(g)
            return
        if type(pending) is _Slices and pending.take(g, node.data):
            return
        if type(pending) is np.ndarray and id(pending) in owned:
            pending[g.index] += g.values
            return
    elif kind is ProductGrad:
        if pending is None:
            node._pending = _Products(g)
            return
        if type(pending) is _Products:
            pending.parts.append(g)
            return
    target = node.data
    if type(pending) in _GATHERED:           # gathered parts meet another kind of gradient: become an array
        pending = pending.dense(target)
        owned.add(id(pending))
    if kind is SliceGrad:
        if pending is None or id(pending) not in owned:
            pending = np.zeros(target.shape, target.dtype) if pending is None else np.array(pending, dtype=target.dtype)
            owned.add(id(pending))
        pending[g.index] += g.values
    else:
        if kind is ProductGrad:
            g = _Products(g).dense(target)
        elif type(target) is np.ndarray and (kind is not np.ndarray or g.shape != target.shape
                                             or g.dtype != target.dtype):
            g = _fit(g, target)
        if pending is None:
            pending = g
        elif id(pending) in owned:
            pending += g
        else:
            pending = pending + g
            if type(pending) is np.ndarray:
                owned.add(id(pending))       # a fresh sum: later contributions can go in place
    node._pending = pending


def _run_backward(root, seed, retain_graph):
    keep_all = STATE.watching > 0
    anomaly = STATE.anomaly > 0
    owned = set()             # ids of gradient buffers this pass allocated and nothing else has seen: += is safe
    root._pending = seed
    ready = [root]
    while ready:
        node = ready.pop()
        grad = node._pending
        node._pending = None
        if type(grad) in _GATHERED:          # every use has added its slice or product: join or multiply once
            grad = grad.dense(node.data)
        if owned:
            owned.discard(id(grad))
        if grad is not None and node._hooks:
            for hook in node._hooks:
                replaced = hook(node._grad_for_hook(grad))
                if replaced is not None:
                    grad = node._as_payload(replaced)
        ctx = (node if node.fn is not None else None) if node._own_record else node._ctx
        if ctx is None:
            if grad is not None:
                node._store_grad(grad)
            continue
        parents = ctx.parents
        if grad is None:                 # no gradient reached this node: its inputs get none from it
            grads = (None,) * len(parents)
        else:
            if keep_all or node._retains_grad:
                node._store_grad(grad)
            grads = ctx.fn.backward(ctx, grad)
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(parents):
                raise RuntimeError(f"backward of {ctx.where()} returned {len(grads)} gradient(s) for "
                                   f"{len(parents)} input(s); return one per input (None where there is none)")
            if anomaly:
                for g in grads:
                    if g is not None:
                        _check_finite(g.values if type(g) is SliceGrad else g.a if type(g) is ProductGrad else g,
                                      f"backward of {ctx.where()} produced {{what}} in an input gradient")
        for parent, g in zip(parents, grads):
            if parent is None:
                continue
            if g is not None:
                if type(g) is float:                 # scalar mode: floats add up, nothing to fit
                    pending = parent._pending
                    parent._pending = g if pending is None else pending + g
                elif parent._pending is None and type(g) is np.ndarray and g.shape == (data := parent.data).shape \
                        and (g.dtype is data.dtype or g.dtype == data.dtype):
                    parent._pending = g              # the first contribution, already of the right shape
                else:
                    _accumulate(parent, g, owned)
            left = parent._uses - 1
            parent._uses = left
            if not left:
                ready.append(parent)
        if not retain_graph:
            ctx.saved = _FREED
