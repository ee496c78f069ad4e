"""Recurrent cells: the math of one time step (as functions) and RNNCell, LSTMCell, GRUCell (as modules).

Shapes (cs231n letters): N batch, D input features, H hidden features, G gates per cell (RNN 1, LSTM 4, GRU 3).
Parameters use PyTorch's layout: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih and bias_hh (G*H,), the gate
blocks stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).

The math is written once, in `*_step(xw, state, weight_hh, bias_hh)`, which takes the input projection
xw = x W_ih^T + b_ih already computed (so a layer may compute it for all time steps at once); `*_cell(x, state,
weight_ih, weight_hh, bias_ih, bias_hh)` computes the projection and calls the step. Both are built from recorded
ops only (Affine, Add, Mul, Sub, slicing, Sigmoid, Tanh, ReLU), so they run in Tensor mode and, given numpy object
arrays of Scalars (`tg.Scalar.array`), in scalar mode: every multiply of U x and W h becomes a node, as on the
slides. The intermediate values carry names ("i", "f", "g", "o", "c", "h"; "r", "z", "n") that pictures show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import random
from ..hints import DType
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter

__all__ = ["rnn_step", "rnn_cell", "lstm_step", "lstm_cell", "gru_step", "gru_cell", "RNNCell", "LSTMCell",
           "GRUCell"]

NONLINEARITIES = {"tanh": F.tanh, "relu": F.relu}
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def label(x: Tensor | np.ndarray, name: str) -> Tensor | np.ndarray:
    """Name an intermediate value for pictures: a Tensor gets `name`; an array of Scalars gets the slides' names
    (h1, h2, ... over its non-singleton axes, 1-based).  Returns x."""
    if isinstance(x, np.ndarray):
        shape = x.shape
        for index in np.ndindex(shape):
            parts = [str(i + 1) for i, n in zip(index, shape) if n != 1]
            x[index].name = name + ("".join(parts) if max(shape, default=1) < 10 else f"[{','.join(parts)}]")
    else:
        x.name = name
    return x


def _hidden(x, gates):
    return np.shape(x)[-1] // gates


# ------------------------------------------------------------------------------------------------ the math
def _pre_activation(xw, h, weight_hh, bias_hh):
    """xw + h W_hh^T + b_hh.  One Affine node when xw and h have the same rows (xw (+ b_hh) passed to F.linear as
    a per-row bias); a product and an Add when one of them broadcasts (a single h for a batch of inputs)."""
    if np.shape(xw)[:-1] == np.shape(h)[:-1]:
        return F.linear(h, weight_hh, xw if bias_hh is None else xw + bias_hh)
    return xw + F.linear(h, weight_hh, bias_hh)


def rnn_step(xw: Tensor | np.ndarray, h: Tensor | np.ndarray, weight_hh: Tensor | np.ndarray,
             bias_hh: Tensor | np.ndarray | None = None, nonlinearity: str = "tanh") -> Tensor | np.ndarray:
    """h_t = act(xw + h W_hh^T + b_hh), xw = x_t W_ih^T + b_ih.  Shapes: xw (N, H), h (N, H) -> (N, H)."""
    return label(NONLINEARITIES[nonlinearity](_pre_activation(xw, h, weight_hh, bias_hh)), "h")


def rnn_cell(x: Tensor | np.ndarray, h: Tensor | np.ndarray, weight_ih: Tensor | np.ndarray,
             weight_hh: Tensor | np.ndarray, bias_ih: Tensor | np.ndarray | None = None,
             bias_hh: Tensor | np.ndarray | None = None, nonlinearity: str = "tanh") -> Tensor | np.ndarray:
    """The plain RNN of the notes: h_t = act(U x_t + b_ih + W h_{t-1} + b_hh), act tanh or relu.

    Shapes: x (N, D), h (N, H), weight_ih = U (H, D), weight_hh = W (H, H), biases (H,) -> h_t (N, H).
    Unbatched (D,) and (H,) work too.
    """
    return rnn_step(F.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh, nonlinearity)


def lstm_step(xw: Tensor | np.ndarray, h: Tensor | np.ndarray, c: Tensor | np.ndarray, weight_hh: Tensor | np.ndarray,
              bias_hh: Tensor | np.ndarray | None = None) -> tuple[Tensor | np.ndarray, Tensor | np.ndarray]:
    """One LSTM step from the input projection xw = x_t W_ih^T + b_ih (N, 4H).  Returns (h_t, c_t), each (N, H).

        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four H-wide blocks of xw + h W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g        (the cell state path: only elementwise multiplies by f)
        h_t = o * tanh(c_t)
    """
    H = _hidden(xw, 4)
    z = label(_pre_activation(xw, h, weight_hh, bias_hh), "gates")     # ONE matmul (and node) for the four gates
    i = label(F.sigmoid(z[..., :H]), "i")                          # each gate its own node: the forget gate is
    f = label(F.sigmoid(z[..., H:2 * H]), "f")                     # the Sigmoid named f (and no sigmoid of the
    g = label(F.tanh(z[..., 2 * H:3 * H]), "g")                    # g block computed for nothing)
    o = label(F.sigmoid(z[..., 3 * H:]), "o")
    c = label(f * c + i * g, "c")
    return label(o * F.tanh(c), "h"), c


def lstm_cell(x: Tensor | np.ndarray, state: Sequence[Tensor | np.ndarray], weight_ih: Tensor | np.ndarray,
              weight_hh: Tensor | np.ndarray, bias_ih: Tensor | np.ndarray | None = None,
              bias_hh: Tensor | np.ndarray | None = None) -> tuple[Tensor | np.ndarray, Tensor | np.ndarray]:
    """LSTM cell with PyTorch's gate order i, f, g, o.  state = (h, c).  Returns (h_t, c_t).

    Shapes: x (N, D), h and c (N, H), weight_ih (4H, D), weight_hh (4H, H), biases (4H,).
    """
    h, c = state
    return lstm_step(F.linear(x, weight_ih, bias_ih), h, c, weight_hh, bias_hh)


def gru_step(xw: Tensor | np.ndarray, h: Tensor | np.ndarray, weight_hh: Tensor | np.ndarray,
             bias_hh: Tensor | np.ndarray | None = None) -> Tensor | np.ndarray:
    """One GRU step from the input projection xw = x_t W_ih^T + b_ih (N, 3H).  Returns h_t (N, H).

        hw = h W_hh^T + b_hh                       (ONE matmul; blocks r, z, n)
        r = sigmoid(xw_r + hw_r),  z = sigmoid(xw_z + hw_z)
        n = tanh(xw_n + r * hw_n)                  (b_hn sits inside r * (W_hn h + b_hn), as PyTorch)
        h_t = (1 - z) * n + z * h                  (PyTorch's convention; some notes swap z and 1 - z)
    """
    H = _hidden(xw, 3)
    hw = F.linear(h, weight_hh, bias_hh)
    r = label(F.sigmoid(xw[..., :H] + hw[..., :H]), "r")
    z = label(F.sigmoid(xw[..., H:2 * H] + hw[..., H:2 * H]), "z")
    n = label(F.tanh(xw[..., 2 * H:] + r * hw[..., 2 * H:]), "n")
    return label((1.0 - z) * n + z * h, "h")


def gru_cell(x: Tensor | np.ndarray, h: Tensor | np.ndarray, weight_ih: Tensor | np.ndarray,
             weight_hh: Tensor | np.ndarray, bias_ih: Tensor | np.ndarray | None = None,
             bias_hh: Tensor | np.ndarray | None = None) -> Tensor | np.ndarray:
    """GRU cell with PyTorch's gate order r, z, n.  Shapes: x (N, D), h (N, H), weight_ih (3H, D),
    weight_hh (3H, H), biases (3H,) -> h_t (N, H)."""
    return gru_step(F.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh)


# ------------------------------------------------------------------------------------------------ modules
def uniform_parameter(shape: tuple[int, ...], hidden_size: int, dtype: DType) -> Parameter:
    """PyTorch's recurrent initialisation: every parameter U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    return Parameter(random.generator().uniform(-bound, bound, shape), dtype=dtype)


def describe(module: Module) -> str:
    """'LSTM' or "LSTM 'encoder'" (with the attribute name once registered): how error messages name a layer."""
    name = module.__dict__.get("_scope_name")
    return f"{type(module).__name__} {name!r}" if name else type(module).__name__


def check_sizes(kind: str, input_size: int, hidden_size: int) -> None:
    for what, n in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"{kind}: {what} must be a positive int, got {n!r}")


