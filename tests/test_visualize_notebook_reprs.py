"""What a notebook shows for visualize's objects: HTML views, not dataclass reprs or list echoes."""

import io

import numpy as np
from rich.console import Console

import tinygrad_edu as tg
import visualize
from lessons import graph_examples


def test_gradient_flow_report_displays_as_its_table():
    with tg.watch():
        loss = graph_examples.mlp()
        loss.backward()
    rows = visualize.print_gradient_flow(loss, console=Console(file=io.StringIO(), width=120))
    assert isinstance(rows, list) and len(rows) == 4 and rows[0].name == "0.weight"      # still the rows
    html = rows._repr_html_()
    assert html.startswith("<pre") and "0.weight" in html and "grad:data" in html and "Flow(" not in html
    smallest = min(rows, key=lambda r: r.grad_norm)
    assert f"smallest |grad| {smallest.grad_norm:.2g} ({smallest.name})" in repr(rows)
    assert "Flow(" not in repr(rows)


def test_stepper_displays_its_steps():
    stepper = visualize.Stepper(graph_examples.micrograd())
    html = stepper._repr_html_()
    assert "∂(a·b)/∂a = b = -3.0" in html and "the backward pass, step by step" in html
    assert repr(stepper).startswith("<Stepper: 3 backward steps from L")


def test_pictures_display_as_svg():
    picture = visualize.draw(graph_examples.micrograd())
    bundle = picture._repr_mimebundle_()
    assert "image/svg+xml" in bundle or "dot is not installed" in bundle["text/plain"]
    assert np.isfinite(picture.info["nodes"])
