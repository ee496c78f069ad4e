"""Tensor mode, one LeNet-style training step on a batch of 64x1x28x28, float32, plus a float64 conv gradcheck.

Step: conv 1->8 k5, ReLU, max pool 2, conv 8->16 k5, ReLU, max pool 2, linear 256->10, cross-entropy, SGD;
against the same network hand-written in numpy with im2col (the floor for a numpy engine) and torch (CPU,
1 thread).  Same data and initial weights for all.  Target: tinygrad_edu within 1.5x of numpy.
Gradcheck: tinygrad_edu.gradcheck.gradcheck of F.conv2d on input 2x3x8x8 and weight 4x3x3x3 (float64) against
torch.autograd.gradcheck of the same.  Target: no slower than torch.

    .venv/bin/python benchmarks/lenet_step.py [--quick] [--reps N] [--json out.json]
"""

from __future__ import annotations

import math

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

TARGET_STEP, TARGET_GRADCHECK = 1.5, 1.0
N, LR = 64, 0.01
SHAPES = [(8, 1, 5, 5), (8,), (16, 8, 5, 5), (16,), (10, 256), (10,)]


def make_data(seed=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, N).astype(np.int64)
    init, fan_in = [], None
    for shape in SHAPES:                       # PyTorch's default init: U(+-1/sqrt(fan_in)), bias from its layer
        if len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
        bound = 1 / math.sqrt(fan_in)
        init.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return X, y, init


# ------------------------------------------------------------------------------------------- numpy floor
def im2col(x, k):
    """(N, C, H, W) -> (N, C*k*k, OH*OW), stride 1, no padding."""
    n, c, h, w = x.shape
    v = sliding_window_view(x, (k, k), axis=(2, 3))
    return np.ascontiguousarray(v.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * k * k, (h - k + 1) * (w - k + 1))


def conv_forward(x, w, b):
    f, _, k, _ = w.shape
    cols = im2col(x, k)
    out = np.matmul(w.reshape(f, -1), cols)
    out += b[:, None]
    return out.reshape(x.shape[0], f, x.shape[2] - k + 1, x.shape[3] - k + 1), cols


def conv_backward(dout, cols, w, x_shape, need_dx):
    f, c, k, _ = w.shape
    n, _, oh, ow = dout.shape
    dm = dout.reshape(n, f, oh * ow)
    dw = np.matmul(dm, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = dm.sum(axis=(0, 2))
    dx = None
    if need_dx:
        dcols = np.matmul(w.reshape(f, -1).T, dm).reshape(n, c, k, k, oh, ow)
        dx = np.zeros(x_shape, dout.dtype)
        for i in range(k):
            for j in range(k):
                dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, i, j]
    return dx, dw, db


def pool_forward(r):
    return np.maximum(np.maximum(r[:, :, 0::2, 0::2], r[:, :, 0::2, 1::2]),
                      np.maximum(r[:, :, 1::2, 0::2], r[:, :, 1::2, 1::2]))


def pool_backward(r, p, dp):
    """The gradient to the first maximum of each window in row-major order (PyTorch's rule)."""
    dr = np.empty_like(r)
    taken = None
    for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
        m = r[:, :, a::2, b::2] == p
        if taken is None:
            taken = m
        else:
            m &= ~taken
            taken |= m
        np.multiply(m, dp, out=dr[:, :, a::2, b::2])
    return dr


def build_numpy(X, y, init):
    P = [a.copy() for a in init]

    def step():
        w1, b1, w2, b2, wf, bf = P
        o1, c1 = conv_forward(X, w1, b1)
        r1 = np.maximum(o1, 0)
        p1 = pool_forward(r1)
        o2, c2 = conv_forward(p1, w2, b2)
        r2 = np.maximum(o2, 0)
        p2 = pool_forward(r2)
        flat = p2.reshape(N, 256)
        logits = flat @ wf.T
        logits += bf
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(N), y]))
        dl = e / s
        dl[np.arange(N), y] -= 1
        dl /= N
        dwf, dbf, dflat = dl.T @ flat, dl.sum(0), dl @ wf
        do2 = pool_backward(r2, p2, dflat.reshape(p2.shape))
        do2 *= o2 > 0
        dp1, dw2, db2 = conv_backward(do2, c2, w2, p1.shape, True)
        do1 = pool_backward(r1, p1, dp1)
        do1 *= o1 > 0
        _, dw1, db1 = conv_backward(do1, c1, w1, X.shape, False)
        for p, g in zip(P, (dw1, db1, dw2, db2, dwf, dbf)):
            p -= LR * g
        return loss

    return step, lambda: [p.copy() for p in P]


