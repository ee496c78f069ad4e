"""docs/interactive.ipynb executed headless (nbclient), as Jupyter would: the interactive page is in its output.

Skipped, with the reason, without nbclient/nbformat/ipykernel (the dev extra has them) or Graphviz's dot.
"""

import json
import os
import re

import pytest

import visualize

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "docs", "interactive.ipynb")


def _pages(cell):
    """The page data carried by a code cell's HTML outputs."""
    found = []
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html", "")
        html = "".join(html) if isinstance(html, list) else html
        for payload in re.findall(r'<script type="application/json" class="tg-data">(.*?)</script>', html, re.S):
            found.append((html, json.loads(payload.replace("<\\/", "</"))))
    return found


@pytest.mark.slow
def test_notebook_shows_an_interactive_graph_inline():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (it is in the dev extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (it is in the dev extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (it is in the dev extra)")
    if not visualize.dot_available():
        pytest.skip("Graphviz's dot is not installed (sudo apt-get install graphviz)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.get("outputs", []))
    (html, data), = _pages(code[0])
    assert html.startswith('<div class="tg-page"') and "<svg" in html and "<script>" in html
    assert data["title"] == "L = (a·b + c)·f" and data["forward"] == 3 and len(data["steps"]) == 6
    last = data["steps"][-1]["panel"]
    assert {t["input"]: t["product"] for t in last["terms"]} == {"a": 6.0, "b": -4.0}
    printed = "".join(o.get("text", "") for o in code[1]["outputs"])
    assert printed.strip() == "{'a': 6.0, 'b': -4.0, 'c': -2.0, 'f': 4.0}"
    (_, lstm), = _pages(code[2])
    assert sum(1 for k in lstm["clusters"] if re.search(r"t=\d+$", k)) == 3
