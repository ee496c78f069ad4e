"""Recurrent layers without torch: gradients (gradcheck), the cells' equations, parameters, scopes and names in the
recorded graph, scalar mode, the notes' char-RNN, vanishing/exploding gradients through time, truncated BPTT and
the errors bad input gets.  (tests/test_parity_recurrent.py compares every number with PyTorch.)"""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.recurrent import detach_states, truncated_bptt_chunks
from tinygrad_edu.nn.rnn_cells import gru_cell, lstm_cell, rnn_cell

F64 = np.float64


def t64(a, grad=True):
    return tg.Tensor(np.asarray(a, dtype=F64), dtype=F64, requires_grad=grad)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------------------------------------------------ gradcheck
CELLS = {
    "rnn_tanh": (lambda x, h, *w: rnn_cell(x, h, *w), 1),
    "rnn_relu": (lambda x, h, *w: rnn_cell(x, h, *w, nonlinearity="relu"), 1),
    "lstm": (lambda x, h, c, *w: lstm_cell(x, (h, c), *w), 4),
    "gru": (lambda x, h, *w: gru_cell(x, h, *w), 3),
}


@pytest.mark.parametrize("batch", [(2,), (1,), ()], ids=["batch2", "batch1", "unbatched"])
@pytest.mark.parametrize("name", list(CELLS))
def test_gradcheck_cell(name, batch, rng):
    fn, gates = CELLS[name]
    D, H = 3, 2
    states = 2 if name == "lstm" else 1
    shapes = [(*batch, D)] + [(*batch, H)] * states + [(gates * H, D), (gates * H, H), (gates * H,), (gates * H,)]
    inputs = [t64(rng.standard_normal(s)) for s in shapes]
    report = gradcheck(fn, inputs)
    assert report.passed, str(report)


def test_gradcheck_two_layer_bidirectional_gru(rng):
    """Every parameter of both layers and directions, the input and h_0, through the whole unrolled graph."""
    gru = nn.GRU(2, 2, num_layers=2, bidirectional=True, dtype=F64)
    weights = [p for group in gru._weights() for p in group]
    inputs = [t64(rng.standard_normal((3, 2, 2))), t64(rng.standard_normal((4, 2, 2)))]
    inputs += [t64(p.data) for p in weights]

    def fn(x, h0, *ws):
        return gru._run(x, h0, [ws[i:i + 4] for i in range(0, len(ws), 4)])

    report = gradcheck(fn, inputs)
    assert report.passed, str(report)
    assert len(report.results) == 2 + 16


