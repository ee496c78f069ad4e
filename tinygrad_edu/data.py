"""Small datasets and a DataLoader: mini-batches as the notes use them (000: 20,000 samples in batches of 200 are
100 iterations per epoch).

    loader = DataLoader(TensorDataset(X, y), batch_size=200, shuffle=True, seed=0)
    len(loader)                  # iterations per epoch: ceil(N / batch_size) (floor with drop_last)
    for xb, yb in loader: ...    # Tensors (float inputs) and numpy int64 targets, in a fresh order each epoch
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

from . import random
from .hints import TensorLike
from .tensor import Tensor

__all__ = ["TensorDataset", "DataLoader", "two_moons", "bars_and_stripes"]


class TensorDataset:
    """Arrays (or Tensors) of equal length, indexed together: dataset[i] -> (x[i], y[i], ...)."""

    def __init__(self, *arrays: TensorLike):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = [a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: arrays must have the same length, got {[len(a) for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> tuple[np.ndarray | np.generic, ...]:
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Mini-batches of a TensorDataset.  Float arrays come out as Tensors, integer arrays (class labels) as numpy
    int64 arrays, which F.cross_entropy takes directly.  shuffle draws a new order every epoch from `seed` (or the
    library's generator, see tg.manual_seed)."""

    def __init__(self, dataset: TensorDataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor | np.ndarray, ...]]:
        n = len(self.dataset)
        order = (self._rng or random.generator()).permutation(n) if self.shuffle else np.arange(n)
        for i in range(len(self)):
            rows = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield tuple(_as_batch(a) for a in self.dataset[rows])


def _as_batch(array):
    array = np.asarray(array)
    if array.dtype.kind in "iub":
        return array.astype(np.int64, copy=False)
    return Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else None)


def two_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (micrograd's demo data): X (n, 2) float64, y (n,) int64 in {0, 1}."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    X += rng.normal(0, noise, X.shape)
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)])
    return X, y


def bars_and_stripes(n: int = 3) -> np.ndarray:
    """Every n x n binary image made of full rows (stripes) or full columns (bars), flattened: (2^(n+1) - 2, n*n).

    The classic tiny data set for RBMs: small enough to compute exact likelihoods.
    """
    patterns = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.float64)    # (2^n, n) bit patterns
    stripes = np.repeat(patterns, n, axis=1)                                             # each row one bit
    bars = np.tile(patterns, (1, n))                                                     # each column one bit
    return np.unique(np.concatenate([stripes, bars]), axis=0)
