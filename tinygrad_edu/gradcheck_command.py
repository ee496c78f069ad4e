"""`tinygrad-edu gradcheck FILE.py:FUNCTION [--timeout S] [--memory MB] [--max-entries N] [--seed S]`.

The student's file runs in a sandbox (homework_submission.check_submission); this module parses the target,
prints the reports, the failure or the usage error, and returns the exit status: 0 every gradient matches,
1 FAIL (a wrong gradient, or the homework code failed: raised, exited, timed out, ran out of memory, sent
something that is not data), 2 usage error (no such file or function, bad options).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

GRADCHECK_HELP = """\
FILE.py:FUNCTION names a function of your homework file that takes no arguments and returns what to check:
a dict of one checker's arguments, or a list of such dicts.

  {"loss_fn": f, "params": {...}, "grads": {...}}      check_grads: f() reads the params arrays
  {"fn": svm_loss_naive, "W": W, "args": (X, y, reg)}  check_loss_grad: fn(W, *args) -> (loss, dW)
  {"forward": f, "backward": b, "inputs": (x, w, b)}   check_layer: f(*inputs) -> (out, cache),
                                                       b(dout, cache) -> grads

Example, in two_layer_net.py:

  def check():
      net, x, t = small_problem()
      return {"loss_fn": lambda: net.loss(x, t), "params": net.params, "grads": net.gradient(x, t)}

  $ tinygrad-edu gradcheck two_layer_net.py:check

Your file runs in a separate, sandboxed process (a time and a memory limit, a fresh working directory; under
bubblewrap a read-only file system and no network). It only evaluates your functions at the points the checker
sends; the checker draws dout and the entries itself and computes every difference and verdict. Anything else
your function returns (a report, a verdict) is not accepted.

Exit status: 0 every gradient matches; 1 FAIL: a gradient is wrong, or the homework code failed (raised,
exited, timed out, ran out of memory, returned something that is not a check); 2 bad usage (no such file or
function, the function needs arguments, bad options).
"""


def add_parser(sub, func):
    """The `gradcheck` subcommand on an argparse subparsers object."""
    import argparse

    p = sub.add_parser("gradcheck", help="check a homework's hand-written gradients (in a sandbox)",
                       epilog=GRADCHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="FILE.py:FUNCTION", help="a function without arguments that returns what to check")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds each call of your code may take (default 30)")
    p.add_argument("--memory", type=int, default=2048, help="memory limit of your code's process in MiB (default 2048)")
    p.add_argument("--max-entries", type=int, default=None, help="check at most this many entries per array "
                   "(sampled; default 200)")
    p.add_argument("--seed", type=int, default=None, help="seed of the sampling of entries (default: random)")
    p.set_defaults(func=func)
    return p


def _usage(message):
    print(f"tinygrad-edu gradcheck: {message}", file=sys.stderr)
    return 2


def run(args, console=None):
    """Run the command for parsed args; the exit status."""
    from rich.console import Console

    from .homework_check import MAX_ENTRIES
    from .homework_submission import CheckUsageError, check_submission
    from .sandbox import Limits

    path, sep, function = args.target.rpartition(":")
    if not sep or not path or not function:
        return _usage(f"expected FILE.py:FUNCTION (e.g. lessons/homework/two_layer_net.py:check), got "
                      f"{args.target!r}\n\n{GRADCHECK_HELP}")
    if not os.path.isfile(path):
        return _usage(f"no such file: {path}")
    if not function.isidentifier():
        return _usage(f"{function!r} is not a function name")
    if args.seed is not None and args.seed < 0:
        return _usage(f"--seed must be a whole number >= 0, got {args.seed}")
    if args.max_entries is not None and args.max_entries < 1:
        return _usage(f"--max-entries must be at least 1, got {args.max_entries}")
    try:
        limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    except ValueError as error:
        return _usage(f"--timeout and --memory must be positive ({error})")
    try:
        result = check_submission(path, function, limits=limits, seed=args.seed,
                                  max_entries=args.max_entries if args.max_entries is not None else MAX_ENTRIES)
    except CheckUsageError as error:
        return _usage(str(error))
    if result.usage_error is not None:
        return _usage(f"{result.usage_error}\n\n{GRADCHECK_HELP}")
    console = console or Console()
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text.strip():                   # shown as the student's, before the verdict, never as one
            console.print(f"[dim]--- what your code wrote to {stream} (not the checker's verdict) ---[/dim]")
            console.print(text.rstrip(), markup=False, highlight=False)
            console.print(f"[dim]--- end of your code's {stream} ---[/dim]")
    for report in result.reports:
        replace(report, isolation="").print(console)      # the isolation is said once, below
    if result.failure is not None:
        console.print("FAIL: " + result.failure, style="bold red", highlight=False, markup=False, soft_wrap=True)
        if result.failure_traceback.strip():
            console.print(result.failure_traceback.rstrip(), markup=False, highlight=False)
    verdict = "passed" if result.passed else "FAILED"
    console.print(f"tinygrad-edu gradcheck {args.target}: {verdict}", highlight=False, markup=False, soft_wrap=True)
    console.print(f"ran in: {result.isolation}", style="dim", highlight=False, markup=False, soft_wrap=True)
    return result.exit_code
