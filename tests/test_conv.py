"""Convolution and pooling: a float64 gradcheck grid, the notes' worked examples with their numbers,
scalar mode on tiny inputs, and the errors and warnings bad input gets."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import graph, nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


def t64(rng, *shape):
    return tg.Tensor(rng.standard_normal(shape), dtype=np.float64, requires_grad=True)


# ------------------------------------------------------------------------------------------- gradcheck grid
# one factor varied at a time around a base case, plus fixed-seed random combinations of all factors
BASE = dict(n=1, c=2, h=6, w=5, f=2, k=(3, 3), stride=1, padding=0, dilation=1, groups=1)
VARIED = [dict(k=(1, 1)), dict(k=(5, 5), h=7, w=7), dict(k=(2, 3)), dict(k=(3, 1)),
          dict(stride=2), dict(stride=3, h=9), dict(stride=(2, 1)),
          dict(padding=1), dict(padding=2), dict(padding="same"), dict(padding="same", k=(2, 2)), dict(padding=(1, 0)),
          dict(dilation=2, h=7), dict(dilation=(1, 2)),
          dict(groups=2, c=4, f=4), dict(groups=3, c=3, f=6), dict(n=3), dict(h=7, w=9, padding=1, stride=2)]
_rng = np.random.default_rng(5)
RANDOM = []
for _ in range(8):
    g = int(_rng.choice([1, 2]))
    RANDOM.append(dict(n=int(_rng.choice([1, 3])), c=2 * g, f=2 * g, groups=g, h=int(_rng.integers(5, 9)),
                       w=int(_rng.integers(5, 9)), k=(int(_rng.choice([1, 2, 3])), int(_rng.choice([1, 3]))),
                       stride=int(_rng.choice([1, 2, 3])), padding=int(_rng.choice([0, 1])),
                       dilation=int(_rng.choice([1, 2]))))
GRID = [dict(BASE, **v) for v in VARIED] + [dict(BASE, **v) for v in RANDOM]


@pytest.mark.filterwarnings("ignore:conv2d")
@pytest.mark.parametrize("case", GRID, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items() if BASE.get(k) != v))
def test_conv2d_gradcheck_grid(case, rng):
    x = t64(rng, case["n"], case["c"], case["h"], case["w"])
    w = t64(rng, case["f"], case["c"] // case["groups"], *case["k"])
    b = t64(rng, case["f"])
    fn = lambda x, w, b: F.conv2d(x, w, b, case["stride"], case["padding"], case["dilation"], case["groups"])  # noqa
    report = gradcheck(fn, (x, w, b))
    assert report.passed, str(report)


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, 1, 2, 1, 2), (2, 0, 1, 2, 1), (1, 2, 0, 2, 2)])
def test_conv_transpose2d_gradcheck(stride, padding, output_padding, dilation, groups, rng):
    x, w, b = t64(rng, 2, 2 * groups, 3, 4), t64(rng, 2 * groups, 2, 3, 2), t64(rng, 2 * groups)
    report = gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
                       (x, w, b))
    assert report.passed, str(report)


@pytest.mark.filterwarnings("ignore:max_pool2d", "ignore:avg_pool2d")
@pytest.mark.parametrize("kernel,stride,padding,ceil_mode", [(3, 2, 0, False), (3, 2, 1, False), (2, 2, 1, True),
                                                            (3, 2, 1, True), (2, 1, 0, False)])
def test_pooling_gradcheck(kernel, stride, padding, ceil_mode, rng):
    x = tg.Tensor(rng.permutation(2 * 2 * 7 * 8).reshape(2, 2, 7, 8) / 10.0, dtype=np.float64, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding, 1, ceil_mode), (x,)).passed
    for include in (True, False):
        assert gradcheck(lambda x, inc=include: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, inc), (x,)).passed


# ------------------------------------------------------------------------------------------- worked examples
def test_1d_true_convolution_vs_cross_correlation_001():
    f, g = np.array([3.0, 1.0, 2.0]), np.array([3.0, 2.0, 1.0])
    as_signal = lambda v: tg.Tensor(v.reshape(1, 1, -1))  # noqa: E731
    true_conv = F.conv1d(as_signal(f), as_signal(g[::-1].copy()), padding=2)     # flip g: convolution proper
    np.testing.assert_array_equal(true_conv.numpy().ravel(), [9, 9, 11, 5, 2])
    np.testing.assert_array_equal(np.convolve(f, g), [9, 9, 11, 5, 2])
    cross = F.conv1d(as_signal(f), as_signal(g), padding=2)                       # deep learning's "convolution"
    np.testing.assert_array_equal(cross.numpy().ravel(), [3, 7, 13, 7, 6])        # 3*1, 3*2+1*1, 3*3+1*2+2*1, ...


X4 = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
FILTER = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)


def test_4x4_padded_convolution_003():
    out = F.conv2d(tg.Tensor(X4[None, None]), tg.Tensor(FILTER[None, None]), padding=1)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]])


def test_7x7_stride_2_convolution_003():
    x = np.fromfunction(lambda i, j: (1 + j - i) % 4, (7, 7))
    np.testing.assert_array_equal(x[:4], [[1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2], [3, 0, 1, 2, 3, 0, 1],
                                          [2, 3, 0, 1, 2, 3, 0]])
    out = F.conv2d(tg.Tensor(x[None, None]), tg.Tensor(FILTER[None, None]), stride=2)
    assert out.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(out.numpy()[0, 0, 0, :2], [15, 17])


@pytest.mark.parametrize("hw,padding,stride,kernel,expected", [((4, 4), 1, 1, 3, (4, 4)), ((7, 7), 0, 2, 3, (3, 3)),
                                                               ((28, 31), 2, 3, 5, (10, 11))])
def test_output_sizes_003(hw, padding, stride, kernel, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # these divisions are exact: no warning
        out = F.conv2d(tg.zeros(1, 1, *hw), tg.zeros(1, 1, kernel, kernel), padding=padding, stride=stride)
    assert out.shape[2:] == expected


def test_output_size_that_is_not_an_integer_floors_and_says_so_once(monkeypatch):
    from tinygrad_edu.nn import conv_functional

    monkeypatch.setattr(conv_functional, "_warned", set())     # a lesson run earlier may have warned already
    x, w = tg.zeros(1, 1, 7, 7), tg.zeros(1, 1, 3, 3)
    with pytest.warns(UserWarning, match=r"not an integer.*H: \(7 \+ 0 - 2 - 1\)/3 = 4/3, floored to 1, so the output "
                                         r"has 2 and the last 1 rows.*W: .* last 1 columns"):
        out = F.conv2d(x, w, stride=3)
    assert out.shape == (1, 1, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # the same configuration again: no second warning
        F.conv2d(x, w, stride=3)


def test_conv_parameter_count_003():
    layer = nn.Conv2d(3, 10, 5)
    assert layer.weight.shape == (10, 3, 5, 5) and layer.bias.shape == (10,)
    assert sum(p.numel() for p in layer.parameters()) == 760          # (5*5*3 + 1) * 10


def test_two_3x3_layers_see_5x5_with_18_weights_003():
    x = tg.zeros(1, 1, 9, 9, requires_grad=True)
    two = nn.Sequential(nn.Conv2d(1, 1, 3, bias=False), nn.Conv2d(1, 1, 3, bias=False))
    out = two(x)
    out[0, 0, 2, 2].backward()
    assert (x.grad.numpy()[0, 0] != 0).sum() <= 25 and out.shape[2:] == (5, 5)
    nz = np.argwhere(x.grad.numpy()[0, 0] != 0)
    assert (nz.max(0) - nz.min(0) + 1).tolist() == [5, 5]               # the receptive field is 5x5
    assert sum(p.numel() for p in two.parameters()) == 18


def x_and_o_pictures():
    x = -np.ones((9, 9))
    for i in range(1, 8):
        x[i, i] = x[i, 8 - i] = 1.0
    diagonal = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    cross = np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], dtype=float)
    anti = diagonal[:, ::-1].copy()
    return x, np.stack([diagonal, cross, anti])[:, None]


def test_x_vs_o_maps_002():
    picture, filters = x_and_o_pictures()
    maps = F.conv2d(tg.Tensor(picture[None, None]), tg.Tensor(filters)) / 9.0    # the slides average the 9 products
    assert maps.shape == (1, 3, 7, 7)
    m = maps.numpy()[0]
    assert m[0, 1, 1] == 1.0 and m[2, 1, 5] == 1.0 and m[1, 3, 3] == 1.0   # perfect matches: arms and centre
    assert m[0, 0, 0] == pytest.approx(7 / 9)                               # 7 of 9 pixels agree at the corner
    activated = F.relu(maps)
    assert F.max_pool2d(activated, 2, 2).shape == (1, 3, 3, 3)                       # PyTorch's floor
    assert F.max_pool2d(activated, 2, 2, ceil_mode=True).shape == (1, 3, 4, 4)       # what the notes' picture keeps
    pooled = F.max_pool2d(activated, 2, 2, ceil_mode=True).numpy()
    assert pooled[0, 0, 3, 3] == activated.numpy()[0, 0, 6, 6]                      # the lone last row/column window


class InceptionA(nn.Module):
    """004's Inception block: 1x1 (16), 1x1 -> 5x5 (24), 1x1 -> 3x3 -> 3x3 (24), avg pool -> 1x1 (24) = 88."""

    def __init__(self, in_channels):
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, 1)
        self.branch5x5_1 = nn.Conv2d(in_channels, 16, 1)
        self.branch5x5_2 = nn.Conv2d(16, 24, 5, padding=2)
        self.branch3x3dbl_1 = nn.Conv2d(in_channels, 16, 1)
        self.branch3x3dbl_2 = nn.Conv2d(16, 24, 3, padding=1)
        self.branch3x3dbl_3 = nn.Conv2d(24, 24, 3, padding=1)
        self.branch_pool = nn.Conv2d(in_channels, 24, 1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1))
        return tg.cat([b1, b5, b3, bp], dim=1)


