"""Exercise 9: one CD-k update of a restricted Boltzmann machine, checked on the notes' worked example (lesson 12,
note 002).

Shapes: N examples, V visible units, H hidden units; no biases (as in the notes' example).
    v0 (N, V) binary data, W (V, H)
    p(h = 1 | v) = sigmoid(v . W)      (N, H)          p(v = 1 | h) = sigmoid(h . W^T)      (N, V)
Sampling, as the notes do it: a unit is on where its probability beats a uniform draw, p > u.  The draws are
given (uh (k+1, N, H) for the hidden layers, uv (k, N, V) for the visible ones), so a run is repeatable and
the notes' own samples can be replayed.
CD-k:  h0 = sample(p(h|v0), uh[0]);  then for s = 0 .. k-1:
           v_{s+1} = sample(p(v|h_s), uv[s]),   h_{s+1} = sample(p(h|v_{s+1}), uh[s+1])
       dW = lr (v0^T . h0 - vk^T . hk)      (V, H)        W_new = W + dW
The notes' example (5 students x 6 subjects, lr = 0.3, k = 1) gives dW = 0.3 (v^T h - v1^T h1).

Check it:   tinygrad-edu exercise check 9
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def sample(p, u):
    """Binary units (floats 0/1): on where p beats the uniform draw u (same shape)."""
    return (p > u).astype(float)


def p_h_given_v(v, W):
    """v (N, V), W (V, H) -> p(h = 1 | v) (N, H)."""
    p = None
    # TODO: p = sigmoid(v . W).
    p = sigmoid(v @ W)
    # END TODO
    return p


def p_v_given_h(h, W):
    """h (N, H), W (V, H) -> p(v = 1 | h) (N, V)."""
    p = None
    # TODO: p = sigmoid(h . W^T).
    p = sigmoid(h @ W.T)
    # END TODO
    return p


def cd_k(v0, W, lr, uh, uv):
    """One CD-k update, k = len(uv).  v0 (N, V), W (V, H), uh (k+1, N, H), uv (k, N, V) -> (W_new (V, H), dW (V, H))."""
    k = len(uv)
    h0 = sample(p_h_given_v(v0, W), uh[0])
    vk, hk = v0, h0
    # TODO: k Gibbs steps down and up: vk = sample(p(v|hk), uv[s]), then hk = sample(p(h|vk), uh[s + 1]).
    for s in range(k):
        vk = sample(p_v_given_h(hk, W), uv[s])
        hk = sample(p_h_given_v(vk, W), uh[s + 1])
    # END TODO
    dW = None
    # TODO: dW = lr (v0^T . h0 - vk^T . hk): the data's correlations minus the model's.
    dW = lr * (v0.T @ h0 - vk.T @ hk)
    # END TODO
    return W + dW, dW
