"""Gradient-flow reports: per-parameter and per-layer norms and grad:data ratios, ‖∂L/∂h_t‖ against t, rich tables
with bars, and hand-written SVG charts."""

import io
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from rich.console import Console

import tinygrad_edu as tg
import visualize
from tinygrad_edu import nn
from visualize import charts, reports

SVG = "{http://www.w3.org/2000/svg}"


def console():
    return Console(file=io.StringIO(), width=100, color_system=None)


def deep(act, depth=8, seed=1):
    tg.manual_seed(seed)
    net = nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(16, 16), act())], nn.Linear(16, 1))
    with tg.watch():
        loss = (net(tg.randn(32, 16)) ** 2).mean()
        loss.backward()
    return net, loss


def test_parameter_flow_matches_the_gradients():
    net, loss = deep(nn.ReLU, depth=2)
    rows = visualize.parameter_flow(loss)
    assert [r.name for r in rows] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    params = dict(net.named_parameters())
    for r in rows:
        g, d = params[r.name].grad.numpy(), params[r.name].numpy()
        assert r.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-6)
        assert r.data_norm == pytest.approx(np.linalg.norm(d), rel=1e-6)
        assert r.ratio == pytest.approx(np.linalg.norm(g) / np.linalg.norm(d), rel=1e-6)
        assert r.layer == r.name.split(".")[0] and r.shape == params[r.name].shape
    layers = visualize.layer_flow(rows)
    assert [r.name for r in layers] == ["0", "2", "4"]
    assert layers[0].grad_norm == pytest.approx(math.hypot(rows[0].grad_norm, rows[1].grad_norm), rel=1e-12)
    assert layers[0].count == 2


def test_sigmoid_gradients_vanish_where_relu_ones_do_not():
    _, sig = deep(nn.Sigmoid)
    _, relu = deep(nn.ReLU)
    s, r = visualize.parameter_flow(sig), visualize.parameter_flow(relu)
    assert s[0].grad_norm / s[-2].grad_norm < 1e-5            # first weight vs last: eight sigmoids (<= 1/4 each)
    assert r[0].grad_norm / r[-2].grad_norm > 1e-4
    assert s[0].grad_norm < r[0].grad_norm / 100


def test_printed_table_has_norms_ratios_and_bars():
    _, loss = deep(nn.Sigmoid, depth=2)
    con = console()
    rows = visualize.print_gradient_flow(loss, console=con)
    text = con.file.getvalue()
    assert "gradient flow per parameter" in text and "grad:data" in text
    for r in rows:
        assert r.name in text and visualize.summary.fmt_norm(r.grad_norm) in text
    assert "█" in text
    con = console()
    visualize.print_gradient_flow(loss, by="layer", console=con)
    assert "2 tensors" in con.file.getvalue()
    with pytest.raises(ValueError, match="by"):
        visualize.print_gradient_flow(loss, by="module")


def test_bars_grow_with_the_gradient():
    widths = [len(reports.bar(10.0 ** e).plain.rstrip()) for e in range(-8, 1)]
    assert widths == sorted(widths) and widths[0] < widths[-1] == reports.BAR_WIDTH
    assert reports.bar(None).plain == "n/a" and reports.bar(0.0).plain == "0"


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, track_state_grads=True)

    def forward(self, x):
        return self.lstm(x)[0][-1].sum()


def test_state_gradient_norms_against_t():
    model = Seq()
    with tg.watch():
        loss = model(tg.randn(6, 2, 3))
        loss.backward()
    norms = visualize.state_grad_norms(loss)
    expected = model.lstm.state_grad_norms()["l0"]
    assert list(norms) == ["lstm/l0"] and [t for t, _ in norms["lstm/l0"]] == list(range(6))
    assert np.allclose([v for _, v in norms["lstm/l0"]], expected, rtol=1e-6)
    for given in (norms, model.lstm.state_grad_norms()):          # ours, or the layer's own dict
        con = console()
        visualize.print_state_grads(given, console=con)
        text = con.file.getvalue()
        assert "‖∂L/∂h_t‖ against t" in text and visualize.summary.fmt_norm(expected[0]) in text
    con = console()
    visualize.print_state_grads({}, console=con)
    assert "tg.watch()" in con.file.getvalue()


def test_svg_charts_are_valid_xml_with_one_bar_per_row():
    _, loss = deep(nn.Sigmoid, depth=3)
    rows = visualize.parameter_flow(loss)
    root = ET.fromstring(visualize.gradient_flow_svg(rows))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == len(rows)
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] < widths[-2]                                  # the first layer's gradient is the smallest
    texts = [t.text for t in root.iter(f"{SVG}text")]
    low = math.floor(math.log10(min(r.grad_norm for r in rows)))
    assert "0.weight" in texts and f"1e{low}" in texts and f"1e{low - 1}" not in texts   # the axis fits the data
    series = {"l0": [(0, 1e-4), (1, 1e-3), (2, 1e-2)], "l0_reverse": [(0, 0.5), (1, 0.0), (2, None)]}
    root = ET.fromstring(visualize.state_grads_svg(series))
    assert len(list(root.iter(f"{SVG}polyline"))) == 1             # the second lane has one positive point only
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    assert {"l0", "l0_reverse"} <= {t.text for t in root.iter(f"{SVG}text")}


def test_charts_escape_labels_and_save(tmp_path):
    svg = charts.bar_chart(['a<b & "c"'], [0.5], title="t <1>")
    assert ET.fromstring(svg).find(f".//{SVG}text") is not None
    path = charts.save(svg, tmp_path / "chart")
    assert path.endswith("chart.svg") and 'a&lt;b &amp; "c"' in (tmp_path / "chart.svg").read_text()
