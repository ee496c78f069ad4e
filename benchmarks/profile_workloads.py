"""Where tinygrad_edu's time goes in the three benchmark workloads (mlp_step, overhead, scalar_mlp).

For each workload: a cProfile of the tinygrad_edu step (top functions by own time), the share of the step
spent in Python's cyclic garbage collector (timed through gc.callbacks, and as step time with the collector on
vs off, interleaved), and for overhead/scalar_mlp a per-op breakdown in microseconds (forward of one op against
the bare numpy/float operation, backward per node).  With --pyinstrument (pip install pyinstrument) a
statistical call tree is printed as well; it distorts small functions less than cProfile does.

    .venv/bin/python benchmarks/profile_workloads.py [mlp_step|overhead|scalar_mlp ...] [--top 20]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import time
import timeit

import common
import mlp_step
import numpy as np
import overhead
import scalar_mlp

import tinygrad_edu as tg
from tinygrad_edu import autograd


def edu_steps():
    """{workload: (step, steps per profile, iterations per step for per-iteration figures)}."""
    X, y, init = mlp_step.make_data()
    mlp, _ = mlp_step.build_edu(X, y, init)
    x = tg.Tensor(np.random.default_rng(6).standard_normal((4, 4), dtype=np.float32), requires_grad=True)

    def ov():
        overhead.chain(x).sum().backward()
        x.grad = None

    Xs, ys = scalar_mlp.two_moons()
    scalar, _, _ = scalar_mlp.build_scalar(tg.Scalar, Xs, ys, scalar_mlp.make_init())
    return {"mlp_step": (mlp, 300), "overhead": (ov, 20_000), "scalar_mlp": (scalar, 3)}


def profile(step, n, top):
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        step()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    print(text[text.index("ncalls") - 3:] if "ncalls" in text else text)


def gc_share(step, n, reps=5):
    """(ms per step with gc on, with gc off, ms per step inside collections, collections per step)."""
    spent, count, started = [0.0], [0], [0.0]

    def callback(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]
            count[0] += 1

    on, off, inside, colls = [], [], [], []
    for _ in range(reps):
        for enabled in (True, False):
            gc.collect()
            spent[0], count[0] = 0.0, 0
            gc.callbacks.append(callback)
            if not enabled:
                gc.disable()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            dt = (time.perf_counter() - t0) / n * 1e3
            gc.enable()
            gc.callbacks.remove(callback)
            if enabled:
                on.append(dt)
                inside.append(spent[0] / n * 1e3)
                colls.append(count[0] / n)
            else:
                off.append(dt)
    return statistics.median(on), statistics.median(off), statistics.median(inside), statistics.median(colls)


def us(stmt, glb, number=20_000):
    return min(timeit.repeat(stmt, number=number, repeat=5, globals=glb)) / number * 1e6


def per_op_tensor():
    x = tg.Tensor(np.ones((4, 4), np.float32), requires_grad=True)
    xd = x.data
    glb = dict(x=x, xd=xd, np=np, chain=overhead.chain, autograd=autograd)
    print("per op, 4x4 float32, gc off (timeit), microseconds:")
    for label, stmt in (("numpy xd * 2.0", "xd * 2.0"), ("tinygrad_edu x * 2.0", "x * 2.0"),
                        ("numpy xd * xd", "xd * xd"), ("tinygrad_edu x * x", "x * x"),
                        ("numpy np.maximum(xd, 0)", "np.maximum(xd, 0)"), ("tinygrad_edu x.relu()", "x.relu()"),
                        ("numpy xd.sum()", "xd.sum()"), ("tinygrad_edu x.sum()", "x.sum()")):
        print(f"  {label:30s} {us(stmt, glb):7.2f}")
    fwd = us("chain(x).sum()", glb, 3000)
    full = us("r = chain(x).sum(); r.backward(); x.grad = None", glb, 3000)
    print(f"  chain forward (11 nodes)       {fwd:7.1f}  = {fwd / 11:.2f} per node")
    print(f"  chain forward + backward       {full:7.1f}  -> backward {full - fwd:.1f} = {(full - fwd) / 11:.2f} "
          "per node")


def per_op_scalar():
    a, b = tg.Scalar(1.5), tg.Scalar(-0.5)
    fa, fb = 1.5, -0.5
    glb = dict(a=a, b=b, fa=fa, fb=fb)
    print("per op, Scalar, gc off (timeit), microseconds:")
    for label, stmt in (("float fa * fb", "fa * fb"), ("Scalar a * b", "a * b"), ("Scalar a + b", "a + b"),
                        ("Scalar 2.0 * a", "2.0 * a"), ("Scalar a.relu()", "a.relu()")):
        print(f"  {label:30s} {us(stmt, glb):7.2f}")
    try:
        from micrograd.engine import Value
    except ImportError:
        return
    glb.update(va=Value(1.5), vb=Value(-0.5))
    for label, stmt in (("micrograd va * vb", "va * vb"), ("micrograd va + vb", "va + vb")):
        print(f"  {label:30s} {us(stmt, glb):7.2f}")


def scalar_phases(reps=3):
    """Forward (graph build), backward and freeing, ms per step, gc on and off."""
    Xs, ys = scalar_mlp.two_moons()
    init = scalar_mlp.make_init()
    contenders = [("tinygrad_edu.Scalar", tg.Scalar)]
    Value = common.optional_micrograd()
    if Value is not None:
        contenders.append(("micrograd", Value))
    built = {name: scalar_mlp.build_scalar(V, Xs, ys, init)[2] for name, V in contenders}
    times = {}
    for _ in range(reps):
        for name, loss in built.items():
            for enabled in (True, False):
                gc.collect()
                if not enabled:
                    gc.disable()
                t0 = time.perf_counter()
                total = loss()
                t1 = time.perf_counter()
                total.backward()
                t2 = time.perf_counter()
                del total
                t3 = time.perf_counter()
                gc.enable()
                times.setdefault((name, enabled), []).append((t1 - t0, t2 - t1, t3 - t2))
    print("scalar_mlp phases, ms per step (median):")
    for (name, enabled), v in times.items():
        f, b, d = (statistics.median(x[i] for x in v) * 1e3 for i in range(3))
        print(f"  {name:20s} gc {'on ' if enabled else 'off'}  forward {f:6.0f}  backward {b:6.0f}  "
              f"free graph {d:5.0f}  total {f + b + d:6.0f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workloads", nargs="*", default=["mlp_step", "overhead", "scalar_mlp"])
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--pyinstrument", action="store_true", help="also print a pyinstrument call tree")
    args = ap.parse_args(argv)
    common.pin_threads()
    print(common.environment())
    steps = edu_steps()
    for name in args.workloads:
        step, n = steps[name]
        print(f"\n======== {name}: cProfile of {n} tinygrad_edu steps (own time, sorted)")
        for _ in range(min(n, 20)):
            step()
        profile(step, n, args.top)
        if args.pyinstrument:
            try:
                import pyinstrument
            except ImportError:
                print("pyinstrument not installed (pip install pyinstrument)")
            else:
                p = pyinstrument.Profiler(interval=0.0002)
                with p:
                    for _ in range(n):
                        step()
                print(p.output_text(unicode=False, color=False, show_all=False))
        m = max(1, n // 10)
        on, off, inside, colls = gc_share(step, m)
        print(f"garbage collector: {on:.3f} ms/step with gc on, {off:.3f} with gc off; {inside:.3f} ms/step inside "
              f"{colls:.0f} collections ({100 * inside / on:.0f}% of the step)")
        if name == "overhead":
            per_op_tensor()
        if name == "scalar_mlp":
            per_op_scalar()
            scalar_phases()


if __name__ == "__main__":
    main()
