"""Tensor mode, one training step of an MLP 784-256-10 (ReLU) on a batch of 128, float32.

tinygrad_edu: F.linear -> F.relu -> F.linear -> F.cross_entropy (int64 targets) -> backward -> optim.SGD.step,
against the same network written by hand in numpy, cs231n-style (the floor for any numpy engine), and
torch (CPU, 1 thread).  Same data, same initial weights for all.  Target: tinygrad_edu within 1.2x of numpy.

    .venv/bin/python benchmarks/mlp_step.py [--quick] [--reps N] [--json out.json]
"""

from __future__ import annotations

import math

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

TARGET = 1.2        # tinygrad_edu / numpy, ms per step
BATCH, SIZES, LR = 128, (784, 256, 10), 0.01


def make_data(seed=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int64)
    init = []
    for nin, nout in zip(SIZES[:-1], SIZES[1:]):            # PyTorch's Linear init, torch layout W (out, in)
        bound = 1 / math.sqrt(nin)
        init += [rng.uniform(-bound, bound, (nout, nin)).astype(np.float32),
                 rng.uniform(-bound, bound, nout).astype(np.float32)]
    return X, y, init


# ------------------------------------------------------------------------------------------- contenders
def softmax_cross_entropy(logits, y):
    """Mean cross-entropy and d loss / d logits (already divided by N), as cs231n's softmax_loss."""
    n = logits.shape[0]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y]))
    d = e / s
    d[np.arange(n), y] -= 1
    d /= n
    return loss, d


def build_numpy(X, y, init):
    P = [a.copy() for a in init]
    W1, b1, W2, b2 = P

    def step():
        h = X @ W1.T
        h += b1
        a = np.maximum(h, 0)
        logits = a @ W2.T
        logits += b2
        loss, dlogits = softmax_cross_entropy(logits, y)
        dW2 = dlogits.T @ a
        db2 = dlogits.sum(0)
        da = dlogits @ W2
        da *= h > 0
        dW1 = da.T @ X
        db1 = da.sum(0)
        for p, g in zip(P, (dW1, db1, dW2, db2)):
            p -= LR * g
        return loss

    return step, lambda: [p.copy() for p in P]


def build_torch(torch, X, y, init):
    Fn = torch.nn.functional
    P = [torch.tensor(a, requires_grad=True) for a in init]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.SGD(P, lr=LR)

    def step():
        loss = Fn.cross_entropy(Fn.linear(Fn.relu(Fn.linear(Xt, P[0], P[1])), P[2], P[3]), yt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: [p.detach().numpy().copy() for p in P]


def build_edu(X, y, init):
    P = [tg.Tensor(a, requires_grad=True) for a in init]
    W1, b1, W2, b2 = P
    Xt = tg.Tensor(X)
    opt = tg.optim.SGD(P, lr=LR)

    def step():
        loss = F.cross_entropy(F.linear(F.relu(F.linear(Xt, W1, b1)), W2, b2), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: [p.data.copy() for p in P]


def contenders(torch):
    """(name, step, probe) for every contender, each from the same initial weights."""
    X, y, init = make_data()
    out = [("numpy", *build_numpy(X, y, init))]
    if torch is not None:
        out.append(("torch", *build_torch(torch, X, y, init)))
    out.append(("tinygrad_edu", *build_edu(X, y, init)))
    return out, init


def main(argv=None):
    args = common.finish_args(common.parser(__doc__.splitlines()[0], reps=41, quick_reps=5).parse_args(argv))
    common.pin_threads()
    torch = common.optional_torch()
    print(f"mlp_step: MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, fwd + bwd + SGD(lr={LR})")
    print(common.environment())
    built, init = contenders(torch)

    # one checked step from the same initial weights: the SGD update p1 - p0 against torch's (numpy's if no torch)
    common.check_updates(built, init)

    rows = common.summarize(common.run_interleaved(
        [common.Contender(name, step) for name, step, _ in built], args.reps, args.target_rep_s))
    common.print_table(f"mlp_step ({args.reps} interleaved reps)", rows)
    line = common.target_line("mlp_step", rows, "tinygrad_edu", "numpy", TARGET)
    common.write_json(args.json, "mlp_step", rows, {"target": line})


if __name__ == "__main__":
    main()
