"""Tensor mode, backpropagation through time: an LSTM on a sequence of 35, batch 32, input 64, hidden 128, float32.

loss = sum(h_T ** 2) of the last hidden state; one step = forward + backward (no update).  Contenders:
  numpy              the same LSTM by hand (the floor for any numpy engine): the input projection of all steps is
                     one GEMM before the loop, the weight gradients two GEMMs after it, activations in place
  torch              torch.nn.LSTMCell unrolled in a Python loop (CPU, 1 thread)
  torch_nn_lstm      torch.nn.LSTM, one call (fused C++ loop)
  tinygrad_edu       tinygrad_edu.nn.LSTM, one call (unrolled in Python over recorded ops), as configured by
                     default: the input projection of all steps as one matmul before the loop, sliced per step
  tinygrad_edu_per_step  the same with hoist_input_projection = False: x_t W_ih^T inside every step
  tinygrad_edu_cell  tinygrad_edu.nn.LSTMCell unrolled by the caller, as the torch row
Same data and initial weights for all; gradients are checked against torch before timing.
Target: tinygrad_edu within 1.5x of numpy.

    .venv/bin/python benchmarks/lstm_bptt.py [--quick] [--reps N] [--json out.json]
"""

from __future__ import annotations

import math

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg

TARGET = 1.5        # tinygrad_edu / numpy, ms per step
T, N, D, H = 35, 32, 64, 128
F32 = np.float32
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def make_data(seed=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, N, D), dtype=F32)
    bound = 1 / math.sqrt(H)            # PyTorch's LSTM init; torch layout, gates i, f, g, o
    init = [rng.uniform(-bound, bound, s).astype(F32) for s in ((4 * H, D), (4 * H, H), (4 * H,), (4 * H,))]
    return X, init


