"""visualize.interactive without a browser: the page's data (steps, panels, gradients so far) and its HTML.

The numbers expected here are worked by hand (micrograd's L = (a·b + c)·f) or computed independently by the
engine's own backward(); the browser tests (test_interactive_browser.py) check what the page does with them.
"""

import json
import re

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from lessons import graph_examples as page_examples
from visualize import page_data
from visualize.colors import ZERO

pytestmark = pytest.mark.skipif(not visualize.dot_available(), reason="Graphviz's dot is not installed (pages are "
                                "laid out by dot): sudo apt-get install graphviz")


def grads_after(page, k):
    """{named value: gradient so far} after the first k steps, replayed from the page's data as its script does."""
    data, acc = page.data, {}
    for step in data["steps"][:k]:
        acc.update(step["grads"])
    return {name: (acc[i][0] if i in acc else None) for i, name in data["named"].items()}


def backward_panels(page):
    return [s["panel"] for s in page.data["steps"][page.data["forward"]:]]


def test_micrograd_steps_and_numbers():
    page = visualize.interactive(page_examples.micrograd())
    data = page.data
    assert data["forward"] == 3 and page.total == 6          # Mul, Add, Mul forward; the same three backward
    assert [s["panel"]["output"] for s in data["steps"][:3]] == ["e", "d", "L"]
    assert [s["panel"]["value"] for s in data["steps"][:3]] == [["-6.0"], ["4.0"], ["-8.0"]]
    first, second, third = backward_panels(page)
    assert first["output"] == "L" and first["upstream"] == 1.0
    assert {t["input"]: (t["local"], t["product"]) for t in first["terms"]} == {"d": (-2.0, -2.0), "f": (4.0, 4.0)}
    assert second["upstream"] == -2.0
    assert {t["input"]: t["product"] for t in second["terms"]} == {"e": -2.0, "c": -2.0}
    assert {t["input"]: (t["local"], t["product"]) for t in third["terms"]} == {"a": (-3.0, 6.0), "b": (2.0, -4.0)}
    assert "∂(a·b)/∂a = b" in third["terms"][0]["formula"]
    assert grads_after(page, 3) == dict.fromkeys("abecdfL")   # forward only: nothing computed yet
    assert grads_after(page, 6) == {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}


def test_page_is_the_same_after_backward_in_scalar_mode():
    before = visualize.interactive(page_examples.micrograd())
    loss = page_examples.micrograd()
    loss.backward()
    after = visualize.interactive(loss)
    assert backward_panels(after) == backward_panels(before)
    assert grads_after(after, after.total)["a"] == 6.0


def test_a_value_reached_twice_accumulates():
    page = visualize.interactive(page_examples.shared_input())      # y = x·w + x·v, x = 3, w = 2, v = 5
    terms = [t for p in backward_panels(page) for t in p["terms"] if t["input"] == "x"]
    assert [t["accumulates"] for t in terms] == [False, True]
    assert sorted(t["product"] for t in terms) == [2.0, 5.0]        # w and v
    assert terms[1]["before"] + terms[1]["product"] == terms[1]["after"] == 7.0
    assert grads_after(page, page.total)["x"] == 7.0


def test_zero_gradient_is_not_missing():
    x = tg.Scalar(-1.0, name="x")
    y = x.relu() * 3.0
    y.name = "y"
    page = visualize.interactive(y)
    assert grads_after(page, page.data["forward"])["x"] is None     # not computed yet
    final = {}
    for step in page.data["steps"]:
        final.update(step["grads"])
    x_id = next(i for i, n in page.data["named"].items() if n == "x")
    assert final[x_id][0] == 0.0 and final[x_id][1] == ZERO         # exactly 0: grey, not "not computed"


def test_tensor_mode_norms_match_backward():
    page = visualize.interactive(page_examples.mlp(seed=1))
    got = grads_after(page, page.total)
    loss = page_examples.mlp(seed=1)              # the same model and batch, through the engine's own backward()
    loss.backward()
    params = [v for v in tg.graph.trace(loss).values() if v.is_parameter]
    assert len(params) == 4
    for v in params:
        assert got[v.name] == pytest.approx(float(np.linalg.norm(v.grad)), rel=1e-5)


