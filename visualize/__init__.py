"""visualize: Graphviz pictures of recorded graphs.  Reads tinygrad_edu.graph only, never engine internals.

    dot = visualize.draw(loss)              # a graphviz.Digraph, not rendered yet
    visualize.render(dot, "out/loss")       # out/loss.dot always, out/loss.svg when Graphviz is installed
"""

from .draw import draw
from .rendering import render

__all__ = ["draw", "render"]