class RNNCellBase(Module):
    """weight_ih (G*H, D), weight_hh (G*H, H), bias_ih, bias_hh (G*H,); all U(-1/sqrt(H), 1/sqrt(H))."""

    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: DType = None):
        super().__init__()
        check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        gh = GATES[self.mode] * self.hidden_size
        self.weight_ih = uniform_parameter((gh, self.input_size), self.hidden_size, dtype)
        self.weight_hh = uniform_parameter((gh, self.hidden_size), self.hidden_size, dtype)
        if bias:
            self.bias_ih = uniform_parameter((gh,), self.hidden_size, dtype)
            self.bias_hh = uniform_parameter((gh,), self.hidden_size, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def _check(self, input, hx, what="hx"):
        """Validate input (N, D) or (D,) and one state tensor; returns the state (zeros when hx is None)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{describe(self)}: input must be a Tensor, got {type(input).__name__}")
        shape = input.shape
        if len(shape) not in (1, 2):
            raise ValueError(f"{describe(self)}: expected input of shape (N, input_size) or unbatched (input_size,), "
                             f"got a {len(shape)}-D input of shape {shape}")
        if shape[-1] != self.input_size:
            raise ValueError(f"{describe(self)}: input.size(-1) must equal input_size = {self.input_size}, got input "
                             f"of shape {shape}")
        expected = shape[:-1] + (self.hidden_size,)
        if hx is None:
            return Tensor(np.zeros(expected, dtype=input.dtype), dtype=input.dtype)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{describe(self)}: {what} must be a Tensor of shape {expected}, got {type(hx).__name__}")
        if hx.shape != expected:
            raise ValueError(f"{describe(self)}: expected {what} of shape {expected} (input's batch, hidden_size), "
                             f"got {hx.shape}")
        return hx

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act 'tanh' or 'relu'.

    forward(input (N, D) or (D,), hx (N, H) or (H,) or None = zeros) -> h' of hx's shape.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 dtype: DType = None):
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        h = self._check(input, hx)
        return rnn_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}")


class LSTMCell(RNNCellBase):
    """LSTM cell, gates i, f, g, o.  forward(input (N, D), hx = (h, c) each (N, H), or None = zeros) -> (h', c')."""

    mode = "LSTM"

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | list[Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if hx is None:
            h = c = self._check(input, None)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                got = type(hx).__name__ if not isinstance(hx, (tuple, list)) else f"a {type(hx).__name__} of {len(hx)}"
                raise TypeError(f"{describe(self)}: hx must be a tuple (h, c) of two Tensors, got {got}; an LSTM "
                                "carries a hidden state and a cell state")
            h, c = self._check(input, hx[0], "h"), self._check(input, hx[1], "c")
        return lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """GRU cell, gates r, z, n (b_hn inside r * (W_hn h + b_hn)).  forward(input (N, D), hx (N, H) or None) -> h'."""

    mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        h = self._check(input, hx)
        return gru_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
