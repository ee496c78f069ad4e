"""Lesson 10: recurrent nets and backpropagation through time

Follows notes 001 and 002 (the RNN cell, BPTT, truncated BPTT) and note 004 (the "hihell" -> "ihello" character
RNN, with its two traps: a softmax on tanh outputs that can never exceed 0.649, and the double softmax that
leaves the loss stuck at 1.201).  One RNN step is `h_t = tanh(U x_t + W h_{t-1} + b)`; unrolled over T steps it is
an ordinary graph, and the backward pass through it multiplies one factor `dh_t/dh_{t-1}` per step: the product
that vanishes or explodes.

Run it:   tinygrad-edu lesson 10 [--step] [--out out] [--fast]     (or: python lessons/10_rnn_and_bptt.py --out out)
"""

import math
import warnings

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.recurrent import detach_states, truncated_bptt_chunks
from tinygrad_edu.nn.rnn_cells import rnn_cell

NOTES = "001, 002, 004"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

CHARS = "hielo"                            # note 004's five characters, one class each
X_IDS = [0, 1, 0, 2, 3, 3]                 # "hihell"  (the input)
Y_IDS = [1, 0, 2, 3, 3, 4]                 # "ihello"  (the target: the next character)
EPOCHS = 100                               # note 004: 100 epochs of Adam, lr 0.1
LR = 0.1
# Everything here is tiny and runs in about a second, so --fast (lesson.fast) changes nothing in this lesson.


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. One RNN step in scalar mode")
    lesson.say("""
        A recurrent cell reads one input `x_t` and its own previous state `h_{t-1}`:

            h_t = tanh(U x_t + W h_{t-1} + b)

        U (hidden x input) looks at the input, W (hidden x hidden) at the past. With input 2 and hidden 2 every
        product is a node of its own: `u11*x1 + u12*x2 + w11*h1 + w12*h2 + b1`, then a tanh - the slide of
        note 001, recorded as Scalars. (PyTorch calls U `weight_ih` and W `weight_hh`.)
    """)
    x_values = np.array([1.0, -0.5])                       # x_t (D=2)
    h_values = np.array([0.3, -0.2])                       # h_{t-1} (H=2)
    u_values = np.array([[0.5, -0.4], [0.2, 0.7]])         # U (H, D)
    w_values = np.array([[0.1, 0.6], [-0.3, 0.8]])         # W (H, H)
    b_values = np.array([0.05, -0.1])                      # b (H,)
    xs, hs = tg.Scalar.array(x_values, "x"), tg.Scalar.array(h_values, "h")
    us, ws, bs = tg.Scalar.array(u_values, "u"), tg.Scalar.array(w_values, "w"), tg.Scalar.array(b_values, "b")
    h_new = rnn_cell(xs, hs, us, ws, bs)                   # (2,) array of Scalars, every multiply recorded
    loss = h_new[0] + h_new[1]                             # a loss that sees both units
    loss.name = "L"
    loss.backward()
    expected = np.tanh(u_values @ x_values + w_values @ h_values + b_values)
    lesson.show("forward, unit by unit", f"""
        a1 = u11*x1 + u12*x2 + w11*h1 + w12*h2 + b1 = {(u_values @ x_values + w_values @ h_values + b_values)[0]:.4f}
        a2 = u21*x1 + u22*x2 + w21*h1 + w22*h2 + b2 = {(u_values @ x_values + w_values @ h_values + b_values)[1]:.4f}
        h_t = tanh(a) = [{h_new[0].data:.4f}, {h_new[1].data:.4f}]""")
    lesson.check("h_t = tanh(U x + W h + b)", [h_new[0].data, h_new[1].data], expected)
    grad_w = tg.Scalar.grads(ws)
    lesson.say("""
        Backward, with `L = h1 + h2`: `dL/dw_ij = (1 - h_i^2) * h_{t-1,j}` - the tanh's local derivative
        times the input of that product. The gradient reaching the previous state, `dL/dh_{t-1} = W^T (1 - h^2)`,
        is the factor BPTT multiplies once per step.
    """)
    lesson.check("dL/dW = (1 - h_t^2) outer h_{t-1}", grad_w, np.outer(1 - expected ** 2, h_values))
    lesson.check("dL/dh_{t-1} = W^T (1 - h_t^2)", tg.Scalar.grads(hs), w_values.T @ (1 - expected ** 2))
    cell = nn.RNNCell(2, 2, dtype=tg.float64)              # tensor mode: the same step as one module
    cell.weight_ih.data[...], cell.weight_hh.data[...] = u_values, w_values
    cell.bias_ih.data[...], cell.bias_hh.data[...] = b_values, 0.0
    lesson.check("nn.RNNCell gives the same h_t", cell(tg.Tensor(x_values, dtype=tg.float64),
                                                       tg.Tensor(h_values, dtype=tg.float64)).numpy(), expected)
    lesson.picture(visualize.draw(loss, title="one RNN step, scalar mode: h_t = tanh(U x_t + W h_(t-1) + b)"),
                   "10_rnn_cell_scalar", "every product of U x and W h, the adds and the two tanh")
    if lesson.step_mode:                                   # --step: replay this backward pass node by node
        lesson.step_backward(loss, "10_rnn_cell_backward", "the backward pass through one RNN step, node by node")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. 'hihell' -> 'ihello': a character RNN (note 004)")
    lesson.say(f"""
        Note 004 teaches an RNN to predict the next character: fed "hihell" it should answer "ihello".
        Five characters `{CHARS}`, each a one-hot vector of 5; an `nn.RNN(5, 5)` reads the six steps and a
        `nn.Linear(5, 5)` turns each hidden state into five scores (note 001's `y_t = softmax(V h_t)`: the
        Linear is V, and CrossEntropyLoss applies the softmax). Adam lr {LR}, {EPOCHS} epochs.
    """)
    lesson.check("x_data: 'hihell' as class indices (h=0, i=1, e=2, l=3, o=4)", X_IDS,
                 [CHARS.index(c) for c in "hihell"])
    lesson.check("y_data: 'ihello', the next character at every step", Y_IDS, [CHARS.index(c) for c in "ihello"])
    inputs = tg.Tensor(np.eye(5)[X_IDS][None])             # (N=1, T=6, D=5) one-hot, batch_first
    labels = np.array(Y_IDS)                               # (T=6,) class indices
    tg.manual_seed(0)
    rnn = nn.RNN(input_size=5, hidden_size=5, batch_first=True)
    fc = nn.Linear(5, 5)
    criterion = nn.CrossEntropyLoss()
    optimizer = tg.optim.Adam(list(rnn.parameters()) + list(fc.parameters()), lr=LR)
    rows = []
    for epoch in range(EPOCHS):
        out, _ = rnn(inputs)                               # (1, 6, 5)
        logits = fc(out.reshape(-1, 5))                    # (6, 5): raw scores, no softmax
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch in (0, 4, 9, 19, 49, EPOCHS - 1):
            guess = "".join(CHARS[i] for i in logits.argmax(1).numpy())
            rows.append((epoch + 1, loss.item(), guess))
    lesson.table("training the character RNN", ["epoch", "loss", "predicted"], rows)
    with tg.no_grad():
        logits = fc(rnn(inputs)[0].reshape(-1, 5))
    predicted = "".join(CHARS[i] for i in logits.argmax(1).numpy())
    linear_head_loss = criterion(logits, labels).item()
    lesson.say(f"Predicted string: **{predicted}**, loss {linear_head_loss:.4f} (the notes print 0.001 after their "
               f"100 epochs: the same order of magnitude, from another random start).")
    lesson.check("the RNN predicts 'ihello' (class indices)", logits.argmax(1).numpy(), Y_IDS)
    lesson.check("the loss is near zero (< 0.05)", linear_head_loss < 0.05, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. Backpropagation through time: the unrolled graph")
    lesson.say("""
        Unrolled, the RNN is one graph with a copy of the cell per time step, all sharing U and W. The loss
        sums over the six steps, so `dL/dW = sum_t dL_t/dW` (note 002), and the gradient reaching the state
        `h_t` collects what every later step sends back through W. Below: `||dL/dh_t||` per step of the trained
        network, then the picture (one cluster per step, the recurrent path in blue, each step labelled with
        its `||dL/dh_t||`).
    """)
    rnn.track_state_grads = True                           # keep each h_t's gradient (retain_grad)
    with tg.watch():                                       # ... and every intermediate's, for the picture
        out, _ = rnn(inputs)
        loss = criterion(fc(out.reshape(-1, 5)), labels)
        loss.backward()
    norms = rnn.state_grad_norms()                         # {"l0": [||dL/dh_0||, ..., ||dL/dh_5||]}
    visualize.print_state_grads(norms, console=lesson.console)
    lesson.check("every step receives a gradient", min(norms["l0"]) > 0, True)
    lesson.picture(visualize.draw_bptt(loss, rankdir="TB", title="BPTT through 'hihell': one cluster per time step"),
                   "10_bptt_hihell", "the unrolled RNN, ||dL/dh_t|| on every step")
    rnn.track_state_grads = False
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. Vanishing and exploding: the scale of W")
    T_LONG = 30                                            # time steps
    H = 8                                                  # hidden units
    lesson.say(f"""
        Going back one step multiplies the gradient by `W^T diag(1 - h_t^2)`. Over {T_LONG} steps that is
        {T_LONG - 1} such factors: if W shrinks vectors (largest singular value below 1) the gradient dies
        geometrically, if it stretches them it can blow up. Take W = scale x an orthogonal matrix (every
        singular value = scale), tiny inputs (so tanh stays in its linear part, `1 - h^2 ~ 1`), and a loss
        that sees only the last step. Then `||dL/dh_0|| / ||dL/dh_{T_LONG - 1}|| ~ scale^{T_LONG - 1}`.
    """)
    rng = np.random.default_rng(0)
    x_long = tg.Tensor(1e-8 * rng.standard_normal((T_LONG, 4, 3)), dtype=tg.float64)   # (T, N=4, D=3)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))                                    # orthogonal
    readout = tg.Tensor(rng.standard_normal((4, H)), dtype=tg.float64)                  # loss = <readout, h_T>
    rows, series = [], {}
    for scale in (0.5, 0.9, 1.0, 1.1, 1.5):
        tg.manual_seed(0)
        probe = nn.RNN(3, H, dtype=tg.float64, track_state_grads=True)
        probe.weight_hh_l0.data[...] = scale * q
        probe.bias_ih_l0.data[...] = probe.bias_hh_l0.data[...] = 0.0
        out, _ = probe(x_long)
        (out[-1] * readout).sum().backward()
        n = probe.state_grad_norms()["l0"]
        series[f"scale {scale}"] = n
        rows.append((scale, n[-1], n[0], n[0] / n[-1], scale ** (T_LONG - 1)))
    lesson.table(f"||dL/dh_t|| after {T_LONG - 1} steps back", ["scale of W", "||dL/dh_29||", "||dL/dh_0||",
                                                                "ratio", "scale^29"], rows)
    lesson.check("scale 0.5: the gradient vanishes (ratio = 0.5^29 within 5 %)", rows[0][3] / 0.5 ** 29, 1.0,
                 atol=0.05)
    lesson.check("scale 1.5: the gradient explodes (ratio = 1.5^29 within 5 %)", rows[-1][3] / 1.5 ** 29, 1.0,
                 atol=0.05)
    lesson.say("""
        An orthogonal W (scale 1) keeps the norm; real networks are not linear and their W is not orthogonal,
        so plain RNNs forget after 10-20 steps. Gradient clipping (`nn.utils.clip_grad_norm_`) tames the
        explosion; the LSTM of lesson 11 is the cure for the vanishing.
    """)
    lesson.chart(visualize.state_grads_svg(series, title="||dL/dh_t|| against t, W = scale x orthogonal"),
               "10_vanishing_exploding", "one line per scale, log scale")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. Truncated BPTT: a cut in the graph")
    T_CUT, K = 8, 4                                         # 8 steps, gradients truncated to chunks of 4
    lesson.say(f"""
        Truncated BPTT (note 002) keeps only the last k factors: run the sequence in chunks of k steps and
        start each chunk from the *value* of the previous state, `h.detach()`, not from its graph. Here
        T = {T_CUT}, k = {K}, one RNN cell in our own loop, and a loss at the last step only: the gradient reaches
        the inputs of the last {K} steps and is **exactly zero** before the cut.
    """)
    tg.manual_seed(1)
    cell = nn.RNNCell(2, 3)                                # input 2, hidden 3: small enough to draw
    x_seq = tg.Tensor(np.random.default_rng(1).standard_normal((T_CUT, 1, 2)), requires_grad=True)   # (T, N, D)
    x_seq.name = "x"
    h, chunk_ends = None, []
    with tg.watch():                                       # keep every gradient, for the picture
        for t in range(T_CUT):
            if t % K == 0 and h is not None:
                chunk_ends.append(h)                       # (kept only to draw the first chunk too)
                h = h.detach()                             # the cut: the next chunk starts from values
            with tg.scope(f"t={t}"):                       # time-step scopes: the picture clusters by them
                h = cell(x_seq[t], h)
        loss_cut = h.sum()                                 # the loss sees the last step only
        loss_cut.backward()
    per_step = np.abs(x_seq.grad.numpy()).sum(axis=(1, 2))  # how much gradient each input x_t received
    lesson.table("|dL/dx_t| with the cut after every 4 steps", ["t", "|dL/dx_t|"],
                 [(t, per_step[t]) for t in range(T_CUT)])
    lesson.check(f"dL/dx_t is exactly 0 before the cut (t < {T_CUT - K})", per_step[:T_CUT - K], np.zeros(T_CUT - K),
                 atol=0.0)
    lesson.check(f"and nonzero for the last {K} steps", bool(np.all(per_step[T_CUT - K:] > 0)), True)
    lesson.picture(visualize.draw_bptt(loss_cut, *chunk_ends, rankdir="TB",
                                       title=f"truncated BPTT: a cut every k = {K} steps"),
                   "10_truncated_bptt", "the red cut: no edge, so no gradient, from step 4 back to step 3")
    lesson.say("""
        The library packs the same recipe as `truncated_bptt_chunks(x, k)` and `detach_states(state)` for whole
        layers (`nn.RNN`, `nn.LSTM`, `nn.GRU`); the values are those of the full run, only the gradient is cut.
    """)
    layer = nn.RNN(2, 3)
    x_full = tg.Tensor(x_seq.numpy(), requires_grad=True)
    state = None
    for chunk in truncated_bptt_chunks(x_full, K):
        out_chunk, state = layer(chunk, state)
        state = detach_states(state)
    out_chunk[-1].sum().backward()
    chunk_grad = np.abs(x_full.grad.numpy()).sum(axis=(1, 2))
    lesson.check("with truncated_bptt_chunks, too: zero before the cut", chunk_grad[:T_CUT - K],
                 np.zeros(T_CUT - K), atol=0.0)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. Note 004's trap: softmax on tanh, then the double softmax")
    k = 5
    cap = math.e ** 2 / (math.e ** 2 + k - 1)
    lesson.ask("tanh outputs lie in [-1, 1]: with 5 classes, what is the largest probability softmax can give "
               "(+1 for the right class, -1 for the other four)?", math.e ** 2 / (math.e ** 2 + 4), 0.01,
               "e^1 / (e^1 + 4 e^-1) = e^2 / (e^2 + 4) = 0.649")
    lesson.say(f"""
        Note 004 first drops the Linear layer and puts `nn.Softmax` straight on the RNN's output. The outputs
        are tanh values in [-1, 1], so the best a row can do is +1 for the right class and -1 for the other
        {k - 1}: the largest probability is

            e^1 / (e^1 + (k-1) e^-1) = e^2 / (e^2 + k - 1) = {cap:.4f}   for k = {k}.
    """)
    lesson.console.print(f"[bold red]erratum (note 004):[/bold red] the notes say this cap is 0.71; "
                         f"e^2/(e^2+4) = {cap:.3f} for k = 5 classes. 0.71 = e^2/(e^2+3) = "
                         f"{math.e ** 2 / (math.e ** 2 + 3):.3f} is the value for k = 4. The notes' own printed "
                         "tensor tops out at 0.6487, just below 0.649.")
    lesson.check("the cap e^2/(e^2+4)", cap, 0.649, atol=5e-4)
    lesson.check("the notes' 0.71 is k = 4", math.e ** 2 / (math.e ** 2 + 3), 0.711, atol=5e-4)
    rest = (1 - cap) / (k - 1)
    floor = -math.log(math.exp(cap) / (math.exp(cap) + (k - 1) * math.exp(rest)))
    lesson.say(f"""
        Worse, those probabilities then go into `CrossEntropyLoss`, which applies (log-)softmax **again**.
        softmax([0.649, 0.088, 0.088, 0.088, 0.088]) is nearly uniform, so the loss cannot drop below
        `-log softmax(p)_right = {floor:.3f}` per step even at the cap: that is why the notes' loss sits at
        1.201 (their mean over six steps, one of which is not at the cap). Watch it happen:
    """)
    tg.manual_seed(0)
    rnn_sm = nn.RNN(input_size=5, hidden_size=5, batch_first=True)
    optimizer = tg.optim.Adam(rnn_sm.parameters(), lr=LR)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(EPOCHS):
            out, _ = rnn_sm(inputs)
            probs = F.softmax(out.reshape(-1, 5), dim=1)   # note 004's self.sm(out.view(-1, 5))
            loss = criterion(probs, labels)                # ... softmax again inside CrossEntropyLoss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    stuck = loss.item()
    lesson.show("after 100 epochs: the probabilities (rows: steps, columns: h i e l o)",
                np.array2string(probs.numpy(), precision=4, suppress_small=True))
    if caught:
        lesson.console.print(f"[yellow]the library warned:[/yellow] {str(caught[0].message)[:160]}...")
    lesson.say(f"""
        Largest probability {probs.numpy().max():.4f} (cap {cap:.4f}); loss {stuck:.3f} - stuck, as in the
        notes (1.201), above the floor {floor:.3f}. With the Linear layer of section 2 the scores are free and
        the loss went to {linear_head_loss:.4f}: a Linear on top (and no softmax before CrossEntropyLoss) fixes it.
    """)
    lesson.check("no probability exceeds the cap", probs.numpy().max() <= cap, True)
    lesson.check("the stuck loss stays above the floor 1.189", stuck >= floor - 1e-6, True)
    lesson.check("the floor of the double softmax", floor, 1.1887, atol=1e-4)
    lesson.check("our stuck loss is the notes' 1.201 (within 0.01)", stuck, 1.201, atol=0.01)
    lesson.check("a Linear head beats the stuck loss by far", linear_head_loss < 0.05 < stuck, True)

    lesson.now_you(10, [
        ("LR = 0.01", "",
         "the RNN still learns 'ihello', but after 100 epochs its loss is only down to about 0.13 and the check "
         "'the loss is near zero' stops the lesson"),
        ("EPOCHS = 10", "",
         "ten epochs at lr 0.1 already predict 'ihello', with the loss near 0.28; the same check stops the lesson"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
