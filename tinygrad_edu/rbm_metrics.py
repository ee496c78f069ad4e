"""How good is an RBM? Exact log-likelihood for small models, pseudo-likelihood for any size.

A Bernoulli RBM with weight W (V, H), visible bias a (V,) and hidden bias b (H,) gives a binary visible
vector v the probability p(v) = exp(-F(v)) / Z with the free energy
    F(v) = -v·a - sum_j softplus(b_j + (vW)_j),        softplus(x) = log(1 + e^x).
Z sums over every state, so it is exact only when one side is small: summing the hidden units out gives
F(v), summing the visible units out gives the mirror image
    log Z = logsumexp_v -F(v) = logsumexp_h [h·b + sum_i softplus(a_i + (W h)_i)],
and we enumerate whichever side has fewer units (at most MAX_EXACT_UNITS of them).

Everything here is plain numpy in float64 on the parameters' arrays; `tinygrad_edu.rbm.RBM` calls it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_EXACT_UNITS", "softplus", "free_energy", "all_states", "log_partition", "log_likelihood",
           "pseudo_likelihood"]

MAX_EXACT_UNITS = 20          # 2**20 states: about a second of numpy; 2**30 would not fit a laptop
_CHUNK_ENTRIES = 1 << 22      # states x units per vectorized block (32 MB of float64)


def softplus(x):
    """log(1 + e^x) without overflow."""
    return np.logaddexp(0.0, x)


def free_energy(v, weight, visible_bias, hidden_bias):
    """F(v) for each row.  Shapes: v (N, V), weight (V, H), visible_bias (V,), hidden_bias (H,) -> (N,)."""
    return -(v @ visible_bias) - softplus(v @ weight + hidden_bias).sum(axis=1)


def all_states(n, start=0, stop=None):
    """Binary states number start..stop-1 of n units as rows, unit 0 the lowest bit: (stop - start, n)."""
    stop = 1 << n if stop is None else stop
    return ((np.arange(start, stop)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def log_partition(weight, visible_bias, hidden_bias):
    """log Z by enumerating the smaller layer: 2**min(V, H) states, in vectorized blocks (no loop per state)."""
    n_visible, n_hidden = weight.shape
    small = min(n_visible, n_hidden)
    if small > MAX_EXACT_UNITS:
        raise ValueError(f"log_partition: the RBM has {n_visible} visible and {n_hidden} hidden units; exact "
                         f"enumeration needs one side with at most {MAX_EXACT_UNITS} units (2**{small} states "
                         "is too many). Use pseudo_likelihood for larger models")
    if n_hidden <= n_visible:     # sum over h: -F of the "transposed" RBM, whose visible side is h
        w, a, b = weight.T, hidden_bias, visible_bias
    else:
        w, a, b = weight, visible_bias, hidden_bias
    total = 1 << small
    block = max(1, _CHUNK_ENTRIES // max(w.shape[1], 1))
    parts = [_logsumexp(-free_energy(all_states(small, s, min(s + block, total)), w, a, b))
             for s in range(0, total, block)]    # a few blocks for 2**20 states, one for small models
    return float(_logsumexp(np.array(parts)))


def log_likelihood(v, weight, visible_bias, hidden_bias):
    """Average exact log p(v) over the rows of v (N, V): mean(-F(v)) - log Z, in nats."""
    return float(np.mean(-free_energy(v, weight, visible_bias, hidden_bias))
                 - log_partition(weight, visible_bias, hidden_bias))


def pseudo_likelihood(v, weight, visible_bias, hidden_bias):
    """Average over rows of sum_i log p(v_i | v_-i), exact (every bit, not sklearn's one random bit).

    p(v_i | v_-i) = sigmoid(F(v with bit i flipped) - F(v)), and flipping bit i moves vW + b by s_i W[i]
    with s_i = 1 - 2 v_i, so all V flips are one broadcast (rows x V x H), done in row blocks.
    Shapes: v (N, V) -> float (nats per sample).
    """
    n_visible, n_hidden = weight.shape
    total = 0.0
    rows = max(1, _CHUNK_ENTRIES // max(n_visible * n_hidden, 1))
    for s in range(0, len(v), rows):
        block = v[s:s + rows]
        x = block @ weight + hidden_bias                                   # (n, H)
        sign = 1.0 - 2.0 * block                                           # (n, V): +1 turns a 0 on
        flipped = x[:, None, :] + sign[:, :, None] * weight[None]          # (n, V, H)
        delta = -sign * visible_bias - (softplus(flipped) - softplus(x)[:, None, :]).sum(axis=2)   # F(v~) - F(v)
        total += float(-softplus(-delta).sum())                            # log sigmoid(delta)
    return total / len(v)


def _logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))