# ------------------------------------------------------------------------------------------------ the equations
def test_cells_follow_the_notes_equations(rng):
    """One step of each module against numpy written from the notes' equations (PyTorch's gate layout)."""
    D, H, N = 3, 4, 2
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    tg.manual_seed(0)
    for cls in (nn.RNNCell, nn.LSTMCell, nn.GRUCell):
        cell = cls(D, H, dtype=F64)
        Wi, Wh, bi, bh = (p.data for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
        gx, gh = x @ Wi.T + bi, h @ Wh.T + bh
        if cls is nn.RNNCell:
            expected = [np.tanh(gx + gh)]                                    # h_t = tanh(U x + W h + b)
            got = [cell(t64(x, False), t64(h, False))]
        elif cls is nn.LSTMCell:
            i, f, g, o = np.split(gx + gh, 4, axis=1)
            c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)                  # c_t = f c + i c~
            expected = [sigmoid(o) * np.tanh(c_new), c_new]                   # h_t = o tanh(c_t)
            got = list(cell(t64(x, False), (t64(h, False), t64(c, False))))
        else:
            (xr, xz, xn), (hr, hz, hn) = np.split(gx, 3, axis=1), np.split(gh, 3, axis=1)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)                                          # b_hn inside r * (W_hn h + b_hn)
            expected = [(1 - z) * n + z * h]                                  # PyTorch's z convention
            got = [cell(t64(x, False), t64(h, False))]
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.data, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_equals_a_batch_of_one_and_hoisting_changes_nothing(mode, rng):
    tg.manual_seed(0)
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    x = rng.standard_normal((5, 3))
    out1, state1 = layer(t64(x, False))
    out2, state2 = layer(t64(x[:, None], False))
    h1, h2 = (state1[0], state2[0]) if mode == "LSTM" else (state1, state2)
    assert out1.shape == (5, 8) and h1.shape == (4, 4)
    np.testing.assert_array_equal(out1.data, out2.data[:, 0])
    np.testing.assert_array_equal(h1.data, h2.data[:, 0])

    xb = rng.standard_normal((2, 5, 3))
    layer.batch_first = True
    grads = []
    for hoist in (False, True):
        layer.hoist_input_projection = hoist
        layer.zero_grad()
        out, _ = layer(t64(xb, False))
        (out * t64(np.linspace(-1, 1, out.data.size).reshape(out.shape), False)).sum().backward()
        grads.append([out.data] + [p.grad.data for p in layer.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------------------ parameters
def test_state_dict_keys_and_shapes_are_pytorchs():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    expected = []
    for k in range(2):
        for suffix in ("", "_reverse"):
            d_in = 3 if k == 0 else 8
            expected += [(f"weight_ih_l{k}{suffix}", (16, d_in)), (f"weight_hh_l{k}{suffix}", (16, 4)),
                         (f"bias_ih_l{k}{suffix}", (16,)), (f"bias_hh_l{k}{suffix}", (16,))]
    assert [(k, v.shape) for k, v in lstm.state_dict().items()] == expected
    assert [len(group) for group in lstm.all_weights] == [4, 4, 4, 4]

    gru = nn.GRU(5, 2, bias=False)
    assert [(k, v.shape) for k, v in gru.state_dict().items()] == [("weight_ih_l0", (6, 5)), ("weight_hh_l0", (6, 2))]
    cell = nn.RNNCell(3, 7)
    assert [(k, v.shape) for k, v in cell.state_dict().items()] == [
        ("weight_ih", (7, 3)), ("weight_hh", (7, 7)), ("bias_ih", (7,)), ("bias_hh", (7,))]

    model = nn.Sequential(nn.LSTM(3, 4))
    assert [p.name for p in model.parameters()] == ["0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0",
                                                    "0.bias_hh_l0"]


def test_default_initialisation_is_uniform_one_over_sqrt_hidden():
    tg.manual_seed(5)
    layer = nn.GRU(10, 50, num_layers=2)
    bound = 1 / math.sqrt(50)
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound                       # the whole interval is used
    assert abs(values.mean()) < 0.01 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)   # the std of U(-b, b)
    tg.manual_seed(5)
    again = nn.GRU(10, 50, num_layers=2)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(layer.parameters(), again.parameters()))
    tg.manual_seed(6)
    assert not np.array_equal(nn.GRU(10, 50, num_layers=2).weight_ih_l0.data, layer.weight_ih_l0.data)


# ------------------------------------------------------------------------------------------------ scopes and names
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True)

    def forward(self, x):
        return self.lstm(x)


