"""Issue 13: an index mixing integers and index arrays (x[1, :, 3:11:2, idx, 0:2]) follows PyTorch, forward and
backward: the integers select first, and the arrays' dims stay in place when the arrays are next to each other
(numpy moved them to the front).  Checked against torch on the issue's example and on generated indices."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.indexing import torch_steps

torch = pytest.importorskip("torch")

SHAPE = (3, 4, 5, 6, 2)


def _torch_index(index):
    return tuple(torch.tensor(e) if isinstance(e, np.ndarray) else e for e in index)


def _check_against_torch(x, index):
    """Forward values, shapes and the gradient of sum(y * w) agree with torch's for this index."""
    t = torch.tensor(x, requires_grad=True)
    try:
        want = t[_torch_index(index)]
    except (IndexError, RuntimeError, TypeError, ValueError):
        return False                                   # an index torch refuses is not a parity case
    a = tg.tensor(x, requires_grad=True)
    got = a[index]
    assert got.shape == tuple(want.shape), index
    np.testing.assert_array_equal(got.data, want.detach().numpy())
    w = np.random.default_rng(0).standard_normal(got.shape)
    (got * tg.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, t.grad.numpy())
    return True


def test_the_issue_example_matches_torch():
    x = np.arange(2 * 3 * 12 * 4 * 5, dtype=np.float64).reshape(2, 3, 12, 4, 5)
    idx = np.array([[0, 3], [1, 1]])
    index = (1, slice(None), slice(3, 11, 2), idx, slice(0, 2))
    assert tg.tensor(x)[index].shape == (3, 4, 2, 2, 2)         # numpy's order gives (2, 2, 3, 4, 2)
    assert _check_against_torch(x, index)


@pytest.mark.parametrize("index", [
    (1, slice(None), [0, 2]), (1, None, [0, 1]), (-1, Ellipsis, [0, 1]), (1, Ellipsis, [1, 0], slice(None)),
    (0, slice(None), np.array([True, False, True, True, False])), (np.array(2), slice(None), [0, 1]),
    ([0, 1], 1, [0, 1]), ([0, 2], slice(None), 1, [0, 1]), (1, [0, 1], slice(None), [2, 3]),
    (-2, None, [[1], [0]], [True, True, False, False, True], 5, Ellipsis, [[1], [1]]),     # a 0-wide Ellipsis
    (slice(None), None, [2], [1], [4], Ellipsis, [1]),                                     # the same, no integer
])
def test_named_mixes_match_torch(index):
    x = np.arange(np.prod(SHAPE), dtype=np.float64).reshape(SHAPE)
    index = tuple(np.array(e) if isinstance(e, list) else e for e in index)
    assert _check_against_torch(x, index)


def test_setitem_with_a_mixed_index_writes_where_torch_does():
    x = np.zeros((2, 3, 4))
    ours, theirs = tg.tensor(x), torch.tensor(x)
    value = np.arange(6.0).reshape(3, 2)                         # torch's result shape for [1, :, idx]
    ours[1, :, [0, 2]] = value
    theirs[1, :, [0, 2]] = torch.tensor(value)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_plain_indices_are_left_to_numpy():
    assert torch_steps((1, 2), 2) is None and torch_steps((slice(None), np.array([0])), 2) is None
    assert torch_steps((np.array([0]), 1), 2) is None                # adjacent: numpy's answer is torch's
    assert torch_steps((1, Ellipsis, 2), 2) is None                  # no array: numpy's answer is torch's


@st.composite
def _indices(draw):
    """Index tuples over SHAPE: ints, slices, None, at most one Ellipsis, integer arrays of one shared shape,
    boolean masks."""
    array_shape = draw(st.sampled_from([(2,), (1,), (2, 1), (3,)]))
    entries, dim, used_ellipsis = [], 0, False
    while dim < len(SHAPE) and len(entries) < 6:
        kind = draw(st.sampled_from(["int", "slice", "array", "array", "none", "ellipsis", "mask"]))
        n = SHAPE[dim]
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(0, n))
            entries.append(slice(start, draw(st.none() | st.integers(0, n)), draw(st.sampled_from([None, 1, 2]))))
        elif kind == "array":
            entries.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(array_shape)),
                                                  max_size=int(np.prod(array_shape))))).reshape(array_shape))
        elif kind == "mask":
            entries.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "none":
            entries.append(None)
            continue
        elif not used_ellipsis:
            entries.append(Ellipsis)
            used_ellipsis = True
            break
        dim += 1
    room = min(2, len(SHAPE) - dim) if used_ellipsis else 0                 # entries after the Ellipsis
    tail = draw(st.lists(st.sampled_from(["int", "array", "slice"]), max_size=room))
    for kind, n in zip(tail, SHAPE[len(SHAPE) - len(tail):]):
        entries.append(-1 if kind == "int" else np.full(array_shape, n - 1) if kind == "array" else slice(None))
    return tuple(entries)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_indices())
def test_generated_indices_match_torch_forward_and_backward(index):
    x = np.arange(np.prod(SHAPE), dtype=np.float64).reshape(SHAPE)
    _check_against_torch(x, index)
