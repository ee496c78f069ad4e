"""Tensor Functions grouped by kind.  Every concrete Function subclass must have a gradcheck case in
tests/ (tests/test_gradcheck_ops.py fails otherwise)."""

from . import activation, conv, elementwise, linalg, loss, movement, pool, reduce

__all__ = ["activation", "conv", "elementwise", "linalg", "loss", "movement", "pool", "reduce"]
