"""One source of truth for derivatives: the stepper and pictures take an op's formula from Function.derivatives and
its numbers from the op's own backward, so a student who edits Mul sees the change (nothing is restated)."""

import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops import activation, elementwise


def test_the_stepper_shows_what_the_ops_own_backward_computes(monkeypatch):
    def odd_backward(ctx, grad_out):           # a deliberately wrong rule: the stepper must show it, not the right one
        a, b = ctx.saved
        return grad_out * 7.0, grad_out * 11.0

    monkeypatch.setattr(elementwise.Mul, "backward", staticmethod(odd_backward))
    monkeypatch.setattr(elementwise.Mul, "derivatives", ("seven", "eleven"))
    a, b = tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b")
    (step,) = list(visualize.Stepper(a * b))
    assert [t.formula for t in step.terms] == ["∂(a·b)/∂a = seven = 7.0", "∂(a·b)/∂b = eleven = 11.0"]
    assert [t.local for t in step.terms] == [7.0, 11.0]


def test_scalar_steps_replay_the_op_after_backward_freed_its_saved_values():
    x = tg.Scalar(0.5, name="x")
    y = x.tanh()
    y.backward()                                 # frees what Tanh saved
    (step,) = list(visualize.Stepper(y))
    assert step.terms[0].formula.startswith("∂tanh(x)/∂x = 1 − tanh²(x) = ")
    assert step.terms[0].local == pytest.approx(x.grad)


def test_tensor_formulas_come_from_the_op():
    x = tg.Tensor([[1.0, -2.0]], requires_grad=True)
    x.name = "x"
    stepper = visualize.Stepper(x.sigmoid().sum())
    sigmoid_step = next(s for s in stepper if s.op.startswith("Sigmoid"))
    assert sigmoid_step.terms[0].formula == "∂L/∂x = g ⊙ (σ(x)·(1 − σ(x)))"
    assert activation.Sigmoid.derivatives == ("σ({0})·(1 − σ({0}))",)


def test_every_elementwise_op_states_one_formula_per_input():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for fn in subclasses(Function):
        if fn.elementwise and fn.__module__.startswith("tinygrad_edu.ops"):
            assert fn.derivatives, f"{fn.__name__} states no derivative"
