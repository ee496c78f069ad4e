"""How each exercise is checked: the inputs, the reference (lessons/solutions, trusted), the known mistakes.

    parts(number, seed=0) -> the ValueParts and GradientParts of tinygrad_edu.exercise_check for exercise `number`

Every backward part hands the student's backward a cache made by the reference forward (the stubs give the
cache's layout), so each function is judged on its own: an unfinished forward does not hide a finished backward.
The gradients are compared with central differences of the reference loss, computed in the checking process.
"""

from __future__ import annotations

import importlib

import numpy as np

from tinygrad_edu.exercise_check import GradientPart, Mistake, StudentError, ValuePart, returned

from . import get


def reference(number: int):
    """The solution module of exercise `number` (trusted code: it runs in the checking process)."""
    return importlib.import_module(f"lessons.solutions.{get(number).file[:-3]}")


def _rng(number, seed):
    return np.random.default_rng([number, seed])


def _grads(values, names, function):
    """{name: value} from the tuple a student's backward returned."""
    return dict(zip(names, returned(values, len(names), function)))


# ------------------------------------------------------------------------------------------------ 1 affine
def _affine(seed):
    ref = reference(1)
    rng = _rng(1, seed)
    N, D, M = 3, 4, 5
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    dout = rng.standard_normal((N, M))
    cache = ref.affine_forward(x, w, b)[1]
    return [
        ValuePart("affine_forward: out = x . w + b",
                  lambda s: {"out": returned(s.call("affine_forward", x, w, b), 2, "affine_forward")[0]},
                  lambda: {"out": ref.affine_forward(x, w, b)[0]},
                  mistakes=(Mistake("out", lambda c: x @ w, "the bias b is missing: out = x . w + b"),)),
        GradientPart("affine_backward: dx, dw, db",
                     lambda s: _grads(s.call("affine_backward", dout, cache), ("x", "w", "b"), "affine_backward"),
                     {"x": x, "w": w, "b": b}, lambda v: float(np.sum(ref.affine_forward(v["x"], v["w"], v["b"])[0]
                                                                    * dout)),
                     upstream=dout, batch=N,
                     mistakes=(Mistake("w", lambda c: (dout.T @ x), "transposed dw: dout^T . x is (M, D); the "
                                       "gradient of w (D, M) is x^T . dout"),
                               Mistake("b", lambda c: dout.mean(axis=0), "db is the batch MEAN of dout: the bias "
                                       "is shared by the N examples, so their gradients add up (the sum)"))),
    ]


# ------------------------------------------------------------------------------------------------ 2 two-layer net
def _two_layer(seed):
    ref = reference(2)
    rng = _rng(2, seed)
    N, D, H, C = 6, 4, 5, 3
    params = {"W1": 0.5 * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
              "W2": 0.5 * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}
    x = rng.standard_normal((N, D))
    t = np.eye(C)[rng.integers(0, C, N)]
    return [
        GradientPart("gradient(params, x, t): grads['W1'], grads['b1'], grads['W2'], grads['b2']",
                     lambda s: _dict(s.call("gradient", params, x, t), params),
                     params, lambda p: float(ref.loss(p, x, t)), batch=N, label="grads[{!r}]"),
    ]


def _dict(value, params):
    if not isinstance(value, dict):
        raise StudentError(f"gradient must return a dict with keys {list(params)}, returned {type(value).__name__}")
    return value


