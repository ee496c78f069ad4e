"""A read-only view of a recorded graph: the one interface `visualize` (and any other reader) uses.

    g = trace(loss)            # after forward (and, for gradients, backward)
    g.nodes                    # value, constant and op nodes, inputs before outputs
    g.edges                    # (src id, dst id): value -> op -> value
    g.inputs_of(id), g.consumers_of(id), g.in_edges(id), g.out_edges(id)     # neighbours, indexed
    g.vjp(op_id, grad_out)     # the op's own backward on a given output gradient (computes, stores nothing)
    g.function(op_id)          # the op's Function class (its `derivatives` formulas)

Value nodes describe Tensors and Scalars (name, shape, dtype, data, grad, leaf, parameter); op nodes
describe recorded ops (op name, hyper-parameters, scope); constant nodes are numbers an op was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .autograd import FREED, Context, Value, unbroadcast

__all__ = ["trace", "Graph", "Node", "Edge"]


@dataclass(frozen=True)
class Node:
    id: str
    kind: str                    # "value", "op" or "const"
    op: str | None               # op nodes: the op name; value nodes: the op that produced them (None for leaves)
    name: str | None
    shape: tuple | None          # None for Scalars
    dtype: str | None
    scope: str                   # "encoder/t=3" ('' at top level)
    data: object = None          # ndarray (read-only) or float; None for op nodes
    grad: object = None          # ndarray (read-only) or float, when kept; None otherwise
    is_leaf: bool = False
    is_parameter: bool = False
    requires_grad: bool = False
    params: dict = field(default_factory=dict)   # op hyper-parameters (dim, stride, ...) for labels


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    index: int = 0               # which input of the op this edge feeds


@dataclass(frozen=True)
class Graph:
    nodes: tuple
    edges: tuple
    roots: tuple                 # ids of the traced outputs
    _records: dict = field(default_factory=dict, repr=False, compare=False)   # op id -> record, for vjp only

    def __len__(self) -> int:
        return len(self.nodes)

    @cached_property
    def _by_id(self):
        return {n.id: n for n in self.nodes}

    @cached_property
    def _incoming(self):
        incoming = {}
        for e in self.edges:
            incoming.setdefault(e.dst, []).append(e)
        for edges in incoming.values():
            edges.sort(key=lambda e: e.index)
        return incoming

    @cached_property
    def _outgoing(self):
        outgoing = {}
        for e in self.edges:
            outgoing.setdefault(e.src, []).append(e)
        return outgoing

    def node(self, node_id: str) -> Node:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(node_id) from None

    def values(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "value"]

    def ops(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "op"]

    def inputs_of(self, node_id: str) -> list[Node]:
        """The nodes feeding `node_id`, in input order (an op's inputs; a value's producing op)."""
        return [self._by_id[e.src] for e in self._incoming.get(node_id, ())]

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges into `node_id`, in input order."""
        return list(self._incoming.get(node_id, ()))

    def out_edges(self, node_id: str) -> list[Edge]:
        """Edges out of `node_id`: for a value, one per use by an op (an op using it twice has two)."""
        return list(self._outgoing.get(node_id, ()))

    def consumers_of(self, node_id: str) -> list[Node]:
        """The nodes `node_id` feeds (for a value: the ops using it; for an op: its output value)."""
        return [self._by_id[e.dst] for e in self._outgoing.get(node_id, ())]

    def function(self, op_id: str) -> type:
        """The Function class of a recorded op: its forward, its backward and the `derivatives` formulas."""
        record = self._records.get(op_id)
        if record is None:
            raise KeyError(f"function: {op_id!r} is not an op of this graph")
        return record.fn

    def vjp(self, op_id: str, grad_out: np.ndarray | float, replay: bool = False) -> tuple:
        """Run the recorded op's own backward on `grad_out` (the gradient of its output) and return one gradient
        per input, shaped like that input (broadcasting undone), or None where the input gets none.

        Computes only: no .grad is touched and nothing is stored. Needs the values the op saved for backward,
        which a plain backward() frees: trace before backward(), or call backward(retain_graph=True), or pass
        replay=True to run the op's forward again on its inputs' current values first (into a fresh Context).
        """
        record = self._records.get(op_id)
        if record is None:
            raise KeyError(f"vjp: {op_id!r} is not an op of this graph")
        if replay:
            fresh = Context(record.fn, tuple(record.inputs), record.params)
            fresh.needs_input_grad = tuple(isinstance(x, Value) and x.requires_grad for x in record.inputs)
            record.fn.forward(fresh, *[x.data if isinstance(x, Value) else x for x in record.inputs], **record.params)
            record = fresh
        elif record.saved is FREED:
            raise RuntimeError(f"vjp: the values {record.where()} saved for backward were freed by backward(); "
                               "step through the graph before calling backward(), or call "
                               "backward(retain_graph=True)")
        grads = record.fn.backward(record, grad_out)
        if type(grads) is not tuple:
            grads = (grads,)
        out = []
        for x, g in zip(record.inputs, grads):
            if g is None or not (isinstance(x, Value) and x.requires_grad):
                out.append(None)
            elif isinstance(x.data, np.ndarray):
                g = np.asarray(g)
                out.append(_readonly(unbroadcast(g, x.data.shape) if g.shape != x.data.shape else g.copy()))
            else:
                out.append(float(g))
        return tuple(out)



