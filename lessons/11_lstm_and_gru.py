"""Lesson 11: LSTM and GRU - gates, the cell state, and a sequence classifier on real data

Follows notes 000, 001 and 004: the plain RNN forgets because its gradient passes through W and a tanh at every
step (lesson 10). The LSTM adds a cell state `c_t` that moves from step to step through an elementwise multiply by
the forget gate only - a conveyor belt - and the GRU does the same with one state and two gates. We open one step
of each, draw the belt, measure `||dL/dh_t||` for RNN, LSTM and GRU on the same task, compare one-hot inputs
with an embedding, run a bidirectional layer, and classify the 8x8 handwritten digits read row by row (8 steps of
8 pixels) - standing in for the notes' speech commands, which cannot be downloaded here.

Run it:   tinygrad-edu lesson 11 [--step] [--out out] [--fast]     (or: python lessons/11_lstm_and_gru.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from lessons.training import digits, progress
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

NOTES = "000, 001, 004"
RUN_TIME = "3 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

CHARS = "hielo"                            # note 004's "hihell" -> "ihello" (lesson 10)
X_IDS = [0, 1, 0, 2, 3, 3]
Y_IDS = [1, 0, 2, 3, 3, 4]
T_LONG = 30                                # time steps for the gradient comparison
GATE_BIAS = 1.0                            # LSTM forget-gate bias / GRU update-gate bias in the comparison


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. The LSTM step: four gates and a cell state")
    lesson.say("""
        An LSTM step computes four H-wide blocks from the same `W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`
        (PyTorch's order i, f, g, o) and then

            i = sigmoid(.)  input gate       how much of the new candidate to write
            f = sigmoid(.)  forget gate      how much of the old cell state to keep
            g = tanh(.)     candidate        (the notes' c~)
            o = sigmoid(.)  output gate      how much of the cell to show
            c_t = f * c_{t-1} + i * g        h_t = o * tanh(c_t)

        `*` is elementwise. Below, one step with input 2 and hidden 2, recomputed by hand in numpy.
    """)
    tg.manual_seed(0)
    lstm_cell = nn.LSTMCell(2, 2, dtype=tg.float64)
    x = np.array([[1.0, -0.5]])                             # x_t (N=1, D=2)
    h_prev, c_prev = np.array([[0.3, -0.2]]), np.array([[0.5, 1.0]])   # (1, H=2) each
    h_t, c_t = lstm_cell(tg.Tensor(x, dtype=tg.float64),
                         (tg.Tensor(h_prev, dtype=tg.float64), tg.Tensor(c_prev, dtype=tg.float64)))
    a = (x @ lstm_cell.weight_ih.numpy().T + lstm_cell.bias_ih.numpy()
         + h_prev @ lstm_cell.weight_hh.numpy().T + lstm_cell.bias_hh.numpy())       # (1, 4H)
    i, f, g, o = sigmoid(a[:, 0:2]), sigmoid(a[:, 2:4]), np.tanh(a[:, 4:6]), sigmoid(a[:, 6:8])
    c_hand = f * c_prev + i * g
    h_hand = o * np.tanh(c_hand)
    lesson.show("one LSTM step by hand", f"""
        i = {i.round(4)}    f = {f.round(4)}
        g = {g.round(4)}    o = {o.round(4)}
        c_t = f * c_prev + i * g = {c_hand.round(4)}
        h_t = o * tanh(c_t)      = {h_hand.round(4)}""")
    lesson.check("nn.LSTMCell's c_t = f * c_{t-1} + i * g", c_t.numpy(), c_hand)
    lesson.check("nn.LSTMCell's h_t = o * tanh(c_t)", h_t.numpy(), h_hand)

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. The GRU step, and which gate is z")
    lesson.say("""
        The GRU keeps one state and two gates, reset r and update z (PyTorch's order r, z, n):

            r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
            n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            h_t = (1 - z) * n + z * h_{t-1}

        In this form z close to 1 **keeps** the old state.
    """)
    gru_cell = nn.GRUCell(2, 2, dtype=tg.float64)
    h_gru = gru_cell(tg.Tensor(x, dtype=tg.float64), tg.Tensor(h_prev, dtype=tg.float64)).numpy()
    ai = x @ gru_cell.weight_ih.numpy().T + gru_cell.bias_ih.numpy()                # (1, 3H)
    ah = h_prev @ gru_cell.weight_hh.numpy().T + gru_cell.bias_hh.numpy()           # (1, 3H)
    r, z = sigmoid(ai[:, 0:2] + ah[:, 0:2]), sigmoid(ai[:, 2:4] + ah[:, 2:4])
    n = np.tanh(ai[:, 4:6] + r * ah[:, 4:6])
    lesson.check("nn.GRUCell's h_t = (1 - z) * n + z * h_{t-1}", h_gru, (1 - z) * n + z * h_prev)
    lesson.console.print("[bold yellow]convention (note 004):[/bold yellow] note 004 writes "
                         "h_t = z * n + (1 - z) * h_{t-1}, with z and 1 - z swapped. Both conventions are in the "
                         "literature (Cho et al. 2014 use ours); they describe the same cell with z renamed 1 - z. "
                         "This library follows PyTorch, so PyTorch code and weights port unchanged.")
    z_004 = 1 - z                                          # note 004's z is our 1 - z
    lesson.check("note 004's formula with z_004 = 1 - z gives the same h_t", z_004 * n + (1 - z_004) * h_prev, h_gru)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The cell state is a conveyor belt")
    lesson.say("""
        Unroll an LSTM over four steps. From `c_{t-1}` to `c_t` there is no matrix and no squashing: one
        elementwise multiply by f, one add. When f is near 1 the gradient rides the belt back almost unchanged;
        the hidden path (through W_hh and the gates) is where it shrinks. In the picture the cell state has
        its own straight lane (green), the hidden state its own (blue).
    """)
    tg.manual_seed(0)
    belt = nn.LSTM(2, 2, track_state_grads=True)          # input 2, hidden 2: small enough to read
    seq = tg.Tensor(np.random.default_rng(0).standard_normal((4, 1, 2)))            # (T=4, N=1, D=2)
    seq.name = "x"
    with tg.watch():
        out, (h_n, c_n) = belt(seq)
        loss_belt = out[-1].sum()                          # the loss sees the last step only
        loss_belt.backward()
    rows = [(t, hn, cn) for t, (hn, cn) in enumerate(zip(belt.state_grad_norms()["l0"],
                                                         belt.state_grad_norms("c")["l0"]))]
    lesson.table("the LSTM's two states, loss at the last step", ["t", "||dL/dh_t||", "||dL/dc_t||"], rows)
    lesson.check("the belt carries a gradient back to c_0", rows[0][2] > 0, True)
    lesson.picture(visualize.draw_bptt(loss_belt, rankdir="TB", title="LSTM, 4 steps: the cell state c, its own lane"),
                   "11_lstm_conveyor_belt", "gates i, f, g, o per step; c on its own lane, h on another")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. ||dL/dh_t|| for RNN, LSTM and GRU on the same task")
    H = 16
    lesson.say(f"""
        Same inputs ({T_LONG} steps of 3 random features, batch 4), same hidden size {H}, float64, a loss
        that sees only the last step; PyTorch's default initialisation. How much gradient reaches `h_0`?
        Then once more with the gate bias practitioners use: LSTM forget-gate bias {GATE_BIAS} (Jozefowicz et
        al. 2015), GRU update-gate bias {GATE_BIAS} (z near 1 keeps the state, in PyTorch's convention).
    """)
    rng = np.random.default_rng(0)
    x_long = tg.Tensor(rng.standard_normal((T_LONG, 4, 3)), dtype=tg.float64)      # (T, N, D)
    readout = tg.Tensor(rng.standard_normal((4, H)), dtype=tg.float64)             # loss = <readout, h_T>
    rows, series, ratio = [], {}, {}
    for gate_bias in (None, GATE_BIAS):
        for kind in (nn.RNN, nn.LSTM, nn.GRU):
            tg.manual_seed(0)
            layer = kind(3, H, dtype=tg.float64, track_state_grads=True)
            if gate_bias is not None and kind is not nn.RNN:
                layer.bias_ih_l0.data[H:2 * H] = gate_bias # block 2 of 4 (LSTM: f) or of 3 (GRU: z)
                layer.bias_hh_l0.data[H:2 * H] = 0.0
            out, _ = layer(x_long)
            (out[-1] * readout).sum().backward()
            norms = layer.state_grad_norms()["l0"]
            label = kind.__name__ + ("" if gate_bias is None or kind is nn.RNN else f", gate bias {gate_bias:g}")
            if gate_bias is None or kind is not nn.RNN:
                rows.append((label, norms[-1], norms[-10], norms[0], norms[0] / norms[-1]))
                series[label] = norms
                ratio[label] = norms[0] / norms[-1]
    lesson.table(f"how much gradient survives {T_LONG - 1} steps", ["layer", "||dL/dh_29||", "||dL/dh_20||",
                                                                    "||dL/dh_0||", "h_0 / h_29"], rows)
    lesson.check("LSTM (gate bias 1) keeps >= 10^4 times more than the RNN",
                 ratio["LSTM, gate bias 1"] / ratio["RNN"] >= 1e4, True)
    lesson.check("GRU (gate bias 1) keeps >= 10^4 times more than the RNN",
                 ratio["GRU, gate bias 1"] / ratio["RNN"] >= 1e4, True)
    lesson.check("even at the default init both beat the RNN", min(ratio["LSTM"], ratio["GRU"]) > ratio["RNN"], True)
    lesson.chart(visualize.state_grads_svg(series, title="||dL/dh_t|| against t: RNN vs LSTM vs GRU"),
               "11_rnn_lstm_gru_gradients", "one line per layer, log scale")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. One-hot or embedding")
    lesson.say("""
        Lesson 10 fed characters as one-hot vectors. Multiplying a one-hot row by a matrix just picks a row, so
        `nn.Embedding(V, E)` does exactly that without building the one-hot: a (V, E) table looked up by index.
        It is the same as `one_hot(idx) @ weight`, gradients included, and E can be smaller than V.
    """)
    tg.manual_seed(0)
    embed = nn.Embedding(5, 3)                             # 5 characters -> 3 numbers each
    ids = tg.tensor(X_IDS)                                 # (T=6,) int64
    looked_up = embed(ids)                                 # (6, 3)
    via_one_hot = F.one_hot(ids, 5).float() @ embed.weight             # (6, 5) @ (5, 3)
    lesson.check("embedding(idx) = one_hot(idx) @ weight", looked_up.numpy(), via_one_hot.numpy())
    tg.manual_seed(0)
    embed, gru, fc = nn.Embedding(5, 3), nn.GRU(3, 5, batch_first=True), nn.Linear(5, 5)
    params = list(embed.parameters()) + list(gru.parameters()) + list(fc.parameters())
    optimizer = tg.optim.Adam(params, lr=0.1)
    criterion = nn.CrossEntropyLoss()
    for _ in range(100):
        out, _ = gru(embed(ids.reshape(1, -1)))            # (1, 6) -> (1, 6, 3) -> (1, 6, 5)
        loss = criterion(fc(out.reshape(-1, 5)), np.array(Y_IDS))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predicted = fc(out.reshape(-1, 5)).argmax(1).numpy()
    lesson.say(f"Embedding(5, 3) + GRU(3, 5) + Linear on 'hihell': predicts **{''.join(CHARS[k] for k in predicted)}**"
               f", loss {loss.item():.4f}.")
    lesson.check("embedding + GRU predicts 'ihello'", predicted, Y_IDS)

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. Bidirectional: read the sequence both ways")
    lesson.say("""
        `bidirectional=True` runs a second layer from the last step to the first and concatenates the two
        hidden states at every step: output (N, T, 2H). `h_n` holds each direction's *final* state - for the
        forward direction that is step T-1, for the reverse one step 0.
    """)
    tg.manual_seed(0)
    bi = nn.GRU(5, 4, batch_first=True, bidirectional=True)
    onehot = tg.Tensor(np.eye(5)[X_IDS][None])             # (N=1, T=6, D=5)
    out, h_n = bi(onehot)
    lesson.table("shapes", ["tensor", "shape"], [("input", str(onehot.shape)), ("output", str(out.shape)),
                                                 ("h_n", str(h_n.shape))])
    lesson.check("output is (N, T, 2H) = (1, 6, 8)", out.shape, (1, 6, 8))
    lesson.check("forward half at t = T-1 is h_n[0]", out[:, -1, :4].numpy(), h_n[0].numpy())
    lesson.check("reverse half at t = 0 is h_n[1]", out[:, 0, 4:].numpy(), h_n[1].numpy())
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. A sequence classifier on real data: digits read row by row")
    hidden = 32                                            # LSTM hidden units
    epochs = 4 if lesson.fast else 12                      # passes over the 1,348 training digits
    batch_size = 32
    target = 0.80 if lesson.fast else 0.90                 # held-out accuracy we promise
    lesson.say(f"""
        The notes classify spoken commands with an LSTM; those recordings cannot be downloaded here, so we
        use the 8x8 handwritten digits as sequences: **8 time steps (rows) of 8 features (pixels)**. An
        `nn.LSTM(8, {hidden}, batch_first=True)` reads the rows; a Linear layer classifies its last hidden state
        (many-to-one). Adam lr 0.01, batches of {batch_size}, {epochs} epochs.
    """)
    data = digits(lesson)
    if data is None:
        return
    X_train, y_train, X_test, y_test = data
    sample = X_test[0].reshape(8, 8)
    lesson.show(f"one test digit (label {y_test[0]}) as the LSTM sees it, one row per step",
                "\n".join(f"t={t}: " + "".join(" .:#"[int(v * 3.99)] for v in row) for t, row in enumerate(sample)))
    tg.manual_seed(0)
    lstm = nn.LSTM(8, hidden, batch_first=True)
    head = nn.Linear(hidden, 10)
    optimizer = tg.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.01)
    order_rng = np.random.default_rng(0)

    def accuracy(X, y):
        with tg.no_grad():
            out, _ = lstm(tg.Tensor(X.reshape(-1, 8, 8)))  # (N, T=8, H)
            return float((head(out[:, -1]).argmax(1).numpy() == y).mean())

    with progress(lesson, "LSTM on digits, row by row", total=epochs) as advance:
        for _ in range(epochs):
            order = order_rng.permutation(len(y_train))
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                out, _ = lstm(tg.Tensor(X_train[idx].reshape(-1, 8, 8)))   # (B, 8, 8) -> (B, 8, H)
                loss = criterion(head(out[:, -1]), y_train[idx])           # many-to-one: the last step
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            advance(loss=loss.item(), acc=accuracy(X_test, y_test))
    test_acc = accuracy(X_test, y_test)
    lesson.say(f"Held-out accuracy: **{test_acc:.1%}** on {len(y_test)} digits the LSTM never saw.")
    lesson.check_at_least("held-out accuracy", test_acc, target)

    with tg.watch():                                       # one digit through the trained LSTM, for the picture
        out, _ = lstm(tg.Tensor(X_test[:1].reshape(1, 8, 8)))
        score = head(out[:, -1])[0, int(y_test[0])]        # the right class's score
        score.backward()
    lesson.picture(visualize.draw_bptt(score, collapse="time", rankdir="TB",
                                       title="the trained LSTM reading one digit, row by row"),
                   "11_digits_lstm", "one box per row (time step), ||dL/dh_t|| per step")

    lesson.now_you(11, [
        ("T_LONG = 60", "",
         "59 steps back, the table's last column: the plain RNN keeps about 1e-18 of the gradient, the LSTM and "
         "GRU with gate bias 1 about 1e-7 (10^11 times more); every check passes"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
