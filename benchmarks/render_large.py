"""Large graphs render in seconds: a 10,000-node graph is collapsed automatically, never handed whole to Graphviz.

Workloads (each traced after backward inside tg.watch(), so every node has a gradient to color by):
  lstm      Tensor mode: nn.LSTM(8, 16) unrolled over T steps, batch 4, a linear head: >= 10,000 nodes, scopes
            lstm/l0/t=k.  visualize.draw auto-collapses (by module, then time step); draw_bptt collapses the steps
            into one box each.
  scalar    Scalar mode: a 2-16-16-1 MLP of Scalar neurons on a batch of points, no scopes at all: >= 10,000
            nodes.  Nothing to collapse by, so draw keeps the max_nodes nodes nearest the loss and puts the rest
            in one box.
For each: time to trace, to build the Digraph (draw), and for Graphviz's `dot` to write the SVG; the picture's node
count.  Target: trace + draw + render within TARGET_S seconds for every workload (Graphviz installed).

    .venv/bin/python benchmarks/render_large.py [--steps T] [--points N] [--out DIR] [--max-nodes M]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

import tinygrad_edu as tg
import visualize
from tinygrad_edu import graph, nn

TARGET_S = 10.0


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16)
        self.head = nn.Linear(16, 1)

    def forward(self, x):                                  # x (T, N, 8)
        return self.head(self.lstm(x)[0][-1]).sum()


def lstm_loss(steps):
    tg.manual_seed(0)
    model = Seq()
    with tg.watch():
        loss = model(tg.randn(steps, 4, 8))
        loss.backward()
    return loss


def scalar_loss(points):
    rng = np.random.default_rng(0)
    sizes = [2, 16, 16, 1]
    weights = [tg.Scalar.array(rng.uniform(-1, 1, (o, i)), f"w{k}") for k, (i, o) in
               enumerate(zip(sizes, sizes[1:]))]
    loss = None
    for x in rng.standard_normal((points, 2)):
        h = tg.Scalar.array(x[None, :], requires_grad=False)
        for k, w in enumerate(weights):
            h = h @ w.T                                    # (1, out): the multiplies and adds, one node each
            if k < len(weights) - 1:
                h = np.vectorize(lambda s: s.tanh(), otypes=[object])(h)
        term = (h[0, 0] - 1.0) ** 2
        loss = term if loss is None else loss + term
    loss.backward()
    return loss


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run_case(name, root, draw, out_dir):
    g, t_trace = timed(lambda: graph.trace(root))
    dot, t_draw = timed(lambda: draw(root))
    path, t_render = timed(lambda: visualize.render(dot, os.path.join(out_dir, name), quiet=True))
    total = t_trace + t_draw + (t_render if path.endswith(".svg") else 0.0)
    return {"case": name, "graph nodes": len(g), "drawn": dot.info["nodes"], "collapse": dot.info.get("collapse"),
            "pruned": dot.info.get("pruned", 0), "trace s": t_trace, "draw s": t_draw,
            "render s": t_render if path.endswith(".svg") else None, "total s": total, "path": path}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=360, help="LSTM time steps (about 28 nodes each)")
    parser.add_argument("--points", type=int, default=9, help="points through the scalar MLP (~1,200 nodes each)")
    parser.add_argument("--max-nodes", type=int, default=500)
    parser.add_argument("--out", default=None, help="keep the pictures here (default: a temporary directory)")
    args = parser.parse_args()
    out_dir = args.out or tempfile.mkdtemp(prefix="render_large_")
    if not visualize.dot_available():
        print("Graphviz's dot is not installed: timing trace and draw only (the .dot files are still written)")

    cases = []
    loss, t_build = timed(lambda: lstm_loss(args.steps))
    print(f"built the LSTM graph (forward + backward, T={args.steps}) in {t_build:.2f} s")
    cases.append(run_case("lstm_draw", loss, lambda r: visualize.draw(r, max_nodes=args.max_nodes), out_dir))
    cases.append(run_case("lstm_bptt", loss, lambda r: visualize.draw_bptt(r, max_nodes=args.max_nodes), out_dir))
    loss, t_build = timed(lambda: scalar_loss(args.points))
    print(f"built the scalar MLP graph ({args.points} points) in {t_build:.2f} s")
    cases.append(run_case("scalar_draw", loss, lambda r: visualize.draw(r, max_nodes=args.max_nodes), out_dir))

    header = f"{'case':<12}{'graph nodes':>12}{'drawn':>7}  {'collapse':<9}{'pruned':>7}{'trace s':>9}{'draw s':>8}" \
             f"{'render s':>10}{'total s':>9}"
    print(header)
    print("-" * len(header))
    for c in cases:
        render_s = "-" if c["render s"] is None else f"{c['render s']:.2f}"
        print(f"{c['case']:<12}{c['graph nodes']:>12,}{c['drawn']:>7}  {str(c['collapse']):<9}{c['pruned']:>7,}"
              f"{c['trace s']:>9.2f}{c['draw s']:>8.2f}{render_s:>10}{c['total s']:>9.2f}")
    print(f"pictures in {out_dir}")
    small = [c for c in cases if c["graph nodes"] < 10_000]
    if small:
        print(f"note: {[c['case'] for c in small]} below 10,000 nodes; raise --steps/--points")
    met = all(c["total s"] <= TARGET_S for c in cases) and not small
    print(f"TARGET trace + draw + render <= {TARGET_S:.0f} s for every >= 10,000-node graph: "
          f"{'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
