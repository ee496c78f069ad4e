"""Shared helpers for the tinygrad_edu speed benchmarks: thread pinning, interleaved timing, tables.

Import this module before numpy (it pins BLAS and OpenMP to one thread through the environment, which
OpenBLAS reads only when it is loaded). Every repetition runs every contender once, in an order rotated by one
place per repetition, so load from other processes on this shared machine lands on all contenders alike.
Ratios are taken between medians of the same run, never across runs.
"""

from __future__ import annotations

import os

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"      # before numpy is imported anywhere in the process

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_edu.memory  # noqa: E402

# A training step's freed memory is kept for the next step, for every contender in the process (the numpy floor
# included): the library's opt-in, made here once (TINYGRAD_EDU_KEEP_MEMORY=0 turns it off; page_faults.py does).
tinygrad_edu.memory.keep_freed_memory()

_torch = None
_torch_tried = False


def pin_threads() -> None:
    """One BLAS thread for numpy (also at run time, via threadpoolctl when present) and one torch thread."""
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1)
    except ImportError:
        pass
    torch = optional_torch(quiet=True)
    if torch is not None:
        torch.set_num_threads(1)


def optional_torch(quiet=False):
    """torch, or None (with a one-line message) when it is not installed."""
    global _torch, _torch_tried
    if not _torch_tried:
        _torch_tried = True
        try:
            import torch

            _torch = torch
        except ImportError as error:
            if not quiet:
                print(f"skipping torch: not importable ({error})")
    return _torch


def optional_micrograd():
    """micrograd.engine.Value, or None (with a message) when micrograd is not installed."""
    try:
        from micrograd.engine import Value
    except ImportError as error:
        print(f"skipping micrograd: not importable ({error})")
        return None
    return Value


# ------------------------------------------------------------------------------------------- contenders
@dataclass
class Contender:
    """One row of a table.  `step()` is one timed unit and must be synchronous.

    inner: steps per repetition (None: calibrated so that a repetition lasts about `target_rep_s`).
    scale: the reported number is (seconds per step) * scale * 1000, e.g. scale=10_000 for "ms per 10k iterations".
    """

    name: str
    step: Callable[[], object]
    inner: int | None = None
    scale: float = 1.0
    note: str = ""
    samples: list = field(default_factory=list)


def calibrate(step, target_s: float, max_inner: int = 100_000) -> int:
    """How many calls of `step` take about `target_s` (after one warm call)."""
    step()
    n, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - t0
        if elapsed >= target_s / 4 or n >= max_inner:
            break
        n *= 4
    return int(min(max_inner, max(1, round(n * target_s / max(elapsed, 1e-9)))))


def run_interleaved(contenders, reps: int, target_rep_s: float = 0.25, warmup: int = 2, log=True):
    """Time every contender `reps` times, interleaved and rotated; fills each contender's `samples`
    (one number per repetition, in the contender's unit).  gc.collect() runs before every timed block
    (outside the timing), the garbage collector itself stays on as in a user's training loop."""
    for c in contenders:
        for _ in range(warmup):
            c.step()
        if c.inner is None:
            c.inner = calibrate(c.step, target_rep_s)
        c.samples = []
    n = len(contenders)
    t_start = time.perf_counter()
    for rep in range(reps):
        k = rep % n
        for c in contenders[k:] + contenders[:k]:
            gc.collect()
            step, inner = c.step, c.inner
            t0 = time.perf_counter()
            for _ in range(inner):
                step()
            dt = time.perf_counter() - t0
            c.samples.append(dt / inner * c.scale * 1e3)
        if log:
            print(f"\r  rep {rep + 1}/{reps} ({time.perf_counter() - t_start:.0f} s)", end="", file=sys.stderr,
                  flush=True)
    if log:
        print(file=sys.stderr)
    return contenders


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def summarize(contenders, refs=("numpy", "torch", "micrograd")):
    """Rows: name, median, q1, q3, and for each reference present the ratio of medians and the paired ratio
    (median over repetitions of this/reference in the same repetition; steadier when load drifts)."""
    by_name = {c.name: c for c in contenders}
    rows = []
    for c in contenders:
        q1, q3 = quartiles(c.samples)
        row = dict(name=c.name, median=statistics.median(c.samples), q1=q1, q3=q3, inner=c.inner, note=c.note,
                   samples=list(c.samples))
        for ref in refs:
            r = by_name.get(ref)
            if r is not None and r.samples:
                row[f"x_{ref}"] = row["median"] / statistics.median(r.samples)
                row[f"x_{ref}_paired"] = statistics.median(a / b for a, b in zip(c.samples, r.samples))
        rows.append(row)
    return rows


