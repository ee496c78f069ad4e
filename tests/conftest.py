import numpy as np
import pytest

import tinygrad_edu as tg


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    yield
