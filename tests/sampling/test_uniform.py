"""The uniform scheme: simple random sampling, and draws with replacement."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.stats

import dleverage as dl
from dleverage.testing import heavy_scores

P_VALUE_FLOOR = 1e-3
SEEDS = 200


def test_uniform_chi_square(synchronous):
    # For a simple random sample of m of n rows the inclusion indicators have
    # covariance pi (1 - pi) n / (n - 1) (I - 11^T / n). Over S seeds the sum
    # sum_i (O_i - S pi)^2 / (S pi (1 - pi) n / (n - 1)) is then approximately
    # chi2 with n - 1 degrees of freedom.
    n, m = 40, 9
    scores = da.from_array(heavy_scores(), chunks=7)
    observed = np.zeros(n)
    for seed in range(SEEDS):
        result = dl.sample(scores, size=m, scheme="uniform", seed=seed)
        assert result.n_selected == m
        observed[result.indices] += 1
    pi = m / n
    variance = SEEDS * pi * (1 - pi) * n / (n - 1)
    statistic = np.sum((observed - SEEDS * pi) ** 2) / variance
    assert scipy.stats.chi2.sf(statistic, df=n - 1) > P_VALUE_FLOOR


def test_uniform_with_replacement_chi_square(synchronous):
    n, m = 40, 20
    scores = da.from_array(heavy_scores(), chunks=7)
    observed = np.zeros(n)
    for seed in range(SEEDS):
        result = dl.sample(scores, size=m, scheme="uniform", seed=seed, replace=True)
        assert result.n_draws == m
        observed[result.indices] += result.counts
    _, p_value = scipy.stats.chisquare(observed)
    assert p_value > P_VALUE_FLOOR


def test_uniform_weights():
    result = dl.sample(heavy_scores(), size=10, scheme="uniform", seed=0)
    np.testing.assert_allclose(result.probabilities, 10 / 40)
    np.testing.assert_allclose(result.weights, np.sqrt(40 / 10))
    drawn = dl.sample(heavy_scores(), size=10, scheme="uniform", seed=0, replace=True)
    np.testing.assert_allclose(drawn.probabilities, 1 / 40)
    np.testing.assert_allclose(drawn.weights, 1 / np.sqrt(10 / 40))


def test_uniform_accepts_zero_scores():
    result = dl.sample(np.zeros(5), size=5, scheme="uniform", seed=0)
    np.testing.assert_array_equal(result.indices, np.arange(5))


def test_uniform_rejects_size_over_rows():
    with pytest.raises(
        dl.InvalidSampleSizeError,
        match=r"Cannot select 41 of n_samples=40 rows without",
    ):
        dl.sample(heavy_scores(), size=41, scheme="uniform", seed=0)
    with dask.config.set(scheduler="synchronous"):
        result = dl.sample(
            heavy_scores(), size=41, scheme="uniform", seed=0, replace=True
        )
    assert result.n_draws == 41
