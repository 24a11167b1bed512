"""LeverageScorer and LeverageSampler: scikit-learn checks, NumPy and Dask."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import dleverage as dl
from dleverage.testing import reference_leverage


@parametrize_with_checks(
    [
        dl.LeverageScorer(),
        dl.LeverageScorer(ridge="rel:0.01", intercept=True),
        dl.LeverageSampler(size=5),
        dl.LeverageSampler(size=5, scheme="topk", ridge=0.1),
    ]
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_scorer_oracle(rng):
    x = rng.standard_normal((80, 4))
    new = rng.standard_normal((7, 4))
    scorer = dl.LeverageScorer(ridge=0.3).fit(x)
    np.testing.assert_allclose(
        scorer.scores_, reference_leverage(x, ridge=0.3), atol=1e-12
    )
    inverse = np.linalg.inv(x.T @ x + 0.3 * np.eye(4))
    expected = np.einsum("ij,jk,ik->i", new, inverse, new)
    np.testing.assert_allclose(scorer.score_samples(new), expected, rtol=1e-12)
    assert scorer.transform(new).shape == (7, 1)


def test_scorer_dask_stays_lazy(rng):
    x = rng.standard_normal((90, 3))
    scorer = dl.LeverageScorer().fit(da.from_array(x, chunks=30))
    assert isinstance(scorer.scores_, da.Array)
    lazy = scorer.score_samples(da.from_array(x, chunks=45))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), reference_leverage(x), atol=1e-12)


def test_scorer_params_round_trip():
    scorer = dl.LeverageScorer(ridge="deff:3", method="tsqr")
    assert scorer.get_params() == {
        "ridge": "deff:3",
        "method": "tsqr",
        "intercept": False,
    }
    scorer.set_params(intercept=True)
    assert scorer.intercept is True


def test_scorer_in_pipeline(rng):
    x = rng.standard_normal((60, 3))
    pipeline = make_pipeline(StandardScaler(), dl.LeverageScorer(ridge=1.0)).fit(x)
    assert pipeline.transform(x).shape == (60, 1)


def test_scorer_wrong_features(rng):
    scorer = dl.LeverageScorer().fit(rng.standard_normal((20, 3)))
    with pytest.raises(ValueError, match=r"X has 2 features, but LeverageScorer"):
        scorer.score_samples(da.from_array(rng.standard_normal((5, 2))))


def test_sampler_matches_sample(rng):
    x = rng.standard_normal((200, 4))
    sampler = dl.LeverageSampler(size=30, scheme="bernoulli", ridge=0.5, seed=8).fit(x)
    direct = dl.sample(
        dl.leverage_scores(x, ridge=0.5), size=30, scheme="bernoulli", seed=8
    )
    np.testing.assert_array_equal(sampler.indices_, direct.indices)
    np.testing.assert_array_equal(sampler.weights_, direct.weights)


def test_sampler_fit_resample_dask(rng):
    x = rng.standard_normal((200, 4))
    y = rng.integers(0, 2, size=200)
    sampler = dl.LeverageSampler(size=20, scheme="stratified", base="uniform", seed=1)
    rows, targets, weights = sampler.fit_resample(da.from_array(x, chunks=50), y)
    assert isinstance(rows, da.Array)
    np.testing.assert_array_equal(rows.compute(), x[sampler.indices_])
    np.testing.assert_array_equal(targets, y[sampler.indices_])
    np.testing.assert_allclose(weights, sampler.counts_ * sampler.weights_**2)
