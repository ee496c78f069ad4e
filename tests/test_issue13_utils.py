"""Issue 13, part A: functions that take `parameters` read them once (a generator, a list, one Tensor);
numerical_gradient leaves x bit-for-bit as it was; tg.load names the path and what is wrong with a foreign file."""

import re
import warnings
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.gradcheck import numerical_gradient


def _model_with_grads(scale=10.0):
    """A small model whose gradients all have a norm far above 1 (every entry = scale)."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for p in model.parameters():
        p.grad = tg.Tensor(np.full(p.shape, scale, dtype=np.float32))
    return model


# ------------------------------------------------------------------------------------------------ parameters
@pytest.mark.parametrize("as_given", [lambda m: m.parameters(), lambda m: list(m.parameters()),
                                      lambda m: tuple(m.parameters()), lambda m: iter(list(m.parameters()))],
                         ids=["generator", "list", "tuple", "iterator"])
def test_clip_grad_norm_clips_whatever_iterable_it_is_given(as_given):
    model = _model_with_grads()
    count = sum(p.data.size for p in model.parameters())
    total = nn.utils.clip_grad_norm_(as_given(model), 1.0)
    assert total.item() == pytest.approx(10.0 * np.sqrt(count), rel=1e-6)     # the norm before clipping
    after = np.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-5)                               # and every gradient was scaled


def test_clip_grad_norm_of_one_tensor():
    p = tg.Tensor([3.0, 4.0], requires_grad=True)
    p.grad = tg.Tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


@pytest.mark.parametrize("as_given", [lambda m: m.parameters(), lambda m: list(m.parameters())],
                         ids=["generator", "list"])
def test_clip_grad_value_clamps_every_entry(as_given):
    model = _model_with_grads()
    next(model.parameters()).grad.data[0, 0] = -7.0
    assert nn.utils.clip_grad_value_(as_given(model), 0.5) is None
    for p in model.parameters():
        assert np.abs(p.grad.data).max() == pytest.approx(0.5)
    assert next(model.parameters()).grad.data[0, 0] == pytest.approx(-0.5)


def test_clip_grad_value_leaves_a_shared_gradient_array_of_another_tensor_alone():
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor([1.0, 2.0], requires_grad=True)
    (a + b).backward(tg.Tensor([5.0, -5.0]))
    nn.utils.clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, -1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, -5.0])


@pytest.mark.parametrize("fn", [lambda p: nn.utils.clip_grad_norm_(p, 1.0),
                                lambda p: nn.utils.clip_grad_value_(p, 1.0)],
                         ids=["clip_grad_norm_", "clip_grad_value_"])
def test_clipping_refuses_what_is_not_parameters(fn):
    with pytest.raises(TypeError, match=r"clip_grad_(norm|value)_: parameters must be a Tensor or an iterable"):
        fn(3.0)
    with pytest.raises(TypeError, match=r"clip_grad_(norm|value)_: parameters must be a Tensor or an iterable.* dict"):
        fn({"w": tg.zeros(2)})
    with pytest.raises(TypeError, match=r"item 1 is a ndarray"):
        fn([tg.zeros(2), np.zeros(2)])


@pytest.mark.parametrize("make", [lambda ps, lr: optim.SGD(ps, lr=lr),
                                  lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9),
                                  lambda ps, lr: optim.Adam(ps, lr=lr)], ids=["sgd", "momentum", "adam"])
def test_optimizers_update_every_parameter_from_a_generator(make):
    model = _model_with_grads(1.0)
    before = [p.data.copy() for p in model.parameters()]
    make(model.parameters(), 0.1).step()
    assert all((p.data != b).all() for p, b in zip(model.parameters(), before))


def test_optimizer_refuses_a_single_tensor_as_pytorch_and_takes_one_in_a_group():
    w = tg.randn(3, 2, requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable of Tensors .*single Tensor of shape "
                                        r"\(3, 2\); pass \[tensor\]"):
        optim.SGD(w, lr=0.1)
    opt = optim.SGD([{"params": w}], lr=0.1)      # PyTorch accepts one Tensor as a group's params
    (w * w).sum().backward()
    before = w.data.copy()
    opt.step()
    np.testing.assert_allclose(w.data, before - 0.1 * 2 * before, rtol=1e-6)


def test_optimizer_refuses_bad_groups():
    w = tg.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"Adam: params must be an iterable of Tensors .*got float"):
        optim.Adam(1.0)
    with pytest.raises(TypeError, match=r"Adam: a parameter group must be a dict with a 'params' entry"):
        optim.Adam([{"params": [w]}, w])
    with pytest.raises(TypeError, match=r"Adam: parameters must be Tensors, but item 0 is a ndarray"):
        optim.Adam([np.zeros(2)])



@pytest.mark.parametrize("op", ["cat", "stack"])
def test_cat_and_stack_refuse_one_tensor_as_pytorch_and_take_a_generator(op):
    fn = getattr(tg, op)
    t = tg.randn(3, 4)
    with pytest.raises(TypeError, match=rf"{op}: expected a sequence of tensors .*one Tensor of shape \(3, 4\)"):
        fn(t)                                   # it iterated the rows: cat gave a (12,) tensor, stack a copy of t
    assert fn(x for x in [t, t]).shape == ((6, 4) if op == "cat" else (2, 3, 4))

# ------------------------------------------------------------------------------------------------ numerical_gradient
def _bits(a):
    return np.ascontiguousarray(a).view(np.uint64).copy()


SPECIAL = np.array([1.5, -0.0, 2.0, np.nan, -3.25])      # -0.0 and NaN: only a bit comparison sees them restored


def centering(a):
    """A student's loss that centres its input in place."""
    a -= a.mean()
    return float(np.nansum(a ** 2))


