"""Interactive pages in a real browser: Playwright for Python driving the system Chromium (Debian `chromium`).

Skipped, with the reason, when Playwright, Chromium or Graphviz's dot is missing (scripts/setup.sh installs them
where it can; CI installs them so these run there).  The pages are opened from file://, as a student would.
"""

import os
import shutil

import numpy as np
import pytest

import tinygrad_edu as tg
import visualize
from lessons import graph_examples as page_examples

CHROMIUM = os.environ.get("TINYGRAD_EDU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright; "
                                   "it is in the dev extra)")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (sudo apt-get install chromium); the browser tests need it")
    if not visualize.dot_available():
        pytest.skip("Graphviz's dot is not installed (sudo apt-get install graphviz); pages are laid out by dot")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def open_page(browser, tmp_path):
    pages = []

    def opener(page_obj, name="graph"):
        path = page_obj.save(tmp_path / f"{name}.html")
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto("file://" + os.path.abspath(path))
        tab.wait_for_function("window.tinygradEdu !== undefined")
        tab.errors = errors
        pages.append(tab)
        return tab

    yield opener
    for tab in pages:
        assert tab.errors == [], tab.errors
        tab.close()


def state(tab):
    return tab.evaluate("window.tinygradEdu.state()")


def node_text(tab, page_obj, name):
    """The text of the named value's node in the SVG (its lines joined by |)."""
    node_id = next(i for i, n in page_obj.data["named"].items() if n == name)
    return tab.evaluate("id => Array.from(document.getElementById(id).querySelectorAll('text'))"
                        ".map(t => t.textContent).join('|')", page_obj.prefix + node_id)


def test_micrograd_stepped_with_keys(open_page):
    page = visualize.interactive(page_examples.micrograd(), title="L = (a·b + c)·f")
    tab = open_page(page)
    s = state(tab)
    assert (s["step"], s["total"], s["forward"]) == (0, 6, 3)
    assert s["grads"] == dict.fromkeys("abecdfL")
    assert "grad: not computed" in node_text(tab, page, "a")
    tab.locator(".tg-page").focus()
    for _ in range(4):                                       # forward e, d, L; then the first backward step
        tab.keyboard.press("ArrowRight")
    s = state(tab)
    assert s["step"] == 4 and s["phase"] == "backward"
    p = s["panel"]
    assert p["op"] == "Mul" and p["output"] == "L" and p["upstream"] == 1.0
    assert {t["input"]: (t["local"], t["product"], t["after"]) for t in p["terms"]} == {
        "d": (-2.0, -2.0, -2.0), "f": (4.0, 4.0, 4.0)}
    assert s["grads"]["f"] == 4.0 and s["grads"]["a"] is None
    panel_text = tab.inner_text(".tg-panel")
    assert "∂(d·f)/∂d = f = -2.0" in panel_text and "upstream ∂L/∂L = 1.0" in panel_text
    tab.keyboard.press("End")
    s = state(tab)
    assert s["step"] == 6
    assert s["grads"] == {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}
    assert {t["input"]: t["product"] for t in s["panel"]["terms"]} == {"a": 6.0, "b": -4.0}
    assert "grad 6.0" in node_text(tab, page, "a") and "grad -4.0" in node_text(tab, page, "b")
    tab.keyboard.press("ArrowLeft")
    assert state(tab)["grads"]["a"] is None                  # stepping back takes the gradient away again
    tab.keyboard.press("Home")
    assert state(tab)["step"] == 0 and "grad: not computed" in node_text(tab, page, "f")
    tab.click("button[data-action=next]")
    assert state(tab)["step"] == 1 and state(tab)["panel"]["value"] == ["-6.0"]


def test_not_computed_looks_different_from_zero(open_page):
    x = tg.Scalar(-1.0, name="x")
    y = x.relu() * 3.0
    y.name = "y"
    page = visualize.interactive(y)
    tab = open_page(page)
    x_id = page.prefix + next(i for i, n in page.data["named"].items() if n == "x")
    look = "id => { const g = document.getElementById(id); return [g.classList.contains('tg-pending'), " \
           "g.querySelector('polygon').getAttribute('fill'), g.querySelector('text:last-of-type').textContent]; }"
    assert tab.evaluate(look, x_id) == [True, "#ffffff", "grad: not computed"]
    tab.evaluate(f"window.tinygradEdu.step({page.total})")
    assert state(tab)["grads"]["x"] == 0.0
    assert tab.evaluate(look, x_id) == [False, "#d9d9d9", "grad 0.0"]


def test_a_value_reached_twice_shows_the_running_sum(open_page):
    page = visualize.interactive(page_examples.shared_input())      # y = x·w + x·v
    tab = open_page(page)
    seen = []
    for k in range(page.data["forward"] + 1, page.total + 1):
        s = tab.evaluate(f"window.tinygradEdu.step({k})")
        for t in s["panel"]["terms"]:
            if t["input"] == "x":
                seen.append((t["accumulates"], t["before"], t["product"], t["after"], s["grads"]["x"]))
                if t["accumulates"]:
                    text = tab.inner_text(".tg-panel")
                    assert "+=" in text and "= 7.0" in text
    assert [a for a, *_ in seen] == [False, True]
    first, second = seen
    assert first[3] == first[4] == first[2] and first[1] is None
    assert second[1] == first[3] and second[3] == second[4] == 7.0


