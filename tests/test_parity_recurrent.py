"""Parity with PyTorch for the recurrent layers and cells: torch's parameters are loaded into ours with
load_state_dict (numpy arrays), the same input and initial states go in, and the outputs, final states and the
gradients of EVERY parameter, of the input and of the initial states must come out the same (float64, rtol 1e-10).

The backward pass is seeded with the same random weights on every output (output, h_n, c_n) on both sides.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
T, N, D, H = 4, 3, 3, 4          # small: the whole file runs in a few seconds


def _flat(out):
    """(output, h_n) / (output, (h_n, c_n)) / h / (h, c) -> flat list of tensors, and the nesting as a string."""
    if isinstance(out, (tuple, list)):
        parts = [_flat(o) for o in out]
        return [t for p in parts for t in p[0]], "(" + ",".join(p[1] for p in parts) + ")"
    return [out], "T"


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def check_module(th_module, ours, x, state=None):
    """Run torch's module and ours (after loading torch's state_dict) on the same input/state and compare all."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in th_module.state_dict().items()})
    assert list(ours.state_dict()) == list(th_module.state_dict())
    arrays = [x] + ([] if state is None else list(state) if isinstance(state, tuple) else [state])
    th_in = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    tg_in = [tg.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]

    def call(module, inputs):
        if state is None:
            return module(inputs[0])
        return module(inputs[0], tuple(inputs[1:]) if isinstance(state, tuple) else inputs[1])

    th_out, th_nest = _flat(call(th_module, th_in))
    tg_out, tg_nest = _flat(call(ours, tg_in))
    assert tg_nest == th_nest, "return structure differs from PyTorch's"
    for a, b in zip(tg_out, th_out):
        assert _np(a).shape == tuple(b.shape)
        np.testing.assert_allclose(_np(a), _np(b), rtol=RTOL, atol=ATOL)

    rng = np.random.default_rng(3)
    seeds = [rng.standard_normal(tuple(b.shape)) for b in th_out]
    sum((o * torch.tensor(g)).sum() for o, g in zip(th_out, seeds)).backward()
    sum((o * tg.Tensor(g, dtype=np.float64)).sum() for o, g in zip(tg_out, seeds)).backward()
    for i, (a, b) in enumerate(zip(tg_in, th_in)):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"grad of input {i}")
    ours_params = dict(ours.named_parameters())
    th_params = dict(th_module.named_parameters())
    assert list(ours_params) == list(th_params)
    for name, p in th_params.items():
        assert ours_params[name].grad is not None, f"{name}: no gradient"
        np.testing.assert_allclose(_np(ours_params[name].grad), p.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


def _pair(mode, **kwargs):
    torch.manual_seed(0)
    th = getattr(torch.nn, mode)(D, H, **kwargs).double()
    return th, getattr(nn, mode)(D, H, dtype=np.float64, **kwargs)


def _state(mode, count, batch=(N,)):
    rng = np.random.default_rng(1)
    h = rng.standard_normal((count, *batch, H))
    return (h, rng.standard_normal(h.shape)) if mode == "LSTM" else h


# ------------------------------------------------------------------------------------------------ layers
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["1layer", "2layers"])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_layer(mode, num_layers, batch_first, bidirectional, with_state):
    th, ours = _pair(mode, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional)
    x = np.random.default_rng(2).standard_normal((N, T, D) if batch_first else (T, N, D))
    state = _state(mode, num_layers * (2 if bidirectional else 1)) if with_state else None
    check_module(th, ours, x, state)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(mode, batch_first, with_state):
    th, ours = _pair(mode, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = np.random.default_rng(2).standard_normal((T, D))           # (T, D) whatever batch_first says
    check_module(th, ours, x, _state(mode, 4, batch=()) if with_state else None)


@pytest.mark.parametrize("kwargs", [dict(nonlinearity="relu"), dict(nonlinearity="relu", num_layers=2, bias=False),
                                    dict(bias=False, bidirectional=True)], ids=["relu", "relu_nobias", "nobias_bi"])
def test_rnn_options(kwargs):
    th, ours = _pair("RNN", **kwargs)
    check_module(th, ours, np.random.default_rng(2).standard_normal((T, N, D)))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_no_bias(mode):
    th, ours = _pair(mode, bias=False, num_layers=2)
    check_module(th, ours, np.random.default_rng(2).standard_normal((T, N, D)), _state(mode, 2))


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_dropout_in_eval_mode_and_hoisted_projection(mode):
    """dropout between layers is inactive in eval(); the opt-in hoisted input projection gives the same numbers."""
    th, ours = _pair(mode, num_layers=2, dropout=0.5, bidirectional=True)
    th.eval()
    ours.eval()
    ours.hoist_input_projection = True
    check_module(th, ours, np.random.default_rng(2).standard_normal((T, N, D)), _state(mode, 4))


# ------------------------------------------------------------------------------------------------ cells
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("cell,kwargs", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", {}),
                                         ("GRUCell", {}), ("GRUCell", dict(bias=False))],
                         ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_nobias"])
def test_cell(cell, kwargs, batched, with_state):
    torch.manual_seed(0)
    th = getattr(torch.nn, cell)(D, H, **kwargs).double()
    ours = getattr(nn, cell)(D, H, dtype=np.float64, **kwargs)
    rng = np.random.default_rng(2)
    batch = (N,) if batched else ()
    x = rng.standard_normal((*batch, D))
    state = None
    if with_state:
        h = rng.standard_normal((*batch, H))
        state = (h, rng.standard_normal(h.shape)) if cell == "LSTMCell" else h
    check_module(th, ours, x, state)
