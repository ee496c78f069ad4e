"""Recurrent layers RNN, LSTM, GRU (PyTorch's arguments, parameters and return values), unrolled in Python.

Shapes (cs231n letters): T time steps, N batch, D input features, H hidden features.
    input  (T, N, D), or (N, T, D) with batch_first=True, or unbatched (T, D)
    output (T, N, dirs*H) (batch_first: (N, T, dirs*H)); h_n and c_n (num_layers*dirs, N, H); dirs = 2 if
    bidirectional else 1.  RNN and GRU return (output, h_n), LSTM returns (output, (h_n, c_n)).

The unrolled graph is made of ordinary recorded ops (the cell math of rnn_cells.py), clustered by scopes: layer
`l{k}`, direction `reverse` (the backward-in-time direction of a bidirectional layer) and time step `t={t}`, so a
module registered as `lstm` records its step 3 under "lstm/l0/t=3" (and "lstm/l0/reverse/t=3").  Each step does
ONE matmul h_{t-1} W_hh^T for all its gates (the notes' W h_{t-1}, inside the step's scope), one Affine node that
also adds the step's input projection U x_t + b; the input projections of all T steps are ONE matmul before the
time loop, sliced per step (the engine joins the T slice gradients with one np.stack, so this costs O(T) in
backward).  `hoist_input_projection = False` computes x_t W_ih^T
inside each step instead: the same numbers, one more op per step in the picture.  Layers hand each other lists of
per-step tensors.

Also here: `state_grad_norms` (how big dL/dh_t is at every step, after one backward; see RNNBase) and the
truncated-BPTT helpers `detach_states` and `truncated_bptt_chunks`.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from .. import fast
from ..autograd import scope
from ..creation import cat, stack
from ..hints import DType
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .rnn_cells import GATES, NONLINEARITIES, check_sizes, describe, gru_step, lstm_step, rnn_step, uniform_parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "detach_states", "truncated_bptt_chunks"]


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, input and state checks, and the unrolled loop.

    Parameters, per layer k and direction (suffix '' or '_reverse'), PyTorch's names and shapes:
        weight_ih_l{k}{suffix} (G*H, D for k = 0 else dirs*H), weight_hh_l{k}{suffix} (G*H, H),
        bias_ih_l{k}{suffix}, bias_hh_l{k}{suffix} (G*H,), with G = 1 (RNN), 4 (LSTM), 3 (GRU); every one
        U(-1/sqrt(H), 1/sqrt(H)).
    dropout: probability of zeroing the outputs of every layer but the last (training only).

    Watching gradients through time: with `track_state_grads=True` (a constructor flag, also settable as an
    attribute) every forward keeps each step's hidden state h_t (and, for an LSTM, cell state c_t) with
    retain_grad().  After one backward, `state_grad_norms()` returns {"l0": [||dL/dh_0||, ..., ||dL/dh_{T-1}||],
    "l0_reverse": [...], ...} (Frobenius norm over the batch and hidden units, indexed by time step t; 0.0 where no
    gradient reached the state) and `state_grad_norms("c")` the same for an LSTM's cell states.  These are the
    total gradients of the loss at each state: what vanishes (or explodes) with distance from the loss.

    hoist_input_projection (class attribute, True; set it on an instance to change one layer): compute x W_ih^T
    + b_ih for all T steps in ONE matmul before the time loop (True) or one per step (False); see the module
    docstring.
    """

    mode = "RNN"
    hoist_input_projection = True

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 nonlinearity: str = "tanh", dtype: DType = None, track_state_grads: bool = False):
        super().__init__()
        kind = type(self).__name__
        check_sizes(kind, input_size, hidden_size)
        if not isinstance(num_layers, (int, np.integer)) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"{kind}: num_layers must be an int >= 1, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{kind}: dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{kind}: dropout={dropout} is applied between layers, after all but the last one, so it "
                          "does nothing with num_layers=1", stacklevel=2)
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"{kind}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional, self.nonlinearity = bool(bidirectional), nonlinearity
        self.track_state_grads = track_state_grads
        self._tracked = {}
        gh, dirs = GATES[self.mode] * self.hidden_size, 2 if bidirectional else 1
        for k in range(self.num_layers):          # PyTorch's order (and state_dict order)
            for suffix in ("", "_reverse")[:dirs]:
                d_in = self.input_size if k == 0 else dirs * self.hidden_size
                setattr(self, f"weight_ih_l{k}{suffix}", uniform_parameter((gh, d_in), self.hidden_size, dtype))
                setattr(self, f"weight_hh_l{k}{suffix}", uniform_parameter((gh, self.hidden_size), self.hidden_size,
                                                                           dtype))
                if bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", uniform_parameter((gh,), self.hidden_size, dtype))
                    setattr(self, f"bias_hh_l{k}{suffix}", uniform_parameter((gh,), self.hidden_size, dtype))

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _weights(self):
        """[(weight_ih, weight_hh, bias_ih or None, bias_hh or None)] per layer and direction, PyTorch's order."""
        out = []
        for k in range(self.num_layers):
            for suffix in ("", "_reverse")[:self.num_directions]:
                names = [f"{p}_l{k}{suffix}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                out.append(tuple(self._parameters.get(n) for n in names))
        return out

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters as PyTorch lists them: one list [w_ih, w_hh(, b_ih, b_hh)] per layer and direction."""
        return [[p for p in group if p is not None] for group in self._weights()]

    # ------------------------------------------------------------------------------------------ checks
    def _check_input(self, input):
        """-> (input as (T, N, D) or (N, T, D), batched?)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{describe(self)}: input must be a Tensor, got {type(input).__name__}")
        shape = input.shape
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if len(shape) not in (2, 3):
            raise ValueError(f"{describe(self)}: expected a 3-D input {layout} or an unbatched 2-D input "
                             f"(T, input_size), got a {len(shape)}-D input of shape {shape}")
        if shape[-1] != self.input_size:
            raise ValueError(f"{describe(self)}: input.size(-1) must equal input_size = {self.input_size}, got input "
                             f"of shape {shape}")
        batched = len(shape) == 3
        x = input if batched else input.unsqueeze(0 if self.batch_first else 1)   # unbatched: batch of 1
        if x.shape[1 if self.batch_first else 0] == 0:
            raise ValueError(f"{describe(self)}: the sequence is empty (input shape {shape}); T must be >= 1")
        return x, batched

    def _check_state(self, hx, what, n, batched, dtype):
        """One state tensor (L*dirs, N, H) (unbatched: (L*dirs, H)) -> list of (N, H) per layer and direction."""
        count = self.num_layers * self.num_directions
        if hx is None:
            zeros = Tensor(np.zeros((n, self.hidden_size), dtype=dtype), dtype=dtype)
            return [zeros] * count
        expected = (count, n, self.hidden_size) if batched else (count, self.hidden_size)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{describe(self)}: {what} must be a Tensor of shape {expected}, got "
                            f"{type(hx).__name__}")
        if hx.shape != expected:
            raise ValueError(f"{describe(self)}: expected {what} of shape {expected} (num_layers * num_directions, "
                             f"{'N, ' if batched else ''}hidden_size), got {hx.shape}")
        if not batched:
            hx = hx.unsqueeze(1)
        return [hx[i] for i in range(count)]

    def _initial_states(self, hx, n, batched, dtype):
        """-> (list of h_0 per layer and direction, list of c_0 or None)."""
        if self.mode == "LSTM":
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                got = (f"a {type(hx).__name__} of length {len(hx)}" if isinstance(hx, (tuple, list))
                       else f"a {type(hx).__name__}")
                raise TypeError(f"{describe(self)}: the initial state must be a tuple (h_0, c_0) of two Tensors, got "
                                f"{got}; an LSTM carries a hidden state and a cell state (pass (h_0, "
                                "tg.zeros_like(h_0)) for a zero cell state)")
            h0, c0 = (None, None) if hx is None else hx
            return (self._check_state(h0, "h_0", n, batched, dtype), self._check_state(c0, "c_0", n, batched, dtype))
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{describe(self)}: the initial state must be one Tensor h_0, got a {type(hx).__name__} "
                            f"(only an LSTM takes a tuple (h_0, c_0))")
        return self._check_state(hx, "h_0", n, batched, dtype), None

    # ------------------------------------------------------------------------------------------ forward
    def forward(self, input: Tensor, hx: Tensor | tuple[Tensor, Tensor] | list[Tensor] | None = None
                ) -> tuple[Tensor, Tensor] | tuple[Tensor, tuple[Tensor, Tensor]]:
        return self._run(input, hx, self._weights())

    def _run(self, input, hx, weights):
        """The unrolled network with the given weights (a list as _weights() returns; gradcheck passes its own)."""
        x, batched = self._check_input(input)
        time_axis = 1 if self.batch_first else 0
        h0, c0 = self._initial_states(hx, x.shape[1 - time_axis], batched, x.dtype)
        dirs = self.num_directions
        tracked = {} if self.track_state_grads else None
        finals_h, finals_c = [], []
        # layers hand each other lists of per-step tensors (N, D), not a stacked tensor (module docstring); the first
        # layer's hoisted input projection reads the input whole: (T, N, D), no slicing and stacking it again
        seq = x if time_axis == 0 else x.transpose(0, 1)
        steps = None if self.hoist_input_projection else [seq[t] for t in range(seq.shape[0])]
        for k in range(self.num_layers):
            with scope(f"l{k}"):
                outputs = []
                for d in range(dirs):
                    i = k * dirs + d
                    with scope("reverse") if d else contextlib.nullcontext():
                        track = tracked.setdefault(f"l{k}" + ("_reverse" if d else ""), {}) if tracked is not None \
                            else None
                        hs, h, c = self._direction(steps, seq, weights[i], h0[i], c0[i] if c0 else None, bool(d),
                                                   track)
                    outputs.append(hs)
                    finals_h.append(h)
                    finals_c.append(c)
                steps = outputs[0] if dirs == 1 else [cat([f, b], dim=1) for f, b in zip(*outputs)]
                seq = None
                if self.dropout and self.training and k < self.num_layers - 1:
                    steps = [F.dropout(s, self.dropout, True) for s in steps]
        self._tracked = tracked or {}
        output, h_n = stack(steps, dim=time_axis), stack(finals_h)
        c_n = stack(finals_c) if self.mode == "LSTM" else None
        if not batched:               # back to PyTorch's unbatched shapes: (T, dirs*H) and (L*dirs, H)
            output = output[0] if self.batch_first else output[:, 0]
            h_n = h_n[:, 0]
            c_n = c_n[:, 0] if c_n is not None else None
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _direction(self, xs, seq, weights, h, c, reverse, track):
        """One layer in one direction over the T inputs xs (N, D) -> ([h_t for t = 0..T-1], h_final, c_final).
        seq: the same inputs stacked (T, N, D) when at hand (the first layer), else None."""
        w_ih, w_hh, b_ih, b_hh = weights
        if self.mode != "GRU" and b_ih is not None:   # RNN/LSTM add b_hh outside the nonlinearity: fold it in once
            b_ih, b_hh = b_ih + b_hh, None
        T = len(xs) if xs is not None else seq.shape[0]
        if self.hoist_input_projection:               # ONE matmul for the input projection of every time step
            seq = seq if seq is not None else stack(xs)
            n = seq.shape[1]
            xw = F.linear(seq.reshape(T * n, -1), w_ih, b_ih).reshape(T, n, -1)    # 2-D: one GEMM
            xws = [xw[t] for t in range(T)]
        hs = [None] * T
        with fast.reused(w_hh):    # W_hh is the same at every step: the fast paths keep it laid out for BLAS
            for t in (range(T - 1, -1, -1) if reverse else range(T)):
                with scope(f"t={t}"):
                    xw_t = xws[t] if self.hoist_input_projection else F.linear(xs[t], w_ih, b_ih)
                    if self.mode == "LSTM":
                        h, c = lstm_step(xw_t, h, c, w_hh, b_hh)
                    elif self.mode == "GRU":
                        h = gru_step(xw_t, h, w_hh, b_hh)
                    else:
                        h = rnn_step(xw_t, h, w_hh, b_hh, self.nonlinearity)
                hs[t] = h
                if track is not None and h.requires_grad:
                    track.setdefault("h", [None] * T)[t] = h.retain_grad()
                    if c is not None:
                        track.setdefault("c", [None] * T)[t] = c.retain_grad()
        return hs, h, c

    # ------------------------------------------------------------------------------------------ state gradients
    def state_grad_norms(self, state: str = "h") -> dict[str, list[float]]:
        """{"l{k}[_reverse]": [||dL/dh_t|| for t = 0..T-1]} for the last forward (needs track_state_grads=True
        before that forward, and a backward after it).  state: "h", or "c" for an LSTM's cell states."""
        if state not in ("h", "c") or (state == "c" and self.mode != "LSTM"):
            allowed = "'h' or 'c'" if self.mode == "LSTM" else "'h' (only an LSTM has cell states 'c')"
            raise ValueError(f"{describe(self)}: state must be {allowed}, got {state!r}")
        if not self._tracked:
            raise RuntimeError(f"{describe(self)}: no states were tracked; set track_state_grads=True (constructor "
                               "flag or attribute) before the forward pass, then call backward()")
        return {key: [0.0 if s is None or s.grad is None else float(np.linalg.norm(s.grad.data))
                      for s in kinds.get(state, [])]
                for key, kinds in self._tracked.items()}

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN" and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = 'tanh' (default) or 'relu'.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, dtype=None, track_state_grads=False).  forward(input, h_0=None) -> (output, h_n);
    shapes in the module docstring, the state-gradient tracking in RNNBase's.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: DType = None, track_state_grads: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         nonlinearity, dtype, track_state_grads)