def test_inception_net_flattens_to_1408_features_004():
    conv1, conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(88, 20, 5)
    incept1, incept2 = InceptionA(10), InceptionA(20)
    x = tg.randn(1, 1, 28, 28)
    h = incept1(F.relu(F.max_pool2d(conv1(x), 2)))
    assert h.shape == (1, 88, 12, 12)
    h = incept2(F.relu(F.max_pool2d(conv2(h), 2)))
    assert h.shape == (1, 88, 4, 4) and h.flatten(1).shape == (1, 1408)


# ------------------------------------------------------------------------------------------- scalar mode
def test_4x4_padded_convolution_in_scalar_mode_records_its_multiply_adds():
    xs, ws = tg.Scalar.array(X4[None, None], "x"), tg.Scalar.array(FILTER[None, None], "w")
    out = F.conv2d(xs, ws, padding=1)
    np.testing.assert_array_equal(tg.Scalar.values(out)[0, 0], [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6],
                                                                [8, 10, 4, 3]])
    ops = [n.op for n in graph.trace(out).ops()]
    assert ops.count("Mul") == 16 * 9 and ops.count("Add") == 16 * 8          # 9 products and 8 sums per output
    loss = sum(out.ravel(), tg.Scalar(0.0))
    loss.backward()
    X, W = tg.Tensor(X4[None, None], dtype=np.float64, requires_grad=True), \
        tg.Tensor(FILTER[None, None], dtype=np.float64, requires_grad=True)
    F.conv2d(X, W, padding=1).sum().backward()
    np.testing.assert_allclose(tg.Scalar.grads(xs), X.grad.numpy())
    np.testing.assert_allclose(tg.Scalar.grads(ws), W.grad.numpy())


