"""Sparse gradient checking of a 100,000-entry weight: check_loss_grad on cs231n's vectorized SVM loss.

W (D=1000, C=100) = 100,000 entries, X (N=128, D), reg 0.1.  check_loss_grad samples max_entries=200 entries
(seeded), so the check costs 2 * 200 + 1 loss evaluations instead of 200,001; everything else it does (copies,
the bit-for-bit mutation check after every call, the verdict) is the overhead printed beside the total.

    .venv/bin/python benchmarks/sparse_gradcheck.py [--reps 7] [--max-entries 200]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"              # one BLAS thread, as the other benchmarks (set before numpy loads)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from tinygrad_edu.gradcheck import check_loss_grad  # noqa: E402

D, C, N, REG = 1000, 100, 128, 0.1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def svm_module():
    path = os.path.join(ROOT, "lessons", "homework", "svm_loss.py")
    spec = importlib.util.spec_from_file_location("svm_loss", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--max-entries", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    W = 1e-3 * rng.standard_normal((D, C))
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    loss = svm_module().svm_loss_vectorized

    evals = 2 * args.max_entries + 1
    checks, one_eval = [], []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        report = check_loss_grad(loss, W, X, y, REG, max_entries=args.max_entries)
        checks.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(20):
            loss(W, X, y, REG)
        one_eval.append((time.perf_counter() - t0) / 20)
    assert report.passed, str(report)
    total, per_eval = statistics.median(checks), statistics.median(one_eval)
    print(report)
    print(f"\nW: {W.size:,} entries, {report['W'].checked} sampled; {args.reps} repetitions, one BLAS thread")
    print(f"median check_loss_grad time: {total * 1e3:.1f} ms  ({evals} loss evaluations of {per_eval * 1e3:.2f} ms "
          f"= {evals * per_eval * 1e3:.1f} ms; checker overhead {max(total - evals * per_eval, 0) * 1e3:.1f} ms)")
    print(f"checking every entry would take {2 * W.size + 1:,} evaluations, about {(2 * W.size + 1) * per_eval:.0f} s")


if __name__ == "__main__":
    main()
