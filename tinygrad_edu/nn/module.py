"""Module and Parameter: PyTorch's way of holding weights and sub-layers.

Assigning a Parameter or a Module to an attribute registers it; `named_parameters()` and `state_dict()`
walk the tree with dotted names (`encoder.layers.0.weight`), which also become the parameters' `.name`
(what pictures show). Calling a module runs `forward` inside a scope named after its attribute, so the
recorded graph can be clustered by module.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import scope
from ..hints import DType, TensorLike
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module: requires grad, and registers itself on assignment."""

    __slots__ = ()
    _is_parameter = True

    def __init__(self, data: TensorLike, requires_grad: bool = True, dtype: DType = None, name: str | None = None):
        if isinstance(data, Tensor) and dtype is None:
            dtype = data.dtype
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(KeyError):
    """Missing or unexpected keys in load_state_dict (a KeyError, with a readable message)."""

    def __str__(self):
        return str(self.args[0])


class Module:
    """Base class of every layer and model.  Subclasses set attributes in __init__ and define forward()."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_scope_name", None)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise RuntimeError(f"{type(self).__name__}: cannot assign {type(value).__name__} {name!r} before "
                               "Module.__init__() has run; call super().__init__() first in your __init__")
        for registry in ("_parameters", "_buffers", "_modules"):
            self.__dict__.get(registry, {}).pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            value.name = name
        elif isinstance(value, Module):
            self._modules[name] = value
            value._adopt(name)
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                return
        object.__delattr__(self, name)

    def _adopt(self, name):
        """Called when this module becomes attribute `name` of a parent: name its scope and parameters."""
        object.__setattr__(self, "_scope_name", name)
        for path, p in self.named_parameters():
            p.name = f"{name}.{path}"

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
            return
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: TensorLike | None) -> None:
        """A tensor that belongs in state_dict but is not learned (e.g. running statistics)."""
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module) -> None:
        setattr(self, name, module)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Module must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._scope_name is None:
            return self.forward(*args, **kwargs)
        with scope(self._scope_name):
            return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        seen = set()
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = list(module._modules.items())
            for name, child in reversed(children):
                if child is not None:
                    stack.append((f"{path}.{name}" if path else name, child))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs, each shared parameter once, in registration order."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{path}.{name}" if path else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self) -> Iterator[tuple[str, TensorLike]]:
        for path, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{path}.{name}" if path else name), b

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Ordered {dotted name: detached Tensor} of parameters and buffers, PyTorch's keys."""
        out = OrderedDict()
        for path, module in self.named_modules():
            for name, t in list(module._parameters.items()) + list(module._buffers.items()):
                if t is not None:
                    out[f"{path}.{name}" if path else name] = t.detach() if isinstance(t, Tensor) else Tensor(t)
        return out

    def load_state_dict(self, state_dict: Mapping[str, TensorLike], strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy values (Tensors or numpy arrays) into this module's parameters and buffers, in place.

        Raises StateDictError (a KeyError) on missing or unexpected keys when strict, and ValueError on a
        shape mismatch; nothing is modified unless every check passes.
        """
        own = self.state_dict()
        targets = {}
        for path, module in self.named_modules():
            for name, t in list(module._parameters.items()) + list(module._buffers.items()):
                if t is not None:
                    targets[f"{path}.{name}" if path else name] = t
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict {{name: Tensor or array}} (from state_dict() or "
                            f"tg.load), got {type(state_dict).__name__}")
        given = OrderedDict((k, np.asarray(v.data if isinstance(v, Tensor) else v)) for k, v in state_dict.items())
        for k, v in given.items():
            if v.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: the value for {k!r} must be numeric (a Tensor or a numeric array), "
                                f"got an array of {v.dtype}")
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        if strict and (missing or unexpected):
            lines = [f"load_state_dict: the state dict does not fit {type(self).__name__}"]
            if missing:
                lines.append(f"  missing keys: {missing}")
            if unexpected:
                lines.append(f"  unexpected keys: {unexpected}")
            lines.append("  (keys are dotted attribute paths, as in named_parameters(); strict=False skips them)")
            raise StateDictError("\n".join(lines))
        wrong = [f"  {k}: expected shape {own[k].shape}, got {given[k].shape}"
                 for k in own if k in given and given[k].shape != own[k].shape]
        if wrong:
            raise ValueError("load_state_dict: shape mismatch for " + str(len(wrong)) + " key(s):\n" + "\n".join(wrong))
        for k, target in targets.items():
            if k in given:
                target.data[...] = given[k]
        return missing, unexpected

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._make(np.zeros_like(p.data))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ")" if not lines else head + "\n" + "\n".join(lines) + "\n)"