def test_max_pool_in_scalar_mode_passes_on_the_winner():
    values = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 7.0]])
    xs = tg.Scalar.array(values[None, None], "x")
    out = F.max_pool2d(xs, 2)
    assert out[0, 0, 0, 0] is xs[0, 0, 0, 1]           # 5 won the first window: the output is that very node
    assert out[0, 0, 0, 1] is xs[0, 0, 1, 2]           # a tie of two 7s: the first in row-major order wins
    (out[0, 0, 0, 0] * 2.0 + out[0, 0, 0, 1] * 3.0).backward()
    X = tg.Tensor(values[None, None], dtype=np.float64, requires_grad=True)
    (F.max_pool2d(X, 2) * tg.Tensor([[[[2.0, 3.0]]]], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(tg.Scalar.grads(xs), X.grad.numpy())


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("stride,expected", [
    (2, [[0.0, np.inf, 0.0, 1 / 3], [0.0, 0.0, 0.0, 0.0]]),          # windows apart: 0 and 3 win
    (1, [[0.0, np.inf, 1 / 2, 1 / 3], [0.0, 0.0, 0.0, 0.0]]),        # overlapping: 0, 2 and 3 win
])
def test_max_pool_gives_an_infinite_gradient_to_the_winner_only(stride, expected):
    # log of a window's maximum 0 sends +inf back: to that entry, never NaN (0 * inf) to the entries that lost
    x = tg.Tensor([[[[-1.0, 0.0, 2.0, 3.0], [-3.0, -4.0, 1.0, 1.0]]]], dtype=np.float64, requires_grad=True)
    F.max_pool2d(x, 2, stride).log().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], np.array(expected))


