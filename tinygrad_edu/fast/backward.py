"""The backward loop of the fast paths (the core's `backward` hands over here through autograd.SEAMS.backward).

The same algorithm as the core's loop (autograd.py): a node's op runs once its gradient is complete; shares of
a value used twice add up; hooks, watch(), retain_grad and freeing saved values behave the same.  What differs:
- order: instead of a depth-first search and a dict of gradients, each node counts its uses (`_uses`, a slot) and
  holds its gradient so far (`_pending`); a node is ready when its count reaches zero (Kahn's algorithm).  Slots
  are read faster than a dict keyed by node; counts left behind by a failing pass are reset.
- accumulation: a buffer this pass allocated and nothing else has seen (its id is in `owned`) is added to in place.
- gathered gradients (gradients.py): slices joined once, Affine's weight products multiplied once.
- the cyclic garbage collector is paused: backward only makes short-lived objects, and a collection would
  re-scan the whole graph for nothing.
"""

from __future__ import annotations

import gc

import numpy as np

from ..autograd import FREED, STATE, unbroadcast
from ..checks import check_finite, freed_graph_error
from .gradients import _GATHERED, FAST_BACKWARD, ProductGrad, SliceGrad, _Products, _Slices
from .scalar_record import ScalarNode, TensorRecord

RECORDS = (ScalarNode, TensorRecord)      # the records that keep their parents


def parents_of(ctx):
    """One entry per input: the input if it needs a gradient, else None (the records fast/apply.py makes keep
    them; a plain Context, made by code that bypassed the fast paths, is worked out)."""
    if type(ctx) in RECORDS:
        return ctx.parents
    return tuple(x if need else None for x, need in zip(ctx.inputs, ctx.needs_input_grad))


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
    gradient, appending those nodes to `seen`.  (A slot, not a dict: see the module docstring.)

    Also refuses, before anything is accumulated, a graph whose saved values a backward pass freed.
    """
    seen.append(root)
    stack = [root]
    while stack:
        node = stack.pop()
        ctx = (node if node.fn is not None else None) if type(node) is ScalarNode else node.grad_fn   # its own record
        if ctx is None:
            continue
        if ctx.saved is FREED:
            raise freed_graph_error(ctx)
        for parent in ctx.parents if type(ctx) in RECORDS else parents_of(ctx):
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


def backward(root, seed, retain_graph=False):
    """Backpropagate `seed` (the gradient of root) through everything root depends on."""
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
    keep_all = STATE.watching
    anomaly = STATE.anomaly
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
                grad = node._hook_grad(grad, hook)
        ctx = (node if node.fn is not None else None) if type(node) is ScalarNode else node.grad_fn
        if ctx is None:
            if grad is not None:
                node._store_grad(grad)
            continue
        parents = ctx.parents if type(ctx) in RECORDS else parents_of(ctx)
        if grad is None:                 # no gradient reached this node: its inputs get none from it
            grads = (None,) * len(parents)
        else:
            if keep_all or node._retains_grad:
                node._store_grad(grad)
            fn = ctx.fn
            grads = FAST_BACKWARD.get(fn, fn.backward)(ctx, grad) if type(node) is not ScalarNode else \
                fn.backward(ctx, grad)
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(parents):
                raise RuntimeError(f"backward of {ctx.where()} returned {len(grads)} gradient(s) for "
                                   f"{len(parents)} input(s); return one per input (None where there is none)")
            if anomaly:
                for g in grads:
                    if g is not None:
                        check_finite(g.values if type(g) is SliceGrad else g.a if type(g) is ProductGrad else g,
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
            ctx.saved = FREED