def doubling(a):
    a *= 2
    return float((a ** 2).sum())


def scribble_then_raise(a):
    a[:] = 7.0
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize("f", [centering, doubling, lambda a: a.fill(0.0) or 1.0,
                               lambda a: a.__setitem__(1, 5.0) or float(a[0])],
                         ids=["centre", "double", "fill", "entry"])
def test_numerical_gradient_leaves_x_bit_for_bit_and_warns_when_f_mutates_it(f):
    x = SPECIAL.copy()
    before = _bits(x)
    with pytest.warns(UserWarning, match=r"numerical_gradient: .* modified x in place .*work on a copy"):
        numerical_gradient(f, x)
    assert (_bits(x) == before).all()


def test_numerical_gradient_restores_x_when_f_mutates_and_raises():
    x = SPECIAL.copy()
    before = _bits(x)
    with pytest.raises(ZeroDivisionError):
        numerical_gradient(scribble_then_raise, x)
    assert (_bits(x) == before).all()


def test_every_call_of_f_starts_from_x_as_given():
    x = np.array([1.0, -2.0, 0.5])
    with pytest.warns(UserWarning, match="doubling modified x in place"):
        grad = numerical_gradient(doubling, x)
    np.testing.assert_allclose(grad, 8 * x, rtol=1e-7)          # d/dx sum((2x)^2) = 8x, every entry


def test_numerical_gradient_puts_back_a_tensors_rebound_data():
    x = tg.Tensor([1.0, 2.0], dtype=np.float64)
    original = x.data

    def rebinding(t):
        t.data = t.data * 3
        return float((t.data ** 2).sum())

    with pytest.warns(UserWarning, match=r"rebinding modified x\.data \(replaced it with a new object\)"):
        grad = numerical_gradient(rebinding, x)
    assert x.data is original and (x.data == [1.0, 2.0]).all()
    np.testing.assert_allclose(grad, 18 * np.array([1.0, 2.0]), rtol=1e-7)