def test_scopes_and_names_in_the_recorded_graph(rng):
    T = 4
    out, (h_n, c_n) = Tagger()(tg.Tensor(rng.standard_normal((T, 2, 2))))
    graph = tg.graph.trace(out, h_n, c_n)
    scopes = {op.scope for op in graph.ops()}
    steps = {f"lstm/l{k}{d}/t={t}" for k in (0, 1) for d in ("", "/reverse") for t in range(T)}
    assert steps <= scopes
    assert scopes - steps <= {"lstm", "lstm/l0", "lstm/l1", "lstm/l0/reverse", "lstm/l1/reverse"}
    in_step = [n for n in graph.values() if n.scope == "lstm/l0/t=2"]
    assert {"i", "f", "g", "o", "c", "h"} <= {n.name for n in in_step}

    # the cell-state path: c_2 = f_2 * c_1 + i_2 * g_2, each factor a named value from the right step
    def producer_inputs(value):
        (op,) = [graph.node(e.src) for e in graph.edges if e.dst == value.id]
        return graph.inputs_of(op.id)

    (c2,) = [n for n in in_step if n.name == "c"]
    products = producer_inputs(c2)
    factors = sorted((n.name, n.scope) for p in products for n in producer_inputs(p))
    assert factors == [("c", "lstm/l0/t=1"), ("f", "lstm/l0/t=2"), ("g", "lstm/l0/t=2"), ("i", "lstm/l0/t=2")]
    # the reverse direction runs backward in time: its c at t=1 comes from its c at t=2
    (c1r,) = [n for n in graph.values() if n.scope == "lstm/l0/reverse/t=1" and n.name == "c"]
    assert ("c", "lstm/l0/reverse/t=2") in [(n.name, n.scope) for p in producer_inputs(c1r)
                                             for n in producer_inputs(p)]


# ------------------------------------------------------------------------------------------------ scalar mode
def _scalar_and_tensor(fn, values):
    """Run fn on arrays of Scalars and on float64 Tensors; return (scalar output, scalars, tensors, tensor out)."""
    scalars = {k: tg.Scalar.array(v, k) for k, v in values.items()}
    tensors = {k: t64(v) for k, v in values.items()}
    return fn(**scalars), scalars, tensors, fn(**tensors)


def _backward_both(out_s, out_t, weights):
    loss = sum((s * w for s, w in zip(np.ravel(out_s), weights.ravel())), tg.Scalar(0.0))
    loss.backward()
    (out_t * t64(weights, False)).sum().backward()


def test_scalar_mode_rnn_cell_step_is_the_slides_graph(rng):
    """s_t = tanh(U x_t + W s_{t-1} + b): input 2, hidden 2, as Scalars; the same gradients as tensor mode."""
    values = dict(x=rng.standard_normal((1, 2)), s=rng.standard_normal((1, 2)), u=rng.standard_normal((2, 2)),
                  w=rng.standard_normal((2, 2)), b=rng.standard_normal(2), c=rng.standard_normal(2))
    h, scalars, tensors, h_t = _scalar_and_tensor(lambda x, s, u, w, b, c: rnn_cell(x, s, u, w, b, c), values)
    assert h.dtype == object and h.shape == (1, 2)
    assert [e.name for e in h.ravel()] == ["h1", "h2"]
    graph = tg.graph.trace(h)
    products = sorted(tuple(sorted(n.name for n in graph.inputs_of(op.id))) for op in graph.ops() if op.op == "Mul")
    assert products == [("s1", "w11"), ("s1", "w21"), ("s2", "w12"), ("s2", "w22"),       # W s_{t-1}
                        ("u11", "x1"), ("u12", "x2"), ("u21", "x1"), ("u22", "x2")]       # U x_t
    assert [op.op for op in graph.ops()].count("Tanh") == 2
    np.testing.assert_allclose(tg.Scalar.values(h), h_t.data, rtol=1e-12, atol=1e-15)
    _backward_both(h, h_t, np.array([[0.7, -1.3]]))
    for k in values:
        np.testing.assert_allclose(tg.Scalar.grads(scalars[k]), tensors[k].grad.data, rtol=1e-12, atol=1e-14,
                                   err_msg=k)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_scalar_mode_lstm_and_gru_steps_match_tensor_mode(cell, rng):
    G = 4 if cell == "lstm" else 3
    values = dict(x=rng.standard_normal((1, 2)), h=rng.standard_normal((1, 2)), a=rng.standard_normal((G * 2, 2)),
                  w=rng.standard_normal((G * 2, 2)), b=rng.standard_normal(G * 2), d=rng.standard_normal(G * 2))
    if cell == "lstm":
        values["c"] = rng.standard_normal((1, 2))

        def fn(x, h, c, a, w, b, d):
            return lstm_cell(x, (h, c), a, w, b, d)[1]        # c_t: every gate reaches it
    else:
        def fn(x, h, a, w, b, d):
            return gru_cell(x, h, a, w, b, d)
    out, scalars, tensors, out_t = _scalar_and_tensor(fn, values)
    assert [e.name for e in out.ravel()] == (["c1", "c2"] if cell == "lstm" else ["h1", "h2"])
    np.testing.assert_allclose(tg.Scalar.values(out), out_t.data, rtol=1e-12, atol=1e-15)
    _backward_both(out, out_t, np.array([[0.4, 1.1]]))
    for k in values:
        np.testing.assert_allclose(tg.Scalar.grads(scalars[k]), tensors[k].grad.data, rtol=1e-12, atol=1e-14,
                                   err_msg=k)


