"""What every lesson uses to talk to the student: headings, text, values, self-checks, pictures, pauses.

A lesson is a function `run(lesson)` in a numbered script; `Lesson` prints with rich, pauses between steps
when asked to (`--step`, only when attached to a terminal: it never blocks otherwise), asserts the worked
examples' numbers (a lesson checks itself) and writes its pictures to `out` as SVG (and DOT).  A lesson that calls
`lesson.step_backward(loss, "name")` gets the backward stepper: in --step mode one node per pause, with a picture
of each step.

At a pause (--step in a terminal) one key decides: Enter (or space, n) goes on, b prints the backward stepper
for the lesson's current graph (the last one drawn, stepped or named with `show(..., graph=loss)` /
`lesson.focus(loss)`), q quits the lesson (`LessonQuit`); Ctrl-C there quits too, with exit status 130.

Form: prose wraps at PROSE_WIDTH columns at most (readable on a wide terminal); a panel or formula line wider
than the terminal is split at its column gaps (runs of 3+ spaces) rather than broken mid-formula; a library
warning raised inside a lesson prints as one line; every correction of the notes carries one marker, ERRATUM.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings

import numpy as np
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from tinygrad_edu import memory

KEYS_HELP = "Enter: next   b: backward stepper for the current graph   q: quit"
ERRATUM = "정정 / erratum"         # the one marker of every correction of the notes, in every lesson
PROSE_WIDTH = 100                  # prose wraps here at most, however wide the terminal
RECAP_TITLE = "What you can do now"


class LessonQuit(BaseException):
    """The student pressed q at a pause (a BaseException, so a lesson's `except Exception` does not swallow it)."""


class LessonInterrupted(LessonQuit):
    """Ctrl-C at a pause: the lesson stops with one line and exit status 130 (as a shell reports SIGINT)."""


class Lesson:
    def __init__(self, out=None, step=False, console=None, interactive=None, format="svg", fast=False):
        memory.keep_freed_memory()                    # lessons train: reuse each step's freed memory (opt-in)
        self.out = out
        self.fast = fast                              # --fast: a reduced version (fewer epochs/samples) for tests
        self.format = format                          # of the pictures: svg, png or pdf
        self.console = console or Console()
        if interactive is None:
            interactive = sys.stdin.isatty() and self.console.is_terminal
        self.step_mode = bool(step and interactive)   # pausing needs someone at a terminal
        self.pictures: list[str] = []
        self.checks = 0
        self.results: dict = {}                       # label -> value of every check (benchmarks read them)
        self.steps = 0                                # pauses so far (the prompt shows the count)
        self.graph = None                             # the current graph's output, for the b key
        self.missing = []                             # optional parts skipped (no data): the command exits 2
        self.asked: list = []                         # (question, answer, guess or None) of every lesson.ask
        self.too_wide: list = []                      # formula lines that still overflow once split at their gaps

    # ------------------------------------------------------------------ narrative
    def section(self, title: str):
        self.console.rule(f"[bold]{title}")

    def say(self, text: str):
        width = min(self.console.width, PROSE_WIDTH)
        self.console.print(Markdown(self._fit(_dedent(text), width - 2, code_only=True)), width=width)

    def show(self, title: str, body: str, graph=None):
        """A step of a derivation: a titled panel, then a pause in --step mode.  `graph`: the output (a loss)
        whose backward pass the b key steps through from here on."""
        if graph is not None:
            self.focus(graph)
        body = self._fit(_dedent(body), self.console.width - 4)          # the border and padding take 4 columns
        self.console.print(Panel(body, title=title, expand=False))
        self.pause()

    def erratum(self, text: str):
        """A correction of the notes, with the one marker every lesson uses (listed in lessons/README.md)."""
        self.say(f"**{ERRATUM}**: {_dedent(text)}")

    def recap(self, *lines: str):
        """The lesson's closing recap: three lines saying what the student can now do (before "Now you")."""
        if len(lines) != 3:
            raise ValueError(f"Lesson.recap: a recap has three lines, got {len(lines)}")
        self.section(RECAP_TITLE)
        self.say("\n".join(f"- {_dedent(line)}" for line in lines))

    def warning(self, message) -> None:
        """A library warning as one line: its first sentence, cut to the terminal's width."""
        text = " ".join(str(message).split())
        first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0]
        room = max(20, self.console.width - len("warning: "))
        first = first if len(first) <= room else first[:room - 3] + "..."
        self.console.print(f"[yellow]warning:[/yellow] {escape(first)}")

    def _fit(self, text: str, width: int, code_only=False) -> str:
        """`text` with every line wider than `width` split at its column gaps (3+ spaces), the pieces indented
        as the line was; `code_only`: only the indented lines of Markdown (its code blocks: formulas)."""
        out = []
        for line in text.split("\n"):
            if len(line) <= width or (code_only and not line.startswith("    ")):
                out.append(line)
                continue
            indent = line[:len(line) - len(line.lstrip())]
            pieces = [p for p in re.split(r" {3,}", line.strip()) if p]
            start, current = len(out), ""
            for piece in pieces:
                if current and len(indent) + len(current) + 3 + len(piece) > width:
                    out.append(indent + current)
                    current = piece
                else:
                    current = f"{current}   {piece}" if current else piece
            out.append(indent + current)
            self.too_wide += [p for p in out[start:] if len(p) > width]
        return "\n".join(out)

    def focus(self, graph):
        """Make `graph` (a Scalar or Tensor output, usually the loss) the current graph for the b key."""
        self.graph = graph

    def table(self, title: str, columns, rows):
        t = Table(title=title)
        for c in columns:
            t.add_column(str(c), justify="right")
        for r in rows:
            t.add_row(*[_fmt(v) for v in r])
        self.console.print(t)

    def pause(self):
        """In --step mode wait for a key: Enter goes on, b shows the backward stepper, q quits."""
        if not self.step_mode:
            return
        self.steps += 1
        while True:
            try:
                key = self.read_key(f"[dim]-- step {self.steps} -- {KEYS_HELP} --[/dim] ")
            except KeyboardInterrupt:                  # Ctrl-C (cbreak mode keeps the terminal's signals)
                self.console.print(f"\n[bold]stopped at step {self.steps}[/bold] (Ctrl-C)")
                raise LessonInterrupted(self.steps) from None
            if key in ("", "\r", "\n", " ", "n"):
                return
            if key in ("q", "Q", "\x03", "\x04"):
                self.console.print(f"[bold]stopped at step {self.steps}[/bold] (q)")
                raise LessonQuit(self.steps)
            if key in ("b", "B"):
                self.show_stepper()
            else:
                self.console.print(f"[yellow]unknown key {key!r}[/yellow]: {KEYS_HELP}")

    def read_key(self, prompt: str) -> str:
        """One key press from the terminal (no Enter needed); a line's first character when stdin is no tty."""
        self.console.print(prompt, end="")
        try:
            import termios
            import tty
        except ImportError:                            # Windows: read a line
            termios = None
        if termios is None or not sys.stdin.isatty():
            return (self.console.input("") or "")[:1]
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            key = sys.stdin.read(1)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        self.console.print()
        return key

    def show_stepper(self):
        """The b key: every step of the backward pass of the current graph, as one table."""
        from visualize import Stepper

        root = self.graph
        if isinstance(root, np.ndarray) and root.size == 1:
            root = root.reshape(-1)[0]
        if root is None or isinstance(root, np.ndarray):
            self.console.print("[yellow]no single output to step through here yet[/yellow] (the b key steps the "
                               "backward pass of the last loss this lesson drew or named)")
            return
        try:
            gradient = None if np.size(getattr(root, "data", 0)) == 1 else np.ones(root.shape)
            self.console.print(Stepper(root, gradient).table())
        except (ValueError, TypeError, RuntimeError) as error:
            self.console.print(f"[yellow]no backward stepper for this graph[/yellow]: {error}")

    # ------------------------------------------------------------------ predict, then see; now you
    def ask(self, question: str, answer: float, tolerance: float, working: str = ""):
        """Predict, then see.  In --step mode at a terminal the student types a guess for `question` (Enter
        skips, q quits); the lesson says how close it was (within +-`tolerance` counts as right), then shows
        `answer` and the `working`.  Without a terminal (tests, pipes) it only prints the question and the answer
        and never waits.  Returns the guess (None when not asked, skipped or not a number)."""
        from lessons.predict import closeness, parse_number

        self.console.print(Panel(escape(f"Predict: {_dedent(question)}"), expand=False, border_style="cyan"))
        guess = None
        if self.step_mode:
            for _ in range(3):
                text = self.read_line("[cyan]your guess (a number; Enter shows the answer, q quits):[/cyan] ")
                if text.strip().lower() == "q":
                    self.console.print(f"[bold]stopped at step {self.steps}[/bold] (q)")
                    raise LessonQuit(self.steps)
                if not text.strip():
                    break
                guess = parse_number(text)
                if guess is not None:
                    break
                self.console.print(f"[yellow]{escape(text.strip())!s} is not a number[/yellow] (try 0.58, 58%, 7/3)")
        answer = float(answer)
        if guess is not None:
            self.console.print(closeness(guess, answer, tolerance))
        shown = f"   ({escape(_dedent(working))})" if working else ""
        self.console.print(f"[bold]answer: {answer:.4g}[/bold]{shown}")
        self.asked.append((question, answer, guess))
        return guess

    def read_line(self, prompt: str) -> str:
        """One line typed at the terminal ('' at end of input)."""
        try:
            return self.console.input(prompt) or ""
        except EOFError:
            return ""

    def now_you(self, number: int, experiments=()):
        """The lesson's last section: its exercises with the commands, then experiments, each a tuple
        (the change to a constant at the top of the lesson, e.g. "ETA = 0.5"; a note, may be empty; what to expect)."""
        from lessons.predict import now_you_text

        self.section("Now you")
        self.say(now_you_text(number, experiments))

    # ------------------------------------------------------------------ self-checks
    def check(self, label: str, got, expected, atol=1e-6):
        """Assert a number the notes (or the math) predict; print it with a tick."""
        got_a, exp_a = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if got_a.shape != exp_a.shape or not np.allclose(got_a, exp_a, atol=atol, rtol=0):
            raise AssertionError(f"lesson check failed: {label}: got {_fmt_checked(got)}, expected "
                                 f"{_fmt_checked(expected)}")
        self.checks += 1
        self.results[label] = bool(got) if isinstance(got, (bool, np.bool_)) else got_a   # a yes/no stays one
        self.console.print(f"[green]ok[/green] {escape(label)}: {escape(_fmt_checked(got))}")

    def check_at_least(self, label: str, got: float, minimum: float):
        """Assert a measured number (an accuracy) reaches its bar; print both."""
        if not float(got) >= minimum:
            raise AssertionError(f"lesson check failed: {label}: got {float(got):.4g}, needs at least {minimum:.4g}")
        self.checks += 1
        self.results[label] = float(got)
        self.console.print(f"[green]ok[/green] {label}: {float(got):.4g} (at least {minimum:.4g})")

    # ------------------------------------------------------------------ pictures
    def picture(self, dot, name: str, caption: str = ""):
        """Render a graphviz.Digraph to `out/name.svg` (and .dot); without --out, only say what it shows."""
        roots = getattr(dot, "roots", ())
        if len(roots) == 1:
            self.focus(roots[0])
        if self.out is None:
            self.console.print(f"[dim](picture '{name}' not written: run with --out DIR to get it)[/dim]")
            return None
        from visualize import render

        path = render(dot, os.path.join(self.out, name), format=self.format)
        self.pictures.append(path)
        self.console.print(f"picture: {path}" + (f" - {caption}" if caption else ""))
        return path

    def chart(self, svg, name: str, caption: str = ""):
        """Write a chart (visualize.*_svg: not a graph, so no .dot beside it) to `out/name.<format>`, drawn by
        matplotlib; without matplotlib, print its numbers as a table and how to install it (and, for SVG, write
        the plain hand-drawn SVG)."""
        if self.out is None:
            self.console.print(f"[dim](chart '{name}' not written: run with --out DIR to get it)[/dim]")
            return None
        from visualize import charts
        from visualize.chart_files import INSTALL, ChartUnavailable, matplotlib_available

        base = os.path.join(self.out, name)
        if not matplotlib_available() and hasattr(svg, "table"):
            self.console.print(svg.table())
            self.console.print(f"[yellow]chart '{name}' is drawn by matplotlib, which is not installed[/yellow]: "
                               f"{escape(INSTALL)}")
        try:
            path = svg.save(base, self.format) if hasattr(svg, "save") else charts.save(svg, base + ".svg")
        except ChartUnavailable:
            return None
        self.pictures.append(path)
        self.console.print(f"chart: {path}" + (f" - {caption}" if caption else ""))
        return path

    def step_backward(self, root, name=None, title="the backward pass, one node at a time"):
        """Replay the backward pass from `root` node by node (visualize.Stepper): in --step mode each step is a
        panel (upstream gradient, local derivatives, products, accumulation), a picture with the active node
        highlighted (`out/name_step01.svg`, ... when --out and a name are given; a name already ending in
        `_step` is not doubled) and a pause; otherwise one table
        of every step.  Works before or after root.backward() in scalar mode.  Returns the Stepper."""
        from visualize import Stepper

        stepper = Stepper(root)
        self.focus(root)
        if name is not None and name.endswith("_step"):
            name = name[:-len("_step")]                # "x_step" would give x_step_step01
        self.console.rule(f"[bold]{title}")
        if not self.step_mode:
            self.console.print(stepper.table())
            return stepper
        for step in stepper:
            self.console.print(stepper.panel(step))
            if name is not None and self.out is not None:
                self.picture(stepper.picture(step.index), f"{name}_step{step.index:02d}",
                             f"step {step.index} of {len(stepper)}")
            self.pause()
        return stepper

    # ------------------------------------------------------------------ running a script directly
    @staticmethod
    def main(run, doc=None):
        parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
        parser.add_argument("--step", action="store_true", help="pause between steps (in a terminal)")
        parser.add_argument("--out", default=None, help="directory for the lesson's pictures (SVG and DOT)")
        parser.add_argument("--fast", action="store_true", help="a reduced version (fewer epochs and samples)")
        args = parser.parse_args()
        if args.out is not None:
            try:
                os.makedirs(args.out, exist_ok=True)
            except OSError as error:
                parser.exit(2, f"lesson: cannot write pictures to --out {args.out!r}: {error}\n")
        lesson = Lesson(out=args.out, step=args.step, fast=args.fast)
        sys.exit(finish(lesson, run))


