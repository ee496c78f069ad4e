"""`tinygrad-edu render`: the pictures of a lesson, or of a script's graph, without writing drawing code.

(tinygrad_edu/cli.py dispatches: a lesson number goes to lessons.runner.render_lesson, a script here.)

    tinygrad-edu render 1 --out out                          every picture lesson 1 draws: out/*.svg
    tinygrad-edu render net.py --out out --format png        the graph net.py's graph() returns: out/net.png
    tinygrad-edu render net.py:make --direction both --collapse module
    tinygrad-edu render rnn.py --bptt                        the BPTT view (one cluster per time step)
    tinygrad-edu render nets.py:gru --format html            out/nets_gru.html: step through it in a browser

The script convention: the script defines a function `graph()` (or the one named after the colon) that takes
no arguments and returns
  - a graphviz.Digraph (for instance from visualize.draw): written as it is;
  - a Tensor or a Scalar (usually the loss, after backward() inside `with tg.watch():`), or a tuple/list of them:
    drawn with visualize.draw (draw_bptt with --bptt) and the options given;
  - a dict {name: either of the above}: one picture each, out/<script>_<name>.<format>.
A function named after the colon gives out/<script>_<function>.<format> (nets.py:gru and nets.py:cnn do not
overwrite each other).  --format html writes an interactive page (visualize.interactive) of a single output, or
of the graph a visualize.draw picture was drawn from; any other Digraph becomes a page holding its SVG.
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
    if function != DEFAULT_FUNCTION and not isinstance(result, dict):
        stem = f"{stem}_{function}"
    items = result.items() if isinstance(result, dict) else [(None, result)]
    written = []
    for name, value in items:
        base = os.path.join(out, stem if name is None else f"{stem}_{name}")
        if format == "html":
            written.append(_html_page(value, base))
            continue
        if isinstance(value, graphviz.Digraph):
            dot = value
        else:
            roots = tuple(value) if isinstance(value, (tuple, list)) else (value,)
            if bptt:
                dot = draw_bptt(*roots, collapse=collapse if collapse == "time" else None, max_nodes=max_nodes)
            else:
                dot = draw(*roots, direction=direction, collapse=collapse, max_nodes=max_nodes)
        written.append(render(dot, base, format=format))
    return written


def _html_page(value, base):
    """One page: the interactive graph of a single output (or of the graph a draw() picture shows)."""
    from .page import interactive

    roots = getattr(value, "roots", None) if isinstance(value, graphviz.Digraph) else value
    if isinstance(roots, (tuple, list)) and len(roots) == 1:
        roots = roots[0]
    if isinstance(value, graphviz.Digraph) and roots is None:
        os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
        svg = value.pipe(format="svg").decode("utf-8")
        with open(base + ".html", "w", encoding="utf-8") as f:
            f.write('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"></head><body>'
                    + svg[svg.find("<svg"):] + "</body></html>\n")
        return base + ".html"
    if isinstance(roots, (tuple, list)):
        raise ValueError(f"--format html steps through one output; {base} has {len(roots)} (return their sum, "
                         "or a dict with one entry per output)")
    return interactive(roots).save(base + ".html")