# ------------------------------------------------------------------------------------------------ 3 activations
def _activations(seed):
    ref = reference(3)
    rng = _rng(3, seed)
    N, D, C = 4, 5, 6
    x = rng.standard_normal((N, D))
    x = np.where(np.abs(x) < 0.1, 0.5, x)                   # away from ReLU's kink at 0
    dout = rng.standard_normal((N, D))
    scores = rng.standard_normal((N, C))
    t = np.eye(C)[rng.integers(0, C, N)]
    sig_cache, relu_cache = ref.sigmoid_forward(x)[1], ref.relu_forward(x)[1]
    return [
        GradientPart("sigmoid_backward: dx",
                     lambda s: {"x": s.call("sigmoid_backward", dout, sig_cache)}, {"x": x},
                     lambda v: float(np.sum(ref.sigmoid_forward(v["x"])[0] * dout)), upstream=dout,
                     mistakes=(Mistake("x", lambda c: dout * ref.sigmoid_forward(x)[0],
                                       "dx = dout * out: the sigmoid's derivative is out * (1 - out)"),)),
        GradientPart("relu_backward: dx",
                     lambda s: {"x": s.call("relu_backward", dout, relu_cache)}, {"x": x},
                     lambda v: float(np.sum(ref.relu_forward(v["x"])[0] * dout)), upstream=dout,
                     mistakes=(Mistake("x", lambda c: dout * (dout > 0),
                                       "ReLU mask on the wrong array: dx = dout * (dout > 0) masks by the sign of the "
                                       "upstream gradient; the mask must come from the forward input, (x > 0)"),)),
        GradientPart("softmax_cross_entropy: dx",
                     lambda s: {"x": returned(s.call("softmax_cross_entropy", scores, t), 2,
                                              "softmax_cross_entropy")[1]},
                     {"x": scores}, lambda v: float(ref.softmax_cross_entropy(v["x"], t)[0]), batch=N,
                     mistakes=(Mistake("x", lambda c: ref.softmax_cross_entropy(scores, t)[1] * N,
                                       f"missing 1/N: dx = y - t, but the loss is the batch mean, so dx = (y - t) / N "
                                       f"(N = {N} here)"),)),
    ]


# ------------------------------------------------------------------------------------------------ 4 naive conv
def _conv_naive(seed):
    ref = reference(4)
    rng = _rng(4, seed)
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    param = {"stride": 2, "pad": 1}
    out, cache = ref.conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    padded_dx = ref.conv_backward_naive(dout, ref.conv_forward_naive(xp, w, b, {"stride": 2, "pad": 0})[1])[0]
    return [
        ValuePart("conv_forward_naive: out (stride 2, pad 1)",
                  lambda s: {"out": returned(s.call("conv_forward_naive", x, w, b, param), 2,
                                             "conv_forward_naive")[0]},
                  lambda: {"out": out},
                  mistakes=(Mistake("out", lambda c: ref.conv_forward_naive(x, w[:, :, ::-1, ::-1], b, param)[0],
                                    "the filter is flipped: that is the textbook convolution; deep learning's "
                                    "convolution is a cross-correlation (no flip)"),
                            Mistake("out", lambda c: out - b[None, :, None, None], "the bias b[f] is missing"))),
        GradientPart("conv_backward_naive: dx, dw, db",
                     lambda s: _grads(s.call("conv_backward_naive", dout, cache), ("x", "w", "b"),
                                      "conv_backward_naive"),
                     {"x": x, "w": w, "b": b},
                     lambda v: float(np.sum(ref.conv_forward_naive(v["x"], v["w"], v["b"], param)[0] * dout)),
                     upstream=dout, batch=2,
                     mistakes=(Mistake("x", lambda c: padded_dx, "dx still has the padding: it must have x's shape; "
                                       "cut the padding off (dxp[:, :, P:P + H, P:P + W])"),)),
    ]


# ------------------------------------------------------------------------------------------------ 5 im2col
def _col2im_assigned(col, x_shape, FH, FW, stride, pad):
    """col2im with = instead of += (so where windows overlap, the last offset written wins): a known mistake."""
    N, C, H, W = x_shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    col = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for p in range(FH):
        for q in range(FW):
            xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] = col[:, :, p, q]
    return xp[:, :, pad:pad + H, pad:pad + W]


