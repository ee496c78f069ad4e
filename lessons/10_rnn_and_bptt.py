"""Lesson 10: recurrent nets and backpropagation through time

Follows notes 001 and 002 (the RNN cell, its computational graph x_t -> U -> s_t -> V -> o_t -> E_t, BPTT,
truncated BPTT), note 000 (*FC for Sequence Data?*: why a fully connected net struggles with sequences) and note
004 (the "hihell" -> "ihello" character RNN and why it needs memory, with its two traps: a softmax on tanh
outputs that can never exceed 0.649, and the double softmax that leaves the loss stuck at 1.201).  One RNN step
is `h_t = tanh(U x_t + W h_{t-1} + b)`; unrolled over T steps it is an ordinary graph, and the backward pass
through it multiplies one factor `dh_t/dh_{t-1}` per step: the product that vanishes or explodes.

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
T_LONG = 30                                # section 5: time steps of the vanishing / exploding comparison
SCALES = (0.5, 0.9, 1.0, 1.1, 1.5)         # section 5: W = scale x an orthogonal matrix, one row per scale
# Everything here is tiny and runs in about a second, so --fast (lesson.fast) changes nothing in this lesson.


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. One RNN step in scalar mode")
    lesson.say("""
        A recurrent (순환) cell reads one input `x_t` of a sequence (순차 데이터) and its own previous hidden state
        (은닉 상태) `h_{t-1}` at each time step (시점):

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
    lesson.section("2. Why a sequence needs memory (000, 001, 004)")
    lesson.say("""
        Note 004's task: read "hihell" one character at a time and answer, at every step, the **next** character:
        "ihello". Look at what the answer depends on. The first `h` is followed by `i`, the second `h` by `e`;
        the first `l` by `l`, the second by `o`. The current character alone cannot decide: the model must
        remember what came before: the **hidden state**. That is the point of the example.

        A net without memory, one Linear layer applied to each character on its own, can at best answer
        half-and-half at the two `h` steps and the two `l` steps: 4 of 6 right, and a loss of at least
        `4 log 2 / 6 = 0.462` (the mean cross-entropy over the six steps). Train one and see it stop there:
    """)
    onehots = tg.Tensor(np.eye(5)[X_IDS])                  # (T=6, D=5): one row per step
    tg.manual_seed(0)
    memoryless = nn.Linear(5, 5)                           # the same layer at every step, no state
    optimizer = tg.optim.Adam(memoryless.parameters(), lr=0.1)        # as the RNN below, with its own constants
    for _ in range(100):
        loss = F.cross_entropy(memoryless(onehots), np.array(Y_IDS))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with tg.no_grad():
        scores = memoryless(onehots)
    probs = F.softmax(scores, dim=1).numpy()
    memoryless_right = int((scores.numpy().argmax(1) == np.array(Y_IDS)).sum())
    rows = [(t, "hihell"[t], "ihello"[t], CHARS[int(probs[t].argmax())], f"{probs[t, Y_IDS[t]]:.2f}")
            for t in range(6)]
    lesson.table("a memoryless Linear(5, 5), 100 epochs of Adam, lr 0.1", ["t", "reads", "should answer", "answers",
                                                                "p(right answer)"], rows)
    floor = 4 * math.log(2) / 6
    lesson.check("without memory at most 4 of the 6 steps are right", memoryless_right <= 4, True)
    lesson.check("its loss cannot go below 4 log 2 / 6 = 0.462", F.cross_entropy(scores, np.array(Y_IDS)).item()
                 >= floor - 1e-4, True)
    lesson.check("and it gets there: p(i), p(e) after either h are both 0.5",
                 [probs[0, 1], probs[0, 2], probs[2, 1], probs[2, 2]], [0.5] * 4, atol=0.02)

    lesson.say("""
        Why not one big fully connected layer over the whole sequence instead? Note 000 (*FC for Sequence Data?*)
        asks "입력 길이가 달라지면?" - what if the input length changes? An FC layer over "hihell" reads
        `6 x 5 = 30` numbers, no more, no fewer: "hihello" (35) does not fit, and what it learned about position
        3 says nothing about position 4 (no sharing across time). An RNN applies the **same** cell at every step,
        so one set of weights reads any length:
    """)
    whole = nn.Linear(6 * 5, 6 * 5)                         # "hihell" flattened: (1, 30) -> six 5-way answers
    longer = tg.Tensor(np.eye(5)[[0, 1, 0, 2, 3, 3, 4]].reshape(1, -1))        # "hihello": (1, 35)
    try:
        whole(longer)
        refused = ""
    except ValueError as error:
        refused = str(error).split(";")[0]
    lesson.console.print(f"[yellow]Linear(30, 30) on 'hihello':[/yellow] {refused}")
    rnn_any = nn.RNN(5, 5, batch_first=True)
    lengths = {n: rnn_any(tg.Tensor(np.eye(5)[np.arange(n) % 5][None]))[0].shape for n in (4, 6, 9)}
    lesson.table("one nn.RNN(5, 5), any length", ["length", "output shape", "parameters"],
                 [(n, str(shape), sum(p.numel() for p in rnn_any.parameters())) for n, shape in lengths.items()])
    lesson.check("the FC layer refuses a 7-character input", bool(refused), True)
    lesson.check("the same RNN reads 4, 6 and 9 steps", [shape[1] for shape in lengths.values()], [4, 6, 9])

    lesson.say("""
        The price (001, *RNN의 Forward Propagation*: "CAN'T BE PARALLELIZED"): `h_t` needs `h_{t-1}`, which needs
        `h_{t-2}`, ... so the T steps run one after another, where a convolution computes all positions at
        once. Ask autograd which inputs each state depends on (`dh_t/dx_s` nonzero):
    """)
    tg.manual_seed(0)
    chain = nn.RNN(5, 5)
    x_chain = tg.Tensor(np.eye(5)[X_IDS][:, None], requires_grad=True)        # (T=6, N=1, D=5)
    depends = np.zeros((6, 6), dtype=bool)
    for t in range(6):
        x_chain.grad = None
        chain(x_chain)[0][t].sum().backward()
        depends[t] = np.abs(x_chain.grad.numpy()).sum(axis=(1, 2)) > 0
    lesson.table("h_t depends on x_s (x: yes)", ["h_t"] + [f"x_{s}" for s in range(6)],
                 [(f"h_{t}", *["x" if depends[t, s] else "." for s in range(6)]) for t in range(6)])
    lesson.check("h_t depends on every x_s with s <= t and on no later one (lower triangle)",
                 bool(np.array_equal(depends, np.tril(np.ones((6, 6), dtype=bool)))), True)
    lesson.say("""
        Every state waits for the one before: a chain of T tanh's that no number of processors can shorten.
        (The input products `U x_t` of all steps do not depend on each other and can be computed at once; the
        library does that. The `W h_{t-1}` part cannot.)
    """)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. 'hihell' -> 'ihello': a character RNN (note 004)")
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
    lesson.section("4. Backpropagation through time (시간 역전파): the unrolled graph, as the slide draws it")
    lesson.say("""
        Note 001 (*RNN의 Computational Graph*) draws the RNN unrolled: at step t the input `x_t` goes through U into
        the state `s_t` (= h_t), the state through V into the scores `o_t`, and the scores into the step's loss
        `E_t`; W carries `s_{t-1}` into `s_t`. The loss is the sum `E = E_0 + ... + E_5`, and U, V, W are shared
        by every step, so `dE/dW = sum_t dE_t/dW` (002), each term itself a sum over the steps up to t. Below we
        unroll it by hand, one step per loop turn, on an **untrained** net (no biases, as on the slide):

            s_t = tanh(U x_t + W s_{t-1})     o_t = V s_t     E_t = cross-entropy(o_t, y_t)
    """)
    tg.manual_seed(0)
    reference = nn.RNN(5, 5, bias=False)                   # only for its PyTorch-style random weights
    U = tg.Tensor(reference.weight_ih_l0.numpy(), requires_grad=True, name="U")     # (H, D)
    W = tg.Tensor(reference.weight_hh_l0.numpy(), requires_grad=True, name="W")     # (H, H)
    V = tg.Tensor(nn.Linear(5, 5, bias=False).weight.numpy(), requires_grad=True, name="V")   # (C, H)

    def unroll(last_only=False):
        """The slide's graph, step by step: returns the loss and the states s_0 .. s_5 (their grads kept)."""
        s_t, states, losses = tg.zeros(1, 5), [], []
        s_t.name = "s_(-1) = 0"                            # the state before the first step
        for t, (x_id, y_id) in enumerate(zip(X_IDS, Y_IDS)):
            with tg.scope(f"t={t}"):                       # one cluster per step in the picture
                x_t = tg.Tensor(np.eye(5)[[x_id]], name="x")                        # (1, D) one-hot (the scope says t)
                s_t = F.linear(x_t, U) + F.linear(s_t, W)
                s_t = s_t.tanh()
                s_t.name = "s"
                s_t.retain_grad()
                o_t = F.linear(s_t, V)                     # (1, C) scores
                o_t.name = "o"
                E_t = F.cross_entropy(o_t, np.array([y_id]))
                E_t.name = "E_t"
            states.append(s_t)
            losses.append(E_t)
        total = losses[-1] if last_only else sum(losses[1:], losses[0])
        total.name = "E_5" if last_only else "E"
        return total, states

    with tg.watch():                                       # every intermediate's gradient, for the picture
        E, states = unroll()
        E.backward()
    all_steps = [float(np.linalg.norm(s_t.grad.numpy())) for s_t in states]
    lesson.picture(visualize.draw_bptt(E, state="s", rankdir="TB",
                                       title="BPTT through 'hihell', untrained: x_t -> U -> s_t -> V -> o_t -> E_t"),
                   "10_bptt_hihell", "one cluster per step; W carries s_(t-1) into s_t; |dE/ds_t| on every step")
    for p in (U, V, W):
        p.grad = None
    E5, states5 = unroll(last_only=True)
    E5.backward()
    last_only = [float(np.linalg.norm(s_t.grad.numpy())) for s_t in states5]
    lesson.table("how much gradient reaches each state s_t (untrained net)",
                 ["t", "reads", "‖dE/ds_t‖, E = E_0 + ... + E_5", "‖dE_5/ds_t‖, the last step's loss only"],
                 [(t, "hihell"[t], all_steps[t], last_only[t]) for t in range(6)])
    lesson.say(f"""
        Read the last column from the bottom up: the gradient of the last step's loss shrinks every step it
        travels back, from {last_only[5]:.3f} at s_5 to {last_only[0]:.1e} at s_0 (one factor `W^T diag(1 - s_t^2)`
        per step). The middle column adds what each later step sends back, so it shrinks less: that sum is why
        an RNN learns short dependencies easily and long ones hardly at all (section 5).
    """)
    net = nn.RNN(5, 5, bias=False)                         # the same numbers from the library's layer
    net.weight_ih_l0.data[...], net.weight_hh_l0.data[...] = U.numpy(), W.numpy()
    with tg.no_grad():
        library = F.cross_entropy(F.linear(net(inputs[0][:, None])[0][:, 0], V.detach()), labels).item() * 6
    lesson.check("nn.RNN with the same U, W (and V) gives the same E", library, E.item(), atol=1e-5)
    lesson.check("the last step's gradient shrinks at every step back", bool(np.all(np.diff(last_only) > 0)), True)
    lesson.check("every step receives a gradient", min(all_steps) > 0, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. Vanishing and exploding: the scale of W")
    H = 8                                                  # hidden units
    lesson.say(f"""
        Going back one step multiplies the gradient (기울기) by `W^T diag(1 - h_t^2)`. Over {T_LONG} steps that is
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
    for scale in SCALES:
        tg.manual_seed(0)
        probe = nn.RNN(3, H, dtype=tg.float64, track_state_grads=True)
        probe.weight_hh_l0.data[...] = scale * q
        probe.bias_ih_l0.data[...] = probe.bias_hh_l0.data[...] = 0.0
        out, _ = probe(x_long)
        (out[-1] * readout).sum().backward()
        n = probe.state_grad_norms()["l0"]
        series[f"scale {scale}"] = n
        rows.append((scale, n[-1], n[0], n[0] / n[-1], scale ** (T_LONG - 1)))
    last = T_LONG - 1
    lesson.table(f"||dL/dh_t|| after {last} steps back", ["scale of W", f"||dL/dh_{last}||", "||dL/dh_0||",
                                                          "ratio", f"scale^{last}"], rows)
    for scale, *_, ratio, predicted in (rows[0], rows[-1]):                # the smallest and the largest scale
        what = "vanishes" if scale < 1 else "explodes" if scale > 1 else "keeps its norm"
        lesson.check(f"scale {scale:g}: the gradient {what} (ratio = {scale:g}^{last} within 5 %)",
                     ratio / predicted, 1.0, atol=0.05)
    lesson.say("""
        An orthogonal W (scale 1) keeps the norm; real networks are not linear and their W is not orthogonal,
        so plain RNNs forget after 10-20 steps. Gradient clipping (`nn.utils.clip_grad_norm_`) tames the
        explosion; the LSTM of lesson 11 is the cure for the vanishing.
    """)
    lesson.chart(visualize.state_grads_svg(series, title="||dL/dh_t|| against t, W = scale x orthogonal"),
               "10_vanishing_exploding", "one line per scale, log scale")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. Truncated BPTT: a cut in the graph")
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
    h_full = None
    for t in range(T_CUT):                                 # the same run without the cut, for comparison
        with tg.scope(f"t={t}"):
            h_full = cell(x_seq[t], h_full)
    walked = {"full BPTT": len(tg.graph.trace(h_full.sum()).ops()),
              f"truncated, k = {K}": len(tg.graph.trace(loss_cut).ops())}
    lesson.table("ops the backward pass walks (each keeps its saved inputs in memory until then)",
                 ["", "ops in the graph"], list(walked.items()))
    lesson.erratum(f"""
        002 lists truncated BPTT under "Vanishing gradient 해결 방법" (ways to solve the vanishing gradient). It is
        not one. It is a **compute and memory trade-off**: the backward pass walks and stores only k steps
        ({walked[f"truncated, k = {K}"]} ops here instead of {walked["full BPTT"]}), which is what lets an RNN
        train on very long sequences. But it does not make a long-range gradient survive; it removes it: above,
        the gradient from steps before the cut is exactly 0, not small. Dependencies longer than k steps cannot
        be learned through the gradient at all. What fights the vanishing gradient is the LSTM's and GRU's
        additive state (lesson 11); what tames the exploding one is gradient clipping (lesson 11).
    """)
    lesson.check(f"truncation walks fewer ops than full BPTT (k = {K} of T = {T_CUT} steps)",
                 walked[f"truncated, k = {K}"] < walked["full BPTT"], True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. Note 004's trap: softmax on tanh, then the double softmax")
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
    lesson.erratum(f"(note 004) the notes say this cap is 0.71; "
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

    lesson.recap(
        "Explain why 'hihell' needs a hidden state (the same 'h' is followed by 'i', then by 'e') and why an FC "
        "net struggles with sequences (fixed length, no sharing across time), and why an RNN runs step by step.",
        "Unroll an RNN by hand (x_t -> U -> s_t -> V -> o_t -> E_t, W between steps) and read how much "
        "gradient BPTT brings back to each state.",
        "Predict when the gradient vanishes or explodes (the scale of W), what truncated BPTT does and does "
        "not do, and avoid note 004's softmax traps.")

    lesson.now_you(10, [
        ("LR = 0.01", "",
         "the RNN still learns 'ihello', but after 100 epochs its loss is only down to about 0.13 and the check "
         "'the loss is near zero' stops the lesson"),
        ("T_LONG = 60", "(section 5: twice as many steps)",
         "the vanishing side follows scale^59 exactly (0.5: 1.7e-18, 0.9: 0.002), but scale 1.5 reaches only "
         "1.7e8 of the predicted 2.5e10: the states grow until tanh saturates, 1 - h^2 falls below 1, and the "
         "check 'ratio = 1.5^59 within 5 %' stops the lesson"),
        ("SCALES = (0.5, 1.0, 1.5, 3.0)", "(section 5: a wilder W)",
         "a row for scale 3: the gradient still explodes (1.8e9 over 29 steps) but falls far short of 3^29 = "
         "6.9e13, because the states saturate tanh within a few steps; the 5 % check on the last scale stops "
         "the lesson"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
