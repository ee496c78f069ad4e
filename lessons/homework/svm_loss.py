"""The multiclass SVM loss of cs231n assignment 1 (note 003 points to it), with its gradient written by hand.

Check it (it passes; a margin that sits exactly at the hinge would be listed as a kink, not failed):

    tinygrad-edu gradcheck lessons/homework/svm_loss.py:check

Shapes (cs231n letters): W (D, C) weights, X (N, D) a minibatch, y (N,) labels in 0..C-1, reg the L2 strength.
loss = (1/N) sum_i sum_{j != y_i} max(0, s_j - s_{y_i} + 1) + reg * sum(W * W), with s = X_i.W.
Each positive margin adds X_i to column j of dW and subtracts it from column y_i; the L2 term adds 2 reg W.
"""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    """(loss, dW) with loops, as the assignment asks first."""
    dW = np.zeros_like(W)                    # (D, C)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W                    # (C,)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1      # delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train                        # the average over the batch, so the gradient is averaged too
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W                        # d/dW of reg * sum(W^2)
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """The same (loss, dW) without loops."""
    N = X.shape[0]
    scores = X @ W                                           # (N, C)
    correct = scores[np.arange(N), y][:, None]               # (N, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0                             # the correct class has no margin
    loss = margins.sum() / N + reg * np.sum(W * W)
    counts = (margins > 0).astype(W.dtype)                   # (N, C): 1 where a margin is positive
    counts[np.arange(N), y] = -counts.sum(axis=1)            # the correct class loses X_i once per positive margin
    dW = X.T @ counts / N + 2 * reg * W
    return loss, dW


def check():
    rng = np.random.default_rng(0)
    W = 0.01 * rng.standard_normal((6, 4))                   # D=6, C=4
    X = rng.standard_normal((10, 6))                         # N=10
    y = rng.integers(0, 4, size=10)
    return [{"fn": svm_loss_naive, "W": W, "args": (X, y, 0.1)},
            {"fn": svm_loss_vectorized, "W": W, "args": (X, y, 0.1)}]
