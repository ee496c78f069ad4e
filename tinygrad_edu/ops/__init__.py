"""Tensor Functions grouped by kind.  Every concrete Function subclass must have a gradcheck case in
tests/ (tests/test_gradcheck_ops.py fails otherwise)."""

from . import activation, elementwise, linalg, loss, movement, reduce

__all__ = ["activation", "elementwise", "linalg", "loss", "movement", "reduce"]
