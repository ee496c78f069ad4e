"""Interactive pages in headless Chromium: page size, load time and time per step for 50, 500 and 2,000 nodes.

Workload: lessons.graph_examples.chain(n), a scalar graph of about n nodes in layers (one scope per layer), so the
2,000-node page starts with its layers closed as any large graph does.  For each size:
  build    Python: trace, Stepper, page data and Graphviz's layout (visualize.interactive)
  size     the saved HTML file
  load     from page.goto(file://...) until the page's script has mounted (window.tinygradEdu), median of --reps
  step     one step forward (→), timed inside the page with a forced style and layout pass after it, over every
           step of the forward and backward pass: median and 95th percentile; and the jump to the last step (End)
Target: 2,000 nodes load in under 2 s and step in under 50 ms.  Needs Playwright and the system Chromium.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/interactive_pages.py [--sizes 50 500 2000] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import visualize  # noqa: E402
from lessons import graph_examples  # noqa: E402

ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
LOAD_TARGET_S, STEP_TARGET_MS = 2.0, 50.0

STEP_ALL = """() => {
    const api = window.tinygradEdu, times = [];
    api.step(0);
    for (let k = 1; k <= api.state().total; k++) {
        const t0 = performance.now();
        api.next();
        document.body.getBoundingClientRect();          // force style and layout: what the user waits for
        times.push(performance.now() - t0);
    }
    api.step(0);
    const t0 = performance.now();
    api.step(api.state().total);
    document.body.getBoundingClientRect();
    return {times, end: performance.now() - t0};
}"""


def measure(browser, path, reps):
    loads, result = [], None
    for _ in range(reps):
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        t0 = time.perf_counter()
        tab.goto("file://" + os.path.abspath(path))
        tab.wait_for_function("window.tinygradEdu !== undefined")
        loads.append(time.perf_counter() - t0)
        if result is None:
            result = tab.evaluate(STEP_ALL)
        tab.close()
    times = sorted(result["times"])
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return statistics.median(loads), statistics.median(times), p95, result["end"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 2000])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("interactive_pages: needs playwright (pip install playwright) and the system chromium")
    if not args.chromium:
        sys.exit("interactive_pages: Chromium not found (sudo apt-get install chromium)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        for n in args.sizes:
            root = graph_examples.chain(n)
            t0 = time.perf_counter()
            page = visualize.interactive(root)
            build = time.perf_counter() - t0
            path = page.save(os.path.join(tmp, f"chain{n}.html"))
            load, step_med, step_p95, end = measure(browser, path, args.reps)
            rows.append((len(page.graph.nodes), page.total, len(page.data["collapsed"]), os.path.getsize(path),
                         build, load, step_med, step_p95, end))
        browser.close()
    print(f"{'nodes':>6} {'steps':>6} {'closed':>6} {'size':>9} {'build s':>8} {'load s':>7} {'step ms':>8} "
          f"{'p95 ms':>7} {'End ms':>7}")
    for nodes, steps, closed, size, build, load, med, p95, end in rows:
        print(f"{nodes:>6} {steps:>6} {closed:>6} {size / 1024:>7.0f}KB {build:>8.2f} {load:>7.2f} {med:>8.2f} "
              f"{p95:>7.2f} {end:>7.1f}")
    big = max(rows, key=lambda r: r[0])
    ok = big[5] < LOAD_TARGET_S and big[7] < STEP_TARGET_MS
    print(f"target ({big[0]} nodes): load < {LOAD_TARGET_S} s and step < {STEP_TARGET_MS} ms (95th percentile): "
          + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
