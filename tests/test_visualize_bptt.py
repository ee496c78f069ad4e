"""The BPTT view on the DOT source: one cluster per time step (and per layer/direction), the recurrent and
cell-state paths, ‖∂L/∂h_t‖ on each step, truncation cuts, collapsed steps."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import nn
from visualize import colors
from visualize.summary import fmt_norm

T = 5


class Seq(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.lstm = layer
        self.head = nn.Linear(layer.hidden_size * (2 if layer.bidirectional else 1), 1)

    def forward(self, x):
        out = self.lstm(x)[0]
        return self.head(out[-1]).sum()


def run(layer, steps=T):
    model = Seq(layer)
    with tg.watch():
        loss = model(tg.randn(steps, 2, 3))
        loss.backward()
    return model, loss


def step_clusters(dot):
    """{(lane title, t): cluster label} for the clusters labelled t=K."""
    return re.findall(r"label=<<b>t=(\d+)</b>(.*?)> margin=", dot.source)


def edges_colored(dot, color):
    return [line for line in dot.source.splitlines() if "->" in line and f'color="{color}"' in line
            and "penwidth=3" in line]


def test_unrolled_lstm_has_one_cluster_per_time_step_and_labels_each_with_its_state_gradient():
    model, loss = run(nn.LSTM(3, 4, track_state_grads=True))
    dot = visualize.draw_bptt(loss)
    clusters = step_clusters(dot)
    assert sorted(int(t) for t, _ in clusters) == list(range(T))
    expected = model.lstm.state_grad_norms()["l0"]                 # the layer's own bookkeeping, via retain_grad
    assert len(expected) == T and expected[-1] > expected[0] > 0
    for t, label in clusters:
        assert f"= {fmt_norm(expected[int(t)])}" in label          # ‖∂L/∂h_t‖ written on the step
    got = [dot.info["state_norms"][("lstm/l0", t)] for t in range(T)]
    assert np.allclose(got, expected, rtol=1e-6)
    assert dot.info["steps"] == T and dot.info["lanes"] == 1
    assert len(re.findall(r"label=<<b>lstm · layer 0</b>>", dot.source)) == 1


def test_recurrent_path_and_cell_state_lane():
    _, loss = run(nn.LSTM(3, 4))
    dot = visualize.draw_bptt(loss)
    blue = edges_colored(dot, colors.RECURRENT_H)
    green = edges_colored(dot, colors.RECURRENT_C)
    assert len(blue) == T - 1 and len(green) == T - 1              # h_{t-1} -> gates_t, c_{t-1} -> c_t
    assert all(re.search(r"v\d+_h -> v\d+_gates", line) for line in blue)
    assert all(re.search(r"v\d+_c -> v\d+_c ", line) for line in green)
    assert dot.info["recurrent_edges"] == 2 * (T - 1)
    assert len(re.findall(r'group=lane_c_lstm_l0', dot.source)) == T          # the c nodes share one lane
    full = visualize.draw_bptt(loss, detail="full")
    assert len(step_clusters(full)) == T and full.info["recurrent_edges"] == 2 * (T - 1)
    assert len(full.source) > len(dot.source)                      # every op drawn


def hand_lstm(steps, H=4):
    """An LSTM unrolled by hand with tg ops, each step in tg.scope('t=k'), the values named as nn's are."""
    rng = np.random.default_rng(1)
    Wx = tg.Tensor(rng.standard_normal((3, 4 * H)) * 0.4, requires_grad=True, name="Wx")
    Wh = tg.Tensor(rng.standard_normal((H, 4 * H)) * 0.4, requires_grad=True, name="Wh")
    h, c = tg.zeros(1, H), tg.zeros(1, H)
    with tg.watch():
        for t in range(steps):
            with tg.scope(f"t={t}"):
                z = tg.Tensor(rng.standard_normal((1, 3))) @ Wx + h @ Wh
                z.name = "gates"
                i, f = z[..., :H].sigmoid(), z[..., H:2 * H].sigmoid()
                g, o = z[..., 2 * H:3 * H].tanh(), z[..., 3 * H:].sigmoid()
                for v, name in ((i, "i"), (f, "f"), (g, "g"), (o, "o")):
                    v.name = name
                c = f * c + i * g
                c.name = "c"
                h = o * c.tanh()
                h.name = "h"
        loss = h.sum()
        loss.backward()
    return loss


def test_hand_unrolled_lstm_gives_the_same_picture():
    dot = visualize.draw_bptt(hand_lstm(5))
    assert sorted(int(t) for t, _ in step_clusters(dot)) == [0, 1, 2, 3, 4]
    assert len(edges_colored(dot, colors.RECURRENT_H)) == 4 and len(edges_colored(dot, colors.RECURRENT_C)) == 4


def test_named_detail_labels_arrows_with_the_ops_they_stand_for():
    src = visualize.draw_bptt(hand_lstm(2)).source
    assert re.search(r"v\d+_gates -> v\d+_i \[label=<\[\.\.\., :4\] → σ>", src)
    assert re.search(r"v\d+_gates -> v\d+_g \[label=<\[\.\.\., 8:12\] → tanh>", src)
    assert re.search(r"v\d+_g -> v\d+_c \[label=<⊙ → \+>", src)
    assert re.search(r"v\d+_c -> v\d+_h \[label=<tanh → ⊙>", src)
    assert re.search(r"g\d+_Wh -> v\d+_gates \[label=<@>", src)     # a shared value's copy: the op it enters