def test_tensor_mode_after_backward_shows_the_kept_gradients_and_says_why():
    loss = page_examples.mlp()
    loss.backward()
    page = visualize.interactive(loss)
    assert page.total == page.data["forward"] + 1 > 1             # forward steps, then the kept gradients at once
    assert "cannot be replayed" in page.data["note"] and "retain_graph=True" in page.data["note"]
    assert "cannot be replayed" in page.html()
    got = grads_after(page, page.total)
    params = [v for v in tg.graph.trace(loss).values() if v.is_parameter]
    for v in params:
        assert got[v.name] == pytest.approx(float(np.linalg.norm(v.grad)), rel=1e-6)
    assert got["x"] is None                                       # x needs no gradient: none was kept


def test_tensor_mode_after_backward_with_retain_graph_steps_backward():
    loss = page_examples.mlp()
    loss.backward(retain_graph=True)
    page = visualize.interactive(loss)
    assert page.total > page.data["forward"]


def test_rows_show_matrices_as_rows():
    assert page_data.rows(np.arange(6.0).reshape(3, 2)) == ["[0, 1]", "[2, 3]", "[4, 5]"]
    assert page_data.rows(np.zeros((2, 3, 4)))[0] == "[0, :, :] of (2, 3, 4)"
    assert page_data.rows(2.5) == ["2.5"]


def _embedded(html):
    payload = re.search(r'<script type="application/json" class="tg-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(payload.replace("<\\/", "</"))


def test_html_is_self_contained_and_complete(tmp_path):
    page = visualize.interactive(page_examples.lenet(), title="LeNet </script> & co")
    path = page.save(tmp_path / "lenet")
    assert path.endswith("lenet.html")
    html = open(path, encoding="utf-8").read()
    # nothing fetched: no external scripts, styles, images or requests (the SVG namespace URIs are names, not fetches)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "fetch(" not in html and "XMLHttpRequest" not in html
    data = _embedded(html)
    assert len(data["nodes"]) == len(page.graph.nodes)
    for node_id in data["nodes"]:
        assert f'id="{page.prefix}{node_id}"' in html                # every node's SVG group can be found
    for cluster_id in data["cluster_ids"].values():
        assert f'id="{cluster_id}"' in html
    assert {"conv1", "fc3"} <= set(data["clusters"])
    named = {n: i for i, n in data["named"].items()}
    assert named["conv1.weight"] in data["clusters"]["conv1"]["members"]    # closing a layer closes its weights
    assert named["images"] not in data["clusters"]["conv1"]["members"]
    assert "LeNet &lt;/script&gt; &amp; co" in html                  # the title escaped


def test_large_graph_starts_collapsed_and_says_so():
    page = visualize.interactive(page_examples.chain(2000))
    assert len(page.graph.nodes) >= 1900
    assert page.data["collapsed"] and "groups start closed" in page.data["collapse_note"]
    small = visualize.interactive(page_examples.lstm(steps=2))
    assert small.data["collapsed"] == [] and small.data["collapse_note"] == ""


def test_lstm_has_one_cluster_per_time_step():
    page = visualize.interactive(page_examples.lstm(steps=3))
    steps = sorted(k for k in page.data["clusters"] if re.search(r"t=\d+$", k))
    assert [k.rsplit("/", 1)[-1] for k in steps] == ["t=0", "t=1", "t=2"]


def test_jupyter_reprs():
    page = visualize.interactive(page_examples.micrograd())
    bundle = page._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div class="tg-page"') and "3 backward steps" in bundle["text/plain"]
    assert page._repr_html_().startswith('<div class="tg-page" tabindex')      # not the standalone page


def test_bad_input_names_the_rule():
    a = tg.Scalar(1.0)
    with pytest.raises(TypeError, match="interactive: give one output"):
        visualize.interactive([a, a])
    with pytest.raises(TypeError, match="sum its entries"):
        visualize.interactive(tg.Scalar.array(np.ones(3), "x"))


def test_output_without_grad_has_forward_steps_only():
    x = tg.Tensor([1.0, 2.0], name="x")
    y = (x * 2).sum()
    page = visualize.interactive(y)
    assert page.total == 0 and "does not require grad" in page.data["note"]     # no op was recorded


def test_a_graph_too_costly_to_lay_out_is_refused_quickly_with_the_reason():
    # a GRU over 60 steps whose every step reads one shared weight: edges spanning many ranks, which the page
    # (laying out every node) cannot prune; the picture's collapse can, the page must say so, not hang in dot
    import time

    gru = tg.nn.GRU(3, 4, batch_first=True)
    with tg.watch():
        out, _ = gru(tg.randn(1, 60, 3))
        loss = out[:, -1].sum()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"interactive: .*too costly .*layout_budget"):
        visualize.interactive(loss, layout_budget=2000)
    assert time.perf_counter() - start < 5