class LSTM(RNNBase):
    """LSTM, PyTorch's gates i, f, g, o: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)).  Same arguments as RNN without nonlinearity.
    """

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype: DType = None,
                 track_state_grads: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         "tanh", dtype, track_state_grads)


class GRU(RNNBase):
    """GRU, PyTorch's gates r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h.

    forward(input, h_0=None) -> (output, h_n).  Same arguments as RNN without nonlinearity.
    """

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype: DType = None,
                 track_state_grads: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         "tanh", dtype, track_state_grads)


# ---------------------------------------------------------------------------------------------- truncated BPTT
def detach_states(state: Tensor | tuple | list | None) -> Tensor | tuple | list | None:
    """Cut a recurrent state from the graph between chunks of truncated BPTT: h.detach(), or (h.detach(),
    c.detach()) for an LSTM's (h, c) (nested tuples and None pass through)."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_states(s) for s in state)
    raise TypeError(f"detach_states: expected a Tensor or a tuple of Tensors, got {type(state).__name__}")


def truncated_bptt_chunks(sequence: Tensor | np.ndarray, k: int,
                          batch_first: bool = False) -> list[Tensor | np.ndarray]:
    """Consecutive chunks of k time steps of `sequence` (T, N, ...) (batch_first: (N, T, ...)); the last chunk
    may be shorter.  Training over a long sequence with gradients truncated to k steps:

        state = None
        for x, y in zip(truncated_bptt_chunks(inputs, k), truncated_bptt_chunks(targets, k)):
            out, state = lstm(x, state)
            loss = criterion(head(out).reshape(-1, C), y.reshape(-1))
            opt.zero_grad(); loss.backward(); opt.step()
            state = detach_states(state)      # the next chunk starts from the values, not the graph

    Works on Tensors and numpy arrays alike (slices along the time axis); returns a list of chunks.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"truncated_bptt_chunks: k must be an int >= 1 (steps per chunk), got {k!r}")
    T = np.shape(sequence.data if isinstance(sequence, Tensor) else sequence)[1 if batch_first else 0]
    return [sequence[:, start:start + k] if batch_first else sequence[start:start + k] for start in range(0, T, k)]
