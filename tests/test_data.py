"""tinygrad_edu.data: the mini-batch arithmetic of the notes, shuffling, and the small data sets."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, TensorDataset, bars_and_stripes, two_moons


def test_epoch_iteration_arithmetic_000():
    loader = DataLoader(TensorDataset(np.zeros((20_000, 3), np.float32), np.zeros(20_000, np.int64)), batch_size=200)
    assert len(loader) == 100                                  # 20,000 samples / 200 per batch = 100 iterations
    assert len(DataLoader(TensorDataset(np.zeros(10)), batch_size=3)) == 4
    assert len(DataLoader(TensorDataset(np.zeros(10)), batch_size=3, drop_last=True)) == 3


def test_batches_cover_every_sample_once_per_epoch_in_a_seeded_order():
    X, y = np.arange(10, dtype=np.float32)[:, None], np.arange(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=1)
    first = [yb for _, yb in loader]
    second = [yb for _, yb in loader]
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate(first).tolist()) == list(range(10))
    assert np.concatenate(first).tolist() != np.concatenate(second).tolist()      # a new order each epoch
    xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=1)))
    assert isinstance(xb, tg.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy()[:, 0], yb)       # rows stay paired
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_small_data_sets():
    X, y = two_moons(100, seed=0)
    assert X.shape == (100, 2) and set(y.tolist()) == {0, 1}
    images = bars_and_stripes(3)
    assert images.shape == (14, 9)                             # 2 * 2^3 - 2 (all-off and all-on are both)
    for img in images.reshape(-1, 3, 3):
        assert (img == img[:1]).all() or (img == img[:, :1]).all()
