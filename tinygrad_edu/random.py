"""The one random number generator behind randn, rand, dropout and nn.init; `manual_seed` resets it."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Make every random draw of the library reproducible from here on."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    return _generator
