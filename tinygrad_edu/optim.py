"""Optimizers: SGD (momentum, weight decay, Nesterov) and Adam, step for step as PyTorch's.

Both update `p.data` in place, so the model's parameters (and anything holding them) see the new values.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from .parameters import tensor_list
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Holds param_groups (lists of dicts with 'params' and hyper-parameters) and per-parameter state."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict):
        op = type(self).__name__
        if isinstance(params, Tensor):      # as PyTorch: iterating one Tensor would give its rows, never updated
            raise TypeError(f"{op}: params must be an iterable of Tensors (or of dicts), got a single Tensor of "
                            f"shape {params.shape}; pass [tensor]")
        if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
            raise TypeError(f"{op}: params must be an iterable of Tensors (or of dicts), got {type(params).__name__}")
        params = list(params)               # read once: model.parameters() is a generator
        if not params:
            raise ValueError(f"{op}: got an empty parameter list (did you pass "
                             "model.parameters() of a model without parameters, or an exhausted generator?)")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        seen = set()                                  # ids of the parameters of the groups before this one
        for group in groups:
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError(f"{op}: a parameter group must be a dict with a 'params' entry, got "
                                f"{type(group).__name__}")
            group = {**defaults, **group, "params": tensor_list(op, group["params"])}
            ids = {id(p) for p in group["params"]}
            if len(ids) < len(group["params"]):      # as PyTorch: each copy would be updated, so twice per step
                warnings.warn(f"{op}: a parameter group holds the same parameter more than once; step() updates it "
                              "once per copy", UserWarning, stacklevel=3)
            for p in group["params"]:
                if not p.requires_grad:
                    raise ValueError(f"{type(self).__name__}: {p._describe()} does not require grad, so it "
                                     "can never be updated")
                if id(p) in seen:
                    raise ValueError(f"{op}: {p._describe()} appears in more than one parameter group (each group "
                                     "would update it: give every parameter one group)")
            seen |= ids
            self.param_groups.append(group)
        self.state = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None if set_to_none or p.grad is None else Tensor._make(np.zeros_like(p.data))

    def _params_with_grad(self):
        op = f"{type(self).__name__}.step"
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if not isinstance(g, Tensor):      # an array's .data is a memoryview: numpy would fail obscurely
                    raise TypeError(f"{op}: the .grad of {p._describe()} must be a Tensor (or None), got "
                                    f"{type(g).__name__}")
                if g.shape != p.shape:             # numpy would broadcast a (3,) gradient over a (2, 3) parameter
                    raise ValueError(f"{op}: {p._describe()} has shape {p.shape} but its .grad has shape {g.shape}; "
                                     "a gradient must have its parameter's shape")
                yield group, p, g.data


def _check_numbers(op, **values):
    """TypeError naming op and the hyper-parameter when one is not a real number (e.g. lr='0.1')."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")


class SGD(Optimizer):
    """p <- p - lr * v, with v = grad (+ weight_decay * p), momentum buffer b = momentum * b + (1 - dampening) * v,
    and Nesterov's v + momentum * b, exactly as torch.optim.SGD."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        _check_numbers("SGD", lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay)
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def step(self) -> None:
        for group, p, grad in self._params_with_grad():
            d = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
            momentum = group["momentum"]
            if momentum:
                buf = self.state.get(id(p))
                if buf is None:
                    buf = np.array(d, copy=True)
                else:
                    buf *= momentum
                    buf += (1.0 - group["dampening"]) * d
                self.state[id(p)] = buf
                d = d + momentum * buf if group["nesterov"] else buf
            p.data -= (group["lr"] * d).astype(p.data.dtype, copy=False)


class Adam(Optimizer):
    """Adam as torch.optim.Adam: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] | list[float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        _check_numbers("Adam", lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay)
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: need lr >= 0, eps >= 0 and betas in [0, 1), got lr={lr}, eps={eps}, betas={betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        for group, p, grad in self._params_with_grad():
            b1, b2 = group["betas"]
            g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
            state = self.state.setdefault(id(p), {"step": 0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data)})
            state["step"] += 1
            t = state["step"]
            m, v = state["m"], state["v"]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + group["eps"]
            p.data -= ((group["lr"] / (1 - b1 ** t)) * m / denom).astype(p.data.dtype, copy=False)
