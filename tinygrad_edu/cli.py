"""The `tinygrad-edu` command (also `python -m tinygrad_edu`).

    tinygrad-edu lessons [--html DIR] [--notebook DIR]   list the lessons (--html: every lesson as a web page,
                                                 --notebook: every lesson as a Jupyter notebook)
    tinygrad-edu lesson N [--step] [--fast] [--out DIR] [--html DIR] [--notebook DIR [--execute]]   run lesson N;
                                                 --out writes its pictures (SVG + DOT), --html the lesson as a
                                                 page (lessons/html_lesson.py), --notebook as a notebook
                                                 (lessons/notebook.py)
    tinygrad-edu gradcheck FILE.py:FUNCTION      check hand-written gradients, sandboxed (gradcheck_command.py)
    tinygrad-edu render N | FILE.py[:FUNCTION]   write a lesson's pictures, or a script's graph (visualize/command.py)
    tinygrad-edu grade ASSIGNMENT.py DIR... --out OUT   grade a class into Gradescope's results.json (grade_command.py)
    tinygrad-edu exercises | exercise start N [DIR] | exercise check N [FILE]   the exercises (lessons/exercises/)

The only engine module that may import `lessons` and `visualize`, and only inside the commands.
"""

from __future__ import annotations

import argparse
import os
import sys


def _cmd_lessons(args):
    from rich.console import Console
    from rich.table import Table

    import lessons

    if args.html is not None:
        from lessons.html_lesson import write_all

        print("\n".join(write_all(args.html, fast=args.fast)))
        return 0
    if args.notebook is not None:
        from lessons.notebook import write_all as write_notebooks

        print("\n".join(write_notebooks(args.notebook, fast=args.fast, execute=args.execute)))
        return 0
    table = Table(title="tinygrad_edu lessons")
    table.add_column("N", justify="right")
    table.add_column("lesson (script in lessons/)", ratio=1)
    table.add_column("notes")
    table.add_column("run time", justify="right", no_wrap=True)
    for info in lessons.available():
        title = f"{info.title.split(': ', 1)[-1]}\n[dim]{os.path.basename(info.path)}[/dim]"
        table.add_row(str(info.number), title, info.notes, info.run_time or "?")
    Console().print(table)
    print("run time: at full settings on 2 cores (--fast is quicker); measured by benchmarks/lesson_full.py")
    return 0


def _cmd_lesson(args):
    import lessons
    from lessons.runner import Lesson, finish

    try:
        module = lessons.load(args.number)
    except ValueError as error:
        print(f"tinygrad-edu lesson: {error}", file=sys.stderr)
        return 2
    if args.out is not None:
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as error:
            print(f"tinygrad-edu lesson: cannot write pictures to --out {args.out!r}: {error}", file=sys.stderr)
            return 2
    if args.html is not None:
        from lessons.html_lesson import write_lesson

        print(write_lesson(args.number, args.html, fast=args.fast))
        return 0
    if args.notebook is not None:
        from lessons.notebook import write_notebook

        print(write_notebook(args.number, args.notebook, fast=args.fast, execute=args.execute))
        return 0
    lesson = Lesson(out=args.out, step=args.step, fast=args.fast)
    return finish(lesson, module.run, args.number)


def _cmd_gradcheck(args):
    from .gradcheck_command import run

    return run(args)


def _cmd_render(args):
    try:
        if args.target.isdigit() and args.format == "html":
            from lessons.html_lesson import render_pictures_html

            paths = render_pictures_html(int(args.target), args.out)
        elif args.target.isdigit():
            from lessons.runner import render_lesson

            paths = render_lesson(int(args.target), args.out, args.format)
        else:
            from visualize.command import parse_collapse, render_script

            paths = render_script(args.target, args.out, args.format, args.direction, parse_collapse(args.collapse),
                                  args.bptt, args.max_nodes)
    except (ValueError, FileNotFoundError) as error:
        print(f"tinygrad-edu render: {error}", file=sys.stderr)
        return 2
    print("\n".join(paths))
    return 0


def _cmd_grade(args):
    from .grade_command import run

    return run(args)


def _notebook_arguments(p, help_text):
    p.add_argument("--notebook", default=None, metavar="DIR", help=help_text)
    p.add_argument("--execute", action="store_true", help="with --notebook: run it (nbclient) and save the outputs")


def build_parser():
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description="An educational autograd engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("lessons", help="list the lessons (--html DIR: write them all as web pages)")
    p.add_argument("--html", default=None, metavar="DIR", help="write every lesson as a web page, and DIR/index.html")
    p.add_argument("--fast", action="store_true", help="with --html: the reduced versions (fewer epochs and samples)")
    _notebook_arguments(p, "write every lesson as a Jupyter notebook DIR/lessonNN.ipynb")
    p.set_defaults(func=_cmd_lessons)
    p = sub.add_parser("lesson", help="run one lesson")
    p.add_argument("number", type=int)
    p.add_argument("--step", action="store_true", help="pause between steps (only when attached to a terminal)")
    p.add_argument("--out", default=None, help="write the lesson's pictures (SVG and DOT) to this directory")
    p.add_argument("--fast", action="store_true", help="a reduced version (fewer epochs and samples), as the tests run")
    p.add_argument("--html", default=None, metavar="DIR", help="write the lesson as a web page DIR/lessonNN.html "
                   "(narrative, checks, tables, pictures, graphs to step through)")
    _notebook_arguments(p, "write the lesson as a Jupyter notebook DIR/lessonNN.ipynb (generated from the lesson)")
    p.set_defaults(func=_cmd_lesson)
    from .gradcheck_command import add_parser as add_gradcheck_parser

    add_gradcheck_parser(sub, _cmd_gradcheck)
    p = sub.add_parser("render", help="write the pictures of a lesson (N) or of a script's graph (FILE.py[:FUNCTION], "
                       "a function returning the loss or a Digraph; see visualize/command.py)")
    p.add_argument("target", metavar="N | FILE.py[:FUNCTION]")
    p.add_argument("--out", default="out", help="directory for the pictures (default: out)")
    p.add_argument("--format", default="svg", choices=("svg", "png", "pdf", "html"),
                   help="html: an interactive page per graph (step forward and backward in a browser)")
    p.add_argument("--direction", default="forward", choices=("forward", "backward", "both"))
    p.add_argument("--collapse", default=None, help="module, time or a scope depth (scripts only)")
    p.add_argument("--bptt", action="store_true", help="the BPTT view: one cluster per time step (scripts only)")
    p.add_argument("--max-nodes", type=int, default=500, help="collapse automatically above this many nodes")
    p.set_defaults(func=_cmd_render)
    from .grade_command import add_parser as add_grade_parser

    add_grade_parser(sub, _cmd_grade)
    from lessons.exercises.command import add_parsers as add_exercise_parsers

    add_exercise_parsers(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
