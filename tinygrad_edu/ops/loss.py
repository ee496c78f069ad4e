"""Losses computed as single ops: negative log-likelihood and the two binary cross-entropies.

cross_entropy = nll_loss(log_softmax(x)) is composed in nn.functional from these and LogSoftmax.  The binary
cross-entropies take the target as an input, not a constant: a float target that requires grad gets its
gradient, as in PyTorch.  Class weights (`weight`, `pos_weight`) are constants, never differentiated (PyTorch
refuses a weight that requires grad).
"""

import numpy as np

from ..autograd import Function
from .activation import sigmoid


def _reduce(per_entry, reduction, count):
    if reduction == "none":
        return per_entry
    total = np.sum(per_entry)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):    # every target ignored, or none: 0/0 = NaN, as PyTorch
        return total / count


def _scale(ctx, grad_out):
    """The upstream gradient of each entry: grad_out as is ('none', 'sum') or divided by the count ('mean')."""
    return grad_out / ctx.count if ctx.reduction == "mean" else grad_out


class NLLLoss(Function):
    """loss_n = -w[t_n] logp[n, t_n] (0 where t_n == ignore_index), then reduced.

    Shapes: logp (N, C), target (N,) integer, weight (C,) or None (all ones) -> () for 'mean'/'sum', (N,) for
    'none'.  'mean' divides by the summed weight of the targets not ignored (their number without weights), as
    PyTorch.  Backward: dlogp[n, t_n] = -dy w[t_n] (/ that sum for 'mean'); zero elsewhere.
    """

    derivatives = ("−g·w[t]/Σw[t] at each target class (−g/N without class weights)",)

    @staticmethod
    def forward(ctx, logp, target, ignore_index=-100, reduction="mean", weight=None):
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        rows = np.arange(len(target))
        w = keep if weight is None else np.where(keep, weight[safe], 0.0)    # each row's weight, 0 if ignored
        per = np.where(keep, -logp[rows, safe], 0.0)
        if weight is not None:
            per = per * w
        ctx.w, ctx.safe, ctx.rows, ctx.shape = w, safe, rows, np.shape(logp)
        ctx.count, ctx.reduction = w.sum() if weight is not None else int(keep.sum()), reduction
        return _reduce(per, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        scale = _scale(ctx, grad_out)
        grad = np.zeros(ctx.shape, dtype=np.result_type(grad_out))
        grad[ctx.rows, ctx.safe] = -scale * ctx.w
        return (grad,)


_BCE_EPSILON = float(np.float32(1e-12))   # PyTorch clamps p(1 - p) at 1e-12 rounded to float32


class BinaryCrossEntropy(Function):
    """loss = -w (t log p + (1 - t) log(1 - p)), each log clamped at -100 as PyTorch.  Shapes: p, t (*); w
    broadcasts to them (or None: 1).

    Backward: dp = dy w (p - t) / max(p (1 - p), 1e-12 as float32);  dt = -dy w logit(p) = dy w (log(1-p) - log p),
    unclamped, as PyTorch (infinite at p = 0 or 1).
    """

    derivatives = ("g ⊙ ({0} − {1}) ⊘ ({0}(1 − {0})) (unweighted)", "−g ⊙ logit({0}) (unweighted)")

    @staticmethod
    def forward(ctx, p, target, reduction="mean", weight=None):
        ctx.save_for_backward(p, target)
        ctx.reduction, ctx.count, ctx.weight = reduction, np.size(p), weight
        with np.errstate(divide="ignore"):        # log 0 = -inf, clamped at -100 as PyTorch
            per = -(target * np.maximum(np.log(p), -100.0) + (1 - target) * np.maximum(np.log1p(-p), -100.0))
        return _reduce(per if weight is None else per * weight, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        p, target = ctx.saved
        scale = _scale(ctx, grad_out)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        dp = scale * (p - target) / np.maximum(p * (1 - p), _BCE_EPSILON) if ctx.needs_input_grad[0] else None
        if not ctx.needs_input_grad[1]:
            return dp, None
        with np.errstate(divide="ignore"):
            return dp, scale * (np.log1p(-p) - np.log(p))


class BinaryCrossEntropyWithLogits(Function):
    """loss = w [(1 - t) x + (1 + (q - 1) t) softplus(-x)], i.e. -w [q t log σ(x) + (1 - t) log(1 - σ(x))],
    computed stably (softplus(-x) = max(-x, 0) + log(1 + e^-|x|)).  Shapes: x, t (*); w and the positive-class
    weight q broadcast to them (q along the last axis, (C,)); None means 1.

    Backward: dx = dy w [σ(x) - t - (q - 1) t σ(-x)]        (= dy w (σ(x) - t) when q = 1);
              dt = dy w [(q - 1) softplus(-x) - x]          (= -dy w x when q = 1).
    """

    derivatives = ("g ⊙ (σ({0}) − {1}) (unweighted)", "−g ⊙ {0} (unweighted)")

    @staticmethod
    def forward(ctx, x, target, reduction="mean", weight=None, pos_weight=None):
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        ctx.save_for_backward(x, target, softplus_neg)
        ctx.reduction, ctx.count, ctx.weight, ctx.pos_weight = reduction, np.size(x), weight, pos_weight
        coef = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * target
        per = (1 - target) * x + coef * softplus_neg
        return _reduce(per if weight is None else per * weight, reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad_out):
        x, target, softplus_neg = ctx.saved
        scale = _scale(ctx, grad_out)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        q = ctx.pos_weight
        dx = dt = None
        if ctx.needs_input_grad[0]:
            # (1 - t) - (1 + (q - 1) t) σ(-x) written as σ(x) - t - (q - 1) t σ(-x): no cancellation when σ(x) ~ 0
            dx = sigmoid(x) - target
            if q is not None:
                dx = dx - (q - 1) * target * sigmoid(-x)
            dx = scale * dx
        if ctx.needs_input_grad[1]:
            dt = scale * (-x if q is None else (q - 1) * softplus_neg - x)
        return dx, dt
