"""score_rows, Factor.add_rows and greedy selection against explicit inverses."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

import dleverage as dl


@pytest.fixture
def fitted(rng):
    x = rng.standard_normal((700, 8)) @ np.diag(np.linspace(1, 4, 8))
    return x, dl.leverage_scores(x, ridge=2.0, method="tsqr")


def test_score_rows_matches_explicit_inverse(rng, fitted):
    x, result = fitted
    new = rng.standard_normal((25, 8))
    expected = np.einsum(
        "ij,ji->i", new, np.linalg.solve(x.T @ x + 2.0 * np.eye(8), new.T)
    )
    np.testing.assert_allclose(dl.score_rows(result.factor, new), expected, rtol=1e-11)
    lazy = dl.score_rows(result.factor, da.from_array(new, chunks=(10, 8)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-11)
    assert dl.score_rows(result.factor, new[0]).shape == (1,)


def test_score_rows_of_fitted_rows_equals_scores(fitted):
    x, result = fitted
    np.testing.assert_allclose(
        dl.score_rows(result.factor, x), result.compute(), rtol=1e-13
    )


def test_score_rows_checks_columns(fitted):
    _, result = fitted
    with pytest.raises(dl.InvalidInputError, match="have 3 columns but the factor"):
        dl.score_rows(result.factor, np.zeros((2, 3)))


def test_add_rows_equals_refactorization(rng, fitted):
    x, result = fitted
    new = rng.standard_normal((6, 8))
    updated = result.factor.add_rows(new)
    fresh = dl.leverage_scores(np.vstack([x, new]), ridge=2.0, method="tsqr").factor
    np.testing.assert_allclose(updated.r_data, fresh.r_data, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(updated.R, fresh.R, rtol=1e-10, atol=1e-10)
    assert updated.n_samples == 706
    assert updated.d_eff == pytest.approx(fresh.d_eff, rel=1e-12)


def test_add_rows_with_intercept_and_exact(rng):
    x = rng.standard_normal((50, 4)) + 1.0
    new = rng.standard_normal((3, 4))
    base = dl.leverage_scores(x, intercept=True, method="tsqr").factor
    fresh = dl.leverage_scores(np.vstack([x, new]), intercept=True, method="tsqr")
    np.testing.assert_allclose(
        base.add_rows(new).score(new), fresh.compute()[-3:], rtol=1e-10
    )


def test_greedy_picks_point_outside_span_first(rng):
    labeled = np.hstack([rng.standard_normal((40, 3)), np.zeros((40, 2))])
    candidates = np.hstack([rng.standard_normal((30, 3)) * 3, np.zeros((30, 2))])
    candidates[11, 3] = 0.5  # the only candidate with a new direction
    candidates[12] = candidates[11]  # and its duplicate
    factor = dl.leverage_scores(labeled, ridge=1e-3).factor
    picked, gains, _ = dl.greedy_d_optimal(factor, candidates, 3)
    assert picked[0] in (11, 12)
    assert 12 not in picked[1:] or 11 not in picked[1:]
    assert len(set(picked.tolist())) == 3
    assert np.all(gains > 0)
    assert np.all(np.diff(gains) <= 1e-12)  # submodular: gains do not grow
