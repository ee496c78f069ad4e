"""Typical mistakes planted into the solutions (tests/test_exercises.py): exercise -> (what the solution says,
what the student wrote instead, words the diagnosis must contain)."""

MISTAKES = {
    1: ("dw = x.T @ dout", "dw = dout.T @ x", "transposed dw"),
    2: ('grads["b1"] = np.sum(da1, axis=0)', 'grads["b1"] = np.sum(dz1, axis=0)', "activation's derivative is missing"),
    3: ("dx = (y - t) / N", "dx = y - t", "missing 1/N"),
    4: ("dx = dxp[:, :, P:P + H, P:P + W]", "dx = dxp", "dx still has the padding"),
    5: ("xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] += col[:, :, p, q]",
        "xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] = col[:, :, p, q]", "must ADD (+=)"),
    6: ("p, q = np.unravel_index(np.argmax(window), window.shape)",
        "p, q = np.unravel_index(window.size - 1 - np.argmax(window.ravel()[::-1]), window.shape)",
        "the LAST tied maximum"),
    7: ("for t in reversed(range(T)):", "for t in reversed(range(1, T)):", "step t = 0 is never visited"),
    8: ("dprev_c = dc * f", "dprev_c = dc", "multiplied by the forget gate"),
    9: ("dW = lr * (v0.T @ h0 - vk.T @ hk)", "dW = lr * (vk.T @ hk - v0.T @ h0)", "the sign is flipped"),
    10: ("dz = dnext_h * (prev_h - n)", "dz = dnext_h * (n - prev_h)", "dz has the wrong sign"),
}

# more mistakes the issue names, each with its own diagnosis
EXTRA = {
    "relu mask": (3, "dx = dout * (x > 0)", "dx = dout * (dout > 0)", "ReLU mask on the wrong array"),
    "missing 1/N in the two-layer net": (2, "dy = (y - t) / N", "dy = y - t", "divide by the batch size"),
}