def test_two_layers_two_directions_give_four_lanes_of_steps():
    _, loss = run(nn.LSTM(3, 2, num_layers=2, bidirectional=True), steps=3)
    dot = visualize.draw_bptt(loss)
    assert dot.info["lanes"] == 4 and len(step_clusters(dot)) == 4 * 3
    for title in ("lstm · layer 0", "lstm · layer 0 · reverse", "lstm · layer 1", "lstm · layer 1 · reverse"):
        assert f"label=<<b>{title}</b>>" in dot.source
    assert dot.info["recurrent_edges"] == 4 * 2 * 2                # 4 lanes, 2 transitions, h and c


def test_gru_and_rnn_steps():
    _, loss = run(nn.GRU(3, 4))
    dot = visualize.draw_bptt(loss)
    assert len(step_clusters(dot)) == T
    assert all(re.search(rf"v\d+_{g} \[", dot.source) for g in ("r", "z", "n", "h"))
    _, loss = run(nn.RNN(3, 4))
    assert visualize.draw_bptt(loss).info["recurrent_edges"] == T - 1


def unrolled_rnn(steps, cut=None, last_only=False):
    """A hand-written RNN, h_t = tanh(x_t U + h_{t-1} W), every step in tg.scope('t=k'); detached at `cut`."""
    rng = np.random.default_rng(0)
    U = tg.Tensor(rng.standard_normal((2, 3)) * 0.5, requires_grad=True, name="U")
    W = tg.Tensor(rng.standard_normal((3, 3)) * 0.5, requires_grad=True, name="W")
    xs = [tg.Tensor(rng.standard_normal((1, 2))) for _ in range(steps)]
    h = tg.zeros(1, 3)
    total, hs = None, []
    with tg.watch():
        for t in range(steps):
            if t == cut:
                h = h.detach()                                     # truncated BPTT: the graph stops here
            with tg.scope(f"t={t}"):
                h = (xs[t] @ U + h @ W).tanh()
                h.name = "h"
            hs.append(h)
            total = h.sum() if total is None or last_only else total + h.sum()
        total.backward()
    return total, U, W, hs


def test_truncation_boundary_is_drawn_as_a_cut():
    loss, *_ = unrolled_rnn(6, cut=3)
    dot = visualize.draw_bptt(loss)
    assert len(step_clusters(dot)) == 6
    assert dot.info["cuts"] == 1 and dot.info["recurrent_edges"] == 4      # 0-1-2 | 3-4-5
    assert "✂ truncated between t=2 and t=3: no gradient flows back" in dot.source
    assert "red cut: truncated" in dot.source
    whole, *_ = unrolled_rnn(6)
    uncut = visualize.draw_bptt(whole)
    assert uncut.info["cuts"] == 0 and "✂" not in uncut.source and uncut.info["recurrent_edges"] == 5


def test_steps_cut_off_from_the_loss_say_that_no_gradient_reaches_them():
    loss, _, _, hs = unrolled_rnn(5, cut=2, last_only=True)         # the loss sees the chunk t = 2..4 only
    alone = visualize.draw_bptt(loss)
    assert sorted(int(t) for t, _ in step_clusters(alone)) == [2, 3, 4]
    both = visualize.draw_bptt(loss, hs[1])                        # draw the first chunk too
    labels = {int(t): label for t, label in step_clusters(both)}
    assert sorted(labels) == [0, 1, 2, 3, 4]
    assert "none reaches it" in labels[0] and "none reaches it" in labels[1]
    assert "none reaches it" not in labels[2] and "no path from the loss back to that step" in both.source
    assert both.info["cuts"] == 1


def test_shared_parameters_get_a_copy_in_each_step():
    loss, U, W, _ = unrolled_rnn(4)
    src = visualize.draw_bptt(loss).source
    assert len(re.findall(r"^\s*g\d+_W \[label", src, re.M)) == 4
    assert len(re.findall(r"^\s*g\d+_U \[label", src, re.M)) == 4
    assert f"W |grad| {fmt_norm(np.linalg.norm(W.grad.numpy()))}" in src


def test_collapsed_steps_are_boxes_in_a_row():
    _, loss = run(nn.LSTM(3, 4))
    dot = visualize.draw_bptt(loss, collapse="time")
    boxes = re.findall(r"^\s*(box\d+_lstm_l0_t_\d) \[label", dot.source, re.M)
    assert len(boxes) == T
    chain = [line for line in dot.source.splitlines() if re.search(r"box\d+_lstm_l0_t_\d -> box\d+_lstm_l0_t_\d ",
                                                                   line) and "invis" not in line]
    assert len(chain) == T - 1 and all(re.search(r"label=<\s*h, c>", line) for line in chain)   # \s: the NBSPs
    auto = visualize.draw_bptt(loss, max_nodes=40)
    assert auto.info["auto_collapsed"] and "each time step drawn as one box" in auto.source


def test_without_watch_the_state_gradients_are_not_available_and_it_says_so():
    model = Seq(nn.RNN(3, 4))
    loss = model(tg.randn(3, 1, 3))
    loss.backward()
    dot = visualize.draw_bptt(loss)
    assert "|∂L/∂h₀| n/a" in dot.source and "run forward and backward inside tg.watch()" in dot.source


def test_a_graph_without_time_steps_is_refused_with_the_fix():
    x = tg.Scalar(1.0) * 2.0
    with pytest.raises(ValueError, match=r"tg.scope\(f't=\{t\}'\)"):
        visualize.draw_bptt(x)
    with pytest.raises(ValueError, match="collapse"):
        visualize.draw_bptt(x, collapse="module")
