"""`tinygrad-edu render`: the pictures of a lesson, or of a script's graph, without writing drawing code.

(tinygrad_edu/cli.py dispatches: a lesson number goes to lessons.runner.render_lesson, a script here.)

    tinygrad-edu render 1 --out out                          every picture lesson 1 draws: out/*.svg
    tinygrad-edu render net.py --out out --format png        the graph net.py's graph() returns: out/net.png
    tinygrad-edu render net.py:make --direction both --collapse module
    tinygrad-edu render rnn.py --bptt                        the BPTT view (one cluster per time step)

The script convention: the script defines a function `graph()` (or the one named after the colon) that takes
no arguments and returns
  - a graphviz.Digraph (for instance from visualize.draw): written as it is;
  - a Tensor or a Scalar (usually the loss, after backward() inside `with tg.watch():`), or a tuple/list of them:
    drawn with visualize.draw (draw_bptt with --bptt) and the options given;
  - a dict {name: either of the above}: one picture each, out/<script>_<name>.<format>.
The script runs as a module named "__tinygrad_render__", so its `if __name__ == "__main__":` block does not run.
"""

from __future__ import annotations

import os
import runpy

import graphviz

from .bptt import draw_bptt
from .draw import draw
from .rendering import render

DEFAULT_FUNCTION = "graph"


def parse_collapse(text):
    """'module', 'time', a depth such as '2', or None."""
    if text is None or text in ("none", ""):
        return None
    if text in ("module", "time"):
        return text
    try:
        depth = int(text)
    except ValueError:
        raise ValueError(f"--collapse must be 'module', 'time' or a depth >= 1, got {text!r}") from None
    if depth < 1:
        raise ValueError(f"--collapse depth must be >= 1, got {depth}")
    return depth


def render_script(target, out="out", format="svg", direction="forward", collapse=None, bptt=False, max_nodes=500):
    """Render `path.py` or `path.py:function` by the script convention; returns the written paths."""
    path, _, function = target.partition(":")
    function = function or DEFAULT_FUNCTION
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such script {path!r}")
    namespace = runpy.run_path(path, run_name="__tinygrad_render__")
    make = namespace.get(function)
    if not callable(make):
        raise ValueError(f"{path} defines no function {function}(); the script convention is a function "
                         f"{function}() returning a graphviz.Digraph, the loss (Tensor or Scalar) or a dict of them "
                         "(see `tinygrad-edu render --help`)")
    result = make()
    stem = os.path.splitext(os.path.basename(path))[0]
    items = result.items() if isinstance(result, dict) else [(None, result)]
    written = []
    for name, value in items:
        if isinstance(value, graphviz.Digraph):
            dot = value
        else:
            roots = tuple(value) if isinstance(value, (tuple, list)) else (value,)
            if bptt:
                dot = draw_bptt(*roots, collapse=collapse if collapse == "time" else None, max_nodes=max_nodes)
            else:
                dot = draw(*roots, direction=direction, collapse=collapse, max_nodes=max_nodes)
        base = os.path.join(out, stem if name is None else f"{stem}_{name}")
        written.append(render(dot, base, format=format))
    return written
