"""PyTorch's type promotion, for the ops where numpy's answer differs.

numpy and PyTorch agree on most mixes of dtypes. They differ where an integer meets a float: numpy widens to
float64 (`int64 array + 0.5`, `int64 array + float32 array`, `int / int`, `exp(int)`), PyTorch gives the
default float dtype (float32) or the float operand's dtype. And PyTorch lets a 0-d tensor or a Python number
pick the result's dtype only when it is of a higher category (bool < integer < float < complex) than the
tensors with dimensions: `float32 tensor + float64 0-d tensor` is float32, `int32 tensor + int64 0-d` is int32.

`cast_to(a, b)` says which dtype to give both operands (None: numpy already computes PyTorch's), so the ops
themselves stay plain numpy.
"""

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_NUMBER_DTYPE = {bool: np.dtype(bool), int: np.dtype(np.int64), float: DEFAULT_FLOAT,
                 complex: np.dtype(np.complex64)}


def _promote_types(a, b):
    """Two dtypes' common dtype, PyTorch's way: a float beats any integer whatever its width."""
    if a is None or b is None:
        return a if b is None else b
    ka, kb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ka != kb and max(ka, kb) >= 2 and min(ka, kb) <= 1:
        return a if ka > kb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """The tier with dimensions (higher) against 0-d tensors and numbers (lower): c10's combine_categories."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[higher.kind] >= 2:
        return higher
    if higher.kind == "b" or _CATEGORY[lower.kind] > _CATEGORY[higher.kind]:
        return _promote_types(higher, lower)
    return higher


def result_type(*operands):
    """PyTorch's result dtype for operands that are numpy arrays (tensor payloads) or Python numbers."""
    dimensioned = zero_d = numbers = None
    for x in operands:
        if isinstance(x, np.generic):
            x = x.item()
        if isinstance(x, np.ndarray):
            if x.ndim:
                dimensioned = _promote_types(dimensioned, x.dtype)
            else:
                zero_d = _promote_types(zero_d, x.dtype)
        else:
            numbers = _promote_types(numbers, _NUMBER_DTYPE[type(x)])
    return _combine(dimensioned, _combine(zero_d, numbers))


def cast_to(a, b, true_division=False):
    """The dtype to cast the operands a, b (arrays or Python numbers) to so that numpy's result has PyTorch's
    dtype; None when numpy's already does.  true_division: an integer result becomes the default float."""
    if type(a) is np.ndarray and a.dtype.kind == "f":     # the common cases, decided without work
        if type(b) is float or type(b) is int or (type(b) is np.ndarray and b.dtype is a.dtype):
            return None
    for x in (a, b):
        if isinstance(x, np.ndarray) and x.dtype.kind not in _CATEGORY:
            return None                                    # object arrays of Scalars, strings: not ours to cast
        if not isinstance(x, (np.ndarray, np.generic, bool, int, float, complex)):
            return None
    wanted = result_type(a, b)
    if true_division and wanted.kind in "biu":
        wanted = DEFAULT_FLOAT
    numpy_gives = np.result_type(a, b)
    if true_division and numpy_gives.kind in "biu":
        numpy_gives = np.dtype(np.float64)
    return None if numpy_gives == wanted else wanted


def float_dtype(dtype):
    """The dtype a float-valued function (exp, log, sqrt, sigmoid, tanh) of this dtype returns, as PyTorch."""
    return dtype if dtype.kind in "fc" else DEFAULT_FLOAT
