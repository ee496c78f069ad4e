"""save/load: state dicts (or single tensors) as .npz files, never pickle."""

from __future__ import annotations

import os
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .hints import TensorLike
from .tensor import Tensor

_SINGLE = "__tensor__"   # the key a lone tensor is stored under


def save(obj: Tensor | dict[str, TensorLike], path: str | os.PathLike) -> None:
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


class LoadError(ValueError):
    """`load` was given a file that is not what `save` writes: the message names the path and what is wrong."""


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")     # a zip archive's first bytes (an empty archive: the second)
_BROKEN = (zipfile.BadZipFile, EOFError, OSError, zlib.error)     # how a cut or damaged zip shows itself


def load(path: str | os.PathLike) -> Tensor | OrderedDict[str, Tensor]:
    """Read what `save` wrote: an OrderedDict {name: Tensor} (or the single Tensor).  No pickle is allowed.

    Any other file (an .npz holding pickled objects, a text file, a single .npy, a truncated archive) raises
    LoadError, a ValueError that names the path and what is wrong with it.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:            # a missing file raises FileNotFoundError, which already says so
        head = f.read(8)
    if not head:
        raise LoadError(f"load: {path} is empty: not a tinygrad_edu .npz file (truncated or corrupt)")
    if head.startswith(_NPY_MAGIC):
        raise LoadError(f"load: {path} is a single numpy .npy array, not a tinygrad_edu .npz file (tg.save writes "
                        ".npz archives; read a .npy with numpy.load)")
    if not head.startswith(_ZIP_MAGIC):
        raise LoadError(f"load: {path} is not a tinygrad_edu .npz file: it is not a zip archive (it starts with "
                        f"{head!r})")
    try:
        archive = np.load(path, allow_pickle=False)
    except _BROKEN as error:
        raise LoadError(f"load: {path} is truncated or corrupt: not a complete zip archive ({error})") from None
    with archive:
        arrays = OrderedDict((name, _entry(archive, name, path)) for name in archive.files)
    if list(arrays) == [_SINGLE]:
        return Tensor(arrays[_SINGLE], dtype=arrays[_SINGLE].dtype)
    return OrderedDict((k, Tensor(a, dtype=a.dtype)) for k, a in arrays.items())


def _entry(archive, name, path):
    """One numeric array of the archive, or a LoadError saying why it is not one."""
    try:
        array = archive[name]
    except ValueError as error:
        # numpy refuses an object array with advice to pass allow_pickle=True: unsafe, and not what is wrong here
        if "allow_pickle" in str(error):
            raise LoadError(f"load: {path} is not a tinygrad_edu .npz file: entry {name!r} holds pickled Python "
                            "objects (tinygrad_edu saves numeric arrays only and never unpickles)") from None
        raise LoadError(f"load: {path} is not a tinygrad_edu .npz file, or is truncated or corrupt: entry {name!r} "
                        f"is not a readable numpy array ({error})") from None
    except _BROKEN as error:
        raise LoadError(f"load: {path} is truncated or corrupt: entry {name!r} cannot be read ({error})") from None
    if not isinstance(array, np.ndarray):          # numpy hands back the raw bytes of a member that is not .npy
        raise LoadError(f"load: {path} is not a tinygrad_edu .npz file: entry {name!r} is not a readable numpy "
                        "array (a zip archive of other files)")
    if array.dtype.kind not in "biuf":
        raise LoadError(f"load: {path} is not a tinygrad_edu .npz file: entry {name!r} holds {array.dtype} values, "
                        "not numbers")
    return array