def _im2col(seed):
    ref = reference(5)
    rng = _rng(5, seed)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    param = {"stride": 2, "pad": 1}
    col = ref.im2col(x, 3, 3, 2, 1)
    dcol = rng.standard_normal(col.shape)
    out, cache = ref.conv_forward_im2col(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dY = dout.transpose(0, 2, 3, 1).reshape(-1, 3)
    return [
        ValuePart("im2col: col (N*OH*OW, C*FH*FW), stride 2, pad 1",
                  lambda s: {"col": s.call("im2col", x, 3, 3, 2, 1)}, lambda: {"col": col}),
        ValuePart("col2im: overlapping windows add up",
                  lambda s: {"x": s.call("col2im", dcol, x.shape, 3, 3, 2, 1)},
                  lambda: {"x": ref.col2im(dcol, x.shape, 3, 3, 2, 1)},
                  mistakes=(Mistake("x", lambda c: _col2im_assigned(dcol, x.shape, 3, 3, 2, 1),
                                    "col2im overwrites (=) where windows overlap: it must ADD (+=), each window "
                                    "sends its own share of the gradient"),)),
        ValuePart("conv_forward_im2col: out as one matrix product",
                  lambda s: {"out": returned(s.call("conv_forward_im2col", x, w, b, param), 2,
                                             "conv_forward_im2col")[0]},
                  lambda: {"out": out}),
        GradientPart("conv_backward_im2col: dx, dw, db",
                     lambda s: _grads(s.call("conv_backward_im2col", dout, cache), ("x", "w", "b"),
                                      "conv_backward_im2col"),
                     {"x": x, "w": w, "b": b},
                     lambda v: float(np.sum(ref.conv_forward_im2col(v["x"], v["w"], v["b"], param)[0] * dout)),
                     upstream=dout, batch=2,
                     mistakes=(Mistake("w", lambda c: (col.T @ dY).reshape(w.shape),
                                       "dw = (col^T . dY).reshape(w.shape) scrambles the entries: col^T . dY is "
                                       "(C*FH*FW, F), so transpose it first: (col^T . dY).T.reshape(w.shape)"),
                               Mistake("x", lambda c: _col2im_assigned(dY @ w.reshape(3, -1), x.shape, 3, 3, 2, 1),
                                       "col2im overwrites (=) where windows overlap: it must ADD (+=)"))),
    ]


# ------------------------------------------------------------------------------------------------ 6 max pool
def _pool_ties(x, dout, PH, S, rule):
    """max pool's backward where ties go to every maximum ("all") or to the last one ("last"): known mistakes."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * S:i * S + PH, j * S:j * S + PH]
            top = window == window.max(axis=(2, 3), keepdims=True)
            if rule == "last":
                flat = top.reshape(*top.shape[:2], -1)
                last = flat.shape[-1] - 1 - np.argmax(flat[..., ::-1], axis=-1)
                top = (np.arange(flat.shape[-1]) == last[..., None]).reshape(top.shape)
            dx[:, :, i * S:i * S + PH, j * S:j * S + PH] += top * dout[:, :, i, j][:, :, None, None]
    return dx


def _max_pool(seed):
    ref = reference(6)
    rng = _rng(6, seed)
    overlap = {"pool_height": 2, "pool_width": 2, "stride": 1}
    x = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 7.0      # distinct values: no ties, no kinks
    out, cache = ref.max_pool_forward(x, overlap)
    dout = rng.standard_normal(out.shape)
    tiled = {"pool_height": 2, "pool_width": 2, "stride": 2}
    ties = rng.integers(0, 2, (2, 2, 4, 4)).astype(float)             # 0/1 pixels: most windows tie
    tie_out, tie_cache = ref.max_pool_forward(ties, tiled)
    tie_dout = rng.standard_normal(tie_out.shape)
    return [
        ValuePart("max_pool_forward: out (2x2 windows, stride 1: they overlap)",
                  lambda s: {"out": returned(s.call("max_pool_forward", x, overlap), 2, "max_pool_forward")[0]},
                  lambda: {"out": out}),
        GradientPart("max_pool_backward: dx (overlapping windows)",
                     lambda s: {"x": s.call("max_pool_backward", dout, cache)}, {"x": x},
                     lambda v: float(np.sum(ref.max_pool_forward(v["x"], overlap)[0] * dout)), upstream=dout),
        ValuePart("max_pool_backward with ties: the first maximum takes the gradient",
                  lambda s: {"dx": s.call("max_pool_backward", tie_dout, tie_cache)},
                  lambda: {"dx": ref.max_pool_backward(tie_dout, tie_cache)},
                  mistakes=(Mistake("dx", lambda c: _pool_ties(ties, tie_dout, 2, 2, "all"),
                                    "every tied maximum received the gradient: only the FIRST maximum in row-major "
                                    "order takes it (np.argmax of the flattened window)"),
                            Mistake("dx", lambda c: _pool_ties(ties, tie_dout, 2, 2, "last"),
                                    "the LAST tied maximum received the gradient: the FIRST one in row-major order "
                                    "takes it (np.argmax of the flattened window picks the first)"))),
    ]


# ------------------------------------------------------------------------------------------------ 7 RNN and BPTT
def _bptt(ref, dh, caches, steps, recurrent=True, accumulate=True):
    """rnn_backward over the time steps `steps` (a wrong range is a known mistake), optionally without the
    recurrent gradient or with = instead of += for the weights."""
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev = np.zeros((N, H))
    for t in steps:
        dx[:, t], step_prev, a, b_, c = ref.rnn_step_backward(dh[:, t] + (dprev if recurrent else 0), caches[t])
        dprev = step_prev
        if accumulate:
            dWx, dWh, db = dWx + a, dWh + b_, db + c
        else:
            dWx, dWh, db = a, b_, c
    return {"x": dx, "h0": dprev, "Wx": dWx, "Wh": dWh, "b": db}


def _rnn(seed):
    ref = reference(7)
    rng = _rng(7, seed)
    N, T, D, H = 2, 5, 3, 4
    x1, h, Wx = rng.standard_normal((N, D)), rng.standard_normal((N, H)), 0.5 * rng.standard_normal((D, H))
    Wh, b = 0.5 * rng.standard_normal((H, H)), 0.1 * rng.standard_normal(H)
    step_out, step_cache = ref.rnn_step_forward(x1, h, Wx, Wh, b)
    dstep = rng.standard_normal((N, H))
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    hs, caches = ref.rnn_forward(xs, h0, Wx, Wh, b)
    dh = rng.standard_normal((N, T, H))
    names = ("x", "h0", "Wx", "Wh", "b")
    variants = [
        (range(T - 2, -1, -1), True, True, "off by one in the loop: the last step t = T - 1 is never visited "
         "(reversed(range(T - 1))?); BPTT runs for t in reversed(range(T))"),
        (range(T - 1, 0, -1), True, True, "off by one in the loop: step t = 0 is never visited (range(1, T) or "
         "range(T - 1, 0, -1)?); BPTT runs for t in reversed(range(T)), and dh0 is what step 0 sends back"),
        (range(T - 1, -1, -1), False, True, "the gradient from step t + 1 (dprev_h) is not added to dh[:, t]: "
         "h[:, t] feeds the loss AND the next step, so both gradients add"),
        (range(T - 1, -1, -1), True, False, "dWx, dWh, db are overwritten at each step (=) instead of added up "
         "(+=): the same weights are used at every step"),
    ]
    mistakes = tuple(Mistake(name, (lambda c, v=v, name=name: _bptt(ref, dh, caches, v[0], v[1], v[2])[name]), v[3])
                     for v in variants for name in names)
    return [
        ValuePart("rnn_step_forward: next_h",
                  lambda s: {"next_h": returned(s.call("rnn_step_forward", x1, h, Wx, Wh, b), 2,
                                                "rnn_step_forward")[0]},
                  lambda: {"next_h": step_out}),
        GradientPart("rnn_step_backward: dx, dprev_h, dWx, dWh, db",
                     lambda s: _grads(s.call("rnn_step_backward", dstep, step_cache), ("x", "prev_h", "Wx", "Wh", "b"),
                                      "rnn_step_backward"),
                     {"x": x1, "prev_h": h, "Wx": Wx, "Wh": Wh, "b": b},
                     lambda v: float(np.sum(ref.rnn_step_forward(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])[0]
                                            * dstep)), upstream=dstep, batch=N),
        GradientPart(f"rnn_backward: BPTT over T = {T} steps: dx, dh0, dWx, dWh, db",
                     lambda s: _grads(s.call("rnn_backward", dh, caches), names, "rnn_backward"),
                     {"x": xs, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b},
                     lambda v: float(np.sum(ref.rnn_forward(v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])[0] * dh)),
                     batch=N, mistakes=mistakes),
    ]


# ------------------------------------------------------------------------------------------------ 8 LSTM
def _lstm_variant(dnext_h, dnext_c, cache, lane=True, both_roads=True):
    """The LSTM step's backward with dprev_c = dc (no forget gate) or dc without dnext_c: known mistakes."""
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tc = np.tanh(next_c)
    dc = (dnext_c if both_roads else 0) + dnext_h * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2),
                         dnext_h * tc * o * (1 - o)], axis=1)
    return {"x": da @ Wx.T, "prev_h": da @ Wh.T, "prev_c": dc * f if lane else dc, "Wx": x.T @ da,
            "Wh": prev_h.T @ da, "b": da.sum(axis=0)}


