"""Reading scope paths: which module, which layer and direction, which time step a node was made in.

Scope components are module attribute names ("encoder", "0"), recurrent layers ("l0", "l1"), the backward-in-time
direction ("reverse", right after a layer) and time steps ("t=3"):  "lstm/l0/reverse/t=3".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = re.compile(r"^t=(-?\d+)$")
_LAYER = re.compile(r"^l(\d+)$")


def parts(scope: str) -> list:
    return scope.split("/") if scope else []


def _is_recurrent(comps, i) -> bool:
    c = comps[i]
    return bool(_TIME.match(c) or _LAYER.match(c) or (c == "reverse" and i > 0 and _LAYER.match(comps[i - 1])))


@dataclass(frozen=True)
class Step:
    """A time step of an unrolled recurrence: its lane (everything before 't=K': module, layer, direction)
    and t."""

    lane: str
    t: int

    @property
    def key(self) -> str:
        return f"{self.lane}/t={self.t}" if self.lane else f"t={self.t}"


def step_of(scope: str) -> Step | None:
    """The time step a scope lies in (its first 't=K' component), or None."""
    comps = parts(scope)
    for i, c in enumerate(comps):
        m = _TIME.match(c)
        if m:
            return Step("/".join(comps[:i]), int(m.group(1)))
    return None


def is_reverse(lane: str) -> bool:
    return parts(lane)[-1:] == ["reverse"]


def lane_sort_key(lane: str):
    """Lanes ordered by module path, then layer number, forward before reverse."""
    comps = parts(lane)
    layer = next((int(m.group(1)) for c in comps if (m := _LAYER.match(c))), -1)
    module = "/".join(c for i, c in enumerate(comps) if not _is_recurrent(comps, i))
    return (module, layer, is_reverse(lane), lane)


def lane_title(lane: str) -> str:
    """'lstm/l1/reverse' -> 'lstm · layer 1 · reverse'."""
    out = []
    for c in parts(lane):
        m = _LAYER.match(c)
        out.append(f"layer {m.group(1)}" if m else c)
    return " · ".join(out) or "recurrence"


# ----------------------------------------------------------------------------------------------- collapse keys
def module_key(scope: str) -> str | None:
    """The module a scope belongs to: the components before the first layer/direction/time component
    ('lstm/l0/t=3' -> 'lstm', 'features/0' -> 'features/0'); None at top level."""
    comps = parts(scope)
    for i in range(len(comps)):
        if _is_recurrent(comps, i):
            comps = comps[:i]
            break
    return "/".join(comps) or None


def time_key(scope: str) -> str | None:
    """The time step a scope lies in ('lstm/l0/t=3/cell' -> 'lstm/l0/t=3'), or None outside time steps."""
    step = step_of(scope)
    return step.key if step is not None else None


def depth_key(scope: str, depth: int) -> str | None:
    """The first `depth` components of a scope ('features/0/x', 1 -> 'features'); None at top level."""
    comps = parts(scope)
    return "/".join(comps[:depth]) or None


def key_function(mode):
    if mode == "module":
        return module_key
    if mode == "time":
        return time_key
    if isinstance(mode, int) and not isinstance(mode, bool) and mode >= 1:
        return lambda scope: depth_key(scope, mode)
    raise ValueError(f"collapse must be None, 'module', 'time' or a depth >= 1, got {mode!r}")


def ancestors(path: str) -> list:
    """'a/b/c' -> ['a', 'a/b', 'a/b/c']."""
    comps = parts(path)
    return ["/".join(comps[:i]) for i in range(1, len(comps) + 1)]
