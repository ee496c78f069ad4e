"""Bad input raises the builtin exception that fits, with a message naming the op, what was received and
the rule broken."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*\(3\).*\(4\)"):
        tg.randn(2, 3) @ tg.randn(4, 5)


def test_matmul_batch_mismatch():
    with pytest.raises(ValueError, match=r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 1\)"):
        tg.randn(2, 2, 3) @ tg.randn(3, 3, 1)


def test_linear_shape_mismatch():
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 3\) has 3 features but weight \(5, 2\)"):
        F.linear(tg.randn(4, 3), tg.randn(5, 2))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(3,\)"):
        F.linear(tg.randn(4, 2), tg.randn(5, 2), tg.randn(3))
    # a per-row offset must have the output's whole shape (4, 5); (1, 5) or (3, 5) is refused, not broadcast
    for shape in ((1, 5), (3, 5)):
        with pytest.raises(ValueError, match=r"expected \(5,\) or the output's shape \(4, 5\)"):
            F.linear(tg.randn(4, 2), tg.randn(5, 2), tg.randn(*shape))


@pytest.mark.parametrize("op,name", [(lambda a, b: a + b, "add"), (lambda a, b: a * b, "mul"),
                                     (lambda a, b: a - b, "sub"), (lambda a, b: a / b, "div")])
def test_broadcasting_failure(op, name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast.*equal or one"):
        op(tg.randn(2, 3, requires_grad=True), tg.randn(4))


def test_cross_entropy_target_out_of_range():
    with pytest.raises(IndexError, match=r"cross_entropy: target 5 is out of bounds for 5 classes"):
        F.cross_entropy(tg.randn(3, 5), np.array([0, 5, 1]))
    with pytest.raises(IndexError, match=r"target -1 is out of bounds"):
        F.cross_entropy(tg.randn(3, 5), np.array([0, -1, 1]))


def test_cross_entropy_wrong_target_dtype_and_shape():
    with pytest.raises(TypeError, match=r"cross_entropy: target must hold class indices as integers.*float32"):
        F.cross_entropy(tg.randn(3, 5), tg.Tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"cross_entropy: input of shape \(3, 5\) and target of shape \(2,\) do not "
                                         r"fit together. The layouts cross_entropy accepts"):
        F.cross_entropy(tg.randn(3, 5), np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(tg.randn(3, 5), np.array([0, 1, 2]), reduction="avg")


def test_backward_on_a_non_scalar_without_gradient():
    y = tg.randn(3, 2, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"backward: .*shape \(3, 2\).*single-element.*gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(2,\) but .*\(3, 2\)"):
        y.backward(np.ones(2))


def test_backward_on_something_that_needs_no_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.randn(3).sum().backward()


def test_second_backward():
    x = tg.randn(3, requires_grad=True)
    with tg.scope("layer"):
        loss = x.exp().sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"second time: the values saved by Sum \(scope 'layer'\).*retain_graph=Tr"):
        loss.backward()


def test_load_state_dict_wrong_shape_missing_and_extra_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    bad = dict(state, **{"2.weight": np.zeros((3, 4))})
    before = model[0].weight.numpy().copy()
    with pytest.raises(ValueError, match=r"2.weight: expected shape \(2, 4\), got \(3, 4\)"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)      # nothing was half-loaded
    missing = {k: v for k, v in state.items() if k != "0.bias"}
    with pytest.raises(KeyError, match=r"missing keys: \['0.bias'\]"):
        model.load_state_dict(missing)
    with pytest.raises(KeyError, match=r"unexpected keys: \['3.weight'\]"):
        model.load_state_dict(dict(state, **{"3.weight": np.zeros(1)}))
    assert model.load_state_dict(missing, strict=False) == (["0.bias"], [])


def test_requires_grad_on_integers_and_inplace_on_leaves():
    with pytest.raises(TypeError, match="only floating point"):
        tg.Tensor([1, 2], dtype=np.int64, requires_grad=True)
    w = tg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"sub_: in-place update .*no_grad"):
        w -= 1.0
    with tg.no_grad():
        w -= 1.0


def test_dim_out_of_range_and_bad_reshape():
    with pytest.raises(IndexError, match=r"sum: dimension 2 is out of range for a 2-D tensor"):
        tg.randn(2, 3).sum(2)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 entries\) into"):
        tg.randn(2, 3).reshape(4)
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds"):
        tg.randn(3)[5]


def test_module_assignment_before_init_and_empty_optimizer():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match=r"before Module.__init__\(\).*super\(\).__init__\(\)"):
        Broken()
    with pytest.raises(ValueError, match="empty parameter list"):
        tg.optim.SGD([], lr=0.1)


def test_mse_loss_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))