def _lstm(seed):
    ref = reference(8)
    rng = _rng(8, seed)
    N, D, H = 2, 3, 4
    inputs = {"x": rng.standard_normal((N, D)), "prev_h": rng.standard_normal((N, H)),
              "prev_c": rng.standard_normal((N, H)), "Wx": 0.5 * rng.standard_normal((D, 4 * H)),
              "Wh": 0.5 * rng.standard_normal((H, 4 * H)), "b": 0.1 * rng.standard_normal(4 * H)}
    names = tuple(inputs)
    *_, cache = ref.lstm_step_forward(*inputs.values())
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))

    def loss(v):
        next_h, next_c, _ = ref.lstm_step_forward(*(v[n] for n in names))
        return float(np.sum(next_h * dh) + np.sum(next_c * dc))

    lane = "dprev_c = dc: along the cell state's lane the gradient is multiplied by the forget gate, dprev_c = dc * f"
    roads = ("dc misses dnext_c: the cell state reaches the loss by two roads (next_h through tanh, and next_c "
             "along the lane to the next step), so dc = dnext_c + dnext_h * o * (1 - tanh(next_c)^2)")
    mistakes = (Mistake("prev_c", lambda c: _lstm_variant(dh, dc, cache, lane=False)["prev_c"], lane),) + tuple(
        Mistake(n, (lambda c, n=n: _lstm_variant(dh, dc, cache, both_roads=False)[n]), roads) for n in names)
    return [
        GradientPart("lstm_step_backward: dx, dprev_h, dprev_c, dWx, dWh, db",
                     lambda s: _grads(s.call("lstm_step_backward", dh, dc, cache), names, "lstm_step_backward"),
                     inputs, loss, batch=N, mistakes=mistakes),
    ]


