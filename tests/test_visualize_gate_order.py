"""The gates of an unrolled LSTM (i, f, g, o) and GRU (r, z, then n) stay in one order in every time step of the BPTT
picture: on the DOT source (a same-rank row with a chain of invisible flat edges, remincross off) and on the layout
dot actually produces (positions from `dot -Tjson`)."""

import json
import re
import shutil
import subprocess

import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import nn

needs_dot = pytest.mark.needs_dot(pytest.mark.skipif(shutil.which("dot") is None,
                                                     reason="Graphviz's dot is not installed"))


class Seq(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.rnn = layer
        self.head = nn.Linear(layer.hidden_size, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1]).sum()


def bptt(layer, steps, **options):
    model = Seq(layer)
    with tg.watch():
        loss = model(tg.randn(steps, 2, 3))
        loss.backward()
    return visualize.draw_bptt(loss, **options)


def gates_by_step(dot, names):
    """[{gate name: (x, y)}] per time-step cluster, in the order the clusters appear, from dot's own layout."""
    layout = json.loads(dot.pipe(format="json"))
    objects = {o["_gvid"]: o for o in layout["objects"]}
    steps = []
    for o in layout["objects"]:
        if re.match(r"cluster_\d+_step_", o["name"]):
            here = {}
            for gvid in o.get("nodes", []):
                m = re.fullmatch(r"v\d+_([a-z])", objects[gvid]["name"])
                if m and m.group(1) in names:
                    x, y = map(float, objects[gvid]["pos"].split(","))
                    here[m.group(1)] = (x, y)
            steps.append(here)
    return steps


def test_the_dot_source_keeps_each_steps_lstm_gates_on_one_rank_in_block_order():
    dot = bptt(nn.LSTM(3, 4), 3)
    chains = re.findall(r"\{\s*rank=same\s+v\d+_i -> v\d+_f \[style=invis\]\s+v\d+_f -> v\d+_g \[style=invis\]\s+"
                        r"v\d+_g -> v\d+_o \[style=invis\]\s+\}", dot.source)
    assert len(chains) == 3                                         # one row per step, i -> f -> g -> o
    assert "remincross=false" in dot.source


def test_a_gru_row_holds_r_and_z_and_n_is_pulled_below_them():
    src = bptt(nn.GRU(3, 4), 3).source
    assert len(re.findall(r"rank=same\s+v\d+_r -> v\d+_z \[style=invis\]\s+\}", src)) == 3     # n is not in it
    assert len(re.findall(r"v\d+_z -> v\d+_n \[style=invis weight=10\]", src)) == 3 * 3


def test_a_plain_rnn_and_collapsed_steps_get_no_row():
    assert "rank=same" not in bptt(nn.RNN(3, 4), 3).source
    collapsed = bptt(nn.LSTM(3, 4), 3, collapse="time")
    assert "rank=same" not in collapsed.source and "remincross" not in collapsed.source


@needs_dot
@pytest.mark.parametrize("steps", [4, 6])
def test_lstm_gates_are_laid_out_i_f_g_o_in_every_step(steps):
    for options in ({}, {"detail": "full"}):
        placed = gates_by_step(bptt(nn.LSTM(3, 4), steps, **options), "ifgo")
        assert len(placed) == steps
        for here in placed:
            assert sorted(here, key=lambda k: here[k][0]) == list("ifgo"), (options, placed)
            assert len({y for _, y in here.values()}) == 1                       # on one rank


@needs_dot
def test_lstm_gates_read_top_down_when_time_runs_left_to_right():
    for here in gates_by_step(bptt(nn.LSTM(3, 4), 4, rankdir="LR"), "ifgo"):
        assert sorted(here, key=lambda k: -here[k][1]) == list("ifgo")        # dot's y grows upward


@needs_dot
@pytest.mark.parametrize("steps", [4, 6])
def test_gru_gates_are_laid_out_r_then_z_in_every_step_with_n_below(steps):
    placed = gates_by_step(bptt(nn.GRU(3, 4), steps), "rzn")
    assert len(placed) == steps
    for here in placed:
        assert here["r"][0] < here["z"][0] and here["r"][1] == here["z"][1]
        assert here["n"][1] < here["r"][1]                                      # n = tanh(... r ⊙ ...): a rank below


@needs_dot
def test_the_interactive_page_keeps_the_lstm_gates_in_order_in_every_step():
    model = Seq(nn.LSTM(3, 4))
    with tg.watch():
        loss = model(tg.randn(4, 2, 3))
        loss.backward()
    page = visualize.interactive(loss)
    layout = json.loads(subprocess.run(["dot", "-Tjson"], input=page.dot, capture_output=True, text=True,
                                       check=True).stdout)
    objects = {o["_gvid"]: o for o in layout["objects"]}
    orders = []
    for o in layout["objects"]:
        if o["name"].startswith("cluster") and re.fullmatch(r"t=\d+", o.get("label", "")):      # a time step
            here = {}
            for gvid in o["nodes"]:
                m = re.match(r"([ifgo])\\n", objects[gvid].get("label", ""))          # value labels: name, shape, grad
                if m:
                    here[m.group(1)] = float(objects[gvid]["pos"].split(",")[0])
            orders.append("".join(sorted(here, key=here.get)))
    assert orders == ["ifgo"] * 4
    assert all("invis" not in str(e) for e in page.data["edges"])             # the script sees only real edges
