"""The backward stepper: the steps of (a*b + c).tanh() equal a hand-computed list; accumulation; tensor mode;
rich output; a picture per step; the lesson runner's --step."""

import io
import math
import re

import numpy as np
import pytest
from rich.console import Console

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu.nn import functional as F


def console():
    return Console(file=io.StringIO(), width=150, color_system=None)


def abc():
    return tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b"), tg.Scalar(-4.0, name="c")


def test_steps_of_tanh_of_a_times_b_plus_c_equal_the_hand_computed_list():
    a, b, c = abc()
    out = (a * b + c).tanh()                                      # s = 2*3 - 4 = 2, out = tanh(2)
    local = 1 - math.tanh(2.0) ** 2                               # d tanh(s)/ds = 1 - tanh(s)^2 = 0.0706508...
    expected = [
        # (op, output, upstream, [(input, formula, local, product, before, after)])
        ("Tanh", "tanh(a·b + c)", 1.0,
         [("a·b + c", "∂tanh(a·b + c)/∂(a·b + c) = 1 − tanh²(a·b + c) = 0.07065", local, local, None, local)]),
        ("Add", "a·b + c", local,
         [("a·b", "∂(a·b + c)/∂(a·b) = 1", 1.0, local, None, local),
          ("c", "∂(a·b + c)/∂c = 1", 1.0, local, None, local)]),
        ("Mul", "a·b", local,
         [("a", "∂(a·b)/∂a = b = 3.0", 3.0, 3.0 * local, None, 3.0 * local),
          ("b", "∂(a·b)/∂b = a = 2.0", 2.0, 2.0 * local, None, 2.0 * local)]),
    ]
    steps = visualize.backward_steps(out)
    assert len(steps) == len(expected)
    for step, (op, output, upstream, terms) in zip(steps, expected):
        assert (step.op, step.output) == (op, output)
        assert step.upstream == pytest.approx(upstream, rel=1e-12)
        got = [(t.input, t.formula, t.local, t.product, t.before, t.after) for t in step.terms]
        assert [g[:2] + (g[4],) for g in got] == [e[:2] + (e[4],) for e in terms]     # names, formulas, before
        for g, e in zip(got, terms):
            assert (g[2], g[3], g[5]) == pytest.approx((e[2], e[3], e[5]), rel=1e-12)
    out.backward()                                                # the engine agrees with the replay
    assert (a.grad, b.grad, c.grad) == pytest.approx((3.0 * local, 2.0 * local, local), rel=1e-12)


def test_a_value_used_twice_accumulates_its_gradient():
    x = tg.Scalar(1.5, name="x")
    y = x * x + x                                                 # dy/dx = 2x + 1 = 4
    steps = visualize.backward_steps(y)
    assert [(s.op, s.output) for s in steps] == [("Add", "x·x + x"), ("Mul", "x·x")]
    x_terms = [(t.before, t.after) for s in steps for t in s.terms if t.input == "x"]
    assert x_terms == [(None, 1.0), (1.0, 2.5), (2.5, 4.0)]      # 1 from Add, then x and x from x*x
    assert [t.formula for t in steps[1].terms] == ["∂(x·x)/∂x = x = 1.5"] * 2
    y.backward()
    assert x.grad == 4.0


def test_every_scalar_rule_agrees_with_the_engine():
    a, b, c = tg.Scalar(0.7, name="a"), tg.Scalar(-1.3, name="b"), tg.Scalar(2.1, name="c")
    f = ((a - b) / c).exp() + (a ** 3.0).log() + b.sigmoid() * c.relu() - (-a + 2.0).sqrt() + (b * 2.0).abs() \
        + (c ** a) + (1.0 / b).tanh()
    stepper = visualize.Stepper(f)
    ops = {s.op for s in stepper}
    assert {"Sub", "Div", "Exp", "Pow", "Log", "Sigmoid", "ReLU", "Mul", "Neg", "Sqrt", "Abs", "Tanh", "Add"} <= ops
    final = stepper.grads_after(len(stepper))
    f.backward()
    for leaf in (a, b, c):
        assert final[f"v{id(leaf)}"] == pytest.approx(leaf.grad, rel=1e-12)
    assert not any("no formula" in t.formula for s in stepper for t in s.terms)


