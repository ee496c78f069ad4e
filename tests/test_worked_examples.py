"""The worked examples of ../shared/WORKED_EXAMPLES.md that this part of the engine covers, with their real
numbers (softmax, cross-entropy, the Affine backward identities)."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F


def test_softmax_000():
    h = tg.Tensor([1.3, 2.1, -1.2, 0.7])
    np.testing.assert_allclose(F.softmax(h, 0).numpy(), [0.259, 0.577, 0.021, 0.142], atol=5e-4)
    # the slide rounds to two places
    np.testing.assert_allclose(np.round(h.softmax(0).numpy(), 2), [0.26, 0.58, 0.02, 0.14])


def test_softmax_002():
    o = tg.Tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(o.softmax(0).numpy(), [0.0900, 0.2447, 0.6652], atol=5e-5)


def test_softmax_in_scalar_mode_gives_the_same_numbers():
    probs = F.softmax(tg.Scalar.array([1.3, 2.1, -1.2, 0.7]), 0)
    np.testing.assert_allclose(tg.Scalar.values(probs), [0.259, 0.577, 0.021, 0.142], atol=5e-4)


def test_cross_entropy_002():
    d = tg.Tensor([1.0, 0.0, 0.0])
    y = tg.Tensor([0.3, 0.5, 0.8])          # not a distribution: the example only exercises -sum d log y
    error = -(d * y.log()).sum()
    assert error.item() == pytest.approx(1.2040, abs=5e-5)
    assert error.item() == pytest.approx(-np.log(0.3), rel=1e-6)


def test_affine_backward_identities_003():
    rng = np.random.default_rng(3)
    x_v, w_v, b_v, dy = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2), \
        rng.standard_normal((4, 2))
    X = tg.Tensor(x_v, dtype=np.float64, requires_grad=True)
    W = tg.Tensor(w_v, dtype=np.float64, requires_grad=True)
    B = tg.Tensor(b_v, dtype=np.float64, requires_grad=True)
    Y = F.linear(X, W, B)
    assert Y.grad_fn.op == "Affine"
    np.testing.assert_allclose(Y.numpy(), x_v @ w_v.T + b_v)
    Y.backward(dy)
    np.testing.assert_allclose(X.grad.numpy(), dy @ w_v)            # dL/dX = dL/dY . W  (W^T in the notes' layout)
    np.testing.assert_allclose(W.grad.numpy().T, x_v.T @ dy)        # the notes' dL/dW = X^T . dL/dY, W (in, out)
    np.testing.assert_allclose(B.grad.numpy(), dy.sum(axis=0))      # dL/dB = sum over the batch


def test_affine_by_hand_on_the_slides_1x2_input():
    # y1 = x1 w11 + x2 w12 + b1, y2 = x1 w21 + x2 w22 + b2, L = a y1 + b y2
    x1, x2, w11, w12, w21, w22, b1, b2, a, b = 1.0, 2.0, 0.5, -1.0, 2.0, 0.25, 0.1, -0.2, 2.0, -1.0
    xs = tg.Scalar.array([[x1, x2]], "x")
    ws = tg.Scalar.array([[w11, w12], [w21, w22]], "w")
    bs = tg.Scalar.array([b1, b2], "b")
    ys = F.linear(xs, ws, bs)
    assert ys[0, 0].data == pytest.approx(x1 * w11 + x2 * w12 + b1)
    assert ys[0, 1].data == pytest.approx(x1 * w21 + x2 * w22 + b2)
    loss = ys[0, 0] * a + ys[0, 1] * b
    loss.backward()
    np.testing.assert_allclose(tg.Scalar.grads(ws), [[a * x1, a * x2], [b * x1, b * x2]])
    np.testing.assert_allclose(tg.Scalar.grads(xs), [[a * w11 + b * w21, a * w12 + b * w22]])
    np.testing.assert_allclose(tg.Scalar.grads(bs), [a, b])
