"""Scalar mode: micrograd's demo, one training step of MLP(2, [16, 16, 1]) on 100 two-moons points.

The network is built from tiny Neuron/Layer/MLP classes (micrograd.nn's, line for line) over a Value class, and
the very same code runs on tinygrad_edu.Scalar and on micrograd's Value: forward over all 100 points, the demo
notebook's SVM max-margin loss + 1e-4 L2, backward, plain SGD on every parameter.  For scale, the same step
batched on arrays: hand-written numpy (the floor), torch, and tinygrad_edu.Tensor (all float64, as Python
floats are).  Target: tinygrad_edu.Scalar at least 3x faster than micrograd.

    .venv/bin/python benchmarks/scalar_mlp.py [--quick] [--reps N] [--json out.json]
"""

from __future__ import annotations

import common  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

TARGET = 3.0            # micrograd / tinygrad_edu.Scalar, at least
SIZES = (2, 16, 16, 1)
ALPHA, LR, N_POINTS = 1e-4, 0.05, 100


def two_moons(n=N_POINTS, noise=0.1, seed=0):
    """sklearn.datasets.make_moons without sklearn; labels in {-1, +1} as in micrograd's demo."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    X += rng.normal(0, noise, X.shape)
    y = np.concatenate([-np.ones(n0), np.ones(n - n0)])
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_init(seed=1):
    """micrograd's init: w ~ U(-1, 1), b = 0; torch layout W (out, in)."""
    rng = np.random.default_rng(seed)
    init = []
    for nin, nout in zip(SIZES[:-1], SIZES[1:]):
        init += [rng.uniform(-1, 1, (nout, nin)), np.zeros(nout)]
    return init


