"""Basic layers: Linear, Flatten, Dropout, Embedding and the activations as modules."""

from __future__ import annotations

import math

import numpy as np

from .. import random
from ..hints import DType, TensorLike
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b (recorded as Affine).  weight (out_features, in_features), bias (out_features,),
    both U(-1/sqrt(in_features), 1/sqrt(in_features)) as PyTorch.  Shapes: (*, in) -> (*, out)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: DType = None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = Parameter(random.generator().uniform(-bound, bound, (out_features, in_features)), dtype=dtype)
        if bias:
            self.bias = Parameter(random.generator().uniform(-bound, bound, (out_features,)), dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flatten axes start_dim..end_dim into one (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)


class Dropout(Module):
    """Zero entries with probability p during training (scaled by 1/(1-p)); the identity in eval()."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: weight (num_embeddings, embedding_dim) ~ N(0, 1), as PyTorch.
    Shapes: int indices (*) -> (*, embedding_dim)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: DType = None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(random.generator().standard_normal((num_embeddings, embedding_dim)), dtype=dtype)

    def forward(self, indices: TensorLike) -> Tensor:
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class ReLU(Module):
    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.tanh(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.leaky_relu(x, self.negative_slope)


class Softmax(Module):
    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is None:
            raise ValueError("Softmax: pass dim explicitly (e.g. Softmax(dim=1) for (N, C) scores)")
        self.dim = dim

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.softmax(x, self.dim)


class LogSoftmax(Softmax):
    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return F.log_softmax(x, self.dim)
