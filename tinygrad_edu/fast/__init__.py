"""The speed machinery, kept apart from the autograd core (tinygrad_edu/autograd.py) so the core stays readable.

What it adds, and where (docs/engine.md explains why each one pays):
- apply.py: specialised copies of `Function.apply` for the hot paths (one input; two inputs without
  hyper-parameters, as in `a * b`), and Scalar's compact record (scalar_record.py: a Scalar made by an op is its
  own Context, one object per node instead of three, which keeps the garbage collector's work small).
- backward.py: the backward loop with use counts kept on the nodes instead of a dict and a sorted list, gradient
  buffers added to in place when this pass owns them, and the cyclic garbage collector paused meanwhile.
- gradients.py: gathered gradients.  The slices x[t] of one tensor are joined once (not T dense zeros-and-add),
  and Affine's dW over every use of one weight (an RNN's W_hh per time step) is one matrix product; also
  in-place backward kernels for Sigmoid and Tanh (fewer temporary arrays).  Each replaces an op's backward only
  here; tests/test_fast_paths.py proves it equal to the op's own (textbook) backward.
- reused_weights.py: inside `reused(W)` (a recurrent layer's time loop), Affine multiplies by a transposed copy of
  W made once, for the layout BLAS multiplies fastest.

The core calls this package at two seams (autograd.SEAMS.apply, autograd.SEAMS.backward).  It is on unless the
environment says TINYGRAD_EDU_FAST_PATHS=0 (or false/no/off) when tinygrad_edu is imported; then the plain core
runs alone, and every test passes in both modes.  Memory reuse between training steps is a separate, opt-in call:
tinygrad_edu.memory.keep_freed_memory().
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["ENABLED", "INSTALLED", "apply_binary", "apply_unary", "install", "reused"]

ENABLED = os.environ.get("TINYGRAD_EDU_FAST_PATHS", "1").strip().lower() not in ("0", "false", "no", "off")
INSTALLED = False


def apply_binary(fn, a, b):
    """fn.apply(a, b): what the operators (+ - * / **) call; install() swaps in the specialised version."""
    return fn.apply(a, b)


def apply_unary(fn, x):
    """fn.apply(x): what x.exp(), x.relu(), -x ... call; install() swaps in the specialised version."""
    return fn.apply(x)


def reused(*weights):
    """A with-block inside which the caller changes none of `weights` (a recurrent layer's W_hh over its time
    loop): the fast paths then keep each one transposed for Affine (reused_weights.py).  Without them, nothing."""
    return contextlib.nullcontext()


def install() -> None:
    """Plug the fast paths into the core's seams (tinygrad_edu/__init__.py calls this once, when ENABLED)."""
    global INSTALLED, apply_binary, apply_unary, reused
    from .. import autograd
    from ..scalar import Scalar
    from . import apply, backward, reused_weights, scalar_record

    autograd.SEAMS.apply = apply.apply
    autograd.SEAMS.backward = backward.backward
    Scalar.leaf_class = scalar_record.ScalarNode
    apply_binary, apply_unary = apply.apply_binary, apply.apply_unary
    reused = reused_weights.reused
    INSTALLED = True
