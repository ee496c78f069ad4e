"""The page commands: `render ... --format html`, `lesson N --html DIR`, `lessons --html DIR` (no browser needed:
the browser tests open pages of the same kind)."""

import json
import re
import textwrap

import pytest

import visualize
from tinygrad_edu import cli

pytestmark = pytest.mark.skipif(not visualize.dot_available(), reason="Graphviz's dot is not installed: "
                                "sudo apt-get install graphviz")

SCRIPT = textwrap.dedent('''
    import tinygrad_edu as tg
    import visualize

    def _loss(k):
        a = tg.Scalar(2.0, name="a")
        out = a * float(k)
        out.name = "out"
        return out

    def gru():
        return _loss(3)

    def cnn():
        return _loss(5)

    def picture():
        return visualize.draw(_loss(7))
''')


def _data(path):
    text = open(path, encoding="utf-8").read()
    return [json.loads(m.replace("<\\/", "</")) for m in
            re.findall(r'<script type="application/json" class="tg-data">(.*?)</script>', text, re.S)]


def test_render_script_functions_to_distinct_html_pages(tmp_path, capsys):
    script = tmp_path / "nets.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    for function in ("gru", "cnn", "picture"):
        assert cli.main(["render", f"{script}:{function}", "--out", str(out), "--format", "html"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["nets_cnn.html", "nets_gru.html", "nets_picture.html"]
    (gru,), (cnn,), (picture,) = (_data(out / f"nets_{f}.html") for f in ("gru", "cnn", "picture"))
    # the local derivative of out = a·k with respect to a is k: each page carries its own graph's number
    assert [t["local"] for t in gru["steps"][-1]["panel"]["terms"]] == [3.0]
    assert [t["local"] for t in cnn["steps"][-1]["panel"]["terms"]] == [5.0]
    assert [t["local"] for t in picture["steps"][-1]["panel"]["terms"]] == [7.0]
    assert cli.main(["render", f"{script}:gru", "--out", str(out)]) == 0     # the default format: an SVG
    assert (out / "nets_gru.svg").exists()


def test_render_lesson_as_html_pages(tmp_path):
    assert cli.main(["render", "1", "--out", str(tmp_path), "--format", "html"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"01_chain_rule.html", "01_affine_scalar.html"} <= names
    (data,) = _data(tmp_path / "01_chain_rule.html")
    assert data["forward"] > 0 and len(data["steps"]) > data["forward"]


def test_lesson_as_a_web_page(tmp_path, capsys):
    assert cli.main(["lesson", "10", "--html", str(tmp_path), "--fast"]) == 0
    page = tmp_path / "lesson10.html"
    assert capsys.readouterr().out.strip() == str(page)
    text = page.read_text(encoding="utf-8")
    assert "<h1>Lesson 10" in text and "<h2>1. One RNN step in scalar mode</h2>" in text
    assert 'class="check"><span class="ok">ok</span> h_t = tanh(U x + W h + b)' in text    # a check, passed
    assert '<table class="data"><caption>training the character RNN</caption>' in text      # a table
    assert '<div class="pair"><div class="text">' in text and "<figure><svg" in text       # a picture by its text
    assert len(_data(page)) >= 1                                                          # an interactive graph
    assert "https://" not in re.sub(r'xmlns(:xlink)?="[^"]*"', "", text).replace("https://graphviz.org", "")


@pytest.mark.slow
def test_every_lesson_as_a_web_page_with_an_index(tmp_path, capsys):
    assert cli.main(["lessons", "--html", str(tmp_path), "--fast"]) == 0
    pages = sorted(p.name for p in tmp_path.glob("lesson*.html"))
    assert len(pages) >= 13 and pages[0] == "lesson01.html"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for name in pages:
        assert f'href="{name}"' in index
