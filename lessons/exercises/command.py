"""The exercise commands of `tinygrad-edu` (registered by tinygrad_edu/cli.py).

    tinygrad-edu exercises [--dir DIR]                     the exercises, their lessons and notes, your copies' status
    tinygrad-edu exercise start N [DIR] [--force]          copy stub N into DIR (default ./my_exercises/)
    tinygrad-edu exercise check N [FILE] [--timeout S]     check your copy (default ./my_exercises/<its file>)

Exit status of `check`: 0 every part passes, 1 a part fails (or your code failed), 2 bad usage (no such exercise,
no such file).  `start` never overwrites a copy you may have edited unless --force is given.
"""

from __future__ import annotations

import os
import shutil
import sys

from . import DEFAULT_DIR, EXERCISES, get


def status(exercise, folder=DEFAULT_DIR) -> str:
    """'not started', 'started, not edited yet' or 'edited' for the copy of `exercise` in `folder`."""
    path = os.path.join(folder, exercise.file)
    if not os.path.isfile(path):
        return "not started"
    with open(path, encoding="utf-8") as mine, open(exercise.stub, encoding="utf-8") as stub:
        return "started, not edited yet" if mine.read() == stub.read() else "edited"


def cmd_list(args):
    from rich.console import Console
    from rich.table import Table

    table = Table(title="tinygrad_edu exercises")
    for column in ("N", "exercise (stub in lessons/exercises/)", "lesson", "notes", f"your copy in {args.dir}/"):
        table.add_column(column, justify="right" if column in ("N", "lesson") else "left")
    for e in EXERCISES:
        name = f"{e.name}\n[dim]{e.file}[/dim]"
        table.add_row(str(e.number), name, e.lessons, e.notes, status(e, args.dir))
    Console().print(table)
    print("start one:  tinygrad-edu exercise start N      check it:  tinygrad-edu exercise check N")
    return 0


def cmd_start(args):
    try:
        exercise = get(args.number)
    except ValueError as error:
        print(f"tinygrad-edu exercise start: {error}", file=sys.stderr)
        return 2
    folder = args.dir or DEFAULT_DIR
    target = os.path.join(folder, exercise.file)
    if os.path.exists(target) and not args.force:
        print(f"tinygrad-edu exercise start: {target} already exists ({status(exercise, folder)}); it is left as it "
              "is. Check it with `tinygrad-edu exercise check "
              f"{exercise.number}{'' if folder == DEFAULT_DIR else ' ' + target}`, or start again with --force "
              "(that overwrites your copy)", file=sys.stderr)
        return 2
    try:
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(exercise.stub, target)
    except OSError as error:
        print(f"tinygrad-edu exercise start: cannot write {target}: {error}", file=sys.stderr)
        return 2
    check = f"tinygrad-edu exercise check {exercise.number}" + ("" if folder == DEFAULT_DIR else f" {target}")
    print(f"exercise {exercise.number} ({exercise.name}): {target}\n"
          f"write the TODO blocks of {', '.join(exercise.functions)}, then run:  {check}\n"
          f"({'lessons' if ',' in exercise.lessons else 'lesson'} {exercise.lessons}: the explanation; the file's "
          "docstring: the formula)")
    return 0


def cmd_check(args):
    from rich.console import Console

    from tinygrad_edu.exercise_check import check_exercise
    from tinygrad_edu.sandbox import Limits

    from .checks import parts

    try:
        exercise = get(args.number)
    except ValueError as error:
        print(f"tinygrad-edu exercise check: {error}", file=sys.stderr)
        return 2
    path = args.file or os.path.join(DEFAULT_DIR, exercise.file)
    if not os.path.isfile(path):
        hint = f"start it with `tinygrad-edu exercise start {exercise.number}`" if args.file is None else \
            "give the path of your copy"
        print(f"tinygrad-edu exercise check: no file {path}: {hint}", file=sys.stderr)
        return 2
    if not path.endswith(".py"):
        print(f"tinygrad-edu exercise check: {path} is not a Python file (.py)", file=sys.stderr)
        return 2
    try:
        limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    except (TypeError, ValueError) as error:
        print(f"tinygrad-edu exercise check: {error}", file=sys.stderr)
        return 2
    report = check_exercise(path, parts(exercise.number, args.seed), title=f"exercise {exercise.number}: "
                            f"{exercise.name}", limits=limits, seed=args.seed)
    print_report(report, Console())
    return report.exit_code


def print_report(report, console):
    """The report with ok/FAIL coloured (rich), one line per part and per output compared."""
    from rich.text import Text

    console.print(Text(f"{report.title}  ({report.path})", style="bold"))
    for part in report.parts:
        console.print(Text.assemble(("ok  " if part.passed else "FAIL", "green" if part.passed else "bold red"),
                                    f" {part.title}"))
        for line in part.lines:
            good = line.startswith("ok")
            console.print(Text.assemble("      ", (line[:4], "green" if good else "red"), line[4:]))
        if part.failure:
            console.print(Text(f"      {part.failure}", style="yellow"))
        for said in part.diagnoses:
            console.print(Text(f"      diagnosis: {said}", style="red"))
    verdict = str(report).splitlines()[-2 if report.isolation else -1]
    console.print(Text(verdict, style="bold green" if report.passed else "bold red"))
    if report.stdout.strip():
        console.print(Text(f"your code printed:\n{report.stdout.rstrip()}", style="dim"))
    if report.isolation:
        console.print(Text(f"(your code ran in a sandbox: {report.isolation})", style="dim"))


def add_parsers(sub):
    """Register `exercises` and `exercise start|check` on the tinygrad-edu subparsers."""
    p = sub.add_parser("exercises", help="list the exercises and the status of your copies")
    p.add_argument("--dir", default=DEFAULT_DIR, help=f"where your copies are (default: {DEFAULT_DIR})")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("exercise", help="start or check an exercise (tinygrad-edu exercise start|check N)")
    verbs = p.add_subparsers(dest="verb", required=True)
    s = verbs.add_parser("start", help="copy the stub of exercise N into DIR (default: my_exercises)")
    s.add_argument("number", type=int, metavar="N")
    s.add_argument("dir", nargs="?", default=None, metavar="DIR")
    s.add_argument("--force", action="store_true", help="overwrite an existing copy (your work in it is lost)")
    s.set_defaults(func=cmd_start)
    c = verbs.add_parser("check", help="check your copy of exercise N (exit 0 pass, 1 fail, 2 usage)")
    c.add_argument("number", type=int, metavar="N")
    c.add_argument("file", nargs="?", default=None, metavar="FILE",
                   help=f"default: {DEFAULT_DIR}/<the exercise's file>")
    c.add_argument("--timeout", type=float, default=30.0, help="seconds each call of your code may take (default 30)")
    c.add_argument("--memory", type=int, default=2048, help="MiB of memory your code may use (default 2048)")
    c.add_argument("--seed", type=int, default=0, help="seed of the inputs the check draws (default 0)")
    c.set_defaults(func=cmd_check)