# ------------------------------------------------------------------------------------------------ 9 RBM CD-k
# the notes' worked example (tests/data/WORKED_EXAMPLES.md, note 002), typed from the notes, not computed
V0 = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 1, 0, 1, 0], [1, 0, 1, 1, 0, 1], [1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 1, 0]],
              dtype=float)
W0 = np.array([[0.2, -0.2], [-0.7, 0.1], [0.8, -0.5], [-0.4, -0.2], [0.2, 0.4], [-0.1, 0.1]])
H0 = np.array([[1, 0], [1, 1], [1, 0], [0, 0], [0, 1]], dtype=float)
V1 = np.array([[1, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0], [1, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 0]],
              dtype=float)
H1 = np.array([[1, 0], [1, 0], [1, 1], [1, 0], [0, 1]], dtype=float)
P_H = np.array([[0.731, 0.332], [0.574, 0.500], [0.622, 0.310], [0.269, 0.450], [0.378, 0.622]])
P_V_ROW = {0: [0.550, 0.332, 0.690, 0.401, 0.550, 0.475], 1: [0.500, 0.354, 0.574, 0.354, 0.646, 0.500],
           3: [0.5] * 6, 4: [0.450, 0.525, 0.378, 0.450, 0.599, 0.525]}
DW = np.array([[-0.3, 0], [0.3, 0.3], [-0.3, 0], [-0.6, -0.3], [-0.3, 0], [0, 0]])
W1 = np.array([[-0.1, -0.2], [-0.4, 0.4], [0.5, -0.5], [-1.0, -0.5], [-0.1, 0.4], [-0.1, 0.1]])
LR = 0.3


def _draws_for(samples):
    """Uniform draws that make `p > u` give exactly these 0/1 samples (u = 0 where on, 1 where off)."""
    return np.where(samples == 1, 0.0, 1.0)