def test_clusters_close_and_open(open_page):
    page = visualize.interactive(page_examples.lstm(steps=3), title="LSTM")
    tab = open_page(page, "lstm")
    key = next(k for k in page.data["clusters"] if k.endswith("t=1"))
    members = page.data["clusters"][key]["members"]
    probe = page.prefix + next(m for m in members if page.data["nodes"][m]["kind"] == "op")
    visible = "id => getComputedStyle(document.getElementById(id)).display !== 'none'"
    assert state(tab)["collapsed"] == [] and tab.evaluate(visible, probe)
    cluster_label = f"[id='{page.data['cluster_ids'][key]}'] > text"
    tab.click(cluster_label)
    assert state(tab)["collapsed"] == [key]
    assert not tab.evaluate(visible, probe)
    box = tab.locator(f"g.tg-box[data-cluster='{key}']")
    assert box.count() == 1 and "nodes (click to open)" in box.text_content()
    # a step inside the closed cluster highlights its box
    inside = next(k for k, s in enumerate(page.data["steps"], 1) if s["node"] in members)
    tab.evaluate(f"window.tinygradEdu.step({inside})")
    assert "tg-active" in box.get_attribute("class")
    box.click()
    assert state(tab)["collapsed"] == [] and tab.evaluate(visible, probe)


def test_tensor_mode_lenet_gradients_match_backward(open_page):
    page = visualize.interactive(page_examples.lenet(seed=2), title="LeNet")
    tab = open_page(page, "lenet")
    s = tab.evaluate(f"window.tinygradEdu.step({page.total})")
    loss = page_examples.lenet(seed=2)
    loss.backward()
    for v in tg.graph.trace(loss).values():
        if v.is_parameter:
            assert s["grads"][v.name] == pytest.approx(float(np.linalg.norm(v.grad)), rel=1e-4)
    tab.click(f"[id='{page.prefix}{next(i for i, n in page.data['named'].items() if n == 'conv1.weight')}']")
    info = tab.inner_text(".tg-info")
    assert "conv1.weight" in info and "shape (6, 1, 3, 3)" in info and "grad so far" in info


def test_a_2000_node_graph_loads_collapsed_and_steps(open_page):
    page = visualize.interactive(page_examples.chain(2000))
    tab = open_page(page, "chain")
    s = state(tab)
    assert s["total"] == page.total > 1500 and s["collapsed"] == sorted(page.data["collapsed"])
    assert "groups start closed" in tab.inner_text(".tg-page")
    s = tab.evaluate(f"window.tinygradEdu.step({page.data['forward'] + 10})")
    assert s["phase"] == "backward" and s["grads"]["L"] == 1.0
    tab.keyboard.press("End")
    s = state(tab)
    assert s["step"] == s["total"] and all(v is not None for v in s["grads"].values())


def test_two_pages_in_one_document_as_jupyter_shows_them(browser):
    """Jupyter puts each output's HTML into the notebook's one document and then runs its scripts (JupyterLab,
    Notebook 7 and VS Code all do, for trusted output): two pages must mount and step independently."""
    first = visualize.interactive(page_examples.micrograd())
    second = visualize.interactive(page_examples.shared_input())
    tab = browser.new_page()
    tab.set_content("<html><body><div id='out1'></div><p>a markdown cell</p><div id='out2'></div></body></html>")
    run_scripts = """([id, html]) => {
        const target = document.getElementById(id);
        target.innerHTML = html;                     // innerHTML runs no script: re-create them, as Jupyter does
        target.querySelectorAll('script').forEach(old => {
            const s = document.createElement('script');
            for (const a of old.attributes) s.setAttribute(a.name, a.value);
            s.textContent = old.textContent;
            old.replaceWith(s);
        });
    }"""
    tab.evaluate(run_scripts, ["out1", first._repr_mimebundle_()["text/html"]])
    tab.evaluate(run_scripts, ["out2", second._repr_mimebundle_()["text/html"]])
    assert tab.evaluate("TinygradEduPage.pages.length") == 2
    assert tab.evaluate("window.tinygradEdu.state().total") == first.total
    s2 = tab.evaluate(f"TinygradEduPage.pages[1].step({second.total})")
    assert s2["grads"]["x"] == 7.0
    assert tab.evaluate("window.tinygradEdu.state().step") == 0       # the first page did not move
    tab.locator("#out2 .tg-page").focus()
    tab.keyboard.press("Home")                                        # keys go to the focused page only
    assert tab.evaluate("TinygradEduPage.pages[1].state().step") == 0
    tab.locator("#out1 .tg-page").focus()
    tab.keyboard.press("End")
    assert tab.evaluate("window.tinygradEdu.state().grads.a") == 6.0
    tab.close()


def test_tensor_page_built_after_backward_shows_the_kept_gradients(open_page):
    loss = page_examples.mlp()
    loss.backward()
    page = visualize.interactive(loss)
    tab = open_page(page, "after")
    assert "cannot be replayed" in tab.inner_text(".tg-page")
    tab.keyboard.press("End")
    s = state(tab)
    assert s["step"] == page.data["forward"] + 1 and s["grads"]["0.weight"] is not None
    assert "build the page before backward()" in tab.inner_text(".tg-panel")


def test_a_lesson_page_opens_offline_with_its_graphs(browser, tmp_path):
    from lessons.html_lesson import write_lesson

    path = write_lesson(1, str(tmp_path), fast=True)
    tab = browser.new_page()
    errors, fetched = [], []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    tab.goto("file://" + os.path.abspath(path))
    count = tab.evaluate("TinygradEduPage.pages.length")
    assert count >= 2 and errors == [] and fetched == []          # nothing fetched: it works offline
    s = tab.evaluate(f"TinygradEduPage.pages[{count - 1}].step(1)")
    assert s["step"] == 1 and s["phase"] == "forward"
    tab.close()
