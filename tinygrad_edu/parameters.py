"""The one way functions that take `parameters` read them: once, into a list.

`model.parameters()` is a generator: read twice, the second pass sees nothing (clip_grad_norm_ once computed
the norm and then clipped nothing).  Every function that accepts parameters calls `tensor_list` first.
"""

from __future__ import annotations

from .tensor import Tensor

__all__ = ["tensor_list"]


def tensor_list(op, parameters):
    """`parameters` as a list of Tensors, read exactly once.

    Accepts one Tensor (-> [it]) or any iterable of Tensors: a list, a tuple, a generator such as
    `model.parameters()`.  Anything else raises TypeError naming `op` and what it received.
    """
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, (str, bytes, dict)) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"{op}: parameters must be a Tensor or an iterable of Tensors (a list, or "
                        f"model.parameters()), got {type(parameters).__name__}")
    tensors = list(parameters)
    for i, p in enumerate(tensors):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameters must be Tensors, but item {i} is a {type(p).__name__}")
    return tensors
