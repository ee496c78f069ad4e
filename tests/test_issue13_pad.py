"""Issue 13: F.pad crops with negative sizes and pads in modes reflect, replicate and circular, as PyTorch
(forward and backward, float64 gradchecks); the pads PyTorch refuses raise a ValueError naming pad."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F

CASES = [   # (mode, input shape, pad)
    ("constant", (2, 3, 5), (-1, 2)), ("constant", (2, 3, 5), (-1, -1, -1, 0)), ("constant", (1, 2, 3, 5), (2, -5)),
    ("constant", (2, 3, 5), (1, 2, 0, 1, -1, 1)), ("constant", (4,), (-4, 0)),
    ("reflect", (2, 6), (2, 1)), ("reflect", (1, 2, 6), (5, 0)), ("reflect", (1, 2, 6), (-1, 2)),
    ("reflect", (1, 2, 6), (2, -3)), ("reflect", (1, 2, 6), (-3, 5)), ("reflect", (1, 2, 4, 5), (1, 1, 3, -2)),
    ("reflect", (2, 3, 4, 5), (1, 2, 0, 3)), ("reflect", (1, 2, 3, 4, 5), (1, 1, 2, 2, 1, 2)),
    ("replicate", (1, 2, 6), (3, 7)), ("replicate", (1, 2, 6), (-1, 2)), ("replicate", (1, 2, 6), (-6, 1)),
    ("replicate", (2, 3, 4), (2, 1, -1, 3)), ("replicate", (1, 1, 2, 3, 2), (1, 0, 2, 1, 1, 1)),
    ("circular", (1, 2, 6), (2, 1)), ("circular", (1, 2, 6), (6, 0)), ("circular", (1, 2, 6), (-1, 2)),
    ("circular", (1, 2, 6), (-2, -3)), ("circular", (1, 2, 6), (-3, 3)), ("circular", (1, 2, 3, 5), (1, 1, 3, 3)),
    ("circular", (2, 3, 4), (-2, -1, 1, 1)), ("circular", (1, 2, 2, 3, 2), (1, 1, 2, 0, 1, 2)),
]


@pytest.mark.parametrize("mode, shape, pad", CASES, ids=[f"{m}-{s}-{p}" for m, s, p in CASES])
def test_pad_matches_torch_forward_and_backward(mode, shape, pad):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, t = F.pad(ours, pad, mode=mode), torch.nn.functional.pad(theirs, pad, mode=mode)
    assert y.shape == tuple(t.shape)
    np.testing.assert_array_equal(y.data, t.detach().numpy())
    w = np.random.default_rng(1).standard_normal(y.shape)
    (y * tg.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode, shape, pad", [("reflect", (1, 2, 5), (3, -1)), ("replicate", (2, 3, 3), (2, 1, 0, 2)),
                                              ("circular", (1, 2, 4), (-1, 3)), ("constant", (2, 4), (1, -2, -1, 2))])
def test_pad_gradcheck_float64(mode, shape, pad):
    x = tg.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), [x]).passed


def test_the_modes_on_a_row():
    row = tg.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    assert F.pad(row, (2, 2), mode="reflect").tolist() == [[[3, 2, 1, 2, 3, 4, 3, 2]]]
    assert F.pad(row, (2, 2), mode="replicate").tolist() == [[[1, 1, 1, 2, 3, 4, 4, 4]]]
    assert F.pad(row, (2, 2), mode="circular").tolist() == [[[3, 4, 1, 2, 3, 4, 1, 2]]]
    assert F.pad(row, (-1, 2), value=9.0).tolist() == [[[2, 3, 4, 9, 9]]]


REFUSED = [   # (mode, input shape, pad, what our message says)
    ("reflect", (1, 2, 6), (6, 0), "reflect sizes must be smaller than the axis"),
    ("reflect", (1, 2, 3, 5), (1, 1, 3, 0), "reflect sizes must be smaller"),
    ("circular", (1, 2, 6), (7, 0), "circular sizes must be at most the length"),
    ("reflect", (1, 2, 6), (-7, 1), "leave no entry"), ("replicate", (1, 2, 6), (-3, -3), "leave no entry"),
    ("constant", (1, 2, 6), (-7, 1), "crop 7 entries from an axis of length 6"),
    ("reflect", (1, 2, 3, 5), (2, 1), "pads the last 1, 2 or 3 axes"), ("replicate", (5,), (1, 1), "2-D or 3-D"),
    ("circular", (1, 2, 3, 5), (1, 1, 1, 1, 1, 1, 1, 1), "pads the last 1, 2 or 3 axes"),
    ("constant", (2, 3), (1, 1, 1, 1, 1, 1), "names 3 axes but the input of shape"),
    ("replicate", (1, 2, 6), (1,), "even length"), ("bad", (1, 2, 6), (1, 1), "unknown mode 'bad'"),
]


@pytest.mark.parametrize("mode, shape, pad, said", REFUSED, ids=[f"{m}-{p}" for m, _, p, _ in REFUSED])
def test_pads_torch_refuses_are_refused_with_a_message(mode, shape, pad, said):
    with pytest.raises(ValueError, match=rf"^pad: .*{said}"):
        F.pad(tg.zeros(*shape), pad, mode=mode)
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, NotImplementedError, ValueError)):
        torch.nn.functional.pad(torch.zeros(shape), pad, mode=mode)


def test_pad_types_and_values():
    with pytest.raises(TypeError, match=r"pad: pad must be a tuple of ints"):
        F.pad(tg.zeros(2, 3), (1.5, 1))
    with pytest.raises(ValueError, match=r"pad: mode 'reflect' takes no value"):
        F.pad(tg.zeros(1, 2, 3), (1, 1), mode="reflect", value=2.0)


@pytest.mark.parametrize("pad", [(-3, 4), (4, -3), (1, -3)])
def test_circular_wrapping_more_than_the_cropped_axis_is_refused(pad):
    """PyTorch accepts these, but (4, -3) returns uninitialized memory and (-3, 4) fails its own gradcheck."""
    with pytest.raises(ValueError, match=r"pad: circular sizes must be at most the length of the axis once cropped"):
        F.pad(tg.zeros(1, 2, 6 if pad != (1, -3) else 3), pad, mode="circular")


def test_pad_modes_in_scalar_mode_equal_tensor_mode():
    x = np.arange(6.0).reshape(1, 2, 3)
    w = np.random.default_rng(3).standard_normal((1, 2, 5))        # every pad below gives width 5 (4 for circular)
    for mode, pad in [("reflect", (2, 0)), ("replicate", (1, 1)), ("circular", (-1, 2)), ("constant", (3, -1))]:
        scalars = tg.Scalar.array(x)
        out = F.pad(scalars, pad, mode=mode)
        weights = w[..., :out.shape[-1]]
        (out * weights).sum().backward()
        t = tg.tensor(x, requires_grad=True)
        (F.pad(t, pad, mode=mode) * tg.tensor(weights)).sum().backward()
        np.testing.assert_allclose(tg.Scalar.grads(scalars), t.grad.data, err_msg=mode)
