"""Indexing with index arrays, PyTorch's way where numpy's differs.

Both move the dims of the index arrays to the front of the result when the arrays are apart, and keep them in
place when the arrays sit next to each other. They disagree on what "apart" means:
- numpy counts an integer as an index array: in `x[1, :, idx]` the integer and `idx` are apart, so numpy puts
  `idx`'s dims first. PyTorch selects with the integers first (each removes its dim) and then indexes with the
  arrays alone: `idx`'s dims stay in place.
- numpy counts an Ellipsis as a separator even when it stands for no dim (`x[:, a, ..., b]` on a 2-D ... 3-D x
  whose other entries use every dim); PyTorch does not.
`torch_steps` turns such an index into one or two indices that numpy reads PyTorch's way.
"""

import numpy as np

_PLAIN = (int, slice, type(None), type(Ellipsis))   # entries numpy and PyTorch read alike when no array is there


def _kind(entry):
    if entry is None or entry is Ellipsis or isinstance(entry, slice):
        return "basic"
    if isinstance(entry, (int, np.integer)) and not isinstance(entry, (bool, np.bool_)):
        return "int"
    if isinstance(entry, np.ndarray) and entry.ndim == 0 and entry.dtype.kind in "iu":
        return "int"                      # a 0-d integer tensor indexes as an integer, as in PyTorch
    return "array"


def _width(entry, kind):
    """How many dims of x an index entry uses (None and Ellipsis: counted apart)."""
    if entry is None or entry is Ellipsis:
        return 0
    if kind == "array" and np.asarray(entry).dtype == bool:
        return np.ndim(entry)             # a mask uses as many dims as it has
    return 1


def torch_steps(index, ndim):
    """Indices to apply one after the other, `x[s0][s1]...`, so numpy computes PyTorch's `x[index]` for an x
    with `ndim` dims; None when numpy's `x[index]` already is PyTorch's (every index without an array)."""
    if type(index) is not tuple:
        return None
    for entry in index:                   # the common case first: only slices, ints, None and Ellipsis
        if type(entry) not in _PLAIN:
            break
    else:
        return None
    kinds = [_kind(e) for e in index]
    if "array" not in kinds:
        return None
    widths = [_width(e, k) for e, k in zip(index, kinds)]
    ellipses = [i for i, e in enumerate(index) if e is Ellipsis]
    if ellipses:                          # spelled out as the slices it stands for (none, when the rest use every dim)
        at, fill = ellipses[0], max(ndim - sum(widths), 0)
        index = index[:at] + (slice(None),) * fill + index[at + 1:]
        kinds = kinds[:at] + ["basic"] * fill + kinds[at + 1:]
        widths = widths[:at] + [1] * fill + widths[at + 1:]
    if "int" in kinds:
        advanced = [i for i, k in enumerate(kinds) if k != "basic"]
        arrays = [i for i, k in enumerate(kinds) if k == "array"]
        numpy_adjacent = advanced[-1] - advanced[0] + 1 == len(advanced)
        torch_adjacent = all(kinds[i] != "basic" for i in range(arrays[0], arrays[-1] + 1))
        if torch_adjacent and not numpy_adjacent:       # integers first (basic indexing), then the arrays
            first, second = [], []
            for entry, kind, width in zip(index, kinds, widths):
                if kind == "int":
                    first.append(int(entry))
                else:
                    first.extend([slice(None)] * width)
                    second.append(entry)
            return [tuple(first), tuple(second)]
    return [index] if ellipses else None
