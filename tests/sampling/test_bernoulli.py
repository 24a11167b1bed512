"""The bernoulli scheme: independent inclusion with pi_i = min(1, c h_i)."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.optimize
import scipy.stats

import dleverage as dl
from dleverage.sampling.bernoulli import inclusion_constant
from dleverage.testing import heavy_scores

P_VALUE_FLOOR = 1e-3
SEEDS = 200
SIZE = 12


def _oracle_constant(scores, m):
    # Root of sum min(1, c h) - m, bracketed between m / sum h and 1 / min h > 0.
    positive = scores[scores > 0]
    return scipy.optimize.brentq(
        lambda c: np.minimum(1.0, c * positive).sum() - m,
        m / positive.sum() / 2,
        2.0 / positive.min(),
        xtol=1e-15,
        rtol=1e-14,
    )


@pytest.mark.parametrize("m", [1, 5, 12, 30, 38])
def test_inclusion_constant_matches_root(m):
    scores = heavy_scores()
    top = np.sort(scores)[::-1][:m]
    c = inclusion_constant(top, scores.sum(), m)
    # With m = 38, the number of positive scores, every c >= 1 / min h is a root;
    # the inclusion probabilities are the same for all of them.
    expected = np.minimum(1.0, _oracle_constant(scores, m) * scores)
    np.testing.assert_allclose(np.minimum(1.0, c * scores), expected, rtol=1e-10)
    assert np.minimum(1.0, c * scores).sum() == pytest.approx(m, rel=1e-12)


@pytest.fixture(scope="module")
def draws():
    """200 bernoulli samples of expected size 12 from ``heavy_scores`` in 6 blocks."""
    with dask.config.set(scheduler="synchronous"):
        chunked = da.from_array(heavy_scores(), chunks=7)
        return [
            dl.sample(chunked, size=SIZE, scheme="bernoulli", seed=seed)
            for seed in range(SEEDS)
        ]


def test_bernoulli_fields(draws):
    scores = heavy_scores()
    c = _oracle_constant(scores, SIZE)
    result = draws[0]
    pi = np.minimum(1.0, c * scores[result.indices])
    np.testing.assert_allclose(result.probabilities, pi, rtol=1e-9)
    np.testing.assert_allclose(result.weights, 1 / np.sqrt(pi), rtol=1e-9)
    assert np.all(result.counts == 1)
    assert np.all(np.diff(result.indices) > 0)


def test_bernoulli_chi_square(draws):
    # Inclusions of row i over the seeds are Binomial(SEEDS, pi_i), independent
    # across rows, so the standardized squares sum to chi2 with one degree of
    # freedom per row with 0 < pi_i < 1.
    scores = heavy_scores()
    pi = np.minimum(1.0, _oracle_constant(scores, SIZE) * scores)
    observed = np.zeros(scores.size)
    for result in draws:
        observed[result.indices] += 1
    assert np.all(observed[pi == 0] == 0)
    assert np.all(observed[pi == 1] == SEEDS)
    inside = (pi > 0) & (pi < 1)
    variance = SEEDS * pi[inside] * (1 - pi[inside])
    statistic = np.sum((observed[inside] - SEEDS * pi[inside]) ** 2 / variance)
    p_value = scipy.stats.chi2.sf(statistic, df=inside.sum())
    assert p_value > P_VALUE_FLOOR, (statistic, p_value)


def test_bernoulli_mean_size(draws):
    # The mean size over 200 seeds is within 4 standard errors of m.
    scores = heavy_scores()
    pi = np.minimum(1.0, _oracle_constant(scores, SIZE) * scores)
    sizes = np.array([result.n_selected for result in draws])
    standard_error = np.sqrt(np.sum(pi * (1 - pi)) / SEEDS)
    assert abs(sizes.mean() - SIZE) < 4 * standard_error


def test_bernoulli_caps_heavy_rows():
    scores = np.array([100.0, 1.0, 1.0, 1.0, 1.0])
    result = dl.sample(scores, size=3, scheme="bernoulli", seed=0)
    assert 0 in result.indices
    assert result.probabilities[0] == 1.0


def test_bernoulli_all_positive_rows():
    # m equal to the positive count keeps every positive row with pi = 1.
    scores = heavy_scores()
    result = dl.sample(scores, size=38, scheme="bernoulli", seed=0)
    np.testing.assert_array_equal(result.indices, np.flatnonzero(scores > 0))
    np.testing.assert_allclose(result.probabilities, 1.0)


def test_bernoulli_rejects_size_over_positive():
    with pytest.raises(
        dl.InvalidSampleSizeError,
        match=r"expected 39 rows without replacement from 38 rows with a positive",
    ):
        dl.sample(heavy_scores(), size=39, scheme="bernoulli", seed=0)
