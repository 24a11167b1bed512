"""Training on a subset: weighted ridge in NumPy, scikit-learn and dask-ml."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.linear_model import Ridge, RidgeClassifier

import dleverage as dl
from dleverage.train import dask_ml_ridge, ridge_objective


@pytest.fixture
def problem(rng):
    x = rng.standard_normal((400, 6)) * rng.pareto(3.0, size=(400, 1))
    theta = rng.standard_normal(6)
    y = x @ theta + 0.1 * rng.standard_normal(400)
    return x, y


def test_ridge_solve_normal_equations(problem, rng):
    x, y = problem
    w = rng.uniform(0.1, 3.0, size=400)
    theta = dl.ridge_solve(x, y, ridge=2.0, sample_weight=w)
    expected = np.linalg.solve(x.T @ (w[:, None] * x) + 2.0 * np.eye(6), x.T @ (w * y))
    np.testing.assert_allclose(theta, expected, rtol=1e-10)


def test_ridge_solve_many_targets(problem):
    x, y = problem
    targets = np.column_stack([y, 2 * y])
    theta = dl.ridge_solve(x, targets, ridge=1.0)
    np.testing.assert_allclose(theta[:, 1], 2 * theta[:, 0], rtol=1e-12)


def test_ridge_objective(problem):
    x, y = problem
    theta = dl.ridge_solve(x, y, ridge=1.0)
    expected = np.sum((x @ theta - y) ** 2) + np.sum(theta**2)
    assert ridge_objective(x, y, theta, ridge=1.0) == pytest.approx(expected, rel=1e-14)


def test_sketch_and_solve_dask_matches_numpy(problem):
    x, y = problem
    chosen = dl.sample(dl.leverage_scores(x, ridge=1.0), size=120, seed=0)
    lazy = dl.sketch_and_solve(
        da.from_array(x, chunks=64), da.from_array(y, chunks=64), chosen, ridge=1.0
    )
    eager = dl.sketch_and_solve(x, y, chosen, ridge=1.0)
    np.testing.assert_allclose(lazy, eager, rtol=1e-12)
    explicit = dl.ridge_solve(
        x[chosen.indices],
        y[chosen.indices],
        ridge=1.0,
        sample_weight=chosen.counts * chosen.weights**2,
    )
    np.testing.assert_allclose(eager, explicit, rtol=1e-12)


def test_sketch_close_to_full(problem):
    # With 300 of 400 rows leverage-sampled, theta_S is within 10% of theta* in
    # the A-norm for this well-conditioned design (observed about 2%).
    x, y = problem
    full = dl.ridge_solve(x, y, ridge=1.0)
    chosen = dl.sample(dl.leverage_scores(x, ridge=1.0), size=300, seed=1)
    theta = dl.sketch_and_solve(x, y, chosen, ridge=1.0)
    a = x.T @ x + np.eye(6)
    error = np.sqrt((theta - full) @ a @ (theta - full) / (full @ a @ full))
    assert error < 0.10


def test_sklearn_sample_weight(problem):
    x, y = problem
    chosen = dl.sample(
        dl.leverage_scores(x, ridge=1.0), size=100, scheme="bernoulli", seed=2
    )
    model = dl.fit_subset(Ridge(alpha=1.0, fit_intercept=False), x, y, chosen)
    np.testing.assert_allclose(
        model.coef_, dl.sketch_and_solve(x, y, chosen, ridge=1.0), rtol=1e-8
    )
    scaled = dl.fit_subset(
        Ridge(alpha=1.0, fit_intercept=False), x, y, chosen, weighting="scale"
    )
    np.testing.assert_allclose(scaled.coef_, model.coef_, rtol=1e-8)


def test_ridge_classifier_on_subset(rng):
    x = np.vstack([rng.normal(-2, 1, (100, 2)), rng.normal(2, 1, (100, 2))])
    labels = np.repeat([0, 1], 100)
    chosen = dl.sample(
        dl.leverage_scores(x, ridge=0.1),
        size=40,
        scheme="stratified",
        labels=labels,
        base="uniform",
        seed=0,
    )
    model = dl.fit_subset(RidgeClassifier(alpha=0.1), x, labels, chosen)
    assert model.score(x, labels) > 0.95


def test_scale_warns_with_intercept(problem):
    x, y = problem
    chosen = dl.sample(x[:, 0] ** 2, size=50, seed=0)
    with pytest.warns(dl.DleverageWarning, match=r"fit_intercept=True does not fit"):
        dl.fit_subset(Ridge(alpha=1.0), x, y, chosen, weighting="scale")


def test_fit_subset_needs_one_weighting(problem):
    x, y = problem
    with pytest.raises(dl.InvalidInputError, match=r"Pass exactly one of sample"):
        dl.fit_subset(Ridge(), x, y)


@pytest.mark.cluster
def test_dask_ml_on_materialized_subset(tmp_path, problem, client):
    # dask-ml fits on the subset read lazily from Zarr; it takes no sample_weight,
    # so rows are scaled by sqrt(weight). Its L-BFGS stops at tol 1e-10 on the
    # projected gradient, which leaves the coefficients within 1e-5 relative here
    # (about 5e-7 observed).
    x, y = problem
    chosen = dl.sample(dl.leverage_scores(x, ridge=1.0), size=150, seed=3)
    path = chosen.to_zarr(
        tmp_path / "subset.zarr", materialize=x, labels=y, chunk_rows=32
    )
    rows, targets, weights = dl.read_subset(path)
    assert isinstance(rows, da.Array)
    assert rows.chunks[0][0] == 32
    model = dl.fit_subset(dask_ml_ridge(1.0), rows, targets, sample_weight=weights)
    expected = dl.sketch_and_solve(x, y, chosen, ridge=1.0)
    np.testing.assert_allclose(model.coef_, expected, rtol=1e-5)


def test_read_subset_needs_rows(tmp_path, problem):
    x, _ = problem
    path = dl.sample(x[:, 0] ** 2, size=5, seed=0).to_zarr(tmp_path / "s.zarr")
    with pytest.raises(dl.InvalidInputError, match=r"has no rows X"):
        dl.read_subset(path)