# ------------------------------------------------------------------------------------------------ char RNN (004)
CHARS = "hielo"
X_IDS, Y_IDS = [0, 1, 0, 2, 3, 3], [1, 0, 2, 3, 3, 4]        # "hihell" -> "ihello"


def _hihell():
    return tg.Tensor(np.eye(5)[X_IDS][None]), np.array(Y_IDS)   # (1, 6, 5) one-hot, (6,) targets


def test_char_rnn_learns_hihell_to_ihello():
    tg.manual_seed(0)
    inputs, labels = _hihell()
    rnn, fc = nn.RNN(5, 5, batch_first=True), nn.Linear(5, 5)
    opt = tg.optim.Adam(list(rnn.parameters()) + list(fc.parameters()), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    for _ in range(100):
        out, _ = rnn(inputs)
        loss = criterion(fc(out.reshape(-1, 5)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with tg.no_grad():
        logits = fc(rnn(inputs)[0].reshape(-1, 5))
        final = criterion(logits, labels).item()
    assert "".join(CHARS[i] for i in logits.argmax(1).data) == "ihello"
    assert final < 0.05


@pytest.mark.filterwarnings("ignore:cross_entropy")      # the double softmax is the point here
def test_softmax_on_tanh_outputs_is_capped():
    """The notes feed softmax(RNN output) to CrossEntropyLoss: tanh outputs lie in [-1, 1], so no class probability
    can exceed e^2 / (e^2 + k - 1), and the loss (a second softmax inside) cannot go below its value there."""
    k = 5
    cap = math.e ** 2 / (math.e ** 2 + k - 1)
    assert cap == pytest.approx(0.649, abs=5e-4)
    assert 0.6487 <= cap                                                        # the notes' trained 0.6487
    assert math.e ** 2 / (math.e ** 2 + 3) == pytest.approx(0.711, abs=5e-4)   # their "0.71" is k = 4
    rest = (1 - cap) / (k - 1)                                                  # the other classes at best
    floor = -cap + math.log(math.exp(cap) + (k - 1) * math.exp(rest))          # CE of softmax(p) at that p
    assert floor == pytest.approx(1.1887, abs=1e-4)                             # the notes' loss: 1.201

    tg.manual_seed(0)
    inputs, labels = _hihell()
    rnn = nn.RNN(5, 5, batch_first=True)
    opt = tg.optim.Adam(rnn.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    top, losses = [], []
    for _ in range(100):
        out, _ = rnn(inputs)
        probs = F.softmax(out.reshape(-1, 5), dim=1)
        loss = criterion(probs, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        top.append(probs.data.max())
        losses.append(loss.item())
    assert max(top) <= cap                      # never above the cap ...
    assert max(top) > cap - 0.02                # ... and training pushes right up to it
    assert min(losses) >= floor - 1e-6          # stuck above 1.19 (the notes: 1.201), where a Linear head gets < 0.05


# ------------------------------------------------------------------------------------------------ BPTT
T_LONG, N_B, D_B, H_B = 31, 4, 3, 8


def _task(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T_LONG, N_B, D_B))
    q, _ = np.linalg.qr(rng.standard_normal((H_B, H_B)))       # orthogonal: every singular value 1
    return x, q, rng.standard_normal((N_B, H_B))


def _state_norms(layer, x, r, state="h"):
    out, _ = layer(t64(x, False))
    (out[-1] * t64(r, False)).sum().backward()                  # the loss sees only the last step
    return np.array(layer.state_grad_norms(state)["l0"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vanishing_gradient_rnn_vs_lstm(seed):
    x, q, r = _task(seed)
    tg.manual_seed(seed)
    rnn = nn.RNN(D_B, H_B, dtype=F64, track_state_grads=True)
    rnn.weight_hh_l0.data[...] = 0.5 * q                         # spectral norm 0.5
    norms = _state_norms(rnn, x, r)
    # ||dL/dh_{t-1}|| = ||W^T (tanh' * dL/dh_t)|| <= 0.5 ||dL/dh_t||: geometric decay, step by step
    assert np.all(norms[:-1] <= 0.5 * norms[1:] * (1 + 1e-12))
    rnn_ratio = norms[0] / norms[30]
    assert rnn_ratio < 1e-3

    # the same numbers by hand: cs231n's backward loop
    Wi, Wh, b = rnn.weight_ih_l0.data, rnn.weight_hh_l0.data, rnn.bias_ih_l0.data + rnn.bias_hh_l0.data
    hs, h = [], np.zeros((N_B, H_B))
    for t in range(T_LONG):
        h = np.tanh(x[t] @ Wi.T + h @ Wh.T + b)
        hs.append(h)
    dh, manual = r, [np.linalg.norm(r)]
    for t in range(T_LONG - 1, 0, -1):
        dh = (dh * (1 - hs[t] ** 2)) @ Wh
        manual.append(np.linalg.norm(dh))
    np.testing.assert_allclose(norms, manual[::-1], rtol=1e-9)

    tg.manual_seed(seed)
    lstm = nn.LSTM(D_B, H_B, dtype=F64, track_state_grads=True)
    for k in range(4):
        lstm.weight_hh_l0.data[k * H_B:(k + 1) * H_B] = 0.5 * q  # the same recurrent scale for every gate
    lstm.bias_ih_l0.data[H_B:2 * H_B] = 1.0                      # forget-gate bias 1 (b_ih_f + b_hh_f)
    lstm.bias_hh_l0.data[H_B:2 * H_B] = 0.0
    lstm_norms = _state_norms(lstm, x, r)
    assert lstm_norms[0] / lstm_norms[30] >= 100 * rnn_ratio
    cell_norms = np.array(lstm.state_grad_norms("c")["l0"])
    assert cell_norms[0] > 0 and cell_norms[-1] > 0


def test_exploding_gradient_with_a_large_recurrent_weight():
    x, q, r = _task(0)
    tg.manual_seed(0)
    rnn = nn.RNN(D_B, H_B, dtype=F64, track_state_grads=True)
    rnn.weight_hh_l0.data[...] = 1.5 * q                         # spectral norm 1.5
    rnn.bias_ih_l0.data[...] = rnn.bias_hh_l0.data[...] = 0.0
    norms = _state_norms(rnn, 1e-6 * x, r)                       # small inputs: tanh stays near linear
    assert norms[0] / norms[30] > 1e3
    assert norms[0] / norms[30] == pytest.approx(1.5 ** 30, rel=0.05)


def test_truncated_bptt_cuts_the_gradient_at_k_steps(rng):
    T, k = 12, 4
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 5, dtype=F64)
    data = rng.standard_normal((T, 2, 3))

    x = t64(data)
    state, outputs = None, []
    for chunk in truncated_bptt_chunks(x, k):
        out, state = lstm(chunk, state)
        outputs.append(out)
        last_loss = (out * out).sum()
        state = detach_states(state)
    last_loss.backward()
    assert np.all(x.grad.data[:T - k] == 0.0)                    # exactly zero beyond the last k steps
    assert np.all(np.abs(x.grad.data[T - k:]).sum(axis=(1, 2)) > 0)
    truncated_grads = [p.grad.data.copy() for p in lstm.parameters()]

    full_x = t64(data)
    full, _ = lstm(full_x)
    np.testing.assert_allclose(tg.cat(outputs).data, full.data, rtol=1e-13)   # detaching changes no value
    lstm.zero_grad()
    (full[T - k:] * full[T - k:]).sum().backward()
    assert np.all(np.abs(full_x.grad.data[:T - k]).sum(axis=(1, 2)) > 0)        # untruncated: it flows back
    assert not np.allclose(truncated_grads[1], lstm.weight_hh_l0.grad.data)

    # the truncated gradient is that of a fresh k-step run starting from the detached state's values
    h0, c0 = (t64(s.data, False) for s in detach_states(lstm(t64(data[:T - k], False))[1]))
    lstm.zero_grad()
    out, _ = lstm(t64(data[T - k:], False), (h0, c0))
    (out * out).sum().backward()
    for a, p in zip(truncated_grads, lstm.parameters()):
        np.testing.assert_allclose(a, p.grad.data, rtol=1e-12)


def test_truncated_bptt_chunks_and_detach_states():
    seq = np.arange(2 * 10 * 3).reshape(2, 10, 3)
    chunks = list(truncated_bptt_chunks(seq, 4, batch_first=True))
    assert [c.shape for c in chunks] == [(2, 4, 3), (2, 4, 3), (2, 2, 3)]
    np.testing.assert_array_equal(np.concatenate(chunks, axis=1), seq)
    assert [c.shape for c in truncated_bptt_chunks(tg.Tensor(seq.transpose(1, 0, 2)), 5)] == [(5, 2, 3)] * 2
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        list(truncated_bptt_chunks(seq, 0))
    h = tg.Tensor([1.0, 2.0], requires_grad=True) * 2
    h2, (a, b) = detach_states(h), detach_states((h, h))
    assert h2.grad_fn is None and not h2.requires_grad and a.grad_fn is None and b.grad_fn is None
    np.testing.assert_array_equal(h2.data, h.data)
    assert detach_states(None) is None
    with pytest.raises(TypeError, match="detach_states"):
        detach_states("h")


# ------------------------------------------------------------------------------------------------ dropout
def test_dropout_between_layers_in_training_only(rng):
    x = t64(rng.standard_normal((5, 2, 3)), False)
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=1.0, dtype=F64)
    top = nn.LSTM(4, 4, dtype=F64)
    top.load_state_dict({k.replace("l1", "l0"): v for k, v in lstm.state_dict().items() if "l1" in k})
    out, _ = lstm(x)
    expected, _ = top(t64(np.zeros((5, 2, 4)), False))        # p = 1: the second layer sees zeros
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-13)
    lstm.eval()
    out_eval, _ = lstm(x)
    lstm.dropout = 0.0
    lstm.train()
    np.testing.assert_array_equal(out_eval.data, lstm(x)[0].data)   # eval() is the layer without dropout
    assert not np.allclose(out_eval.data, out.data)
    with pytest.warns(UserWarning, match="does nothing with num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


# ------------------------------------------------------------------------------------------------ errors
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.LSTM(10, 20, num_layers=2)

    def forward(self, x, state=None):
        return self.encoder(x, state)


def test_bad_input_errors():
    model = Encoder()
    x = tg.randn(5, 3, 10)
    with pytest.raises(ValueError, match=r"LSTM 'encoder'.*3-D input.*got a 4-D input of shape \(5, 3, 10, 1\)"):
        model(tg.randn(5, 3, 10, 1))
    with pytest.raises(ValueError, match=r"LSTM 'encoder': input.size\(-1\) must equal input_size = 10, got input "
                                         r"of shape \(5, 3, 7\)"):
        model(tg.randn(5, 3, 7))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 3, 20\).*got \(1, 3, 20\)"):
        model(x, (tg.zeros(1, 3, 20), tg.zeros(2, 3, 20)))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(2, 3, 20\).*got \(2, 4, 20\)"):
        model(x, (tg.zeros(2, 3, 20), tg.zeros(2, 4, 20)))
    with pytest.raises(TypeError, match=r"LSTM 'encoder': the initial state must be a tuple \(h_0, c_0\).*got a "
                                        r"Tensor"):
        model(x, tg.zeros(2, 3, 20))
    with pytest.raises(TypeError, match=r"GRU: the initial state must be one Tensor h_0, got a tuple"):
        nn.GRU(10, 20)(x, (tg.zeros(1, 3, 20),))
    with pytest.raises(ValueError, match=r"RNN: expected h_0 of shape \(1, 20\) .*got \(1, 3, 20\)"):
        nn.RNN(10, 20)(tg.randn(5, 10), tg.zeros(1, 3, 20))         # unbatched input, batched state
    with pytest.raises(TypeError, match="input must be a Tensor, got ndarray"):
        nn.RNN(10, 20)(np.zeros((5, 3, 10)))
    with pytest.raises(ValueError, match="the sequence is empty"):
        nn.RNN(10, 20)(tg.zeros(0, 3, 10))


def test_bad_cell_input_and_constructor_errors():
    with pytest.raises(ValueError, match=r"GRUCell: input.size\(-1\) must equal input_size = 4, got input of shape "
                                         r"\(2, 3\)"):
        nn.GRUCell(4, 5)(tg.randn(2, 3))
    with pytest.raises(ValueError, match=r"RNNCell: expected hx of shape \(2, 5\).*got \(3, 5\)"):
        nn.RNNCell(4, 5)(tg.randn(2, 4), tg.randn(3, 5))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h, c\) of two Tensors, got Tensor"):
        nn.LSTMCell(4, 5)(tg.randn(2, 4), tg.randn(2, 5))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        nn.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout must be a probability in"):
        nn.LSTM(4, 5, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers must be an int >= 1, got 0"):
        nn.GRU(4, 5, num_layers=0)
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        nn.LSTMCell(4, 0)


def test_state_grad_norms_needs_tracking():
    gru = nn.GRU(2, 3)
    gru(tg.randn(4, 1, 2))
    with pytest.raises(RuntimeError, match="set track_state_grads=True"):
        gru.state_grad_norms()
    gru.track_state_grads = True
    with pytest.raises(ValueError, match="state must be 'h'"):
        gru.state_grad_norms("c")


def test_cell_functions_broadcast_one_state_over_a_batch():
    # rnn_cell / lstm_cell with a single h (1, H) for a batch of inputs (3, D): as if h were repeated per row
    tg.manual_seed(3)
    x, h, c = tg.randn(3, 4), tg.randn(1, 2), tg.randn(1, 2)
    w_ih, w_hh, b = tg.randn(2, 4), tg.randn(2, 2), tg.randn(2)
    repeated = tg.Tensor(np.repeat(h.numpy(), 3, axis=0))
    np.testing.assert_allclose(rnn_cell(x, h, w_ih, w_hh, b, b).numpy(),
                               rnn_cell(x, repeated, w_ih, w_hh, b, b).numpy(), rtol=1e-6)
    W_ih, W_hh, B = tg.randn(8, 4), tg.randn(8, 2), tg.randn(8)
    got = lstm_cell(x, (h, c), W_ih, W_hh, B, B)
    want = lstm_cell(x, (repeated, tg.Tensor(np.repeat(c.numpy(), 3, axis=0))), W_ih, W_hh, B, B)
    for a, b_ in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b_.numpy(), rtol=1e-6)