def _readonly(x):
    if isinstance(x, np.ndarray):
        view = x.view()
        view.flags.writeable = False
        return view
    return x


def _value_node(v: Value) -> Node:
    data = v.data
    is_array = isinstance(data, np.ndarray)
    grad = v.grad
    if grad is not None and not isinstance(grad, float):
        grad = grad.data
    if not is_array and v.grad_fn is None and not v.requires_grad:
        grad = None
    ctx = v.grad_fn
    return Node(id=f"v{id(v)}", kind="value", op=ctx.op if ctx is not None else None, name=v.name,
                shape=tuple(data.shape) if is_array else None, dtype=str(data.dtype) if is_array else "float",
                scope=ctx.scope if ctx is not None else "", data=_readonly(data), grad=_readonly(grad),
                is_leaf=ctx is None, is_parameter=v._is_parameter, requires_grad=bool(v.requires_grad))


_LABEL_TYPES = (int, float, str, tuple, slice, type(None), type(Ellipsis))


def _label_params(params):
    """Hyper-parameters worth printing: numbers, strings, slices, tuples of them (not arrays such as masks,
    targets or integer indices)."""
    if not params:
        return {}
    return {k: v for k, v in params.items() if isinstance(v, _LABEL_TYPES)
            and not (isinstance(v, tuple) and any(isinstance(p, (np.ndarray, list)) for p in v))}


def trace(*roots: Value | np.ndarray) -> Graph:
    """Every value, constant and op that the roots were computed from, inputs before outputs.

    Accepts Tensors, Scalars, or numpy object arrays of Scalars (scalar mode).  Ops are recorded only when
    some input requires a gradient, so a branch computed from constants alone appears as one leaf value.
    """
    flat = []
    for r in roots:
        if isinstance(r, np.ndarray) and r.dtype == object:
            flat.extend(x for x in r.ravel() if isinstance(x, Value))
        elif isinstance(r, Value):
            flat.append(r)
        else:
            raise TypeError(f"trace: expected Tensors, Scalars or arrays of Scalars, got {type(r).__name__}")
    nodes, edges, seen, records = [], [], set(), {}
    # iterative post-order over values: inputs are emitted before the op and the value they produce
    stack = [(v, False) for v in reversed(flat)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            ctx = v.grad_fn
            if ctx is not None:
                op_id = f"o{id(ctx)}"
                if op_id not in seen:
                    seen.add(op_id)
                    records[op_id] = ctx
                    for i, x in enumerate(ctx.inputs):
                        if isinstance(x, Value):
                            edges.append(Edge(f"v{id(x)}", op_id, i))
                        elif x is not None:
                            const_id = f"c{id(ctx)}_{i}"
                            nodes.append(Node(id=const_id, kind="const", op=None, name=None,
                                              shape=tuple(np.shape(x)) if isinstance(x, np.ndarray) else None,
                                              dtype=str(np.asarray(x).dtype), scope=ctx.scope, data=_readonly(x),
                                              is_leaf=True))
                            edges.append(Edge(const_id, op_id, i))
                    nodes.append(Node(id=op_id, kind="op", op=ctx.op, name=None, shape=None, dtype=None,
                                      scope=ctx.scope, params=_label_params(ctx.params)))
                edges.append(Edge(op_id, f"v{id(v)}"))
            nodes.append(_value_node(v))
            continue
        key = f"v{id(v)}"
        if key in seen:
            continue
        seen.add(key)
        stack.append((v, True))
        if v.grad_fn is not None:
            for x in reversed(v.grad_fn.inputs):
                if isinstance(x, Value) and f"v{id(x)}" not in seen:
                    stack.append((x, False))
    return Graph(nodes=tuple(nodes), edges=tuple(edges), roots=tuple(f"v{id(v)}" for v in flat), _records=records)
