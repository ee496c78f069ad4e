"""Local derivatives as a derivation writes them, and the gradient an edge carries backwards.

Scalar mode: each op's local derivative as a formula in its inputs' names and as a number, e.g.
"∂(a·b)/∂a = b = 3.0".  Tensor mode: the backward formula in words and symbols ("g · W", g the upstream
gradient); the numbers come from the op's own backward (graph.vjp), the engine's one source of truth.
"""

from __future__ import annotations

import math

from .labels import _EXPRESSIONS, wrap
from .summary import num

# op -> per input: (symbolic local derivative in the input names {0}, {1} (bare) or {w0}, {w1} (parenthesised when
# they are expressions), function of (inputs, output) giving its value).  Scalar mode only: payloads are floats.
_SCALAR = {
    "Add": [("1", lambda x, y: 1.0), ("1", lambda x, y: 1.0)],
    "Sub": [("1", lambda x, y: 1.0), ("−1", lambda x, y: -1.0)],
    "Mul": [("{w1}", lambda x, y: x[1]), ("{w0}", lambda x, y: x[0])],
    "Div": [("1/{w1}", lambda x, y: 1.0 / x[1]), ("−{w0}/{w1}²", lambda x, y: -x[0] / x[1] ** 2)],
    "Neg": [("−1", lambda x, y: -1.0)],
    "Pow": [("{w1}·{w0}^({1} − 1)", lambda x, y: x[1] * x[0] ** (x[1] - 1)),
            ("{w0}^{w1}·ln {w0}", lambda x, y: y * math.log(x[0]) if x[0] > 0 else 0.0)],
    "Exp": [("exp({0})", lambda x, y: y)],
    "Log": [("1/{w0}", lambda x, y: 1.0 / x[0])],
    "Sqrt": [("1/(2√{w0})", lambda x, y: 0.5 / y)],
    "Abs": [("sign({0})", lambda x, y: float((x[0] > 0) - (x[0] < 0)))],
    "Tanh": [("1 − tanh²({0})", lambda x, y: 1.0 - y * y)],
    "Sigmoid": [("σ({0})·(1 − σ({0}))", lambda x, y: y * (1.0 - y))],
    "ReLU": [("[{0} > 0]", lambda x, y: 1.0 if x[0] > 0 else 0.0)],
}

# op -> per input: the backward formula in tensor mode, g = the upstream gradient ∂L/∂y
_TENSOR = {
    "Affine": ["g · {1}", "gᵀ · {0}", "g summed over the batch (g itself if b has y's shape)"],
    "MatMul": ["g · {1}ᵀ", "{0}ᵀ · g"],
    "Add": ["g (summed over broadcast axes)", "g (summed over broadcast axes)"],
    "Sub": ["g", "−g (summed over broadcast axes)"],
    "Mul": ["g ⊙ {1}", "g ⊙ {0}"],
    "Div": ["g ⊘ {1}", "−g ⊙ {0} ⊘ {1}²"],
    "Neg": ["−g"],
    "Pow": ["g ⊙ e·{0}^(e−1)", "g ⊙ y ⊙ ln {0}"],
    "Exp": ["g ⊙ y"],
    "Log": ["g ⊘ {0}"],
    "Sqrt": ["g ⊘ (2y)"],
    "Tanh": ["g ⊙ (1 − y²)"],
    "Sigmoid": ["g ⊙ y ⊙ (1 − y)"],
    "ReLU": ["g ⊙ [{0} > 0]"],
    "LeakyReLU": ["g ⊙ (1 if {0} > 0 else slope)"],
    "Sum": ["g broadcast back to the shape of {0}"],
    "Mean": ["g broadcast back to the shape of {0}, divided by the count"],
    "Reshape": ["g reshaped to the shape of {0}"],
    "Permute": ["g with the axes put back"],
    "GetItem": ["g written into zeros where {0} was read"],
    "Softmax": ["y ⊙ (g − Σ g ⊙ y)"],
    "LogSoftmax": ["g − softmax({0}) ⊙ Σ g"],
    "NLLLoss": ["−g·w[t]/Σw[t] at each target class (−g/N without class weights)"],
    "BinaryCrossEntropy": ["g ⊙ ({0} − {1}) ⊘ ({0}(1 − {0})) (unweighted)", "−g ⊙ logit({0}) (unweighted)"],
    "BinaryCrossEntropyWithLogits": ["g ⊙ (σ({0}) − {1}) (unweighted)", "−g ⊙ {0} (unweighted)"],
    "Conv2d": ["col2im({1}ᵀ · g)", "Σ over the batch of g · im2col({0})ᵀ", "g summed over N, H, W"],
    "MaxPool2d": ["g routed to the maximum of each window"],
    "AvgPool2d": ["g spread evenly over each window"],
}


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


def scalar_local(op: str, names, inputs, output, k: int):
    """-> (formula, value) for the local derivative of a scalar op's output with respect to input k, e.g.
    ('∂(a·b)/∂a = b = 3.0', 3.0); (formula, None) when we do not know this op's rule."""
    rules = _SCALAR.get(op)
    head = partial(op, names, k)
    if rules is None or k >= len(rules):
        return f"{head} (no formula for {op})", None
    symbolic, fn = rules[k]
    try:
        value = float(fn([float(v) for v in inputs], float(output)))
    except (ZeroDivisionError, ValueError, OverflowError):
        value = float("nan")
    wrapped = {f"w{i}": wrap(n) for i, n in enumerate(names)}
    rhs = symbolic.format(*names, **wrapped)
    text = f"{head} = {rhs}"
    if rhs.lstrip("−-").replace(".", "").isdigit():
        return text, value
    return f"{text} = {num(value)}", value


def tensor_formula(op: str, names, k: int) -> str:
    rules = _TENSOR.get(op)
    target = f"∂L/∂{wrap(names[k])}"
    if rules is None or k >= len(rules):
        return f"{target} = backward of {op} applied to g"
    return f"{target} = " + rules[k].format(*[wrap(n) for n in names])


def carried(graph, op, k, upstream):
    """The gradient op's backward sends to its input k, given the gradient of the op's output (upstream).

    Scalar mode: upstream times the local derivative; tensor mode: the op's own backward (None when the values it
    saved are gone, i.e. after a backward() without retain_graph=True)."""
    if upstream is None:
        return None
    inputs = graph.inputs_of(op.id)
    out = graph.consumers_of(op.id)
    if out and out[0].shape is None and all(x.shape in (None, ()) for x in inputs):
        rules = _SCALAR.get(op.op)
        if rules is None or k >= len(rules):
            return _vjp(graph, op, k, upstream)
        try:
            return float(upstream) * float(rules[k][1]([float(x.data) for x in inputs], float(out[0].data)))
        except (ZeroDivisionError, ValueError, OverflowError):
            return float("nan")
    return _vjp(graph, op, k, upstream)


def _vjp(graph, op, k, upstream):
    try:
        return graph.vjp(op.id, upstream)[k]
    except (RuntimeError, KeyError, TypeError, ValueError):
        return None
