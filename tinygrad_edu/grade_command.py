"""`tinygrad-edu grade ASSIGNMENT.py SUBMISSION_DIR... --out OUT_DIR [--jobs N] [--timeout S] [--memory MB]`.

Loads the TA's assignment (tinygrad_edu.assignment), grades every submission directory (tinygrad_edu.grader)
with a progress bar, writes OUT_DIR/<submission>/results.json (Gradescope's format) and OUT_DIR/summary.csv,
and prints the class table.  Exit status 0 when the grading ran, whatever the scores; 2 when the assignment
file or the arguments are broken (the reason on stderr).
"""

from __future__ import annotations

import os
import sys

GRADE_HELP = """\
ASSIGNMENT.py is the TA's file: a list CHECKS of GradsCheck / LossGradCheck / LayerCheck
(tinygrad_edu.assignment; example: lessons/homework/assignment.py, documented in lessons/homework/README.md,
"Grading a class").  Each SUBMISSION_DIR holds one student's files; each is graded in its own sandboxed
processes, --jobs at a time.

Writes OUT_DIR/<submission>/results.json (Gradescope's autograder format), OUT_DIR/summary.csv (one row per
submission, one column per check) and prints a table of the class with the most common problem per check.
On Gradescope: docs/gradescope/run_autograder.

Exit status: 0 the grading ran (whatever the scores); 2 the assignment file or the arguments are broken.
"""


class UsageError(ValueError):
    """A broken argument (exit status 2)."""


def add_parser(sub, handler):
    import argparse

    from .sandbox import Limits

    p = sub.add_parser("grade", help="grade a class's homework into Gradescope's results.json", epilog=GRADE_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignment", metavar="ASSIGNMENT.py", help="the TA's assignment file")
    p.add_argument("submissions", metavar="SUBMISSION_DIR", nargs="+", help="one directory per submission")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="where results.json files and summary.csv go")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at a time (default: the number of "
                   "cores)")
    defaults = Limits()
    p.add_argument("--timeout", type=float, default=None, help="wall-clock seconds per call of the student's "
                   f"code (default {defaults.timeout:g}; a sandbox's whole run: "
                   f"{defaults.total / defaults.timeout:g} times it)")
    p.add_argument("--memory", type=int, default=None, help="address-space limit of the student's process in MiB "
                   f"(default {defaults.memory_mb})")
    p.set_defaults(func=handler)
    return p


def run(args, console=None):
    """The command: returns its exit status."""
    from .assignment import AssignmentError, load_assignment

    try:
        limits, jobs, directories = _checked_arguments(args)
        assignment = load_assignment(args.assignment)
    except (UsageError, AssignmentError) as error:
        print(f"tinygrad-edu grade: {error}", file=sys.stderr)
        return 2
    return grade_and_report(assignment, directories, args.out, jobs=jobs, limits=limits, console=console)


def grade_and_report(assignment, directories, out, *, jobs, limits, console=None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .grade_report import class_table, write_summary_csv
    from .grader import grade_class

    console = console or Console()
    progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=False)
    with progress:
        task = progress.add_task("", total=len(directories))

        def done(result):
            progress.update(task, advance=1, description=f"{result.name}: {result.score:g}/{result.max_score:g}")

        results = grade_class(assignment, directories, out, jobs=jobs, limits=limits, on_done=done)
    summary = write_summary_csv(results, [c.title for c in assignment.checks], os.path.join(out, "summary.csv"))
    console.print(class_table(results, assignment.checks))
    console.print(f"results: {os.path.join(out, '<submission>', 'results.json')}; summary: {summary}")
    return 0


def _checked_arguments(args):
    from .grader import submission_name
    from .sandbox import Limits

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    limits = {}
    if args.timeout is not None:
        if not args.timeout > 0:
            raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        limits["timeout"] = args.timeout
    if args.memory is not None:
        if not args.memory > 0:
            raise UsageError(f"--memory must be a positive number of MiB, got {args.memory}")
        limits["memory_mb"] = args.memory
    try:
        limits = Limits(**limits)
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    directories = []
    for d in args.submissions:
        if not os.path.isdir(d):
            raise UsageError(f"a submission must be a directory of the student's files: {d!r} is "
                             f"{'a file' if os.path.exists(d) else 'not there'}")
        directories.append(d)
    names = [submission_name(d) for d in directories]
    if "summary.csv" in names or "" in names:
        raise UsageError("a submission directory named 'summary.csv' (or the root /) would put its results where "
                         "OUT_DIR/summary.csv goes: rename it")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"two submission directories share the name {twice} (OUT_DIR/<name>/results.json would "
                         "collide): give them different names")
    out = os.path.abspath(args.out)
    for d in directories:
        if out == os.path.abspath(d) or out.startswith(os.path.abspath(d) + os.sep):
            raise UsageError(f"--out {args.out!r} is inside the submission {d!r}: choose a directory outside it")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot write to --out {args.out!r}: {error}") from None
    return limits, args.jobs or os.cpu_count() or 1, directories
