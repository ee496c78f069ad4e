"""Page faults per training step, with and without tinygrad_edu.memory keeping freed memory (glibc only).

Each workload's tinygrad_edu step (from lstm_bptt.py, mlp_step.py, lenet_step.py) runs ALONE in a fresh process,
as in a lesson: no numpy or torch contender runs beside it, because their large arrays change malloc's state too.
A child process runs 3 warm-up steps, then `--steps` timed steps, and reports minor page faults per step (from
getrusage) and the median step time.  The two settings (TINYGRAD_EDU_KEEP_MEMORY=1, the default, and =0) alternate
over `--rounds` child processes each, and the table shows medians over rounds.

    .venv/bin/python benchmarks/page_faults.py [--quick] [--rounds N] [--steps N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

WORKLOADS = ("lstm_bptt", "mlp_step", "lenet_step")


def child(workload, steps):
    """In the child process: build the tinygrad_edu step only, and report {"faults": per step, "ms": median}."""
    import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
    common.pin_threads()
    import tinygrad_edu

    module = __import__(workload)
    if workload == "lstm_bptt":
        step, _ = module.build_edu_lstm(*module.make_data())
    else:
        X, y, init = module.make_data()
        step, _ = module.build_edu(X, y, init)
    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps
    print(json.dumps({"faults": faults, "ms": statistics.median(times) * 1e3, "kept": tinygrad_edu.memory.KEPT}))


def run_child(workload, steps, keep):
    env = dict(os.environ, TINYGRAD_EDU_KEEP_MEMORY="1" if keep else "0")
    out = subprocess.run([sys.executable, __file__, "--child", workload, "--steps", str(steps)], env=env,
                         capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 5 steps")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.steps)
    if args.quick:
        args.rounds, args.steps = 1, 5
    print(f"page_faults: {args.rounds} alternating rounds of a fresh process per setting, {args.steps} steps each")
    rows = {}
    for workload in WORKLOADS:
        runs = {True: [], False: []}
        for _ in range(args.rounds):
            for keep in (False, True):
                runs[keep].append(run_child(workload, args.steps, keep))
        rows[workload] = {("kept" if keep else "default"): {
            "faults": statistics.median(r["faults"] for r in rs), "ms": statistics.median(r["ms"] for r in rs),
            "active": rs[0]["kept"]} for keep, rs in runs.items()}
    print(f"{'workload':12s} {'faults/step default':>20s} {'kept':>8s} {'ms/step default':>16s} {'kept':>8s} "
          f"{'kept/default':>13s}")
    for workload, r in rows.items():
        d, k = r["default"], r["kept"]
        print(f"{workload:12s} {d['faults']:20.1f} {k['faults']:8.1f} {d['ms']:16.2f} {k['ms']:8.2f} "
              f"{k['ms'] / d['ms']:12.2f}x")
    if not any(r["kept"]["active"] for r in rows.values()):
        print("memory.keep_freed_memory() is not active here (not glibc, or TINYGRAD_EDU_KEEP_MEMORY=0): both "
              "columns measure malloc's defaults")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
