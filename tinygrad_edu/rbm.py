"""Restricted Boltzmann machine (Bernoulli units) trained by contrastive divergence, as in the notes (002).

    rbm = RBM(n_visible=6, n_hidden=2, rng=0)
    rbm.p_h_given_v(v)                   # sigmoid(v W + b)            (N, V) -> (N, H)
    step = rbm.cd_step(v, k=1, lr=0.3)   # dW = lr (v0^T h0 - vk^T hk), applied; returns the chain too
    rbm.fit(data, epochs=100, persistent=True)
    rbm.log_likelihood(data)             # exact, for small models (tinygrad_edu.rbm_metrics)

Shapes: N rows of data, V visible and H hidden units; `weight` is (V, H) as in the notes, p(h|v) = sigmoid(vW + b),
p(v|h) = sigmoid(h W^T + a), a = visible_bias (V,), b = hidden_bias (H,).  A unit is on when its probability
beats a uniform draw ("p > random value"), drawn from a seeded numpy Generator.  Sampling and updates are plain
numpy; `free_energy` and `chain_graph` are recorded Tensor ops, so autograd and `visualize` can see them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import memory, random, rbm_metrics
from .autograd import scope
from .hints import DType, TensorLike
from .nn.module import Module, Parameter
from .ops.activation import sigmoid
from .tensor import Tensor

__all__ = ["RBM", "GibbsChain", "CDStep"]


@dataclass
class GibbsChain:
    """v0 -> h0 -> v1 -> h1 -> ... -> vk -> hk.

    v[t] (N, V) and h[t] (N, H) are the samples for t = 0..k; p_h[t] = p(h | v[t]) (N, H) for t = 0..k;
    p_v[t] = p(v[t] | h[t-1]) (N, V) for t = 1..k (p_v[0] is None: v0 is where the chain started).
    """

    v: list
    h: list
    p_h: list
    p_v: list

    @property
    def k(self) -> int:
        return len(self.v) - 1


@dataclass
class CDStep:
    """What one `cd_step` computed.  dW (V, H), da (V,), db (H,) (None without biases) are the update;
    positive = v0^T h0 and negative = vk^T hk (V, H) are the statistics as used (samples or probabilities),
    summed over rows; v0, h0, vk, hk are the samples; chain is the Gibbs chain (None when vk was supplied)."""

    dW: np.ndarray
    da: np.ndarray | None
    db: np.ndarray | None
    positive: np.ndarray
    negative: np.ndarray
    v0: np.ndarray
    h0: np.ndarray
    vk: np.ndarray
    hk: np.ndarray
    chain: GibbsChain | None



class RBM(Module):
    """A Bernoulli-Bernoulli RBM.  weight (V, H), visible_bias a (V,), hidden_bias b (H,) are Parameters.

    n_visible, n_hidden: V and H.  bias: False drops a and b (the notes' example).  weight: initial (V, H)
    array or Tensor; default N(0, 0.01^2) (Hinton's practical guide, also scikit-learn).  rng: a seed or a
    numpy Generator for every draw; default the library's generator (`tg.manual_seed`).  dtype: of the
    parameters; default float32, or the given weight's floating dtype.

    Statistics: `cd_step` and `fit` use the sampled hidden units h0, hk by default (the notes' rule) and
    p(h|v0), p(h|vk) with use_probabilities=True (the usual practice, lower variance).  They agree in
    expectation: E[h | v] = p(h|v), so E[v^T h | v] = v^T p(h|v).  The probability version is exactly -lr
    times the autograd gradient of the free-energy surrogate sum F(v0) - sum F(vk) (vk held constant).
    """

    def __init__(self, n_visible: int, n_hidden: int, bias: bool = True, weight: TensorLike | None = None,
                 rng: int | np.random.Generator | None = None, dtype: DType = None):
        super().__init__()
        for name, n in (("n_visible", n_visible), ("n_hidden", n_hidden)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"RBM: {name} must be a positive int, got {n!r}")
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        self._rng = None if rng is None else np.random.default_rng(rng)
        if weight is None:
            w = self.rng.normal(0.0, 0.01, (self.n_visible, self.n_hidden))
        else:
            w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
            if w.shape != (self.n_visible, self.n_hidden):
                raise ValueError(f"RBM: weight has shape {w.shape} but must be (n_visible, n_hidden) = "
                                 f"({self.n_visible}, {self.n_hidden}), as in the notes' p(h|v) = sigmoid(vW + b)")
            if dtype is None and isinstance(weight, (np.ndarray, Tensor)) and w.dtype.kind == "f":
                dtype = w.dtype
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(w, dtype=dtype)
        if bias:
            self.visible_bias = Parameter(np.zeros(self.n_visible), dtype=dtype)
            self.hidden_bias = Parameter(np.zeros(self.n_hidden), dtype=dtype)
        else:
            self.register_parameter("visible_bias", None)
            self.register_parameter("hidden_bias", None)
        self.persistent_chain = None       # PCD's fantasy particles vk (M, V), kept between cd_step calls

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, bias={self.visible_bias is not None}"

    @property
    def rng(self) -> np.random.Generator:
        return self._rng if self._rng is not None else random.generator()

    # ------------------------------------------------------------------ conditionals and samples
    def p_h_given_v(self, v: TensorLike) -> np.ndarray:
        """p(h=1 | v) = sigmoid(vW + b).  v (N, V) with entries in [0, 1] -> (N, H) array."""
        return self._p_h(self._units("p_h_given_v", "v", v, self.n_visible, binary=False))

    def p_v_given_h(self, h: TensorLike) -> np.ndarray:
        """p(v=1 | h) = sigmoid(h W^T + a).  h (N, H) with entries in [0, 1] -> (N, V) array."""
        return self._p_v(self._units("p_v_given_h", "h", h, self.n_hidden, binary=False))

    def sample_h(self, v: TensorLike) -> np.ndarray:
        """Binary h (N, H): each unit on where p(h|v) beats a uniform draw.  v (N, V) in [0, 1]."""
        return self._sample(self.p_h_given_v(v))

    def sample_v(self, h: TensorLike) -> np.ndarray:
        """Binary v (N, V): each unit on where p(v|h) beats a uniform draw.  h (N, H) in [0, 1]."""
        return self._sample(self.p_v_given_h(h))

    def gibbs(self, v: TensorLike, k: int = 1, h0: TensorLike | None = None) -> GibbsChain:
        """Run k Gibbs steps from binary v (N, V); h0 (N, H) replaces the first hidden sample.  -> GibbsChain."""
        v = self._units("gibbs", "v", v, self.n_visible)
        k = _check_k("gibbs", k)
        if h0 is not None:
            h0 = self._units("gibbs", "h0", h0, self.n_hidden, rows=len(v))
        return self._gibbs(v, k, h0)

    def sample(self, n: int, steps: int = 100) -> np.ndarray:
        """n visible samples (n, V) from `steps` Gibbs steps started at uniformly random binary vectors."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"RBM.sample: n must be a positive int, got {n!r}")
        start = self._sample(np.full((int(n), self.n_visible), 0.5, dtype=self.weight.dtype))
        return self._gibbs(start, _check_k("sample", steps, name="steps")).v[-1]

    # ------------------------------------------------------------------ learning
    def cd_step(self, v0: TensorLike, k: int = 1, lr: float = 0.1, h0: TensorLike | None = None,
                vk: TensorLike | None = None, hk: TensorLike | None = None, persistent: bool = False,
                average: bool = False, use_probabilities: bool = False, apply: bool = True) -> CDStep:
        """One CD-k (or PCD-k) update: dW = lr (v0^T h0 - vk^T hk), da = lr sum(v0 - vk), db = lr sum(h0 - hk).

        v0 (N, V) binary data.  The negative chain starts at v0 (CD) or, persistent=True, at the previous
        call's vk (`persistent_chain`, M rows; started at v0 the first time).  Supplied samples replay a
        worked example: h0 (N, H) replaces the first hidden sample, vk (N, V) (M rows when persistent) the
        chain's end (no chain is run), hk (rows of vk, H) its hidden sample (needs vk).  use_probabilities:
        False uses the samples h0, hk (the notes), True uses p(h|v0), p(h|vk) (see the class docstring).
        Sums over the batch as the notes do; average=True divides by the batch size (what `fit` uses);
        negative statistics are scaled by N/M when the persistent chain has M != N rows.  apply=False leaves
        the model untouched (parameters and persistent chain).  Returns a CDStep.
        """
        m = "cd_step"
        k = _check_k(m, k)
        v0 = self._units(m, "v0", v0, self.n_visible)
        n = len(v0)
        p_h0 = self._p_h(v0)
        h0 = self._sample(p_h0) if h0 is None else self._units(m, "h0", h0, self.n_hidden, rows=n)
        chain = None
        if vk is None:
            if hk is not None:
                raise ValueError("RBM.cd_step: hk was supplied without vk; hk is drawn from p(h|vk), so supply "
                                 "vk too (or neither)")
            if persistent:
                start = self.persistent_chain if self.persistent_chain is not None else v0
                chain = self._gibbs(start, k)
            else:
                chain = self._gibbs(v0, k, h0, p_h0)
            vk, hk, p_hk = chain.v[-1], chain.h[-1], chain.p_h[-1]
        else:
            vk = self._units(m, "vk", vk, self.n_visible, rows=None if persistent else n)
            p_hk = self._p_h(vk)
            hk = self._sample(p_hk) if hk is None else self._units(m, "hk", hk, self.n_hidden, rows=len(vk))
        pos_h, neg_h = (p_h0, p_hk) if use_probabilities else (h0, hk)
        positive, negative = v0.T @ pos_h, vk.T @ neg_h
        s_pos = 1.0 / n if average else 1.0
        s_neg = s_pos * n / len(vk)                 # 1 unless a persistent chain has M != N particles
        dW = lr * (positive * s_pos - negative * s_neg)
        da = db = None
        if self.visible_bias is not None:
            da = lr * (v0.sum(axis=0) * s_pos - vk.sum(axis=0) * s_neg)
            db = lr * (pos_h.sum(axis=0) * s_pos - neg_h.sum(axis=0) * s_neg)
        step = CDStep(dW, da, db, positive, negative, v0, h0, vk, hk, chain)
        if apply:
            self._add(dW, da, db)
            if persistent:
                self.persistent_chain = vk.copy()
        return step

    def fit(self, data: TensorLike, epochs: int = 10, batch_size: int = 10, k: int = 1, lr: float = 0.1,
            persistent: bool = False, momentum: float = 0.0, weight_decay: float = 0.0,
            use_probabilities: bool = False, shuffle: bool = True, progress: bool = True,
            console: Any = None) -> list[float]:     # console: a rich Console (rich is imported only to draw)
        """Train by CD-k (persistent=False) or PCD-k on binary data (N, V); returns the reconstruction error
        after each epoch (a list of floats).

        Each mini-batch takes one `cd_step(average=True)`, so lr does not depend on batch_size, then
        velocity = momentum * velocity + update - lr * weight_decay * W (decay on W only) is added to the
        parameters.  use_probabilities as in cd_step (default: sampled h, the notes' rule; True: p(h|v), what
        scikit-learn does).  PCD starts a fresh chain at the first batch.  shuffle: a new batch order each epoch
        (from the RBM's generator).  progress: a rich progress bar on `console` (default stdout), drawn only
        when that console is a terminal.
        """
        m = "fit"
        memory.keep_freed_memory()      # a training loop: reuse each step's freed memory (see tinygrad_edu.memory)
        data = self._units(m, "data", data, self.n_visible)
        k = _check_k(m, k)
        for name, value, ok, rule in (("epochs", epochs, isinstance(epochs, (int, np.integer)) and epochs >= 0,
                                       "an int >= 0"),
                                      ("batch_size", batch_size,
                                       isinstance(batch_size, (int, np.integer)) and batch_size >= 1, "an int >= 1"),
                                      ("momentum", momentum, 0.0 <= momentum < 1.0, "in [0, 1)"),
                                      ("weight_decay", weight_decay, weight_decay >= 0.0, ">= 0")):
            if not ok:
                raise ValueError(f"RBM.fit: {name} must be {rule}, got {value!r}")
        velocity = [np.zeros_like(p.data) for p in self.parameters()]
        self.persistent_chain = None
        history = []
        label = f"RBM.fit {'PCD' if persistent else 'CD'}-{k}"
        with _progress_bar(progress, console, label, epochs) as advance:
            for _ in range(epochs):
                order = self.rng.permutation(len(data)) if shuffle else np.arange(len(data))
                for start in range(0, len(data), batch_size):
                    step = self.cd_step(data[order[start:start + batch_size]], k=k, lr=lr, persistent=persistent,
                                        average=True, use_probabilities=use_probabilities, apply=False)
                    updates = [step.dW, step.da, step.db] if step.da is not None else [step.dW]
                    updates[0] = updates[0] - lr * weight_decay * self.weight.data
                    for vel, u in zip(velocity, updates):
                        vel *= momentum
                        vel += u
                    self._add(*velocity)
                    if persistent:
                        self.persistent_chain = step.vk
                history.append(self.reconstruction_error(data))
                advance(history[-1])
        return history

    def reset_chain(self) -> None:
        """Forget PCD's fantasy particles; the next persistent cd_step starts at its batch."""
        self.persistent_chain = None

    # ------------------------------------------------------------------ energies and metrics
    def forward(self, v: TensorLike) -> Tensor:
        """p(h=1 | v) as a recorded Tensor: sigmoid(v @ weight + hidden_bias).  v (N, V) -> (N, H)."""
        v = v if isinstance(v, Tensor) else Tensor(self._units("forward", "v", v, self.n_visible, binary=False),
                                                   dtype=self.weight.dtype)
        x = v @ self.weight
        return (x + self.hidden_bias if self.hidden_bias is not None else x).sigmoid()

    def free_energy(self, v: TensorLike) -> Tensor:
        """F(v) = -v·a - sum_j softplus(b_j + (vW)_j), so p(v) = exp(-F(v)) / Z.  v (N, V) -> Tensor (N,).

        Recorded Tensor ops (in scope 'free_energy'): autograd gives dF/dW = -v^T p(h|v), hence the
        gradient of F(v0).sum() - F(vk).sum() is -dW / lr for the use_probabilities=True update.
        """
        v = Tensor(self._units("free_energy", "v", v, self.n_visible, binary=False), dtype=self.weight.dtype)
        with scope("free_energy"):
            x = v @ self.weight
            if self.hidden_bias is not None:
                x = x + self.hidden_bias
            f = -_softplus(x).sum(dim=1)
            return f - v @ self.visible_bias if self.visible_bias is not None else f

    def reconstruction_error(self, v: TensorLike) -> float:
        """Mean squared error between binary v (N, V) and its mean-field reconstruction p(v | p(h|v)).
        A cheap progress signal, not what CD optimizes: likelihood is (see log_likelihood)."""
        v = self._units("reconstruction_error", "v", v, self.n_visible)
        return float(np.mean((v - self._p_v(self._p_h(v))) ** 2))

    def log_partition(self) -> float:
        """Exact log Z, enumerating the smaller layer (needs n_visible or n_hidden <= 20)."""
        return rbm_metrics.log_partition(*self._params64())

    def log_likelihood(self, v: TensorLike) -> float:
        """Exact average log p(v) over binary rows v (N, V), in nats (needs n_visible or n_hidden <= 20)."""
        return rbm_metrics.log_likelihood(self._units("log_likelihood", "v", v, self.n_visible).astype(np.float64),
                                          *self._params64())

    def pseudo_likelihood(self, v: TensorLike) -> float:
        """Average over rows of sum_i log p(v_i | v_-i), exact over every bit, for models of any size."""
        v = self._units("pseudo_likelihood", "v", v, self.n_visible).astype(np.float64)
        return rbm_metrics.pseudo_likelihood(v, *self._params64())

    # ------------------------------------------------------------------ the chain as a graph
    def chain_graph(self, v: TensorLike, k: int = 1) -> Tensor:
        """The mean-field chain v0 -> h0 -> v1 -> h1 ... -> hk as recorded Tensor ops, for graph.trace and
        visualize.  Probabilities stand in for samples (a sample is not differentiable, so a sampled chain
        would be k disconnected pieces).  Step t runs in scope 'h{t}' / 'v{t}' and its output is named so.
        v (N, V) -> the Tensor p(hk | vk) (N, H).  Nothing is recorded under no_grad.
        """
        vt = Tensor(self._units("chain_graph", "v", v, self.n_visible, binary=False), dtype=self.weight.dtype,
                    name="v0")
        k = _check_k("chain_graph", k)
        with scope("h0"):
            ht = self.forward(vt)
            ht.name = "h0"
        for t in range(1, k + 1):
            with scope(f"v{t}"):
                x = ht @ self.weight.T
                vt = (x + self.visible_bias if self.visible_bias is not None else x).sigmoid()
                vt.name = f"v{t}"
            with scope(f"h{t}"):
                ht = self.forward(vt)
                ht.name = f"h{t}"
        return ht

    # ------------------------------------------------------------------ internals (no checks)
    def _p_h(self, v):
        x = v @ self.weight.data
        return sigmoid(x + self.hidden_bias.data if self.hidden_bias is not None else x)

    def _p_v(self, h):
        x = h @ self.weight.data.T
        return sigmoid(x + self.visible_bias.data if self.visible_bias is not None else x)

    def _sample(self, p):
        return (self.rng.random(p.shape) < p).astype(p.dtype)    # the notes: on when p > random value

    def _gibbs(self, v, k, h0=None, p_h0=None):
        p_h = self._p_h(v) if p_h0 is None else p_h0
        h = self._sample(p_h) if h0 is None else h0
        chain = GibbsChain([v], [h], [p_h], [None])
        for _ in range(k):
            p_v = self._p_v(h)
            v = self._sample(p_v)
            p_h = self._p_h(v)
            h = self._sample(p_h)
            chain.v.append(v)
            chain.h.append(h)
            chain.p_h.append(p_h)
            chain.p_v.append(p_v)
        return chain

    def _add(self, dW, da=None, db=None):
        self.weight.data += dW                    # .data: an update, never part of a recorded graph
        if da is not None:
            self.visible_bias.data += da
            self.hidden_bias.data += db

    def _params64(self):
        w = self.weight.data.astype(np.float64)
        if self.visible_bias is None:
            return w, np.zeros(self.n_visible), np.zeros(self.n_hidden)
        return w, self.visible_bias.data.astype(np.float64), self.hidden_bias.data.astype(np.float64)

    def _units(self, method, name, x, width, binary=True, rows=None):
        """x as a (rows, width) array of the parameters' dtype, or a ValueError naming method, input and rule."""
        a = np.asarray(x.data if isinstance(x, Tensor) else x)
        side = "hidden" if name.startswith("h") else "visible"
        where = f"RBM.{method}: {name}"
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{where} must hold numbers, got dtype {a.dtype}")
        if a.ndim != 2:
            raise ValueError(f"{where} must be 2-D (batch, {width}), got shape {a.shape}; "
                             "write x[None, :] for a single vector")
        if a.shape[1] != width:
            raise ValueError(f"{where} has shape {a.shape} but the RBM has {width} {side} units "
                             f"({name}.shape[1] must be n_{side} = {width})")
        if rows is not None and a.shape[0] != rows:
            raise ValueError(f"{where} has {a.shape[0]} rows but must have {rows} (one per row of the batch "
                             "it belongs to)")
        if binary:
            bad = (a != 0) & (a != 1)
            if bad.any():
                raise ValueError(f"{where} must be binary (0 or 1; Bernoulli units), got {a[bad][0].item()!r} at "
                                 f"index {tuple(int(i) for i in np.argwhere(bad)[0])}")
        elif not ((a >= 0) & (a <= 1)).all():
            raise ValueError(f"{where} must hold values in [0, 1] (binary states or probabilities), got values "
                             f"in [{a.min()}, {a.max()}]")
        return a.astype(self.weight.dtype, copy=False)


def _softplus(x):
    """log(1 + e^x) in engine ops.  e^x is capped at e^20, beyond which softplus(x) = x to within 2e-9
    (PyTorch's threshold): the relu term adds the rest.  Smooth where it matters (no kink at 0)."""
    return (x.clamp(max=20.0).exp() + 1.0).log() + (x - 20.0).relu()


def _check_k(method, k, name="k"):
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"RBM.{method}: {name} must be an int >= 1 (the number of Gibbs steps), got {k!r}")
    return int(k)


@contextlib.contextmanager
def _progress_bar(enabled, console, label, total):
    """Yield advance(error); a rich bar only when enabled and the console is a terminal (never in logs)."""
    if enabled:
        from rich.console import Console  # rich only here: the engine itself needs numpy alone

        console = console if console is not None else Console()
        if console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("recon {task.fields[error]:.4f}"), TimeRemainingColumn())
            with Progress(*columns, console=console) as bar:
                task = bar.add_task(label, total=total, error=float("nan"))
                yield lambda error: bar.update(task, advance=1, error=error)
            return
    yield lambda error: None
