"""Losses computed as single ops: negative log-likelihood and the two binary cross-entropies.

cross_entropy = nll_loss(log_softmax(x)) is composed in nn.functional from these and LogSoftmax.
"""

import numpy as np

from ..autograd import Function


def _reduce(per_entry, reduction, count):
    if reduction == "none":
        return per_entry
    total = np.sum(per_entry)
    return total / count if reduction == "mean" else total


class NLLLoss(Function):
    """loss_n = -logp[n, target[n]] (0 where target[n] == ignore_index), then reduced.

    Shapes: logp (N, C), target (N,) integer -> () for 'mean'/'sum', (N,) for 'none'. 'mean' divides by
    the number of targets not ignored, as PyTorch.  Backward: dlogp[n, target[n]] = -dy (/ count for 'mean').
    """

    @staticmethod
    def forward(ctx, logp, target, ignore_index=-100, reduction="mean"):
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        rows = np.arange(len(target))
        picked = logp[rows, safe]
        per = np.where(keep, -picked, 0.0)
        ctx.keep, ctx.safe, ctx.rows, ctx.shape = keep, safe, rows, np.shape(logp)
        ctx.count, ctx.reduction = int(keep.sum()), reduction
        return _reduce(per, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        scale = grad_out / ctx.count if ctx.reduction == "mean" else grad_out
        grad = np.zeros(ctx.shape, dtype=np.result_type(grad_out))
        grad[ctx.rows, ctx.safe] = -scale * ctx.keep
        return (grad,)


_BCE_EPSILON = float(np.float32(1e-12))   # PyTorch clamps p(1 - p) at 1e-12 rounded to float32


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)), each log clamped at -100 as PyTorch.  Shapes: p, t (*).

    Backward: dp = dy * (p - t) / max(p (1 - p), 1e-12 as float32).
    """

    @staticmethod
    def forward(ctx, p, target, reduction="mean"):
        ctx.save_for_backward(p, target)
        ctx.reduction, ctx.count = reduction, np.size(p)
        per = -(target * np.maximum(np.log(p), -100.0) + (1 - target) * np.maximum(np.log1p(-p), -100.0))
        return _reduce(per, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        p, target = ctx.saved
        scale = grad_out / ctx.count if ctx.reduction == "mean" else grad_out
        return (scale * (p - target) / np.maximum(p * (1 - p), _BCE_EPSILON),)


class BinaryCrossEntropyWithLogits(Function):
    """loss = BCE(sigmoid(x), t) computed stably: max(x, 0) - x t + log(1 + e^-|x|).  Shapes: x, t (*).

    Backward: dx = dy * (sigmoid(x) - t).
    """

    @staticmethod
    def forward(ctx, x, target, reduction="mean"):
        ctx.save_for_backward(x, target)
        ctx.reduction, ctx.count = reduction, np.size(x)
        per = np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x)))
        return _reduce(per, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        x, target = ctx.saved
        scale = grad_out / ctx.count if ctx.reduction == "mean" else grad_out
        return (scale * (0.5 + 0.5 * np.tanh(0.5 * x) - target),)