# ------------------------------------------------------------------------------------------- graph records
def test_conv_and_pool_are_single_named_nodes_with_hyper_parameters():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    out = model(tg.randn(1, 1, 6, 6))
    ops = graph.trace(out).ops()
    assert [o.op for o in ops] == ["Conv2d", "ReLU", "MaxPool2d"]
    assert ops[0].params["stride"] == (1, 1) and ops[0].params["padding"] == ((1, 1), (1, 1))
    assert ops[2].params["kernel"] == (2, 2) and ops[0].scope == "0" and ops[2].scope == "2"


def test_float32_stays_float32_through_conv_and_pool():
    x = tg.randn(2, 3, 8, 8, requires_grad=True)
    out = F.avg_pool2d(F.max_pool2d(nn.Conv2d(3, 4, 3)(x), 2), 1).sum()
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


# ------------------------------------------------------------------------------------------- bad input
def test_channel_mismatch_names_in_channels_groups_and_weight():
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight \(10, 1, 5, 5\) expects 1 "
                                         r"\(in_channels = weight.shape\[1\] \* groups = 1 \* 1\)"):
        F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(10, 1, 5, 5))


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"in_channels 3 and out_channels 4 must both be divisible by groups 3"):
        F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(4, 1, 3, 3), groups=3)
    with pytest.raises(ValueError, match="divisible by groups 2"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel 5x5 \(spanning 5 with dilation 1\) is larger than the padded input "
                                         r"\(4 rows: 4 \+ padding 0\)"):
        F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 5, 5))
    with pytest.raises(ValueError, match=r"spanning 5 with dilation 2"):
        F.max_pool2d(tg.zeros(1, 1, 4, 4), 3, dilation=2)


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than the stride \(2, 2\)"):
        F.conv_transpose2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 3, 3), stride=2, output_padding=2)


@pytest.mark.parametrize("fn,shape,rule", [
    (lambda x: F.conv2d(x, tg.zeros(1, 1, 3, 3)), (5, 5), r"conv2d: expected a 4-D input \(N, C, H, W\)"),
    (lambda x: F.max_pool2d(x, 2), (1, 1, 1, 4, 4), r"max_pool2d: expected a 4-D input"),
    (lambda x: F.conv1d(x, tg.zeros(1, 1, 3)), (2, 1, 3, 5), r"conv1d: expected a 3-D input \(N, C, L\)")])
def test_wrong_input_rank(fn, shape, rule):
    with pytest.raises(ValueError, match=rule):
        fn(tg.zeros(*shape))


def test_same_padding_needs_stride_one_and_pool_padding_at_most_half_kernel():
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(tg.zeros(1, 1, 5, 5), 2, padding=2)


def test_unbatched_input_is_accepted_as_pytorch_does():
    out = F.conv2d(tg.randn(2, 5, 5), tg.randn(3, 2, 3, 3))
    assert out.shape == (3, 3, 3)
    assert F.max_pool2d(tg.randn(2, 4, 4), 2).shape == (2, 2, 2)


def test_modules_state_dict_keys():
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.ConvTranspose2d(6, 3, 2, stride=2),
                          nn.AdaptiveAvgPool2d(1))
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        "0.weight": (6, 1, 5, 5), "0.bias": (6,), "2.weight": (6, 3, 2, 2), "2.bias": (3,)}
    assert model(tg.randn(1, 1, 12, 12)).shape == (1, 3, 1, 1)


def test_every_grid_factor_is_covered():
    seen = {k: {str(c[k]) for c in GRID} for k in ("k", "stride", "padding", "dilation", "groups", "n")}
    assert {"(1, 1)", "(3, 3)", "(5, 5)", "(2, 3)"} <= seen["k"] and {"1", "2", "3"} <= seen["stride"]
    assert {"0", "1", "2", "same"} <= seen["padding"] and {"1", "2"} <= seen["dilation"]
    assert {"1", "2", "3"} <= seen["groups"] and {"1", "3"} <= seen["n"]
    assert any(c["groups"] == c["c"] for c in GRID)                       # depthwise
    assert any(c["h"] % 2 and c["w"] % 2 for c in GRID)                   # odd sizes
