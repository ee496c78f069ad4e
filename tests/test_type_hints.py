"""The public API carries type hints (issue 15): every public function and method of the modules a student
imports has an annotation on each parameter and on its return (not __init__'s), and every hint resolves to a
type (typing.get_type_hints raises on a misspelt or unimported name)."""

from __future__ import annotations

import inspect
import typing

import pytest

import tinygrad_edu as tg
from tinygrad_edu import data, gradcheck, graph, memory, optim, rbm, serialization
from tinygrad_edu.nn import functional, init, utils

PUBLIC_MODULES = [tg, tg.nn, functional, init, utils, optim, gradcheck, graph, memory, rbm, data, serialization]
UNANNOTATED = {"self", "cls"}
KEPT_DUNDERS = {"__init__", "__call__", "__getitem__", "__setitem__", "__len__", "__iter__", "__add__", "__radd__",
                "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__pow__", "__rpow__",
                "__neg__", "__matmul__", "__rmatmul__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
                "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__float__", "__int__", "__bool__"}


def _own(obj) -> bool:
    return getattr(obj, "__module__", "").startswith("tinygrad_edu")


def _written_by_us(fn) -> bool:
    """False for methods that @dataclass generates (their code is compiled from a string, not from our files)."""
    return fn.__code__.co_filename.endswith(".py")


def public_callables():
    """(qualified name, function) for every public function, and every public method a public class defines
    itself (properties by their getter), over PUBLIC_MODULES' __all__."""
    seen, found = set(), []
    for module in PUBLIC_MODULES:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or id(obj) in seen or not _own(obj):
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                found.append((f"{obj.__module__}.{name}", obj))
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr not in KEPT_DUNDERS:
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    elif isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member) and _written_by_us(member) and id(member) not in seen:
                        seen.add(id(member))
                        found.append((f"{obj.__module__}.{obj.__name__}.{attr}", member))
    return found


CALLABLES = public_callables()


def test_the_public_api_is_found():
    names = {name for name, _ in CALLABLES}
    for expected in ("tinygrad_edu.tensor.Tensor.reshape", "tinygrad_edu.tensor.Tensor.__add__",
                     "tinygrad_edu.nn.loss_functional.cross_entropy", "tinygrad_edu.optim.SGD.step",
                     "tinygrad_edu.nn.recurrent.LSTM.__init__", "tinygrad_edu.gradcheck.gradcheck"):
        assert expected in names
    assert len(CALLABLES) > 200


@pytest.mark.parametrize("name,fn", CALLABLES, ids=[name for name, _ in CALLABLES])
def test_public_callable_is_annotated(name, fn):
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values()
               if p.name not in UNANNOTATED and p.annotation is inspect.Parameter.empty]
    if fn.__name__ != "__init__" and signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    assert not missing, f"{name}: no type hint for {', '.join(missing)}"
    typing.get_type_hints(fn)       # every name in the hints resolves
