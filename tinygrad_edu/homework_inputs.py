"""What the homework checkers hand to student code, and how they make sure nothing is left changed.

Every array given to a checker is copied (float32 promoted to float64 with a PrecisionWarning), fingerprinted
bit for bit, and restored after every call of the student's code, even when that code raises or writes into
its arguments; such writes are reported as Mutations.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from .gradient_report import Mutation
from .numeric_grad import CheckUsageError

_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_SMALL = 1 << 16          # bytes: up to this size, copying both arrays to bytes is the cheap way to compare


class PrecisionWarning(UserWarning):
    """float32 arrays or float32 arithmetic in a gradient check (float32 differences are too coarse to trust)."""


def _same_bits(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.nbytes <= _SMALL:
        return a.tobytes() == b.tobytes()      # bits too; for a small array cheaper than the comparison below
    if a.flags.c_contiguous and b.flags.c_contiguous and a.dtype.itemsize in _UINT and a.dtype.kind in "fiub":
        kind = _UINT[a.dtype.itemsize]
        return bool(np.array_equal(a.view(kind), b.view(kind)))      # bits, so NaN == NaN and -0.0 != 0.0
    return a.tobytes() == b.tobytes()


class _Inputs:
    """The arrays given to student code, with pristine copies: finds in-place changes, undoes them, restores all."""

    def __init__(self):
        self._arrays = {}             # id(array) -> (label, array, pristine)
        self._bindings = []           # (label, mapping, key, object): params[name] must stay the array we check
        self.mutations = {}           # (by, label) -> Mutation, the first change each function made to each array
        self.doing = "its first call"

    def add(self, label, array):
        self._arrays[id(array)] = (label, array, np.array(array, order="C", copy=True))

    def bind(self, label, mapping, key):
        self._bindings.append((label, mapping, key, mapping[key]))

    def pristine(self, array):
        return self._arrays[id(array)][2]

    def probe(self, call, by, array=None, at=None, value=None):
        """call() with array[at] = value; then every array is put back as it was.  Returns call()'s result."""
        if array is not None:
            array[at] = value
        result = call()
        if array is not None:
            moved = not _same_bits(np.asarray(array[at]), np.asarray(value, dtype=array.dtype))
            array[at] = self.pristine(array)[at]
            if moved:
                self._record(by, self._arrays[id(array)][0], 1, at)
        self.check(by)
        return result

    def check(self, by):
        for label, array, pristine in self._arrays.values():
            if not _same_bits(array, pristine):
                changed = ~((array == pristine) | (np.isnan(array) & np.isnan(pristine))) \
                    if array.dtype.kind == "f" else array != pristine
                first = tuple(int(i) for i in np.argwhere(changed)[0]) if changed.any() else None
                self._record(by, label, int(changed.sum()), first)
                np.copyto(array, pristine)
        for label, mapping, key, obj in self._bindings:
            if mapping.get(key) is not obj:
                self._record(by, f"{label} (replaced it with a new object)", 1, None)
                mapping[key] = obj

    def _record(self, by, label, changed, index):
        index = tuple(int(i) for i in index) if index is not None else None
        self.mutations.setdefault((by, label), Mutation(by, label, changed, index))

    def restore(self):
        for _, array, pristine in self._arrays.values():
            np.copyto(array, pristine)
        for _, mapping, key, obj in self._bindings:
            mapping[key] = obj


class _Precision:
    """Reads the loss as a float and notices float32 arithmetic: a float32 result, or only float32 values."""

    def __init__(self):
        self.low, self.exact32, self.seen = None, True, set()

    def loss(self, value, by):
        if isinstance(value, (tuple, list)) and value:
            value = value[0]                     # (loss, grads) as cs231n's TwoLayerNet.loss returns
        array = np.asarray(value)
        if array.size != 1 or array.dtype.kind not in "fiu":
            raise CheckUsageError(f"{by} must return the loss as a single number, got {type(value).__name__} "
                                  f"{getattr(array, 'shape', '')}")
        if array.dtype.kind == "f" and array.itemsize < 8:
            self.low = array.dtype
        v = float(array.reshape(()))
        with np.errstate(over="ignore"):
            self.exact32 = self.exact32 and float(np.float32(v)) == v
        if len(self.seen) < 3:
            self.seen.add(v)
        return v

    def computed_in(self):
        if self.low is not None:
            return str(self.low)
        return "float32" if self.exact32 and len(self.seen) >= 3 else None


_CHECKER_MODULES = (__name__, __name__.replace("homework_inputs", "homework_check"))


class _Notes(list):
    """Precision notes, each also a PrecisionWarning pointing at the caller's line; float32 arrays said once."""

    def __init__(self, check):
        super().__init__()
        self.check, self.inputs, self.grads = check, [], []

    def add(self, text):
        frame, level = sys._getframe(1), 2
        while frame is not None and frame.f_globals.get("__name__") in _CHECKER_MODULES:
            frame, level = frame.f_back, level + 1         # warn at the first line outside the checker
        warnings.warn(text, PrecisionWarning, stacklevel=level)
        self.append(text)

    def flush(self):
        if self.inputs:
            self.add(f"{self.check}: {', '.join(self.inputs)}: not float64; checking float64 copies (float32 central "
                     "differences carry ~1e-2 relative noise). Your arrays are untouched")
        if self.grads:
            self.add(f"{self.check}: {', '.join(self.grads)}: your backward pass computes in lower precision; "
                     "compared in float64")
        self.inputs, self.grads = [], []


def _copied(result):
    """result with its arrays copied (top level, or in a tuple/list): a returned array that IS an input the code
    wrote into must keep the values it returned when the check puts that input back."""
    if isinstance(result, np.ndarray):
        return result.copy()
    if isinstance(result, (tuple, list)):
        return type(result)(r.copy() if isinstance(r, np.ndarray) else r for r in result)
    return result


def _promoted(array, label, notes):
    """A float64 copy of array (other dtypes: a plain copy), noting float32/float16."""
    if array.dtype.kind == "f" and array.dtype != np.float64:
        notes.inputs.append(f"{label} is {array.dtype}")
        return array.astype(np.float64)
    return np.array(array, copy=True)


def _as_grad(grad, label, notes):
    if grad is None:
        raise CheckUsageError(f"{notes.check}: {label} is None: the gradient was never computed")
    array = np.asarray(grad)
    if array.dtype.kind not in "fiu":
        raise CheckUsageError(f"{notes.check}: {label} must be a numeric array, got {type(grad).__name__}")
    if array.dtype.kind == "f" and array.itemsize < 8:
        notes.grads.append(f"{label} is {array.dtype}")
    return np.array(array, dtype=np.float64)        # a copy: later calls cannot change what we compare
