"""Dask keys of lazy scores: results against different factors stay apart.

Dask treats equal keys as equal values, so two score arrays that shared keys would
return the same numbers when computed together or on one scheduler.
"""

from __future__ import annotations

import dask
import numpy as np
import pytest

import dleverage as dl


def _reference_ridge_scores(x: np.ndarray, ridge: float) -> np.ndarray:
    inverse = np.linalg.inv(x.T @ x + ridge * np.eye(x.shape[1]))
    return np.einsum("ij,jk,ik->i", x, inverse, x)


def test_score_names_differ_by_factor(rng):
    x = rng.standard_normal((400, 5))
    exact = dl.leverage_scores(x)
    ridge = dl.leverage_scores(x, ridge=100.0)
    assert exact.scores.name != ridge.scores.name
    assert exact.scores.name.startswith("leverage-scores-")


def test_score_names_repeat_for_same_factor(rng):
    x = rng.standard_normal((400, 5))
    first = dl.leverage_scores(x, ridge=1.0)
    second = dl.leverage_scores(x, ridge=1.0)
    assert first.scores.name == second.scores.name


def test_two_results_in_one_compute(rng):
    x = rng.standard_normal((1000, 5))
    exact = dl.leverage_scores(x, method="tsqr")
    ridge = dl.leverage_scores(x, ridge=100.0, method="tsqr")
    exact_scores, ridge_scores = dask.compute(exact.scores, ridge.scores)
    # Float64 SVD/inverse references on a well-conditioned 1000 x 5 Gaussian agree
    # to about 1e-15; 1e-12 leaves room for the QR path.
    np.testing.assert_allclose(exact_scores.sum(), 5.0, rtol=1e-12)
    np.testing.assert_allclose(
        ridge_scores, _reference_ridge_scores(x, 100.0), rtol=1e-12, atol=1e-15
    )
    assert ridge_scores.sum() < 5.0


@pytest.mark.cluster
def test_sequential_results_on_cluster(client, rng, tmp_path):
    # The order of a notebook session: score, score again with a ridge, then store.
    x = dl.open_matrix(rng.standard_normal((4000, 6)), chunks=1000)
    exact = dl.leverage_scores(x)
    ridge = dl.leverage_scores(x, ridge=500.0)
    exact_scores = exact.compute()
    ridge_scores = ridge.compute()
    stored = dl.read_scores(ridge.to_zarr(tmp_path / "scores.zarr")).compute()
    np.testing.assert_allclose(exact_scores.sum(), 6.0, rtol=1e-12)
    np.testing.assert_allclose(ridge_scores.sum(), ridge.factor.d_eff, rtol=1e-12)
    np.testing.assert_array_equal(stored, ridge_scores)