# ------------------------------------------------------------------------------------------- contenders
def build_numpy(X, init):
    """cs231n-style forward/backward; returns (step, grads) with grads in NAMES order."""
    Wih, Whh, bih, bhh = init
    out = [None]

    def step():
        xw = (X.reshape(T * N, D) @ Wih.T).reshape(T, N, 4 * H)     # input projection: one GEMM for all steps
        xw += bih + bhh
        hs = np.zeros((T + 1, N, H), F32)
        cs = np.zeros((T + 1, N, H), F32)
        A = np.empty((T, N, 4 * H), F32)                             # activated gates i, f, g, o
        TC = np.empty((T, N, H), F32)                                # tanh(c_t)
        WhhT = Whh.T
        for t in range(T):
            z = xw[t] + hs[t] @ WhhT
            a = A[t]
            np.multiply(z, 0.5, out=a)                               # sigmoid = (1 + tanh(z/2)) / 2, as the engine
            np.tanh(a, out=a)
            a *= 0.5
            a += 0.5
            np.tanh(z[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            c = cs[t + 1]
            np.multiply(a[:, H:2 * H], cs[t], out=c)
            c += a[:, :H] * a[:, 2 * H:3 * H]
            np.tanh(c, out=TC[t])
            np.multiply(a[:, 3 * H:], TC[t], out=hs[t + 1])
        loss = float((hs[T] * hs[T]).sum())
        dh = 2 * hs[T]                                               # backward through time
        dc = np.zeros((N, H), F32)
        dZ = np.empty((T, N, 4 * H), F32)
        for t in range(T - 1, -1, -1):
            a, tc, dz = A[t], TC[t], dZ[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            np.multiply(dh, tc, out=dz[:, 3 * H:])                   # do
            dc += dh * o * (1 - tc * tc)
            np.multiply(dc, g, out=dz[:, :H])                        # di
            np.multiply(dc, cs[t], out=dz[:, H:2 * H])               # df
            np.multiply(dc, i, out=dz[:, 2 * H:3 * H])               # dg
            dc *= f
            deriv = a * (1 - a)                                      # sigmoid'
            np.subtract(1, g * g, out=deriv[:, 2 * H:3 * H])         # tanh'
            dz *= deriv
            if t:
                dh = dz @ Whh
        dZ2 = dZ.reshape(T * N, 4 * H)
        db = dZ2.sum(0)
        out[0] = [dZ2.T @ X.reshape(T * N, D), dZ2.T @ hs[:T].reshape(T * N, H), db, db]   # weight grads: 2 GEMMs
        return loss

    return step, lambda: out[0]


def _torch_params(torch, module, init, suffix):
    with torch.no_grad():
        for name, a in zip(NAMES, init):
            getattr(module, name + suffix).copy_(torch.from_numpy(a))
    return [getattr(module, name + suffix) for name in NAMES]


def build_torch_cell(torch, X, init):
    cell = torch.nn.LSTMCell(D, H)
    P = _torch_params(torch, cell, init, "")
    Xt = torch.from_numpy(X)

    def step():
        for p in P:
            p.grad = None
        h, c = torch.zeros(N, H), torch.zeros(N, H)
        for t in range(T):
            h, c = cell(Xt[t], (h, c))
        loss = (h * h).sum()
        loss.backward()
        return loss.item()

    return step, lambda: [p.grad.numpy().copy() for p in P]


def build_torch_lstm(torch, X, init):
    lstm = torch.nn.LSTM(D, H)
    P = _torch_params(torch, lstm, init, "_l0")
    Xt = torch.from_numpy(X)

    def step():
        for p in P:
            p.grad = None
        _, (hn, _) = lstm(Xt)
        loss = (hn * hn).sum()
        loss.backward()
        return loss.item()

    return step, lambda: [p.grad.numpy().copy() for p in P]


def _edu_params(module, init, suffix):
    module.load_state_dict({name + suffix: a for name, a in zip(NAMES, init)})
    return [getattr(module, name + suffix) for name in NAMES]


def build_edu_lstm(X, init, hoist=True):
    lstm = tg.nn.LSTM(D, H)
    lstm.hoist_input_projection = hoist
    P = _edu_params(lstm, init, "_l0")
    Xt = tg.Tensor(X)

    def step():
        for p in P:
            p.grad = None
        _, (hn, _) = lstm(Xt)
        loss = (hn * hn).sum()
        loss.backward()
        return loss.item()

    return step, lambda: [p.grad.data.copy() for p in P]


def build_edu_cell(X, init):
    cell = tg.nn.LSTMCell(D, H)
    P = _edu_params(cell, init, "")
    xs = [tg.Tensor(np.ascontiguousarray(X[t])) for t in range(T)]

    def step():
        for p in P:
            p.grad = None
        h = c = tg.zeros(N, H)
        for t in range(T):
            h, c = cell(xs[t], (h, c))
        loss = (h * h).sum()
        loss.backward()
        return loss.item()

    return step, lambda: [p.grad.data.copy() for p in P]


def contenders(torch):
    """(name, step, grads) for every contender, each from the same data and initial weights."""
    X, init = make_data()
    out = [("numpy", *build_numpy(X, init))]
    if torch is not None:
        out += [("torch", *build_torch_cell(torch, X, init)), ("torch_nn_lstm", *build_torch_lstm(torch, X, init))]
    out += [("tinygrad_edu", *build_edu_lstm(X, init)), ("tinygrad_edu_per_step", *build_edu_lstm(X, init, False)),
            ("tinygrad_edu_cell", *build_edu_cell(X, init))]
    return out


def main(argv=None):
    args = common.finish_args(common.parser(__doc__.splitlines()[0], reps=31, quick_reps=5).parse_args(argv))
    common.pin_threads()
    torch = common.optional_torch()
    print(f"lstm_bptt: LSTM T={T}, N={N}, D={D}, H={H}, float32, loss = sum(h_T^2), forward + backward")
    print(common.environment())
    built = contenders(torch)

    # before timing: one step each, and every gradient (W_ih, W_hh, b_ih, b_hh) against torch's (numpy's without it)
    grads = {}
    for name, step, probe in built:
        step()
        grads[name] = probe()
    ref = "torch_nn_lstm" if "torch_nn_lstm" in grads else "numpy"
    ok = all(common.check(f"{name} gradients vs {ref}", grads[name], grads[ref]) for name in grads if name != ref)
    if not ok:
        raise SystemExit("gradients differ: not timing a wrong implementation")

    rows = common.summarize(common.run_interleaved(
        [common.Contender(name, step) for name, step, _ in built], args.reps, args.target_rep_s),
        refs=("numpy", "torch"))
    common.print_table(f"lstm_bptt ({args.reps} interleaved reps)", rows, refs=("numpy", "torch"))
    line = common.target_line("lstm_bptt", rows, "tinygrad_edu", "numpy", TARGET)
    common.write_json(args.json, "lstm_bptt", rows, {"target": line})


if __name__ == "__main__":
    main()
