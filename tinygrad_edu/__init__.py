"""tinygrad_edu: an educational autograd engine with PyTorch's names, in Scalar and Tensor mode.

    import tinygrad_edu as tg
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    loss = (x * x).sum(); loss.backward(); x.grad      # tensor([[2., 4.]])
"""

from . import autograd, data, fast, gradcheck, graph, memory, nn, optim
from .autograd import Function, detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope, watch
from .creation import arange, cat, eye, full, ones, ones_like, rand, randn, stack, tensor, where, zeros, zeros_like
from .random import manual_seed
from .scalar import Scalar
from .serialization import load, save
from .tensor import Tensor, float32, float64, int64

__version__ = "0.1.0"

if fast.ENABLED:        # the speed machinery, at the core's two seams (TINYGRAD_EDU_FAST_PATHS=0: the plain core)
    fast.install()

__all__ = [
    "Tensor", "Scalar", "Function", "tensor", "zeros", "ones", "full", "randn", "rand", "arange", "eye",
    "zeros_like", "ones_like", "cat", "stack", "where", "no_grad", "enable_grad", "is_grad_enabled",
    "manual_seed", "scope", "watch", "detect_anomaly", "save", "load", "float32", "float64", "int64",
    "autograd", "data", "fast", "gradcheck", "graph", "memory", "nn", "optim",
]
