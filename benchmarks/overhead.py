"""Framework overhead: ten tiny elementwise ops on a 4x4 float32 tensor, then sum and backward.

Per iteration: x (4x4, requires grad) -> *2.0, +1.0, .relu(), *self, -0.5, *0.3, +x, .relu(), *x, +1.0 ->
.sum().backward(), then x.grad = None.  At this size the arithmetic is nothing, so the time is what the
framework costs per op (recording, dispatch, the backward walk).  Reported in ms per 10,000 iterations, against
torch, micrograd (the same chain on 16 Values) and the same forward with its backward written by hand in numpy
(the floor).  A tinygrad_edu.Scalar row (16 Scalars) shows scalar mode on the same chain.
Target: tinygrad_edu no slower than torch.

    .venv/bin/python benchmarks/overhead.py [--quick] [--reps N] [--iters N] [--json out.json]
"""

from __future__ import annotations

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg

TARGET = 1.0            # tinygrad_edu / torch
PER = 10_000            # the reported unit: ms per this many iterations


def chain(x):
    """The ten ops; works for tinygrad_edu/torch tensors, Scalars and micrograd Values alike."""
    y = x * 2.0
    y = y + 1.0
    y = y.relu()
    y = y * y
    y = y - 0.5
    y = y * 0.3
    y = y + x
    y = y.relu()
    y = y * x
    y = y + 1.0
    return y


def numpy_step(x, out):
    """Forward of the chain, and its gradient d sum / dx written by hand (the floor for a numpy engine)."""
    a1 = x * 2.0
    a2 = a1 + 1.0
    a3 = np.maximum(a2, 0)
    a4 = a3 * a3
    a5 = a4 - 0.5
    a6 = a5 * 0.3
    a7 = a6 + x
    a8 = np.maximum(a7, 0)
    a9 = a8 * x
    a10 = a9 + 1.0
    a10.sum()
    g7 = x * (a7 > 0)           # d(a8 * x)/da8 = x, through the ReLU
    gx = a8 + g7                # direct x terms: from a8 * x and from a6 + x
    g2 = g7 * 0.6 * a3 * (a2 > 0)
    gx += g2 * 2.0
    out[0] = gx


def build(torch, Value, x0):
    """(name, step, grad_probe, iterations_per_rep or None) for every contender."""
    out = []
    x_np = x0.copy()
    grad_np = [None]
    def numpy_probe():
        numpy_step(x_np, grad_np)
        return grad_np[0].copy()
    out.append(("numpy", lambda: numpy_step(x_np, grad_np), numpy_probe, "tensor"))

    if torch is not None:
        xt = torch.tensor(x0.copy(), requires_grad=True)

        def torch_step():
            chain(xt).sum().backward()
            xt.grad = None

        def torch_probe():
            xt.grad = None
            chain(xt).sum().backward()
            return xt.grad.numpy().copy()
        out.append(("torch", torch_step, torch_probe, "tensor"))

    x = tg.Tensor(x0.copy(), requires_grad=True)

    def edu_step():
        chain(x).sum().backward()
        x.grad = None

    def edu_probe():
        x.grad = None
        chain(x).sum().backward()
        return x.grad.data.copy()
    out.append(("tinygrad_edu", edu_step, edu_probe, "tensor"))

    for name, V in (("micrograd", Value), ("tinygrad_edu.Scalar", tg.Scalar)):
        if V is None:
            continue
        xs = [V(float(v)) for v in x0.ravel()]

        def scalar_step(xs=xs):
            sum(chain(v) for v in xs).backward()
            for v in xs:
                v.grad = 0

        def scalar_probe(xs=xs):
            for v in xs:
                v.grad = 0
            sum(chain(v) for v in xs).backward()
            return np.array([float(v.grad) for v in xs]).reshape(x0.shape)
        out.append((name, scalar_step, scalar_probe, "scalar"))
    return out


def main(argv=None):
    ap = common.parser(__doc__.splitlines()[0], reps=15, quick_reps=3)
    ap.add_argument("--iters", type=int, default=None,
                    help="iterations per repetition for the tensor contenders (default 10000, --quick 1000); "
                         "scalar-mode contenders run a tenth of that")
    args = common.finish_args(ap.parse_args(argv))
    if args.iters is None:
        args.iters = 1000 if args.quick else PER
    common.pin_threads()
    torch = common.optional_torch()
    Value = common.optional_micrograd()
    print(f"overhead: 4x4 float32, 10 elementwise ops + sum + backward; ms per {PER:,} iterations")
    print(common.environment())
    x0 = np.random.default_rng(6).standard_normal((4, 4), dtype=np.float32)
    built = build(torch, Value, x0)

    grads = {name: probe() for name, _, probe, _ in built}
    ref = "torch" if "torch" in grads else "numpy"
    for name in grads:
        if name != ref:
            common.check(f"{name} gradient vs {ref}", [grads[name]], [grads[ref]])

    contenders = [common.Contender(name, step, inner=args.iters if kind == "tensor" else max(1, args.iters // 10),
                                   scale=PER) for name, step, _, kind in built]
    rows = common.summarize(common.run_interleaved(contenders, args.reps, warmup=20))
    common.print_table(f"overhead ({args.reps} interleaved reps)", rows, unit=f"ms/{PER // 1000}k it")
    for name in ("torch", "tinygrad_edu"):
        row = next((r for r in rows if r["name"] == name), None)
        if row is not None:
            print(f"{name}: {row['median'] / PER * 1e3 / 11:.1f} us per recorded op, forward + backward "
                  "(11 nodes per iteration: the 10 ops and the sum)")
    line = common.target_line("overhead", rows, "tinygrad_edu", "torch", TARGET)
    common.write_json(args.json, "overhead", rows, {"target": line})


if __name__ == "__main__":
    main()
