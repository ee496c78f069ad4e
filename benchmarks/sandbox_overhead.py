"""What a sandbox costs per submission: process start, numpy import, bubblewrap, one call's round trip.

    .venv/bin/python benchmarks/sandbox_overhead.py            # ~20 s on 2 cores
    .venv/bin/python benchmarks/sandbox_overhead.py --quick    # a few seconds

Contenders, interleaved (each repetition runs each once, in an order rotated by one place per repetition):
    python -I -c pass            the floor: starting the interpreter
    python -I -c 'import numpy'  what every sandbox's child pays before the student's file
    Sandbox, no bwrap            start + import a small homework file + one call + close (isolation="none")
    Sandbox, bwrap               the same under bubblewrap (skipped where bwrap does not work)
Then, in one open sandbox: the round trip of a call with small arrays (an affine layer on 3x4 inputs) and of
an echo of a 1000x1000 float64 array (8 MB each way).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"      # before numpy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from tinygrad_edu.sandbox import Limits, Sandbox, bwrap_status  # noqa: E402

HOMEWORK = textwrap.dedent("""
    import numpy as np
    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w, b)
    def echo(a):
        return a
""")


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions of each start-up contender")
    parser.add_argument("--calls", type=int, default=300, help="small calls timed in one sandbox")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, 30 calls")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.calls = 3, 30
    folder = tempfile.mkdtemp(prefix="sandbox-bench-")
    path = os.path.join(folder, "layers.py")
    with open(path, "w") as f:
        f.write(HOMEWORK)
    x, w, b = np.random.default_rng(0).standard_normal((3, 4)), np.ones((4, 5)), np.zeros(5)

    def sandbox_run(isolation):
        def run():
            with Sandbox(path, Limits(timeout=60), isolation=isolation) as box:
                box.call("affine_forward", x, w, b)
        return run

    contenders = {
        "python -I -c pass": lambda: subprocess.run([sys.executable, "-I", "-c", "pass"], check=True),
        "python -I -c 'import numpy'": lambda: subprocess.run([sys.executable, "-I", "-c", "import numpy"],
                                                              check=True),
        "Sandbox, no bwrap (start, import, 1 call, close)": sandbox_run("none"),
    }
    bwrap, why = bwrap_status()
    if bwrap:
        contenders["Sandbox, bwrap (start, import, 1 call, close)"] = sandbox_run("bwrap")
    else:
        print(f"skipping the bwrap row: {why}")
    names = list(contenders)
    samples = {name: [] for name in names}
    for fn in contenders.values():             # warm the page cache once
        fn()
    for rep in range(args.reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            samples[name].append(timed(contenders[name]))

    print(f"\nper-sandbox cost, median of {args.reps} (python {sys.version.split()[0]}, numpy {np.__version__})")
    print(f"{'contender':<52} {'median ms':>10} {'min ms':>8}")
    for name in names:
        print(f"{name:<52} {1e3 * statistics.median(samples[name]):>10.1f} {1e3 * min(samples[name]):>8.1f}")

    big = np.random.default_rng(1).standard_normal((1000, 1000))
    for isolation in ["none"] + (["bwrap"] if bwrap else []):
        with Sandbox(path, Limits(timeout=60), isolation=isolation) as box:
            small = [timed(lambda: box.call("affine_forward", x, w, b)) for _ in range(args.calls)]
            large = [timed(lambda: box.call("echo", big)) for _ in range(max(args.calls // 30, 3))]
        print(f"in one sandbox ({isolation:>5}): small call {1e6 * statistics.median(small):7.0f} us, "
              f"8 MB array echoed {1e3 * statistics.median(large):6.1f} ms (medians)")


if __name__ == "__main__":
    main()