def _rbm(seed):
    ref = reference(9)
    rng = _rng(9, seed)
    uh, uv = np.stack([_draws_for(H0), _draws_for(H1)]), _draws_for(V1)[None]
    p_v = np.array([P_V_ROW[r if r != 2 else 0] for r in range(5)])      # student 3's h0 is student 1's: same row
    k = 3
    v_rand = (rng.random((4, 6)) < 0.5).astype(float)
    w_rand = 0.5 * rng.standard_normal((6, 3))
    uh_rand, uv_rand = rng.random((k + 1, 4, 3)), rng.random((k, 4, 6))
    says_sign = "the sign is flipped: dW = lr (v0^T h0 - vk^T hk), the data's correlations minus the model's"
    return [
        ValuePart("p_h_given_v on the notes' 5 students (3 decimals, as the notes print them)",
                  lambda s: {"p(h|v)": s.call("p_h_given_v", V0, W0)}, lambda: {"p(h|v)": P_H}, rtol=2e-3,
                  mistakes=(Mistake("p(h|v)", lambda c: 1 / (1 + np.exp(V0 @ W0)), "sigmoid(-v . W): the sign "
                                    "inside the sigmoid is flipped"),)),
        ValuePart("p_v_given_h for the notes' sampled h (3 decimals)",
                  lambda s: {"p(v|h)": s.call("p_v_given_h", H0, W0)}, lambda: {"p(v|h)": p_v}, rtol=2e-3),
        ValuePart("cd_k, k = 1, the notes' own samples replayed: dW and the new W",
                  lambda s: dict(zip(("W_new", "dW"), returned(s.call("cd_k", V0, W0, LR, uh, uv), 2, "cd_k"))),
                  lambda: {"dW": DW, "W_new": W1}, rtol=1e-9,
                  mistakes=(Mistake("dW", lambda c: -DW, says_sign),
                            Mistake("dW", lambda c: DW / LR, "the learning rate is missing: dW = lr (...)"),
                            Mistake("W_new", lambda c: W0 - DW, says_sign))),
        ValuePart(f"cd_k, k = {k}, random draws: the Gibbs chain runs k steps",
                  lambda s: dict(zip(("W_new", "dW"), returned(s.call("cd_k", v_rand, w_rand, LR, uh_rand, uv_rand),
                                                               2, "cd_k"))),
                  lambda: dict(zip(("W_new", "dW"), ref.cd_k(v_rand, w_rand, LR, uh_rand, uv_rand))),
                  mistakes=(Mistake("dW", lambda c: ref.cd_k(v_rand, w_rand, LR, uh_rand[:2], uv_rand[:1])[1],
                                    "the chain made one Gibbs step: CD-k makes k = len(uv) steps down and up"),)),
    ]


# ------------------------------------------------------------------------------------------------ 10 GRU
def _gru(seed):
    ref = reference(10)
    rng = _rng(10, seed)
    N, D, H = 2, 3, 4
    inputs = {"x": rng.standard_normal((N, D)), "prev_h": rng.standard_normal((N, H)),
              "Wx": 0.5 * rng.standard_normal((D, 3 * H)), "Wh": 0.5 * rng.standard_normal((H, 3 * H)),
              "bx": 0.1 * rng.standard_normal(3 * H), "bh": 0.1 * rng.standard_normal(3 * H)}
    names = tuple(inputs)
    _, cache = ref.gru_step_forward(*inputs.values())
    dnext = rng.standard_normal((N, H))
    x, prev_h, Wx, Wh, r, z, n, ah_n = cache
    dz_swapped = dnext * (n - prev_h) * z * (1 - z)

    def swapped(name):
        """dz with z and 1 - z swapped (the notes' 004 convention) in the backward only."""
        dx, dprev, dWx, dWh, dbx, dbh = ref.gru_step_backward(dnext, cache)
        fix = np.zeros((N, 3 * H))
        fix[:, H:2 * H] = dz_swapped - dnext * (prev_h - n) * z * (1 - z)
        grads = {"x": dx + fix @ Wx.T, "prev_h": dprev + fix @ Wh.T, "Wx": dWx + x.T @ fix, "Wh": dWh + prev_h.T @ fix,
                 "bx": dbx + fix.sum(0), "bh": dbh + fix.sum(0)}
        return grads[name]

    says = ("dz has the wrong sign: with next_h = (1 - z) * n + z * prev_h, dz = dnext_h * (prev_h - n) (note 004 "
            "writes z and 1 - z the other way round; the forward here follows PyTorch)")
    return [
        GradientPart("gru_step_backward: dx, dprev_h, dWx, dWh, dbx, dbh",
                     lambda s: _grads(s.call("gru_step_backward", dnext, cache), names, "gru_step_backward"),
                     inputs, lambda v: float(np.sum(ref.gru_step_forward(*(v[k] for k in names))[0] * dnext)),
                     batch=N, mistakes=tuple(Mistake(k, (lambda c, k=k: swapped(k)), says) for k in names)),
    ]


_PARTS = {1: _affine, 2: _two_layer, 3: _activations, 4: _conv_naive, 5: _im2col, 6: _max_pool, 7: _rnn, 8: _lstm,
          9: _rbm, 10: _gru}


def parts(number: int, seed: int = 0):
    """The parts that check exercise `number` (inputs drawn with `seed`)."""
    get(number)                                   # a ValueError naming the exercises when there is no such one
    return _PARTS[number](seed)

