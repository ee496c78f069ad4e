"""visualize: Graphviz pictures of recorded graphs.  Reads tinygrad_edu.graph only, never engine internals.

    dot = visualize.draw(loss)                         # a graphviz.Digraph, not rendered yet
    dot = visualize.draw(loss, direction="backward")   # arrows carry gradients; also "both"
    dot = visualize.draw(loss, collapse="module")      # one box per module ("time", or a scope depth)
    dot = visualize.draw_bptt(loss)                    # an unrolled RNN/LSTM/GRU: a cluster per time step
    visualize.render(dot, "out/loss")                  # out/loss.dot always, out/loss.svg with Graphviz
    visualize.print_gradient_flow(loss)                # per-parameter ‖grad‖ and grad:data ratios, with bars
    visualize.Stepper(loss).print()                    # the backward pass replayed node by node
    visualize.interactive(loss).save("out/loss.html")  # the same, stepped in a browser (or inline in Jupyter)
"""

from .bptt import draw_bptt
from .draw import draw
from .page import InteractiveGraph, interactive
from .picture import Picture
from .rendering import dot_available, render
from .reports import (
    gradient_flow_svg,
    layer_flow,
    parameter_flow,
    print_gradient_flow,
    print_state_grads,
    state_grad_norms,
    state_grads_svg,
)
from .stepper import Stepper, backward_steps

__all__ = [
    "draw", "draw_bptt", "render", "dot_available", "Picture", "parameter_flow", "layer_flow",
    "print_gradient_flow", "state_grad_norms", "print_state_grads", "gradient_flow_svg", "state_grads_svg",
    "Stepper", "backward_steps", "interactive", "InteractiveGraph",
]
