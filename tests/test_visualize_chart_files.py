"""Charts in every format --format offers, drawn by matplotlib (the optional `charts` extra); without it, the
lesson prints the chart's numbers and how to install matplotlib."""

import io
import shutil
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

import visualize
from lessons.runner import Lesson
from visualize import chart_files, charts

SERIES = {"rnn": [(0, 1e-6), (1, 1e-4), (2, 1e-2)], "lstm": [(0, 0.05), (1, 0.1), (2, 0.2)]}


def test_a_chart_is_still_its_svg_text_and_knows_its_numbers():
    chart = visualize.state_grads_svg(SERIES, title="|dL/dh_t| against t")
    assert isinstance(chart, str) and ET.fromstring(chart).tag.endswith("svg")
    con = Console(file=io.StringIO(), width=100, color_system=None)
    con.print(chart.table())
    text = con.file.getvalue()
    assert "|dL/dh_t| against t" in text and "1.0e-06" in text and "0.2" in text


def test_matplotlib_draws_every_format(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the charts extra)")
    bars = charts.bar_chart(["0.weight", "0.bias", "2.weight"], [3e-7, 0.0, 0.2], title="|grad| per parameter")
    heads = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}
    for fmt, head in heads.items():
        path = bars.save(tmp_path / "bars", fmt)
        assert path.endswith(f"bars.{fmt}") and open(path, "rb").read(5).startswith(head)
    svg = open(visualize.state_grads_svg(SERIES).save(tmp_path / "lines", "svg"), encoding="utf-8").read()
    assert "matplotlib" in svg                     # drawn by matplotlib, not the hand-written fallback


def test_without_matplotlib_the_lesson_prints_the_table_and_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(chart_files, "matplotlib_available", lambda: False)
    chart = visualize.state_grads_svg(SERIES, title="|dL/dh_t| against t")
    with pytest.raises(chart_files.ChartUnavailable, match="needs matplotlib; install it with pip install"):
        chart.save(tmp_path / "c", "png")
    assert open(chart.save(tmp_path / "c", "svg"), encoding="utf-8").read() == str(chart)   # the plain SVG
    for fmt, written in (("png", []), ("svg", ["grads.svg"])):
        out = tmp_path / fmt
        out.mkdir()
        lesson = Lesson(out=str(out), console=Console(file=io.StringIO(), width=200, color_system=None), format=fmt)
        lesson.chart(chart, "grads")
        text = lesson.console.file.getvalue()
        assert "matplotlib, which is not installed" in text and "tinygrad-edu[charts]" in text and "1.0e-06" in text
        assert sorted(p.name for p in out.iterdir()) == written


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed: apt-get install graphviz")
def test_render_png_applies_to_charts(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the charts extra)")
    from lessons.runner import render_lesson

    paths = render_lesson(10, str(tmp_path), "png")
    assert any(p.endswith("10_vanishing_exploding.png") for p in paths)          # the chart, as asked
    assert all(p.endswith(".png") and open(p, "rb").read(4) == b"\x89PNG" for p in paths)
