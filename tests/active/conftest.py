"""Fixtures for the active-learning tests: digits, a fitted MLP and a query state."""

from __future__ import annotations

import numpy as np
import pytest

from dleverage.active import representations
from dleverage.active.base import QueryState
from dleverage.active.data import load_dataset
from dleverage.active.loop import initial_labeled
from dleverage.active.model import fit_mlp


@pytest.fixture(scope="session")
def digits():
    """scikit-learn digits split into pool and test, with both fixed maps fitted."""
    dataset = load_dataset(dataset="digits")
    representations.ensure(dataset, representations.FIXED)
    return dataset


@pytest.fixture(scope="session")
def digits_state_parts(digits):
    """A 60-point labeled set of the digits pool and the MLP trained on it."""
    labeled = initial_labeled(digits.y_pool, 60, 0)
    model = fit_mlp(digits.X_pool[labeled], digits.y_pool[labeled], seed=0)
    return labeled, model


@pytest.fixture
def digits_state(digits, digits_state_parts):
    """A fresh query state (its generator seeded) over the digits pool."""
    labeled, model = digits_state_parts
    return QueryState(
        digits.X_pool,
        labeled,
        digits.y_pool[labeled],
        model,
        np.random.default_rng(7),
        digits.representations,
    )