# ------------------------------------------------------------------------------------------- scalar mode
class Neuron:
    def __init__(self, V, w, b, nonlin=True):
        self.w = [V(float(wi)) for wi in w]
        self.b = V(float(b))
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, V, W, b, nonlin=True):
        self.neurons = [Neuron(V, W[j], b[j], nonlin) for j in range(len(b))]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, V, init):
        n_layers = len(init) // 2
        self.layers = [Layer(V, init[2 * i], init[2 * i + 1], nonlin=i != n_layers - 1) for i in range(n_layers)]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def build_scalar(V, X, y, init):
    """micrograd demo.ipynb's loss() and update, over Value class V."""
    model = MLP(V, init)
    params = model.parameters()
    Xl, yl = X.tolist(), [float(v) for v in y]

    def loss():
        inputs = [list(map(V, xrow)) for xrow in Xl]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(yl, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        return data_loss + reg_loss

    def step():
        total = loss()
        for p in params:
            p.grad = 0
        total.backward()
        for p in params:
            p.data -= LR * p.grad
        return total.data

    def probe():
        out = []
        for layer in model.layers:
            out.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
            out.append(np.array([n.b.data for n in layer.neurons]))
        return out

    return step, probe, loss


# ------------------------------------------------------------------------------------------- batched
def build_numpy(X, y, init):
    P = [a.copy() for a in init]
    n = len(y)

    def step():
        W1, b1, W2, b2, W3, b3 = P
        h1 = X @ W1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W2.T + b2
        a2 = np.maximum(h2, 0)
        s = (a2 @ W3.T + b3)[:, 0]
        m = 1 - y * s
        loss = float(np.maximum(m, 0).mean() + ALPHA * sum(float((p * p).sum()) for p in P))
        ds = (np.where(m > 0, -y, 0.0) / n)[:, None]
        g = [None] * 6
        g[4], g[5] = ds.T @ a2, ds.sum(0)
        da2 = ds @ W3
        da2 *= h2 > 0
        g[2], g[3] = da2.T @ a1, da2.sum(0)
        da1 = da2 @ W2
        da1 *= h1 > 0
        g[0], g[1] = da1.T @ X, da1.sum(0)
        for p, gi in zip(P, g):
            p -= LR * (gi + 2 * ALPHA * p)
        return loss

    return step, lambda: [p.copy() for p in P]


def build_torch(torch, X, y, init):
    Fn = torch.nn.functional
    P = [torch.tensor(a, requires_grad=True) for a in init]
    Xt, yt = torch.tensor(X), torch.tensor(y)
    opt = torch.optim.SGD(P, lr=LR)

    def step():
        h = Fn.relu(Fn.linear(Xt, P[0], P[1]))
        h = Fn.relu(Fn.linear(h, P[2], P[3]))
        s = Fn.linear(h, P[4], P[5])[:, 0]
        total = torch.relu(1 - yt * s).mean() + ALPHA * sum((p * p).sum() for p in P)
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        return total.item()

    return step, lambda: [p.detach().numpy().copy() for p in P]


def build_edu_tensor(X, y, init):
    P = [tg.Tensor(a, requires_grad=True, dtype=tg.float64) for a in init]
    Xt, yt = tg.Tensor(X, dtype=tg.float64), tg.Tensor(y[:, None], dtype=tg.float64)
    opt = tg.optim.SGD(P, lr=LR)

    def step():
        h = F.relu(F.linear(Xt, P[0], P[1]))
        h = F.relu(F.linear(h, P[2], P[3]))
        s = F.linear(h, P[4], P[5])
        reg = (P[0] * P[0]).sum()
        for p in P[1:]:
            reg = reg + (p * p).sum()
        total = (1.0 - yt * s).relu().mean() + reg * ALPHA
        opt.zero_grad()
        total.backward()
        opt.step()
        return total.item()

    return step, lambda: [p.data.copy() for p in P]


def main(argv=None):
    args = common.finish_args(common.parser(__doc__.splitlines()[0], reps=21, quick_reps=3).parse_args(argv))
    common.pin_threads()
    torch = common.optional_torch()
    Value = common.optional_micrograd()
    print(f"scalar_mlp: MLP{SIZES}, {N_POINTS} two-moons points, SVM loss + {ALPHA:g} L2, one SGD step")
    print(common.environment())
    X, y = two_moons()
    init = make_init()

    built = [("numpy", *build_numpy(X, y, init))]
    if torch is not None:
        built.append(("torch", *build_torch(torch, X, y, init)))
    built.append(("tinygrad_edu.Tensor", *build_edu_tensor(X, y, init)))
    losses = {}
    for name, V in (("micrograd", Value), ("tinygrad_edu.Scalar", tg.Scalar)):
        if V is not None:
            step, probe, losses[name] = build_scalar(V, X, y, init)
            built.append((name, step, probe))

    common.check_updates(built, init, refs=("micrograd", "numpy"))

    rows = common.summarize(common.run_interleaved(
        [common.Contender(name, step) for name, step, _ in built], args.reps, args.target_rep_s, warmup=1))
    common.print_table(f"scalar_mlp ({args.reps} interleaved reps)", rows)
    nodes = count_nodes(losses)
    for row in rows:
        if row["name"] in nodes:
            print(f"{row['name']}: {nodes[row['name']]} graph nodes per step, "
                  f"{row['median'] * 1e3 / nodes[row['name']]:.2f} us per node (forward + backward + update)")
    line = common.target_line("scalar_mlp", rows, "tinygrad_edu.Scalar", "micrograd" if Value else "numpy", TARGET,
                              higher_is_better=True)
    common.write_json(args.json, "scalar_mlp", rows, {"target": line, "graph_nodes_per_step": nodes})


def count_nodes(losses):
    """Recorded op nodes in one step's graph (counted outside the timing): tinygrad_edu through graph.trace,
    micrograd as its Values that have inputs (micrograd makes a Value for every constant, too)."""
    out = {}
    for name, loss in losses.items():
        root = loss()
        if name == "micrograd":
            seen, stack, ops = {id(root)}, [root], 0
            while stack:
                v = stack.pop()
                ops += bool(v._prev)
                for p in v._prev:
                    if id(p) not in seen:
                        seen.add(id(p))
                        stack.append(p)
            out[name] = ops
        else:
            out[name] = len(tg.graph.trace(root).ops())
    return out


if __name__ == "__main__":
    main()
