"""The iid scheme: exact multinomial draws, block by block."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.stats

import dleverage as dl
from dleverage.testing import heavy_scores as make_heavy_scores

# Each test below is seeded, so it passes or fails deterministically. Under a
# correct sampler a chi-square test at this level fails for one seed set in 1,000.
P_VALUE_FLOOR = 1e-3


def test_iid_fields(chunked, heavy_scores):
    result = dl.sample(chunked, size=30, scheme="iid", seed=1)
    p = heavy_scores / heavy_scores.sum()
    assert result.indices.dtype == np.int64
    assert np.all(np.diff(result.indices) > 0)
    assert result.counts.sum() == 30
    np.testing.assert_allclose(result.probabilities, p[result.indices], rtol=1e-14)
    np.testing.assert_allclose(
        result.weights, 1.0 / np.sqrt(30 * p[result.indices]), rtol=1e-14
    )
    assert result.scheme == "iid"
    assert result.size == 30
    assert result.seed == 1


SEEDS = 200
SIZE = 60


@pytest.fixture(scope="module")
def draws():
    """Indices and counts of 200 iid samples of 60 draws from ``heavy_scores``."""
    with dask.config.set(scheduler="synchronous"):
        chunked = da.from_array(make_heavy_scores(), chunks=7)
        return [
            dl.sample(chunked, size=SIZE, scheme="iid", seed=seed)
            for seed in range(SEEDS)
        ]


def test_iid_chi_square(draws, heavy_scores):
    seeds, m = SEEDS, SIZE
    totals = np.zeros(heavy_scores.size)
    for result in draws:
        totals[result.indices] += result.counts
    p = heavy_scores / heavy_scores.sum()
    assert totals[p == 0].sum() == 0
    expected = seeds * m * p[p > 0]
    statistic, p_value = scipy.stats.chisquare(totals[p > 0], expected)
    assert p_value > P_VALUE_FLOOR, (statistic, p_value)


def test_iid_block_counts_chi_square(draws, heavy_scores):
    # The first stage alone: draws per block follow the block masses.
    seeds, m = SEEDS, SIZE
    edges = np.arange(0, 42, 7)
    observed = np.zeros(edges.size)
    for result in draws:
        blocks = np.searchsorted(edges, result.indices, side="right") - 1
        observed += np.bincount(blocks, weights=result.counts, minlength=edges.size)
    mass = np.add.reduceat(heavy_scores, edges)
    _, p_value = scipy.stats.chisquare(observed, seeds * m * mass / mass.sum())
    assert p_value > P_VALUE_FLOOR


def test_iid_one_block_and_many(heavy_scores):
    # NumPy scores are one block; the draw is still a valid multinomial.
    result = dl.sample(heavy_scores, size=1000, scheme="iid", seed=3)
    assert result.n_draws == 1000
    assert set(result.indices) <= set(np.flatnonzero(heavy_scores > 0))


def test_iid_sketch_unbiased(rng, synchronous):
    # E[sum_i c_i w_i^2 x_i x_i^T] = X^T X; the mean over 300 seeds is within 5%
    # in Frobenius norm (the relative standard error is about 2% here).
    x = rng.standard_normal((200, 3)) * rng.pareto(2.0, size=(200, 1))
    result = dl.leverage_scores(x).compute()
    gram = np.zeros((3, 3))
    for seed in range(300):
        chosen = dl.sample(result, size=50, scheme="iid", seed=seed)
        rows = x[chosen.indices]
        gram += (rows * chosen.sample_weight[:, None]).T @ rows
    gram /= 300
    truth = x.T @ x
    assert np.linalg.norm(gram - truth) / np.linalg.norm(truth) < 0.05
