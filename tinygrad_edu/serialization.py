"""save/load: state dicts (or single tensors) as .npz files, never pickle."""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from .tensor import Tensor

_SINGLE = "__tensor__"   # the key a lone tensor is stored under


def save(obj, path):
    """Write a state dict {name: Tensor or array} or one Tensor to `path` (.npz, numeric arrays only)."""
    if isinstance(obj, Tensor):
        arrays = {_SINGLE: obj.data}
    elif isinstance(obj, dict):
        arrays = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"save: state dict keys must be strings, got {k!r}")
            array = np.asarray(v.data if isinstance(v, Tensor) else v)
            if array.dtype == object:
                raise TypeError(f"save: value for {k!r} is not numeric ({type(v).__name__}); only tensors and "
                                "numeric arrays are saved (no pickle)")
            arrays[k] = array
    else:
        raise TypeError(f"save: expected a state dict or a Tensor, got {type(obj).__name__}")
    with open(os.fspath(path), "wb") as f:     # a file object: numpy would otherwise append .npz to the name
        np.savez(f, **arrays)


def load(path):
    """Read what `save` wrote: an OrderedDict {name: Tensor} (or the single Tensor).  No pickle is allowed."""
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        if archive.files == [_SINGLE]:
            return Tensor(archive[_SINGLE], dtype=archive[_SINGLE].dtype)
        return OrderedDict((k, Tensor(archive[k], dtype=archive[k].dtype)) for k in archive.files)