def _fmt_ms(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _fmt_x(v):
    if v is None:
        return "-"
    return f"{v:.0f}x" if v >= 100 else f"{v:.2f}x" if v >= 0.01 else f"{v:.1e}x"


def print_table(title, rows, unit="ms/step", refs=("numpy", "torch", "micrograd")):
    refs = [r for r in refs if any(f"x_{r}" in row for row in rows)]
    head = ["contender", f"median {unit}", "IQR (q1-q3)", "steps/rep"] + [f"x{r}" for r in refs]
    body = []
    for row in rows:
        body.append([row["name"], _fmt_ms(row["median"]), f"{_fmt_ms(row['q1'])}-{_fmt_ms(row['q3'])}",
                     str(row["inner"])] + [_fmt_x(row.get(f"x_{r}")) for r in refs])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print("  ".join(s.ljust(w) if i == 0 else s.rjust(w) for i, (s, w) in enumerate(zip(b, widths))))
    notes = [f"  {row['name']}: {row['note']}" for row in rows if row["note"]]
    if notes:
        print("\n".join(notes))
    print("xREF = median / median of REF from this same run (paired ratios are in --json)")


def target_line(what, rows, contender, ref, limit, higher_is_better=False):
    """One final line: the measured ratio against the target, and MET / NOT MET."""
    row = next((r for r in rows if r["name"] == contender), None)
    if row is None or f"x_{ref}" not in row:
        line = f"TARGET {what}: cannot evaluate ({contender} or {ref} did not run)"
    elif higher_is_better:          # "at least `limit` times faster than ref"
        speedup = 1.0 / row[f"x_{ref}"]
        ok = speedup >= limit
        line = (f"TARGET {what}: {contender} is {speedup:.2f}x faster than {ref} "
                f"(paired {1.0 / row[f'x_{ref}_paired']:.2f}x); target >= {limit:g}x faster: "
                f"{'MET' if ok else 'NOT MET'}")
    else:
        ratio = row[f"x_{ref}"]
        ok = ratio <= limit
        line = (f"TARGET {what}: {contender} / {ref} = {ratio:.2f}x (paired {row[f'x_{ref}_paired']:.2f}x); "
                f"target <= {limit:g}x: {'MET' if ok else 'NOT MET'}")
    print(line)
    return line


# ------------------------------------------------------------------------------------------- checks
def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.abs(a - b).max() / (np.abs(b).max() + 1e-12)) if a.size else 0.0


def check_updates(built, init, refs=("torch", "numpy")):
    """Run one step of every (name, step, probe) contender from the same initial weights `init` and compare each
    one's update p1 - p0 with the first reference present in `refs`; prints one check line per contender."""
    updates = {}
    for name, step, probe in built:
        step()
        updates[name] = [p1 - p0 for p1, p0 in zip(probe(), init)]
    ref = next(r for r in refs if r in updates)
    for name in updates:
        if name != ref:
            check(f"{name} SGD update vs {ref}", updates[name], updates[ref])


def check(what, got, ref, tol=2e-3) -> bool:
    """Compare two lists of arrays; print the max relative error, and MISMATCH when it is above tol."""
    err = max(rel_err(a, b) for a, b in zip(got, ref)) if len(got) == len(ref) else math.inf
    status = "ok" if err <= tol else "MISMATCH"
    print(f"check {what}: max rel err {err:.2e} (tol {tol:g}) {status}")
    return err <= tol


# ------------------------------------------------------------------------------------------- CLI
def parser(description, reps, quick_reps):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help=f"smoke test: {quick_reps} short repetitions")
    ap.add_argument("--reps", type=int, default=None, help=f"timed repetitions (default {reps})")
    ap.add_argument("--target-rep-s", type=float, default=None,
                    help="calibrated length of one repetition per contender (default 0.25 s, --quick 0.05 s)")
    ap.add_argument("--json", default=None, help="also write the rows (with every sample) to this JSON file")
    ap.set_defaults(default_reps=reps, quick_reps=quick_reps)
    return ap


def finish_args(args):
    if args.reps is None:
        args.reps = args.quick_reps if args.quick else args.default_reps
    if args.target_rep_s is None:
        args.target_rep_s = 0.05 if args.quick else 0.25
    return args


def environment() -> str:
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    torch = optional_torch(quiet=True)
    if torch is not None:
        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} thread)")
    try:
        import threadpoolctl

        blas = [f"{p['internal_api']} x{p['num_threads']}" for p in threadpoolctl.threadpool_info()
                if p.get("user_api") == "blas"]
        parts.append("BLAS " + ", ".join(blas))
    except ImportError:
        parts.append(f"BLAS threads from env OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    parts.append(f"{os.cpu_count()} cpus")
    return ", ".join(parts)


def write_json(path, name, rows, extra=None):
    if not path:
        return
    with open(path, "w") as f:
        json.dump({"benchmark": name, "environment": environment(), "rows": rows, **(extra or {})}, f, indent=1)
    print(f"wrote {path}")
