"""Loss modules: thin wrappers over nn.functional with PyTorch's constructor arguments.

Class weights are buffers, as in PyTorch: `CrossEntropyLoss(weight=w).state_dict()` holds 'weight'.
"""

from __future__ import annotations

import numpy as np

from ..hints import TensorLike
from ..scalar import Scalar
from ..tensor import Tensor
from . import functional as F
from .module import Module


class _WeightedLoss(Module):
    """A loss with optional constant weights kept as buffers (absent from state_dict when None)."""

    def __init__(self, reduction: str = "mean", **weights: TensorLike | None):
        super().__init__()
        self.reduction = reduction
        for name, value in weights.items():
            self.register_buffer(name, value)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy from logits (N, C) (or (C,), (N, C, d1, ...)) and class indices or probabilities."""

    def __init__(self, weight: TensorLike | None = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction, weight=weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor | np.ndarray, target: TensorLike) -> Tensor | Scalar | np.ndarray:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood from log-probabilities (N, C) (or (C,), (N, C, d1, ...)) and class indices."""

    def __init__(self, weight: TensorLike | None = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction, weight=weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor | np.ndarray, target: TensorLike) -> Tensor | Scalar | np.ndarray:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor | np.ndarray, target: TensorLike) -> Tensor | Scalar | np.ndarray:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    def __init__(self, weight: TensorLike | None = None, reduction: str = "mean"):
        super().__init__(reduction, weight=weight)

    def forward(self, input: Tensor | np.ndarray, target: TensorLike) -> Tensor | Scalar | np.ndarray:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight: TensorLike | None = None, reduction: str = "mean", pos_weight: TensorLike | None = None):
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)

    def forward(self, input: Tensor | np.ndarray, target: TensorLike) -> Tensor | Scalar | np.ndarray:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
