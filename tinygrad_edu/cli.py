"""The `tinygrad-edu` command (also `python -m tinygrad_edu`).

    tinygrad-edu lessons                         list the lessons
    tinygrad-edu lesson N [--step] [--out DIR]   run lesson N; --out writes its pictures (SVG + DOT)

The only engine module that may import `lessons` and `visualize`, and only inside the commands.
"""

from __future__ import annotations

import argparse
import sys


def _cmd_lessons(args):
    from rich.console import Console
    from rich.table import Table

    import lessons

    table = Table(title="tinygrad_edu lessons")
    table.add_column("N", justify="right")
    table.add_column("lesson")
    table.add_column("script")
    for info in lessons.available():
        table.add_row(str(info.number), info.title, info.path)
    Console().print(table)
    return 0


def _cmd_lesson(args):
    import lessons
    from lessons.runner import Lesson

    try:
        module = lessons.load(args.number)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    lesson = Lesson(out=args.out, step=args.step)
    module.run(lesson)
    lesson.console.print(f"[bold green]lesson {args.number} done[/bold green]: {lesson.checks} checks passed"
                         + (f", {len(lesson.pictures)} pictures in {args.out}" if args.out else ""))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description="An educational autograd engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lessons", help="list the lessons").set_defaults(func=_cmd_lessons)
    p = sub.add_parser("lesson", help="run one lesson")
    p.add_argument("number", type=int)
    p.add_argument("--step", action="store_true", help="pause between steps (only when attached to a terminal)")
    p.add_argument("--out", default=None, help="write the lesson's pictures (SVG and DOT) to this directory")
    p.set_defaults(func=_cmd_lesson)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
