"""Convolution and pooling modules with PyTorch's constructor arguments, parameter shapes, default
initialisation (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias) and state_dict keys."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import random
from ..hints import DType
from ..tensor import Tensor
from . import conv_functional
from .module import Module, Parameter


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, weight_shape, fan_in, bias, dtype):
        super().__init__()
        if in_channels % self.groups or out_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels {in_channels} and out_channels {out_channels} must "
                             f"both be divisible by groups {self.groups}")
        self.in_channels, self.out_channels = in_channels, out_channels
        bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
        self.weight = Parameter(random.generator().uniform(-bound, bound, weight_shape), dtype=dtype)
        if bias:
            self.bias = Parameter(random.generator().uniform(-bound, bound, (out_channels,)), dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def extra_repr(self) -> str:
        parts = [f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"]
        if self.padding not in (0, (0, 0)):
            parts.append(f"padding={self.padding}")
        if self.dilation not in (1, (1, 1)):
            parts.append(f"dilation={self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


class Conv2d(_ConvNd):
    """weight (out_channels, in_channels/groups, KH, KW), bias (out_channels,).
    Shapes: (N, C_in, H, W) -> (N, C_out, OH, OW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True, dtype: DType = None):
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.groups = groups
        kh, kw = self.kernel_size
        super().__init__(in_channels, out_channels, (out_channels, in_channels // groups, kh, kw),
                         in_channels // groups * kh * kw, bias, dtype)

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return conv_functional.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """weight (out_channels, in_channels/groups, K).  Shapes: (N, C_in, L) -> (N, C_out, OL)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int | str = 0,
                 dilation: int = 1, groups: int = 1, bias: bool = True, dtype: DType = None):
        self.kernel_size, self.stride, self.padding, self.dilation, self.groups = \
            kernel_size, stride, padding, dilation, groups
        super().__init__(in_channels, out_channels, (out_channels, in_channels // groups, kernel_size),
                         in_channels // groups * kernel_size, bias, dtype)

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return conv_functional.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """weight (in_channels, out_channels/groups, KH, KW), bias (out_channels,).
    Shapes: (N, C_in, H, W) -> (N, C_out, (H-1)S - 2P + D(KH-1) + output_padding + 1, ...)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, dtype: DType = None):
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.output_padding, self.dilation, self.groups = _pair(output_padding), _pair(dilation), groups
        kh, kw = self.kernel_size
        # PyTorch computes fan_in from weight.shape[1] (out_channels/groups) for transposed convolutions
        super().__init__(in_channels, out_channels, (in_channels, out_channels // groups, kh, kw),
                         out_channels // groups * kh * kw, bias, dtype)

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return conv_functional.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                                self.output_padding, self.groups, self.dilation)


class MaxPool2d(Module):
    """Shapes: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""

    def __init__(self, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                 padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride or kernel_size, padding, \
            dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray | tuple[Tensor | np.ndarray, Tensor]:
        return conv_functional.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(MaxPool2d):
    """Shapes: (N, C, L) -> (N, C, OL)."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray | tuple[Tensor | np.ndarray, Tensor]:
        return conv_functional.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)


class AvgPool2d(Module):
    """Shapes: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""

    def __init__(self, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                 padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return conv_functional.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Shapes: (N, C, H, W) -> (N, C, *output_size); output_size=1 is global average pooling."""

    def __init__(self, output_size: int | Sequence[int]):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor | np.ndarray) -> Tensor | np.ndarray:
        return conv_functional.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
