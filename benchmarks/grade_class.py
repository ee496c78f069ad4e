"""The class grader at class scale: 100 small submissions graded with the example assignment.

The issue asks that `tinygrad-edu grade lessons/homework/assignment.py <100 dirs>` takes under a minute on 2
cores.  This makes 100 submissions (copies of lessons/homework with a planted mistake in about half of them,
tests/grade_samples.py), grades them the way the command does (the assignment loaded once, `--jobs` submissions
at a time, results.json and summary.csv written), checks that every planted mistake failed its check and every
clean submission scored 100, and prints the wall time.  It then measures the sandbox's own cost per
submission: starting a sandboxed child (process, bubblewrap, the numpy import) and one call's round trip.

    .venv/bin/python benchmarks/grade_class.py [--n 100] [--jobs 2] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402

from tests.grade_samples import ASSIGNMENT, FILES, HOMEWORK, MISTAKES, make_submission  # noqa: E402
from tinygrad_edu.assignment import load_assignment  # noqa: E402
from tinygrad_edu.grade_boxes import SubmissionBoxes  # noqa: E402
from tinygrad_edu.grade_command import grade_and_report  # noqa: E402
from tinygrad_edu.sandbox import Limits  # noqa: E402

LIMIT_SECONDS = 60.0


def make_class(root, n):
    """n submissions: every other one clean, the rest with one planted mistake each (cycling through MISTAKES)."""
    planted, names = {}, list(MISTAKES)
    for i in range(n):
        mistakes = [] if i % 2 == 0 else [names[(i // 2) % len(names)]]
        make_submission(root, f"student{i:03d}", mistakes)
        planted[f"student{i:03d}"] = mistakes
    return planted


def grade_once(n, jobs):
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        planted = make_class(os.path.join(tmp, "subs"), n)
        dirs = [os.path.join(tmp, "subs", name) for name in planted]
        out = os.path.join(tmp, "out")
        console = Console(file=io.StringIO(), width=160)
        start = time.perf_counter()
        assignment = load_assignment(ASSIGNMENT)
        status = grade_and_report(assignment, dirs, out, jobs=jobs, limits=Limits(), console=console)
        seconds = time.perf_counter() - start
        wrong = _verify(out, planted)
    return seconds, status, wrong, console.file.getvalue()


def _verify(out, planted):
    """Submissions whose scores do not match what was planted (should be none)."""
    import json

    wrong = []
    for name, mistakes in planted.items():
        with open(os.path.join(out, name, "results.json")) as f:
            data = json.load(f)
        failed = sorted(t["name"] for t in data["tests"] if t["status"] == "failed")
        if failed != sorted(MISTAKES[m][3] for m in mistakes):
            wrong.append((name, mistakes, failed))
    return wrong


def sandbox_cost(reps):
    """Median seconds of the grader's own sandbox for one submission (tinygrad_edu.grade_boxes): start (copy,
    process, bubblewrap, numpy import, the student's four files), one call's round trip, close."""
    x, w, b = np.ones((5, 4)), np.ones((4, 3)), np.ones(3)
    files = [os.path.join(HOMEWORK, f) for f in FILES]
    starts, calls, closes, isolation = [], [], [], ""
    for _ in range(reps):
        t0 = time.perf_counter()
        boxes = SubmissionBoxes(HOMEWORK, files, Limits())
        box, resolve = boxes.get(os.path.join(HOMEWORK, "layers.py"))
        forward = resolve("affine_forward")
        t1 = time.perf_counter()
        for _ in range(50):
            box.call_handle(forward, x, w, b)
        t2 = time.perf_counter()
        isolation = box.isolation.split(";")[0]
        boxes.close()
        t3 = time.perf_counter()
        starts.append(t1 - t0)
        calls.append((t2 - t1) / 50)
        closes.append(t3 - t2)
    return statistics.median(starts), statistics.median(calls), statistics.median(closes), isolation


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="as grade --jobs (default: cores)")
    parser.add_argument("--reps", type=int, default=1, help="gradings of the whole class")
    parser.add_argument("--quick", action="store_true", help="10 submissions, one repetition")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    n = 10 if args.quick else args.n
    print(common.environment())
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    start, call, close, isolation = sandbox_cost(5 if args.quick else 15)
    print(f"sandbox ({isolation}): start {start * 1e3:.0f} ms (copy, process, numpy import, the four files), "
          f"call {call * 1e6:.0f} us round trip, close {close * 1e3:.0f} ms")
    print(f"one submission opens one sandbox for its {len(FILES)} files (one per file only when an import "
          f"fails): {(start + close) * 1e3:.0f} ms of sandbox start and close")
    times = []
    for _ in range(args.reps):
        seconds, status, wrong, table = grade_once(n, args.jobs)
        times.append(seconds)
        print(f"grading {n} submissions, --jobs {args.jobs}: {seconds:.1f} s ({seconds / n * 1e3:.0f} ms per "
              f"submission), exit status {status}, load average {os.getloadavg()[0]:.2f}")
        if wrong:
            print(f"WRONG VERDICTS: {wrong}")
    print(table)
    best = min(times)
    scaled = best * 100 / n
    print(f"TARGET 100 submissions under {LIMIT_SECONDS:.0f} s on 2 cores: "
          f"{'MET' if scaled < LIMIT_SECONDS and not wrong else 'NOT MET'} ({scaled:.1f} s for 100, best of "
          f"{len(times)})")
    if args.json:
        common.write_json(args.json, "grade_class", [], {"n": n, "jobs": args.jobs, "seconds": times,
                                                         "sandbox_start_s": start, "sandbox_call_s": call,
                                                         "sandbox_close_s": close, "isolation": isolation})


if __name__ == "__main__":
    main()