def finish(lesson, run, number=None) -> int:
    """Run a lesson and say how it went; the exit status: 0 done (or q pressed), 2 a part was skipped because
    optional data is missing (the message says how to install it)."""
    name = f"lesson {number}" if number is not None else "lesson"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *_, **__: lesson.warning(message)   # one line each
            run(lesson)
    except LessonInterrupted:
        return 130
    except LessonQuit:
        return 0
    except KeyboardInterrupt:                              # Ctrl-C while the lesson computes: one line too
        lesson.console.print(f"\n[bold]{name} interrupted[/bold] (Ctrl-C)")
        return 130
    pictures = f", {len(lesson.pictures)} pictures in {lesson.out}" if lesson.out else ""
    if lesson.missing:
        lesson.console.print(f"[bold yellow]{name} incomplete[/bold yellow]: {lesson.checks} checks passed{pictures}; "
                             "skipped: " + escape("; ".join(lesson.missing)))
        return 2
    lesson.console.print(f"[bold green]{name} done[/bold green]: {lesson.checks} checks passed{pictures}")
    return 0


def render_lesson(number: int, out="out", format="svg", console=None):
    """Run lesson `number` headless (output to `console`, default: discarded) and write every picture it draws
    to `out` in `format`; returns the paths (`tinygrad-edu render N`)."""
    import io

    import lessons

    module = lessons.load(number)
    lesson = Lesson(out=out, console=console or Console(file=io.StringIO(), width=120), format=format)
    module.run(lesson)
    return list(lesson.pictures)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def _fmt_checked(v) -> str:
    """A checked value as the student should read it: booleans, integers, shapes and indices as they are, floats
    to 4 significant digits (a check compares in float64, but prints what the lesson computed)."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, tuple) and all(isinstance(d, (int, np.integer)) for d in v):
        return str(tuple(int(d) for d in v))                    # a shape
    a = np.asarray(v)
    if a.dtype.kind in "biu":
        return str(a.tolist())
    if a.dtype == object:                                        # a list mixing kinds: each as itself
        return "[" + ", ".join(_fmt_checked(x) for x in v) + "]"
    return _fmt(a.astype(np.float64) if a.dtype.kind in "fc" else a)


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    a = np.asarray(v)
    if a.dtype.kind in "fc":
        return np.array2string(a, precision=4, suppress_small=True) if a.ndim else f"{float(a):.4g}"
    return str(v)