def build_torch(torch, X, y, init):
    Fn = torch.nn.functional
    P = [torch.tensor(a, requires_grad=True) for a in init]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.SGD(P, lr=LR)

    def step():
        h = Fn.max_pool2d(Fn.relu(Fn.conv2d(Xt, P[0], P[1])), 2)
        h = Fn.max_pool2d(Fn.relu(Fn.conv2d(h, P[2], P[3])), 2)
        loss = Fn.cross_entropy(Fn.linear(h.reshape(N, 256), P[4], P[5]), yt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: [p.detach().numpy().copy() for p in P]


def build_edu(X, y, init):
    P = [tg.Tensor(a, requires_grad=True) for a in init]
    Xt = tg.Tensor(X)
    opt = tg.optim.SGD(P, lr=LR)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(Xt, P[0], P[1])), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, P[2], P[3])), 2)
        loss = F.cross_entropy(F.linear(h.reshape(N, 256), P[4], P[5]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: [p.data.copy() for p in P]


# ------------------------------------------------------------------------------------------- gradcheck
def gradcheck_contenders(torch):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3))
    xt = tg.Tensor(x, dtype=np.float64, requires_grad=True)
    wt = tg.Tensor(w, dtype=np.float64, requires_grad=True)
    out = [("tinygrad_edu", lambda: bool(tg.gradcheck.gradcheck(F.conv2d, (xt, wt))))]
    if torch is not None:
        xp = torch.tensor(x, requires_grad=True)
        wp = torch.tensor(w, requires_grad=True)
        out.insert(0, ("torch", lambda: torch.autograd.gradcheck(torch.nn.functional.conv2d, (xp, wp))))
    return out


def main(argv=None):
    args = common.finish_args(common.parser(__doc__.splitlines()[0], reps=21, quick_reps=3).parse_args(argv))
    common.pin_threads()
    torch = common.optional_torch()
    print(f"lenet_step: batch {N}x1x28x28, conv 1->8 k5, pool, conv 8->16 k5, pool, linear 256->10, SGD(lr={LR})")
    print(common.environment())
    X, y, init = make_data()
    built = [("numpy", *build_numpy(X, y, init))]
    if torch is not None:
        built.append(("torch", *build_torch(torch, X, y, init)))
    built.append(("tinygrad_edu", *build_edu(X, y, init)))

    common.check_updates(built, init)
    rows = common.summarize(common.run_interleaved(
        [common.Contender(name, step) for name, step, _ in built], args.reps, args.target_rep_s))
    common.print_table(f"lenet_step ({args.reps} interleaved reps)", rows)
    step_line = common.target_line("lenet_step", rows, "tinygrad_edu", "numpy", TARGET_STEP)

    checks = gradcheck_contenders(torch)
    for name, run in checks:
        assert run(), f"{name}: conv2d gradcheck failed"
    grad_rows = common.summarize(common.run_interleaved(
        [common.Contender(name, run) for name, run in checks], max(3, args.reps // 3), args.target_rep_s))
    common.print_table("conv2d gradcheck, float64, x 2x3x8x8, w 4x3x3x3", grad_rows, unit="ms/call")
    grad_line = common.target_line("conv gradcheck", grad_rows, "tinygrad_edu", "torch", TARGET_GRADCHECK) \
        if torch is not None else "conv gradcheck: torch not installed, no target ratio"
    common.write_json(args.json, "lenet_step", rows + grad_rows, {"target": [step_line, grad_line]})


if __name__ == "__main__":
    main()
