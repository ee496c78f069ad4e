"""Lesson 11: LSTM and GRU - gates, the cell state, and a sequence classifier on real data

Follows notes 000, 001 and 004: the plain RNN forgets because its gradient passes through W and a tanh at every
step (lesson 10). The LSTM adds a cell state `c_t` that moves from step to step through an elementwise multiply by
the forget gate only - a conveyor belt - and the GRU does the same with one state and two gates. We open one step
of each, draw the belt, measure `||dL/dh_t||` for RNN, LSTM and GRU on the same task, compare one-hot inputs
with an embedding (and what it learns), show why a bidirectional layer helps, correct two of the notes' claims (the
two GRUs are two cells; the LSTM can still explode, clipping is the fix), and classify the 8x8 handwritten digits
read row by row (8 steps of 8 pixels). Lesson 14 does the notes' speech-command lab on synthetic recordings.

Run it:   tinygrad-edu lesson 11 [--step] [--out out] [--fast]     (or: python lessons/11_lstm_and_gru.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from lessons.sequence_tasks import group_language, next_bit
from lessons.training import digits, progress
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

NOTES = "000, 001, 004"
RUN_TIME = "5 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

CHARS = "hielo"                            # note 004's "hihell" -> "ihello" (lesson 10)
X_IDS = [0, 1, 0, 2, 3, 3]
Y_IDS = [1, 0, 2, 3, 3, 4]
T_LONG = 30                                # time steps for the gradient comparison
GATE_BIAS = 1.0                            # LSTM forget-gate bias / GRU update-gate bias in the comparison
W_HG_SCALE = 0.5                           # section 5: the recurrent weight W_hg = W_HG_SCALE x an orthogonal matrix


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def nearest_same_group(weight, per_group=4):
    """For each row of an embedding table (V, E): is its nearest other row (by cosine) a word of its own group?"""
    unit = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    similarity = unit @ unit.T                              # (V, V) cosines
    np.fill_diagonal(similarity, -2.0)                      # never your own neighbour
    nearest = similarity.argmax(axis=1)
    return nearest, nearest // per_group == np.arange(len(weight)) // per_group


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. The LSTM step: four gates and a cell state")
    lesson.say("""
        An LSTM (장단기 메모리) step computes four H-wide gate (게이트) blocks from the same
        `W_ih x_t + b_ih + W_hh h_{t-1} + b_hh` (PyTorch's order i, f, g, o) and then

            i = sigmoid(.)  input gate       how much of the new candidate to write
            f = sigmoid(.)  forget gate      how much of the old cell state to keep
            g = tanh(.)     candidate        (the notes' c~)
            o = sigmoid(.)  output gate      how much of the cell to show
            c_t = f * c_{t-1} + i * g        h_t = o * tanh(c_t)

        (입력 / 망각 / 출력 게이트: the input, forget and output gates; `c_t` is the cell state, 셀 상태.)
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
    lesson.section("2. The GRU step: which gate is z, and where r goes")
    lesson.say("""
        The GRU (게이트 순환 유닛) keeps one state and two gates, reset r and update z (PyTorch's order r, z, n):

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
                         "literature; on z alone they differ by a renaming, z for 1 - z. "
                         "This library follows PyTorch, so PyTorch code and weights port unchanged.")
    z_004 = 1 - z                                          # note 004's z is our 1 - z
    lesson.check("note 004's update with z_004 = 1 - z and the same n gives the same h_t",
                 z_004 * n + (1 - z_004) * h_prev, h_gru)
    lesson.erratum("""
        the two GRUs of the notes are two **different cells**, not one cell with z renamed. Note 004 (*RNN Basic*)
        writes Cho et al.'s (2014) original: `h~ = tanh(W · [r * h_{t-1}, x_t])`, no biases - the reset gate
        scales the old state **before** the matrix. Note 000 (*GRU*) and PyTorch apply it **after** the matrix:
        `n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))`. `W (r * h)` and `r * (W h)` are not equal unless r
        is the same in every unit. Same weights, biases zero (004 has none), z matched: the two h_t differ.
    """)
    W_ir, W_iz, W_in = np.split(gru_cell.weight_ih.numpy(), 3)                      # (H, D) each
    W_hr, W_hz, W_hn = np.split(gru_cell.weight_hh.numpy(), 3)                      # (H, H) each
    r0 = sigmoid(x @ W_ir.T + h_prev @ W_hr.T)             # biases zero in both cells
    z0 = sigmoid(x @ W_iz.T + h_prev @ W_hz.T)
    n_after = np.tanh(x @ W_in.T + r0 * (h_prev @ W_hn.T))             # 000 / PyTorch: r after the matrix
    n_before = np.tanh(x @ W_in.T + (r0 * h_prev) @ W_hn.T)            # 004 / Cho et al.: r before the matrix
    h_after, h_before = (1 - z0) * n_after + z0 * h_prev, (1 - z0) * n_before + z0 * h_prev
    for name in ("bias_ih", "bias_hh"):
        getattr(gru_cell, name).data[...] = 0.0
    h_library = gru_cell(tg.Tensor(x, dtype=tg.float64), tg.Tensor(h_prev, dtype=tg.float64)).numpy()
    lesson.show("one GRU step, the same weights, r placed two ways", f"""
        r = {r0.round(4)}   (not the same in both units, so the placement matters)
        000 / PyTorch, r * (W_hn h):   n = {n_after.round(4)}   h_t = {h_after.round(4)}
        004 / Cho et al., W_hn (r * h): n = {n_before.round(4)}   h_t = {h_before.round(4)}""")
    lesson.check("nn.GRUCell (biases zeroed) is the r-after-the-matrix cell", h_library, h_after)
    lesson.check("the r-before-the-matrix cell gives another h_t (largest difference > 1e-3)",
                 np.abs(h_before - h_after).max() > 1e-3, True)
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
    lesson.section("4. ‖dL/dh_t‖ for RNN, LSTM and GRU on the same task")
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
                rows.append((label, norms[-1], norms[-6], norms[0], norms[0] / norms[-1]))
                series[label] = norms
                ratio[label] = norms[0] / norms[-1]
    last = T_LONG - 1
    lesson.table(f"how much gradient survives {last} steps", [
        "layer", f"‖dL/dh_{last}‖", f"‖dL/dh_{last - 5}‖", "‖dL/dh_0‖", f"‖dL/dh_0‖ / ‖dL/dh_{last}‖"], rows)
    lesson.say(f"""
        The first column is the same for every layer by construction: the loss reads `h_{last}` through the same
        readout, so `dL/dh_{last}` is the readout itself. From there each layer's own backward pass takes over.
        The last column is a **ratio of two gradient norms**: the fraction of the gradient at the last step that
        is still there {last} steps back.
    """)
    biased = f", gate bias {GATE_BIAS:g}"                  # the labels of the rows with the gate bias set
    lesson.check(f"LSTM (gate bias {GATE_BIAS:g}) keeps >= 10^4 times more than the RNN",
                 ratio["LSTM" + biased] / ratio["RNN"] >= 1e4, True)
    lesson.check(f"GRU (gate bias {GATE_BIAS:g}) keeps >= 10^4 times more than the RNN",
                 ratio["GRU" + biased] / ratio["RNN"] >= 1e4, True)
    lesson.check("even at the default init both beat the RNN", min(ratio["LSTM"], ratio["GRU"]) > ratio["RNN"], True)
    lesson.chart(visualize.state_grads_svg(series, title="||dL/dh_t|| against t: RNN vs LSTM vs GRU"),
               "11_rnn_lstm_gru_gradients", "one line per layer, log scale")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. The LSTM can still explode: clipping does that job (001)")
    lesson.erratum("""
        001 (*LSTM이 Vanishing Gradient을 해결한 방식*) says
        "f가 sigmoid의 output이 되므로 explode는 완전히 해결함" - since f is a sigmoid output, the LSTM solves
        exploding gradients completely. It does not. f <= 1 bounds only the
        cell-state lane `c_{t-1} -> c_t`; the gradient also flows `c_{t-1} -> h_{t-1} -> (W_hh) -> g_t -> c_t`, and
        a large W_hh makes that loop grow. What stops an explosion is **gradient clipping** (기울기 클리핑):
        rescale the whole gradient when its norm passes a threshold (`nn.utils.clip_grad_norm_`).
    """)
    scale = W_HG_SCALE
    lesson.say(f"""
        An LSTM with its gates held open (input, forget and output biases 5, so i, f, o ~ 0.99), the
        candidate's weights `W_hg = {scale} x an orthogonal matrix` (the other recurrent weights zero) and tiny
        inputs: then `c_t ~ c_(t-1) + W_hg h_(t-1)` and `h_t ~ c_t`, so going back one step multiplies the gradient
        by about `I + W_hg`, which stretches some directions by up to `1 + {scale}` (the gates are 0.993, not 1,
        and other directions stretch less). Over {T_LONG - 1} steps:
    """)
    tg.manual_seed(0)
    wild = nn.LSTM(3, H, dtype=tg.float64, track_state_grads=True)
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((H, H)))          # orthogonal (H, H)
    w_hh = np.zeros((4 * H, H))
    w_hh[2 * H:3 * H] = scale * q                          # block g of i, f, g, o
    gates_open = np.zeros(4 * H)
    gates_open[:2 * H] = gates_open[3 * H:] = 5.0          # i, f, o ~ sigmoid(5) = 0.993
    wild.weight_hh_l0.data[...], wild.bias_ih_l0.data[...], wild.bias_hh_l0.data[...] = w_hh, gates_open, 0.0
    tiny = tg.Tensor(1e-8 * np.random.default_rng(2).standard_normal((T_LONG, 4, 3)), dtype=tg.float64)
    out, _ = wild(tiny)
    (out[-1] * readout).sum().backward()
    grown = wild.state_grad_norms()["l0"]
    params = list(wild.parameters())
    before = float(np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params)))
    direction = np.concatenate([p.grad.numpy().ravel() for p in params]) / before
    returned = float(nn.utils.clip_grad_norm_(params, max_norm=1.0))
    after = float(np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params)))
    clipped_direction = np.concatenate([p.grad.numpy().ravel() for p in params]) / after
    lesson.ask("the input, forget and output gates' biases are 5 and everything else feeding them is (nearly) zero: "
               "what is the forget gate f = sigmoid(5)?", float(sigmoid(5.0)), 0.005,
               f"sigmoid(5) = 1 / (1 + e^-5) = 1 / (1 + {np.exp(-5.0):.4f}) = {sigmoid(5.0):.4f}: the belt keeps "
               f"99.3 % per step, {sigmoid(5.0) ** last:.2f} of it over {last} steps")
    lesson.table("an LSTM whose gradient explodes, then clipped", ["", "value"], [
        (f"‖dL/dh_0‖ / ‖dL/dh_{last}‖", f"{grown[0] / grown[-1]:.3g}"),
        (f"(1 + {scale})^{last}, the most it could grow", f"{(1 + scale) ** last:.3g}"),
        ("‖grad‖ of all parameters, before clipping", f"{before:.3g}"),
        ("after clip_grad_norm_(params, max_norm=1)", f"{after:.4g}"),
        ("cosine between the gradient before and after", f"{float(direction @ clipped_direction):.6f}")])
    lesson.check("the LSTM's gradient grows more than 1000-fold over the steps (f <= 1 did not stop it)",
                 grown[0] / grown[-1] > 1e3, True)
    lesson.check("clip_grad_norm_ returns the norm before clipping", returned, before, atol=1e-6 * before)
    lesson.check("after clipping the gradient's norm is 1", after, 1.0, atol=1e-5)
    lesson.check("and it points the same way (cosine 1)", float(direction @ clipped_direction), 1.0, atol=1e-9)
    lesson.say("""
        So the division of labour: the LSTM's additive cell state (and a forget gate near 1) fights the
        **vanishing** gradient; clipping handles the **exploding** one, for any kind of network.
    """)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. One-hot or embedding, and what an embedding learns")
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

    lesson.say("""
        **What does an embedding (임베딩) learn?** Words used the same way end up near each other. A toy language
        shows it: 12 words in 3 groups (a0..a3, b0..b3, c0..c3); a word of group a is always followed by a
        random word of group b, b by c, c by a. Train `Embedding(12, 3) -> GRU(3, 8) -> Linear(8, 12)` to
        predict the next word. Nothing tells it the groups; but the four words of a group all call for the same
        answer, so training pulls their vectors together. Nearest neighbour of each word (cosine similarity),
        before and after training:
    """)
    names = [f"{g}{k}" for g in "abc" for k in range(4)]
    words, next_words = group_language(200, 8)              # (200, 8) each: inputs and the word that follows
    tg.manual_seed(0)
    embed, gru, fc = nn.Embedding(12, 3), nn.GRU(3, 8, batch_first=True), nn.Linear(8, 12)
    nearest_before, same_before = nearest_same_group(embed.weight.numpy())
    optimizer = tg.optim.Adam(list(embed.parameters()) + list(gru.parameters()) + list(fc.parameters()), lr=0.05)
    batch_rng = np.random.default_rng(0)
    for _ in range(150):
        idx = batch_rng.choice(len(words), 32, replace=False)
        out, _ = gru(embed(tg.tensor(words[idx])))          # (32, 8) -> (32, 8, 3) -> (32, 8, 8)
        loss = criterion(fc(out).reshape(-1, 12), next_words[idx].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    nearest_after, same_after = nearest_same_group(embed.weight.numpy())
    lesson.table("each word's nearest neighbour in the embedding", ["word", "before training", "after training"],
                 [(names[v], names[nearest_before[v]], names[nearest_after[v]]) for v in range(12)])
    lesson.say(f"""
        Before: {int(same_before.sum())} of 12 words have a neighbour from their own group (chance is 3 of 11).
        After: {int(same_after.sum())} of 12. The loss, {loss.item():.3f}, sits near `log 4 = 1.386`: the next word is a
        random one of four, so no model can do better; what it did learn is the grammar, and the groups with it.
    """)
    lesson.check("after training every word's nearest neighbour is in its own group", int(same_after.sum()), 12)
    lesson.check("before training fewer than half were", int(same_before.sum()) < 6, True)

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. Bidirectional: read the sequence both ways")
    lesson.say("""
        A bidirectional RNN (양방향 RNN), `bidirectional=True`, runs a second layer from the last step to the first
        and concatenates the two
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

    lesson.say("""
        **Why read backwards?** 000 (*Bi-directional RNN*): when the answer at step t depends on what comes
        **later**, a left-to-right RNN has not seen it yet. A task made for that: random bits, and at every step
        the answer is the **next** bit. A one-directional GRU can only guess (50 %); the reverse half of a
        bidirectional one has just read it. Both trained the same way (150 Adam steps, lr 0.05), tested on new
        sequences:
    """)
    bits, targets = next_bit(256, 8)                        # (256, 8, 2) one-hot bits, (256, 7) the next bit
    test_bits, test_targets = next_bit(256, 8, seed=1)
    accuracy_of = {}
    for bidirectional in (False, True):
        tg.manual_seed(0)
        reader = nn.GRU(2, 8, batch_first=True, bidirectional=bidirectional)
        head = nn.Linear(16 if bidirectional else 8, 2)
        optimizer = tg.optim.Adam(list(reader.parameters()) + list(head.parameters()), lr=0.05)
        batch_rng = np.random.default_rng(0)
        for _ in range(150):
            idx = batch_rng.choice(len(bits), 32, replace=False)
            out, _ = reader(tg.Tensor(bits[idx]))           # (32, 8, H or 2H)
            loss = criterion(head(out[:, :-1]).reshape(-1, 2), targets[idx].reshape(-1))   # steps 0..6
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with tg.no_grad():
            guesses = head(reader(tg.Tensor(test_bits))[0][:, :-1]).numpy().argmax(-1)
        accuracy_of[bidirectional] = float((guesses == test_targets).mean())
    lesson.table("predict the next bit (256 new sequences of 8 bits)", ["GRU", "accuracy"],
                 [("one direction", f"{accuracy_of[False]:.1%}"), ("bidirectional", f"{accuracy_of[True]:.1%}")])
    lesson.check("one direction cannot see the next bit: at most 60 % (chance is 50 %)", accuracy_of[False] <= 0.6,
                 True)
    lesson.check("bidirectional: at least 95 %", accuracy_of[True] >= 0.95, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("8. A sequence classifier on real data: digits read row by row")
    hidden = 32                                            # LSTM hidden units
    epochs = 4 if lesson.fast else 12                      # passes over the 1,348 training digits
    batch_size = 32
    target = 0.80 if lesson.fast else 0.90                 # held-out accuracy we promise
    lesson.say(f"""
        The notes classify spoken commands with an RNN (lesson 14 does that lab on synthetic recordings); here
        the 8x8 handwritten digits serve as sequences too: **8 time steps (rows) of 8 features (pixels)**. An
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

    lesson.recap(
        "Compute an LSTM and a GRU step by hand, tell 004's GRU (r before the matrix) from PyTorch's (r after), "
        "and say why the cell state keeps the gradient alive.",
        "Measure how much gradient survives T steps in an RNN, LSTM and GRU, and show that an LSTM can still "
        "explode and that gradient clipping is the fix.",
        "Use embeddings (and read what they learned from their nearest neighbours), bidirectional layers for "
        "answers that depend on the future, and an LSTM as a many-to-one sequence classifier.")

    lesson.now_you(11, [
        ("T_LONG = 60", "",
         "59 steps back, the table's last column: the plain RNN keeps about 1e-18 of the gradient, the LSTM and "
         "GRU with gate bias 1 about 1e-7 (10^11 times more); every check passes"),
        ("W_HG_SCALE = 0.2", "(the recurrent weight's scale in section 5; try 1.0 too)",
         "with 0.2 the LSTM's gradient grows only about 7-fold over 29 steps (the bound (1.2)^29 is about 200) and "
         "the check 'grows more than 1000-fold' stops the lesson; with 1.0 it grows about 4e7-fold, the whole "
         "gradient's norm passes 1e9, and clipping still brings it to 1 in the same direction"),
        ("GATE_BIAS = 3.0", "(forget / update gates nearer 1 in section 4)",
         "29 steps back the LSTM keeps about 0.02 of the gradient and the GRU about 0.2, against about 3e-4 for "
         "both with bias 1 and 1e-9 for the plain RNN; every check passes"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
