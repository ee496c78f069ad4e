"""Issue 13: PyTorch's type promotion (an int tensor with a Python float is float32, int / int is true division
in float32, exp of an int is float32, a 0-d tensor or a number only raises the category).  Before the fix numpy
decided: float64 for all of those, and tg.where(cond, 1, 3) was float32."""

import operator

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.promotion import result_type

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 3, 2.5]
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
          "pow": operator.pow}


def _operand(lib, dtype, zero_d):
    data = 3 if zero_d else [1, 2]
    if lib is np:
        return np.array(data, dtype=dtype)
    return lib.tensor(data, dtype=getattr(lib, dtype))


def _name(dtype):
    return str(dtype).replace("torch.", "")


def test_promotion_table_matches_torch_for_every_pair_of_dtypes_and_ranks():
    torch = pytest.importorskip("torch")
    wrong = []
    for a in DTYPES:
        for a0 in (False, True):
            others = [(b, b0) for b in DTYPES for b0 in (False, True)] + [(n, None) for n in NUMBERS]
            for b, b0 in others:
                x = _operand(np, a, a0)
                y = _operand(np, b, b0) if b0 is not None else b
                tx = _operand(torch, a, a0)
                ty = _operand(torch, b, b0) if b0 is not None else b
                want = _name(torch.result_type(tx, ty))
                if _name(result_type(x, y)) != want:
                    wrong.append((a, a0, b, b0, _name(result_type(x, y)), want))
    assert not wrong


CASES = [   # (left, right): tensors given as (data, dtype); plain numbers as they are
    (([1, 2], "int64"), 0.5), (([1, 2], "int64"), 2), (([1, 2], "int32"), 1.5), (([1, 2], "int64"), ([2, 4], "int64")),
    (([1, 2], "int64"), ([0.5, 2.0], "float32")), (([1, 2], "int32"), ([0.5, 2.0], "float64")),
    (([1, 2], "uint8"), ([3, 1], "int8")), (([True, False], "bool"), 2), (([True, False], "bool"), 1.5),
    (([1.5, 2.0], "float32"), (2.0, "float64")), (([1, 2], "int32"), (3, "int64")),
    (([1, 2], "int64"), (3.0, "float64")),
    (([1.5, 2.0], "float16"), 2.5), (([1.5, 2.0], "float32"), ([1.0, 3.0], "float64")), ((2, "int64"), 0.5),
    (3.0, ([1, 2], "int64")), (2, ([1, 2], "int64")),
]


def _make(lib, spec):
    if not isinstance(spec, tuple):
        return spec
    data, dtype = spec
    return lib.tensor(data, dtype=np.dtype(dtype) if lib is tg else getattr(lib, dtype))


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_arithmetic_dtype_and_values_as_torch(op, case):
    torch = pytest.importorskip("torch")
    f = BINARY[op]
    try:
        theirs = f(*(_make(torch, s) for s in case))
    except RuntimeError:                                     # subtracting booleans: refused by both
        with pytest.raises(TypeError, match=r"^sub: subtracting booleans is not supported"):
            f(*(_make(tg, s) for s in case))
        return
    ours = f(*(_make(tg, s) for s in case))
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_allclose(ours.data.astype(np.float64), theirs.double().numpy(), rtol=1e-3)