def test_tensor_mode_uses_each_ops_own_backward():
    x = tg.Tensor([[1.0, 2.0], [0.5, -1.0]], name="X")
    W = tg.Tensor([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]], requires_grad=True, name="W")
    b = tg.Tensor([0.1, -0.2, 0.0], requires_grad=True, name="b")
    loss = F.linear(x, W, b).sigmoid().sum()
    stepper = visualize.Stepper(loss)                             # before backward: the saved values are there
    assert [s.op for s in stepper] == ["Sum", "Sigmoid", "Affine 2→3"]
    affine = stepper[2]
    assert [t.formula for t in affine.terms] == ["∂L/∂W = gᵀ · X",
                                                 "∂L/∂b = g summed over the batch (g itself if b has y's shape)"]
    loss.backward()
    assert np.allclose(affine.terms[0].after, W.grad.numpy()) and np.allclose(affine.terms[1].after, b.grad.numpy())
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        visualize.Stepper(loss)                                   # a plain backward() freed them
    again = F.linear(x, W, b).sigmoid().sum()
    again.backward(retain_graph=True)
    assert np.allclose(visualize.Stepper(again)[2].terms[0].after, np.asarray(W.grad.numpy()) / 2)


def test_stepper_refuses_what_it_cannot_replay():
    with pytest.raises(ValueError, match="gradient=..."):
        visualize.Stepper(tg.randn(2, 2, requires_grad=True) * 2.0)
    with pytest.raises(ValueError, match="requires_grad"):
        visualize.Stepper(tg.randn(1) * 2.0)


def test_rich_panels_and_table():
    a, b, c = abc()
    stepper = visualize.Stepper((a * b + c).tanh())
    con = console()
    stepper.print(con)
    text = con.file.getvalue()
    assert "backward step 3/3: Mul → a·b" in text and "upstream ∂L/∂(a·b) = 0.07065" in text
    assert "∂(a·b)/∂a = b = 3.0" in text and "0 (nothing yet) → 0.212" in text
    con = console()
    stepper.print(con, panels=False)
    assert "the backward pass, step by step" in con.file.getvalue()
    assert con.file.getvalue().count("∂(a·b + c)/∂") == 2


def test_a_picture_per_step_highlights_the_active_node():
    a, b, c = abc()
    stepper = visualize.Stepper((a * b + c).tanh())
    first = stepper.picture(1)
    assert "backward step 1/3: Tanh → tanh(a·b + c)" in first.source
    highlighted = re.findall(r"^\s*(\w+) \[.*penwidth=3", first.source, re.M)
    assert sorted(h.split("_", 1)[-1] for h in highlighted) == ["Tanh", "v6", "v8"]   # op, its input and output
    a_line = next(line for line in first.source.splitlines() if re.match(r"^\s*v\d+_a \[", line))
    assert "grad —" in a_line                                     # nothing has reached a yet
    last = stepper.picture(3).source
    assert re.search(r"o\d+_Mul -> v\d+_a \[label=<0.212>", last)
    assert "grad 0.212" in next(line for line in last.splitlines() if re.match(r"^\s*v\d+_a \[", line))
    pending = [line for line in first.source.splitlines() if "->" in line and 'color="#c8c8c8"' in line]
    assert len(pending) == 6                                      # the 3 arrows of Add and 3 of Mul: not run yet
    with pytest.raises(IndexError):
        stepper.picture(4)


def test_lesson_step_backward_uses_the_stepper(tmp_path, monkeypatch):
    a, b, c = abc()
    out = (a * b + c).tanh()
    con = console()
    pauses = []
    monkeypatch.setattr(con, "input", lambda prompt="": pauses.append(prompt) or "")
    lesson = Lesson(out=str(tmp_path), step=True, console=con, interactive=True)
    stepper = lesson.step_backward(out, "tanh")
    assert len(stepper) == 3 and len(pauses) == 3
    assert [p.rsplit("/", 1)[-1].split(".")[0] for p in lesson.pictures] == ["tanh_step01", "tanh_step02",
                                                                               "tanh_step03"]
    assert "∂(a·b)/∂b = a = 2.0" in con.file.getvalue()
    quiet = Lesson(out=str(tmp_path / "q"), step=True, console=console())     # no terminal: one table, no pause
    quiet.step_backward(out, "tanh")
    assert quiet.pictures == [] and "the backward pass, step by step" in quiet.console.file.getvalue()