def test_numerical_gradient_of_a_well_behaved_f_says_nothing_and_reads_a_returned_view():
    x = np.array([3.0, 4.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(numerical_gradient(lambda a: a[:1], x), [1.0, 0.0, 0.0], atol=1e-9)
        np.testing.assert_allclose(numerical_gradient(lambda a: float((a ** 2).sum()), x), 2 * x, rtol=1e-8)


# ------------------------------------------------------------------------------------------------ tg.load
def _saved(tmp_path):
    path = tmp_path / "net.npz"
    tg.save({"w": tg.randn(40, 30), "b": tg.zeros(30)}, path)
    return path


def _zip_of_text(path, good):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")


def _write(data):
    return lambda path, good: path.write_bytes(data(good))


# files tg.save never writes: label -> (file name, writer(path, bytes of a good file), what the message must say)
FOREIGN = {
    "pickled": ("objects.npz", lambda p, g: np.savez(p, x=np.array([{"a": 1}, None], dtype=object)),
                r"not a tinygrad_edu \.npz file: entry 'x' holds pickled Python objects"),
    "text": ("notes.npz", _write(lambda g: b"just some text\n"), r"not a tinygrad_edu \.npz file: it is not a zip"),
    "truncated": ("cut.npz", _write(lambda g: g[: len(g) // 2]), r"truncated or corrupt"),
    "truncated_tail": ("cut_tail.npz", _write(lambda g: g[:-10]), r"truncated or corrupt"),
    "flipped": ("flipped.npz", _write(lambda g: g[:200] + bytes(b ^ 0xFF for b in g[200:300]) + g[300:]),
                r"truncated or corrupt"),
    "empty": ("empty.npz", _write(lambda g: b""), r"is empty: not a tinygrad_edu \.npz file"),
    "npy": ("one.npy", lambda p, g: np.save(p, np.arange(3)), r"is a single numpy \.npy array"),
    "strings": ("words.npz", lambda p, g: np.savez(p, x=np.array(["a", "b"])), r"entry 'x' holds <U1 values"),
    "zip_not_npz": ("other.zip", _zip_of_text, r"entry 'readme.txt' is not a readable numpy array"),
}


@pytest.mark.parametrize("label", list(FOREIGN))
def test_load_of_a_foreign_file_names_the_path_and_what_is_wrong(label, tmp_path):
    name, write, says = FOREIGN[label]
    path = tmp_path / name
    write(path, _saved(tmp_path).read_bytes())
    with pytest.raises(tg.serialization.LoadError) as error:
        tg.load(path)
    text = str(error.value)
    assert isinstance(error.value, ValueError) and not isinstance(error.value, zipfile.BadZipFile)
    assert text.startswith(f"load: {path} ") and re.search(says, text), text
    assert "allow_pickle" not in text


def test_load_still_reads_what_save_wrote_and_a_missing_file_says_so(tmp_path):
    loaded = tg.load(_saved(tmp_path))
    assert list(loaded) == ["w", "b"] and loaded["w"].shape == (40, 30)
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nowhere.npz")


# ------------------------------------------------------------------------------------------------ no raw numpy errors
def _step_with_grad(make, grad):
    w = tg.randn(2, 3, requires_grad=True)
    opt = make([w])
    w.grad = grad
    opt.step()


MISUSE = [
    ("adam_betas", lambda: optim.Adam([tg.randn(2, requires_grad=True)], betas=0.9), TypeError,
     r"Adam: betas must be a pair \(beta1, beta2\), got 0\.9"),
    ("sgd_lr_str", lambda: optim.SGD([tg.randn(2, requires_grad=True)], lr="0.1"), TypeError,
     r"SGD: lr must be a number, got str '0\.1'"),
    ("sgd_grad_shape", lambda: _step_with_grad(lambda ps: optim.SGD(ps, lr=0.1), tg.randn(3)), ValueError,
     r"SGD\.step: Tensor has shape \(2, 3\) but its \.grad has shape \(3,\)"),
    ("adam_grad_shape", lambda: _step_with_grad(lambda ps: optim.Adam(ps), tg.randn(3, 2)), ValueError,
     r"Adam\.step: Tensor has shape \(2, 3\) but its \.grad has shape \(3, 2\)"),
    ("grad_ndarray", lambda: _step_with_grad(lambda ps: optim.SGD(ps, lr=0.1), np.ones((2, 3))), TypeError,
     r"SGD\.step: the \.grad of Tensor must be a Tensor \(or None\), got ndarray"),
    ("clip_max_norm_str", lambda: nn.utils.clip_grad_norm_([tg.randn(2)], "1"), TypeError,
     r"clip_grad_norm_: max_norm must be a number, got str"),
    ("numgrad_none", lambda: numerical_gradient(lambda a: None, np.ones(2)), TypeError,
     r"numerical_gradient: the function must return a number \(a loss\), got NoneType \(did it forget to `return`"),
    ("numgrad_str", lambda: numerical_gradient(lambda a: "x", np.ones(2)), TypeError,
     r"numerical_gradient: the function must return a number \(a loss\), got str"),
    ("numgrad_h0", lambda: numerical_gradient(lambda a: float(a.sum()), np.ones(2), h=0), ValueError,
     r"numerical_gradient: the step h must be a positive number, got 0"),
    ("gradcheck_eps", lambda: tg.gradcheck.gradcheck(lambda a: a.sum(), tg.randn(2, requires_grad=True), eps=-1e-6),
     ValueError, r"gradcheck: the step eps must be a positive number"),
    ("kaiming_mode", lambda: nn.init.kaiming_uniform_(tg.zeros(3, 4), mode="fanin"), ValueError,
     r"kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got 'fanin'"),
    ("uniform_range", lambda: nn.init.uniform_(tg.zeros(3), 1.0, 0.0), ValueError,
     r"uniform_: the range \[a, b\) needs a <= b, got a=1\.0, b=0\.0"),
    ("normal_std", lambda: nn.init.normal_(tg.zeros(3), 0.0, -1.0), ValueError, r"normal_: std must be >= 0, got -1"),
    ("state_dict_list", lambda: nn.Linear(2, 3).load_state_dict([1, 2]), TypeError,
     r"load_state_dict: expected a dict \{name: Tensor or array\} .*got list"),
    ("state_dict_strings", lambda: nn.Linear(2, 3).load_state_dict({"weight": np.array([["a", "b"]] * 3),
                                                                   "bias": np.zeros(3)}), TypeError,
     r"load_state_dict: the value for 'weight' must be numeric .*<U1"),
]


@pytest.mark.parametrize("call, kind, says", [pytest.param(c, k, m, id=n) for n, c, k, m in MISUSE])
def test_misuse_gets_a_message_naming_the_function_not_a_numpy_error(call, kind, says):
    with pytest.raises(kind, match=says):
        call()


def test_clip_grad_norm_0_norm_counts_nonzero_entries_as_torch():
    p = tg.Tensor([0.0, 3.0, -4.0], requires_grad=True)
    p.grad = tg.Tensor([0.0, 3.0, -4.0])
    assert nn.utils.clip_grad_norm_(p, 100.0, norm_type=0).item() == 2.0


def test_a_parameter_given_twice_is_said_not_updated_twice_silently():
    model = nn.Linear(2, 3)
    with pytest.warns(UserWarning, match=r"SGD: a parameter group holds the same parameter more than once"):
        optim.SGD(list(model.parameters()) + list(model.parameters()), lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: Parameter 'weight' appears in more than one parameter group"):
        optim.Adam([{"params": model.parameters()}, {"params": [model.weight], "lr": 0.1}])
