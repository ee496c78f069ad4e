"""Issue 13: every loss against PyTorch, gradients of the input AND of a floating target (every float input of
a case requires grad on both sides, so a target's gradient is compared too), with every reduction, and the
keywords weight=, pos_weight=, label_smoothing=.  Skipped without torch."""

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.test_parity_torch import P, check, prob, rn  # noqa: E402

_R = np.random.default_rng(13)
W5 = _R.uniform(0.2, 2.0, 5)            # class weights for C = 5
W3 = _R.uniform(0.2, 2.0, 3)            # for C = 3
Q4 = _R.uniform(0.2, 3.0, 4)            # pos_weight along the last axis (4,)
TGT = np.array([1, 0, 4, 2])
TGT_IGN = np.array([1, -100, 4, 1])
TGT_ND = np.array([[0, 2, 1], [2, 2, -100]])      # for (2, 3, 3) logits


def cases(reduction):
    r = reduction
    return [
        # targets that require grad
        P(f"bcel_target_{r}", lambda L, x, t: L.F.binary_cross_entropy_with_logits(x, t, reduction=r),
          rn(3, 4) * 3, prob(3, 4)),
        P(f"bce_target_{r}", lambda L, p, t: L.F.binary_cross_entropy(p, t, reduction=r), prob(3, 4), prob(3, 4)),
        P(f"mse_target_{r}", lambda L, x, t: L.F.mse_loss(x, t, reduction=r), rn(3, 4), rn(3, 4)),
        P(f"ce_prob_target_{r}", lambda L, x, t: L.F.cross_entropy(x, t, reduction=r), rn(4, 5), prob(4, 5)),
        P(f"ce_prob_target_ncd_{r}", lambda L, x, t: L.F.cross_entropy(x, t, reduction=r), rn(2, 3, 4), prob(2, 3, 4)),
        P(f"ce_prob_target_1d_{r}", lambda L, x, t: L.F.cross_entropy(x, t, reduction=r), rn(5), prob(5)),
        P(f"ce_prob_target_ls_{r}", lambda L, x, t: L.F.cross_entropy(x, t, reduction=r, label_smoothing=0.3),
          rn(4, 5), prob(4, 5)),
        # weights, as constants
        P(f"bcel_pos_weight_{r}", lambda L, x, t: L.F.binary_cross_entropy_with_logits(
            x, t, reduction=r, pos_weight=L.like(Q4, x)), rn(3, 4) * 3, prob(3, 4)),
        P(f"bcel_weights_{r}", lambda L, x, t: L.F.binary_cross_entropy_with_logits(
            x, t, weight=L.like(W3[:, None], x), reduction=r, pos_weight=L.like(Q4, x)), rn(3, 4) * 3, prob(3, 4)),
        P(f"bce_weight_{r}", lambda L, p, t: L.F.binary_cross_entropy(p, t, weight=L.like(Q4, p), reduction=r),
          prob(3, 4), prob(3, 4)),
        P(f"nll_weight_{r}", lambda L, x: L.F.nll_loss(x, L.const(TGT), weight=L.like(W5, x), reduction=r), rn(4, 5)),
        P(f"nll_weight_ignore_{r}", lambda L, x: L.F.nll_loss(x, L.const(TGT_IGN), weight=L.like(W5, x),
                                                               reduction=r), rn(4, 5)),
        P(f"nll_weight_ncd_{r}", lambda L, x: L.F.nll_loss(x, L.const(TGT_ND), weight=L.like(W3, x), reduction=r),
          rn(2, 3, 3)),
        P(f"nll_weight_1d_{r}", lambda L, x: L.F.nll_loss(x, L.const(3), weight=L.like(W5, x), reduction=r), rn(5)),
        P(f"ce_weight_{r}", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), weight=L.like(W5, x), reduction=r),
          rn(4, 5)),
        P(f"ce_weight_ls_{r}", lambda L, x: L.F.cross_entropy(x, L.const(TGT_IGN), weight=L.like(W5, x), reduction=r,
                                                             label_smoothing=0.2), rn(4, 5)),
        P(f"ce_weight_ls_ncd_{r}", lambda L, x: L.F.cross_entropy(x, L.const(TGT_ND), weight=L.like(W3, x),
                                                                 reduction=r, label_smoothing=0.1), rn(2, 3, 3)),
        P(f"ce_prob_weight_{r}", lambda L, x, t: L.F.cross_entropy(x, t, weight=L.like(W5, x), reduction=r),
          rn(4, 5), prob(4, 5)),
        P(f"ce_prob_weight_ncd_ls_{r}", lambda L, x, t: L.F.cross_entropy(x, t, weight=L.like(W3, x), reduction=r,
                                                                          label_smoothing=0.2),
          rn(2, 3, 4), prob(2, 3, 4)),
    ]


MODULES = [
    P("CrossEntropyLoss_weight", lambda L, x: L.nn.CrossEntropyLoss(weight=L.like(W5, x), label_smoothing=0.1)(
        x, L.const(TGT_IGN)), rn(4, 5)),
    P("NLLLoss_weight", lambda L, x: L.nn.NLLLoss(L.like(W5, x), reduction="sum")(x, L.const(TGT)), rn(4, 5)),
    P("BCELoss_weight", lambda L, p, t: L.nn.BCELoss(L.like(Q4, p))(p, t), prob(3, 4), prob(3, 4)),
    P("BCEWithLogitsLoss_pos_weight", lambda L, x, t: L.nn.BCEWithLogitsLoss(pos_weight=L.like(Q4, x))(x, t),
      rn(3, 4) * 3, prob(3, 4)),
    # class probabilities: a weight that requires grad is differentiated, as torch's composite does
    P("ce_prob_weight_requires_grad", lambda L, x, t, w: L.F.cross_entropy(x, t, weight=w), rn(4, 5), prob(4, 5),
      W5),
]


@pytest.mark.parametrize("fn_tg, fn_th, inputs", cases("mean") + cases("sum") + cases("none") + MODULES)
def test_loss_and_every_gradient_match_pytorch(fn_tg, fn_th, inputs):
    check(fn_tg, fn_th, inputs)


@pytest.mark.parametrize("fn_tg, fn_th, inputs", cases("mean")[:4], ids=lambda v: None)
def test_float32_target_gradients_match_pytorch(fn_tg, fn_th, inputs):
    check(fn_tg, fn_th, inputs, dtype=np.float32, rtol=1e-5, atol=1e-6)


def test_loss_modules_keep_their_weights_as_buffers_with_pytorchs_keys():
    import torch

    import tinygrad_edu as tg
    from tinygrad_edu import nn

    w, q = W5.astype(np.float32), Q4.astype(np.float32)
    pairs = [(nn.CrossEntropyLoss(weight=tg.tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))),
             (nn.NLLLoss(tg.tensor(w)), torch.nn.NLLLoss(torch.tensor(w))),
             (nn.BCEWithLogitsLoss(pos_weight=tg.tensor(q)), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(q))),
             (nn.BCELoss(), torch.nn.BCELoss())]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