@pytest.mark.parametrize("fn", ["exp", "log", "sqrt", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_float_functions_of_integer_tensors_are_float32(fn, dtype):
    t = tg.tensor([1, 2], dtype=np.dtype(dtype))
    out = getattr(t, fn)()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, getattr(tg.tensor(t.data.astype(np.float32)), fn)().data)


def test_the_issue_examples():
    assert (tg.tensor(1) + 0.5).dtype == np.float32 and (tg.tensor(1) + 0.5).item() == 1.5
    assert tg.tensor(2).exp().dtype == np.float32
    assert (tg.tensor([1, 3]) / tg.tensor(2)).tolist() == [0.5, 1.5]
    assert (tg.tensor([1, 3]) / tg.tensor(2)).dtype == np.float32
    cond = tg.tensor([True, False])
    assert tg.where(cond, 1, 3).dtype == np.int64 and tg.where(cond, 1, 3).tolist() == [1, 3]
    assert tg.where(cond, 1.0, 3).dtype == np.float32
    assert tg.where(cond, tg.tensor([1, 2]), 0.5).dtype == np.float32


def test_a_float64_0d_tensor_keeps_a_float32_result_and_gets_its_gradient_in_float64():
    torch = pytest.importorskip("torch")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    y = x * c
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tc = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ty = tx * tc
    assert y.dtype == np.float32 and ty.dtype == torch.float32
    y.sum().backward()
    ty.sum().backward()
    assert x.grad.dtype == np.float32 and c.grad.dtype == np.float64 and c.grad.item() == tc.grad.item() == 3.0


def test_where_gradients_through_a_promoted_operand():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = tg.where(tg.tensor([True, False]), x, tg.tensor([5, 6]))
    out.sum().backward()
    assert out.dtype == np.float32 and out.tolist() == [1.0, 6.0] and x.grad.tolist() == [1.0, 0.0]


def test_what_torch_refuses_is_refused_with_the_op_named():
    with pytest.raises(TypeError, match=r"sub: subtracting booleans .*bool and int"):
        tg.tensor([True]) - 1
    with pytest.raises(TypeError, match=r"sub: subtracting booleans .*float32 and bool"):
        tg.tensor([1.5]) - True
    with pytest.raises(ValueError, match=r"pow: integers to negative integer powers are not allowed"):
        tg.tensor([1, 2]) ** -1
    with pytest.raises(ValueError, match=r"pow: integers to negative integer powers"):
        2 ** tg.tensor([1, -2])
    assert (tg.tensor([1, 2]) ** -1.0).dtype == np.float32 and (tg.tensor([2]) ** 2).dtype == np.int64


def test_functional_sigmoid_and_tanh_of_an_integer_tensor_are_float32():
    from tinygrad_edu.nn import functional as F

    assert F.sigmoid(tg.tensor([1, 2])).dtype == np.float32 and F.tanh(tg.tensor([1, 2])).dtype == np.float32
    x = tg.tensor([0.5], requires_grad=True)
    assert F.sigmoid(x).grad_fn.op == "Sigmoid" and F.tanh(x).grad_fn.op == "Tanh"


def test_cat_stack_and_clamp_promote_as_torch():
    torch = pytest.importorskip("torch")
    i, f, d = ([1, 2], "int64"), ([0.5, 1.5], "float32"), ([0.5, 1.5], "float64")
    for parts in ([i, f], [f, d], [i, ([True, False], "bool")], [([1, 2], "int32"), i]):
        ours = [_make(tg, p) for p in parts]
        theirs = [_make(torch, p) for p in parts]
        assert _name(tg.cat(ours).dtype) == _name(torch.cat(theirs).dtype)       # was float64 for int64 + float32
        assert _name(tg.stack(ours).dtype) == _name(torch.stack(theirs).dtype)
        np.testing.assert_allclose(tg.cat(ours).data.astype(float), torch.cat(theirs).double().numpy())
    for args in [(0.5, None), (1, None), (None, 1.5)]:
        ours, theirs = _make(tg, i).clamp(*args), torch.clamp(_make(torch, i), *args)
        assert _name(ours.dtype) == _name(theirs.dtype) and ours.tolist() == theirs.tolist()
    x = tg.tensor([0.25, 3.0], requires_grad=True)
    y = x.clamp(tg.tensor(0.5, dtype=tg.float64))
    assert y.dtype == np.float32                                   # a float64 0-d bound keeps float32, as torch
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]


def test_cat_of_float32_and_float64_gives_each_its_gradient_in_its_dtype():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([2.0], dtype=tg.float64, requires_grad=True)
    out = tg.cat([a, b])
    (out * tg.tensor([3.0, 4.0], dtype=tg.float64)).sum().backward()
    assert out.dtype == np.float64 and a.grad.dtype == np.float32 and a.grad.tolist() == [3.0]
    assert b.grad.tolist() == [4.0]
