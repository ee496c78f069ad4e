"""Every lesson as a Jupyter notebook, generated from the lesson script (never kept by hand):
`tinygrad-edu lesson N --notebook DIR`, `tinygrad-edu lessons --notebook DIR`.

    path = write_notebook(1, "notebooks")                 # notebooks/lesson01.ipynb, not executed
    path = write_notebook(1, "notebooks", execute=True)   # run in a kernel, outputs saved (nbclient)
    lesson = run_in_notebook(1, fast=True)                # what the notebook's cell calls, inside Jupyter

A notebook holds the lesson's title and introduction (its docstring) as Markdown, a settings cell (FAST), one
cell that runs the lesson, and one that lists the checked numbers.  Run in Jupyter, the lesson's text, panels,
tables, checks and pictures appear in order, each picture inline beside the paragraph that refers to it (the
same blocks as the web page, lessons/html_lesson.py, without its interactive steppers); the lesson's checks run
as they do in the terminal, so a failing number stops the cell.  Needs nbformat (and nbclient, ipykernel to
execute): the dev extra.
"""

from __future__ import annotations

import os

from .html_lesson import CSS, HtmlLesson, lesson_title

GENERATED = "Generated from `lessons/{script}` by `tinygrad-edu lesson {number} --notebook DIR`: edit the lesson, " \
            "not this notebook (it is rewritten each time)."


class NotebookLesson(HtmlLesson):
    """An HtmlLesson that, at the end, hands its blocks to Jupyter's display (one HTML output per block)."""

    def __init__(self, number=None, fast=False):
        super().__init__(number, fast=fast, interactive_graphs=False)

    def display(self):
        from IPython.display import HTML, display

        self._flush()
        display(HTML(f"<style>{_scoped_css()}</style>"))
        for _, block in self.blocks:
            display(HTML(f'<div class="tg-lesson">{block}</div>'))
        display(HTML(f'<div class="tg-lesson"><p><i>{self.checks} checks passed.</i></p></div>'))


def run_in_notebook(number: int, fast=False) -> NotebookLesson:
    """Run lesson `number` inside Jupyter and display it; returns the lesson (its `results`, `checks`)."""
    import lessons

    lesson = NotebookLesson(number, fast=fast)
    try:
        lessons.load(number).run(lesson)
    finally:
        lesson.display()                              # what ran so far shows even when a check fails
    return lesson


def build_notebook(number: int, fast=False):
    """The notebook of lesson `number` (an nbformat NotebookNode), cells only (no outputs)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    import lessons

    info = next(i for i in lessons.available() if i.number == number)
    module = lessons.load(number)
    doc = (module.__doc__ or "").strip().split("\n", 1)
    intro = doc[1].strip() if len(doc) > 1 else ""
    intro = intro.split("\nRun it:")[0].strip()
    generated = GENERATED.format(script=os.path.basename(info.path), number=number)
    cells = [
        new_markdown_cell(f"# {lesson_title(number)}\n\n{intro}\n\n"
                          f"Notes: {info.notes or '-'} (see `lessons/NOTES.md`); in a terminal: "
                          f"`tinygrad-edu lesson {number} --step`.\n\n*{generated}*"),
        new_code_cell(f"FAST = {bool(fast)}   # True: the reduced version (fewer epochs and samples), as tests run"),
        new_code_cell(f"from lessons.notebook import run_in_notebook\n\nlesson = run_in_notebook({number}, fast=FAST)"),
        new_markdown_cell("Every number the lesson checked, by its label (change a constant in the lesson script and "
                          "run the notebook again to see which move):"),
        new_code_cell("{label: value.tolist() if hasattr(value, 'tolist') else value\n"
                      " for label, value in lesson.results.items()}"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return notebook


def write_notebook(number: int, out: str, fast=False, execute=False, timeout=600) -> str:
    """Write lesson `number` as `out/lessonNN.ipynb`; execute=True runs it first (nbclient, kernel python3, in the
    repository's folder so `lessons` imports) and saves the outputs.  Returns the path."""
    import nbformat

    notebook = build_notebook(number, fast=fast)
    if execute:
        execute_notebook(notebook, timeout=timeout)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"lesson{number:02d}.ipynb")
    nbformat.write(notebook, path)
    return path


def execute_notebook(notebook, timeout=600):
    """Run every cell of `notebook` in place (nbclient, the python3 kernel of this environment)."""
    from nbclient import NotebookClient

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": root}}).execute()
    return notebook


def write_all(out: str, fast=False, execute=False, numbers=None) -> list:
    """Every lesson (or those in `numbers`) as a notebook; returns the paths."""
    import lessons

    return [write_notebook(i.number, out, fast=fast, execute=execute) for i in lessons.available()
            if numbers is None or i.number in numbers]


def _scoped_css() -> str:
    """The web page's CSS, limited to the lesson's outputs (a notebook has its own page styles)."""
    rules = []
    for rule in CSS.strip().splitlines():
        selectors, _, body = rule.partition("{")
        if selectors.strip().startswith("body"):
            continue
        scoped = ",".join(f".tg-lesson {s.strip()}" for s in selectors.split(","))
        rules.append(f"{scoped}{{{body}")
    return "\n".join(rules)
