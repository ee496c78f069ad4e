"""Pictures that stay readable (issue 17): checked on the DOT source, and on the PNG Graphviz writes."""

import re
import shutil

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from lessons import graph_examples as page_examples
from visualize.rendering import MAX_PNG_SIDE, png_size
from visualize.summary import fmt_norm


def _watched(make):
    with tg.watch():
        loss = make()
        loss.backward()
    return loss


def test_norms_are_written_with_plain_bars():
    """'‖' is missing from the fonts Graphviz uses for PNG (drawn as thick bars): pictures write |grad|."""
    lenet = _watched(page_examples.lenet)
    lstm = _watched(page_examples.lstm)
    sources = [visualize.draw(lenet).source, visualize.draw(lenet, collapse="module").source,
               visualize.draw(lenet, direction="backward").source, visualize.draw_bptt(lstm).source,
               visualize.draw_bptt(lstm, collapse="time").source, visualize.draw(lenet, color_by="ratio").source]
    for source in sources:
        assert "‖" not in source
    assert "fill: |grad|, log scale" in sources[0] and "|grad| " in sources[1]
    assert "|grad|/|data|" in sources[-1]


def test_a_matrix_is_shown_as_rows():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True, name="x")
    with tg.watch():
        y = (x * 2).sum()
        y.backward()
    label = next(line for line in visualize.draw(y).source.splitlines() if "<b>x</b>" in line)
    assert "data [1, 2]<br/>[3, 4]<br/>[5, 6]" in label and "grad [2, 2]<br/>[2, 2]<br/>[2, 2]" in label
    v = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="v")
    assert "data [1, 2, 3]" in visualize.draw((v * 1).sum()).source          # a vector stays on one line


def test_three_d_boxes_leave_room_for_their_top_face():
    source = visualize.draw(_watched(page_examples.lenet), collapse="module").source
    boxes = [line for line in source.splitlines() if "shape=box3d" in line]
    assert len(boxes) >= 7
    assert all(re.search(r'margin="0\.24,0\.16"', line) for line in boxes)


def test_direction_follows_the_graph_shape():
    deep = _watched(page_examples.lenet)
    assert "rankdir=TB" in visualize.draw(deep).source                     # 40 nodes in one chain: top to bottom
    assert "rankdir=TB" in visualize.draw(deep, collapse="module").source
    assert "rankdir=LR" in visualize.draw(page_examples.micrograd()).source  # short: left to right
    assert "rankdir=LR" in visualize.draw(deep, rankdir="LR").source          # asked for: kept


@pytest.mark.needs_dot
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed: apt-get install graphviz")
def test_png_stays_within_what_viewers_open(tmp_path, capsys):
    a = tg.Scalar(0.5, name="a")
    x = a
    for _ in range(120):                           # 240 ops in a row, forced left to right: far wider than 10,000 px
        x = (x * 1.01).tanh()
    path = visualize.render(visualize.draw(x, rankdir="LR"), tmp_path / "long", format="png")
    width, height = png_size(path)
    assert max(width, height) <= MAX_PNG_SIDE and width > height
    assert "more than image viewers open" in capsys.readouterr().err
    small = visualize.render(visualize.draw(page_examples.micrograd()), tmp_path / "small", format="png")
    assert max(png_size(small)) < 2000 and capsys.readouterr().err == ""
    assert png_size(tmp_path / "long.dot") is None


def test_truncated_bptt_copies_show_what_reached_each_step():
    """Lesson 10's picture: the input x is used by every step; each step's dashed copy shows the gradient that
    reached that step (exactly 0 before the cut), not x's total."""
    from tinygrad_edu import nn

    tg.manual_seed(1)
    cell = nn.RNNCell(2, 3)
    x = tg.Tensor(np.random.default_rng(1).standard_normal((8, 1, 2)), requires_grad=True, name="x")
    h, first_chunk = None, None
    with tg.watch():
        for t in range(8):
            if t == 4:
                first_chunk, h = h, h.detach()         # the cut
            with tg.scope(f"t={t}"):
                h = cell(x[t], h)
        loss = h.sum()
        loss.backward()
    source = visualize.draw_bptt(loss, first_chunk).source       # both chunks, as lesson 10 draws them
    copies = {int(m.group(1)): m.group(2) for m in re.finditer(
        r"cluster_\d+_step_t_(\d+) \{[^{}]*?<b>x</b><br/><font point-size=\"8\">\|grad\| ([^ ]+) in this step",
        source)}
    assert sorted(copies) == list(range(8))
    for t, text in copies.items():                     # 0 before the cut, x.grad[t]'s norm after it
        assert text == fmt_norm(float(np.linalg.norm(x.grad.numpy()[t])))
    assert [copies[t] for t in range(4)] == ["0"] * 4 and "0" not in [copies[t] for t in range(4, 8)]
    weights = re.findall(r"cluster_\d+_step_t_(\d+) \{[^{}]*?<b>weight_hh</b><br/><font point-size=\"8\">"
                         r"\|grad\| ([^<]+)</font>", source)
    assert [w for t, w in weights if int(t) < 4] == ["0 in this step"] * 4            # none reached them either
    assert all(w.endswith("(all steps)") for t, w in weights if int(t) >= 4)          # a share we cannot tell
    dashed = [line for line in source.splitlines() if "style=dashed" in line and "->" in line]
    assert dashed and not any("→" in line for line in dashed)      # one short label per copy's arrow
    assert any('label=<[3]>' in line for line in dashed)            # x enters step 3 through x[3]
