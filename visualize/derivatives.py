"""Local derivatives as a derivation writes them, and the gradient an edge carries backwards.

Nothing here knows a derivative: the formulas are the ops' own (`Function.derivatives`, written beside each
backward) and the numbers come from the op's own backward (graph.vjp: a vector-Jacobian product; with a unit
upstream gradient it is the local derivative).  Scalar mode: "∂(a·b)/∂a = b = 3.0"; tensor mode: the backward
formula ("∂L/∂W = gᵀ · X", g the upstream gradient).
"""

from __future__ import annotations

import numpy as np

from .labels import _EXPRESSIONS, wrap
from .summary import num

_FUNCTIONS = ("Tanh", "Sigmoid", "ReLU", "Exp", "Log", "Abs")


def expression(op: str, names) -> str:
    """The op applied to its inputs' names: 'a·b', 'a·b + c', 'tanh(s)'."""
    if op in _EXPRESSIONS:
        template, _ = _EXPRESSIONS[op]
        if op in _FUNCTIONS:
            operands = list(names)
        elif op == "Add":
            operands = list(names)
        elif op == "Sub":
            operands = [names[0]] + [wrap(n) for n in names[1:]]
        else:
            operands = [wrap(n) for n in names]
        try:
            return template.format(*operands)
        except IndexError:
            pass
    return f"{op}({', '.join(names)})"


def partial(op: str, names, k: int) -> str:
    """'∂(a·b)/∂a', '∂tanh(s)/∂s'."""
    out = expression(op, names)
    if op not in _FUNCTIONS:
        out = f"({out})"
    return f"∂{out}/∂{wrap(names[k])}"


def _formula(graph, op, k):
    """The op's own formula for input k (Function.derivatives), or None when it states none."""
    try:
        formulas = graph.function(op.id).derivatives
    except KeyError:
        return None
    return formulas[k] if k < len(formulas) else None


def _fill(formula: str, names) -> str:
    """The formula with its inputs' names in place of {0}, {1}: parenthesised where they are expressions, except
    where the formula's own parentheses already hold them ('tanh²(a·b + c)', not 'tanh²((a·b + c))')."""
    wrapped = [wrap(n) for n in names]
    text = formula.format(*wrapped)
    for n, w in zip(names, wrapped):
        if w != n:
            text = text.replace(f"({w})", f"({n})")
    return text


def local_derivative(graph, op, k: int) -> float | None:
    """d(output)/d(input k) of a scalar op: its own backward run on a unit upstream gradient (after running its
    forward again on the recorded inputs, so it works after backward() freed what forward saved)."""
    try:
        with np.errstate(all="ignore"):
            value = graph.vjp(op.id, 1.0, replay=True)[k]
    except (RuntimeError, KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return None if value is None else float(value)


def scalar_local(graph, op, names, k: int):
    """-> (formula, value) for the local derivative of a scalar op's output with respect to input k, e.g.
    ('∂(a·b)/∂a = b = 3.0', 3.0); the value is None when the op's backward gives none."""
    head = partial(op.op, names, k)
    value = local_derivative(graph, op, k)
    formula = _formula(graph, op, k)
    if formula is None:
        return (f"{head} = {num(value)}" if value is not None else head), value
    rhs = _fill(formula, names)
    text = f"{head} = {rhs}"
    if value is None or rhs.lstrip("−-").replace(".", "").isdigit():
        return text, value
    return f"{text} = {num(value)}", value


def tensor_formula(graph, op, names, k: int) -> str:
    """'∂L/∂W = gᵀ · X': the op's backward formula for input k, g the upstream gradient."""
    target = f"∂L/∂{wrap(names[k])}"
    formula = _formula(graph, op, k)
    if formula is None:
        return f"{target} = backward of {op.op} applied to g"
    text = _fill(formula, names)
    if graph.function(op.id).elementwise:         # the local derivative, times g entry by entry
        text = {"1": "g", "−1": "−g"}.get(text, f"g ⊙ {text}" if len(text) <= 2 else f"g ⊙ ({text})")
    return f"{target} = {text}"


def carried(graph, op, k, upstream):
    """The gradient op's backward sends to its input k, given the gradient of the op's output (upstream): the op's
    own backward (scalar mode: replayed from the recorded values; tensor mode: None when the values it saved are
    gone, i.e. after a backward() without retain_graph=True)."""
    if upstream is None:
        return None
    inputs = graph.inputs_of(op.id)
    out = graph.consumers_of(op.id)
    scalar = bool(out) and out[0].shape is None and all(x.shape in (None, ()) for x in inputs)
    try:
        with np.errstate(all="ignore"):
            return graph.vjp(op.id, float(upstream) if scalar else upstream, replay=scalar)[k]
    except (RuntimeError, KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
