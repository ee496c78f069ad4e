"""The records the fast paths make: Scalar's compact record (a Scalar made by an op is also that op's Context)
and TensorRecord (a Context that also keeps its parents, read by the fast backward loop).

The plain core gives every op output a Context holding an inputs tuple: three tracked objects per node.  A scalar
graph has tens of thousands of nodes, and Python's cyclic garbage collector scans every tracked object each time it
runs, so the fast paths keep one object per node: `ScalarNode` is a Scalar with the Context's attributes (fn,
inputs, params, saved, needs_input_grad, scope, save_for_backward, op, where), and `node.grad_fn is node`.  Its
inputs live in two slots, not a tuple.
"""

from __future__ import annotations

from ..autograd import STATE, Context, Value
from ..scalar import Scalar

ONE_INPUT = object()      # ScalarNode._b of a one-input op (the input is in _a)
INPUTS_TUPLE = object()   # ScalarNode._b when _a holds the inputs tuple (none, or three and more)
NO_PARAMS: dict = {}      # shared by ops called without hyper-parameters; never mutated


class ScalarNode(Scalar):
    """A Scalar output of an op that is its own Context (see the module docstring).

    Leaves are ScalarNodes too (install() makes Scalar(...) build one, with no op): the hot paths read and write
    the same attributes of leaves and op outputs, and Python's specialised attribute access stays fast only while
    each site sees one class (benchmarks/README.md has the measurement).
    """

    __slots__ = ("fn", "_a", "_b", "params", "saved", "scope", "__dict__")   # op extras (ctx.bounds) in __dict__

    save_for_backward = Context.save_for_backward
    op = Context.op
    where = Context.where

    def _describe(self) -> str:
        """Messages name the public class: a student made a Scalar."""
        return f"Scalar {self.name!r}" if self.name else "Scalar"

    @property
    def grad_fn(self):
        return self if self.fn is not None else None

    @grad_fn.setter
    def grad_fn(self, ctx):
        """Scalar.__init__ sets it to None: a leaf is a record of no op."""
        if ctx is not None:
            raise AttributeError(f"grad_fn: a ScalarNode is its own record; it cannot take {type(ctx).__name__}")
        self.fn, self._a, self._b, self.params, self.saved, self.scope = None, (), INPUTS_TUPLE, NO_PARAMS, (), ""

    @property
    def inputs(self) -> tuple:
        b = self._b
        if b is INPUTS_TUPLE:
            return self._a
        return (self._a,) if b is ONE_INPUT else (self._a, b)

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(p is not None for p in self.parents)

    @property
    def parents(self) -> tuple:
        """One entry per input: the input if it needs a gradient, else None."""
        a, b = self._a, self._b
        if b is ONE_INPUT:
            return (a,)                  # a one-input op is recorded only when its input needs a gradient
        if b is INPUTS_TUPLE:
            return tuple(x if isinstance(x, Value) and x.requires_grad else None for x in a)
        return (a if isinstance(a, Value) and a.requires_grad else None,
                b if isinstance(b, Value) and b.requires_grad else None)


def record(fn, inputs, params) -> ScalarNode:
    """The output-to-be of fn on `inputs`, handed to forward as its ctx."""
    s = object.__new__(ScalarNode)
    s.fn = fn
    if len(inputs) == 1:
        s._a, s._b = inputs[0], ONE_INPUT
    elif len(inputs) == 2:
        s._a, s._b = inputs
    else:
        s._a, s._b = inputs, INPUTS_TUPLE
    s.params = params
    s.saved = ()
    s.scope = STATE.scope
    return s


def record_pair(fn, a, b) -> ScalarNode:
    """record(fn, (a, b), NO_PARAMS) without building the tuple: the hot path of a * b."""
    s = object.__new__(ScalarNode)
    s.fn = fn
    s._a = a
    s._b = b
    s.params = NO_PARAMS
    s.saved = ()
    s.scope = STATE.scope
    return s


def finish(node: ScalarNode, payload, recorded: bool) -> ScalarNode:
    """Fill in the value side of `node` (forward's result); unrecorded, it is a constant and forgets its op."""
    node.data = payload if type(payload) is float else float(payload)
    node.grad = 0.0
    node.name = None
    node._hooks = None
    node._retains_grad = True
    node._pending = None
    node._uses = 0
    node.requires_grad = recorded
    if not recorded:
        node.fn, node._a, node._b, node.saved = None, (), INPUTS_TUPLE, ()
    return node


class TensorRecord(Context):
    """A Context that also keeps `parents` (per input: the input if it needs a gradient, else None), so the fast
    backward loop reads one slot per node instead of zipping inputs with needs_input_grad twice."""

    __slots__ = ("parents",)


def tensor_record(fn, inputs: tuple, params: dict) -> TensorRecord:
    """Context(fn, inputs, params) without the constructor's defaults (fast/apply.py sets them on output)."""
    ctx = object.__new__(TensorRecord)
    ctx.fn = fn
    ctx.inputs = inputs
    ctx.params = params
    ctx.saved = ()
    ctx.scope = STATE.scope
    return ctx
