"""Screenshots of interactive pages (visualize.interactive) for the gallery, taken in headless Chromium.

    .venv/bin/python docs/gallery/make_interactive_gallery.py        # writes docs/gallery/interactive/*.png and .html

  affine_scalar.png    the notes' Affine on a 1x2 input in scalar mode, in the backward pass at a step where x1,
                       used by two products, receives its second share ("+=")
  lenet_collapsed.png  LeNet (tensor mode) with every layer closed into a box, half way through the backward pass
  lstm_time_steps.png  an LSTM unrolled over 3 steps, one cluster per time step, in the backward pass
Needs Graphviz's dot, Playwright and the system Chromium.
"""

from __future__ import annotations

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import visualize  # noqa: E402
from lessons import graph_examples  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interactive")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def accumulating_step(page, name):
    """The first backward step at which `name` receives a second share."""
    for k, step in enumerate(page.data["steps"], 1):
        if any(t["accumulates"] and t["input"] == name for t in step["panel"].get("terms", [])):
            return k
    raise ValueError(f"{name} never accumulates")


def main():
    from playwright.sync_api import sync_playwright

    os.makedirs(HERE, exist_ok=True)
    affine = visualize.interactive(graph_examples.affine_scalar(), title="Affine, scalar mode: y = x·W + b, 1x2 input")
    lenet = visualize.interactive(graph_examples.lenet(), title="LeNet, every layer closed")
    lstm = visualize.interactive(graph_examples.lstm(steps=3), title="LSTM over 3 time steps, one band per step")
    shots = [("affine_scalar", affine, accumulating_step(affine, "x1"), "[]"),
             ("lenet_collapsed", lenet, lenet.data["forward"] + (lenet.total - lenet.data["forward"]) // 2,
              str(sorted(k for k, c in lenet.data["clusters"].items() if c["parent"] is None))),
             ("lstm_time_steps", lstm, lstm.data["forward"] + 40, "[]")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for name, page, step, closed in shots:
            path = page.save(os.path.join(HERE, f"{name}.html"))
            tab = browser.new_page(viewport={"width": 1400, "height": 820 if name != "lstm_time_steps" else 1500})
            tab.goto("file://" + path)
            tab.wait_for_function("window.tinygradEdu !== undefined")
            tab.evaluate(f"{closed}.forEach(k => window.tinygradEdu.collapse(k))")
            tab.evaluate(f"window.tinygradEdu.step({step})")
            tab.screenshot(path=os.path.join(HERE, f"{name}.png"))
            tab.close()
            print(os.path.join(HERE, f"{name}.png"))
        browser.close()


if __name__ == "__main__":
    main()
