"""Leverage scores against independent references: SVD and extended precision."""

from __future__ import annotations

import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import (
    extended_precision_leverage,
    matrix_with_condition,
    rank_deficient_matrix,
    reference_leverage,
)

METHODS = ["tsqr", "gram", "auto"]


def _scores(x, **kwargs):
    result = dl.leverage_scores(
        dl.open_matrix(x, chunks=kwargs.pop("chunks", 97)), **kwargs
    )
    return result, result.compute()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("ridge", [0.0, 3.5, "rel:0.01", "deff:6"])
def test_random_matrix_matches_svd(rng, method, intercept, ridge):
    x = rng.standard_normal((1000, 12)) + 0.3
    result, scores = _scores(x, method=method, intercept=intercept, ridge=ridge)
    expected = reference_leverage(x, ridge=result.factor.ridge, intercept=intercept)
    np.testing.assert_allclose(scores, expected, rtol=1e-10, atol=0)
    np.testing.assert_allclose(scores.sum(), result.factor.d_eff, rtol=1e-12)


def test_relative_ridge_is_share_of_mean_eigenvalue(rng):
    x = rng.standard_normal((500, 9)) * np.arange(1, 10)
    result, _ = _scores(x, ridge="rel:0.01")
    assert result.factor.ridge == pytest.approx(0.01 * np.trace(x.T @ x) / 9, rel=1e-12)
    assert result.factor.ridge_spec == "rel:0.01"


@pytest.mark.parametrize("intercept", [False, True])
def test_deff_target_is_reached(rng, intercept):
    x = rng.standard_normal((800, 15)) @ np.diag(np.logspace(0, 3, 15))
    result, scores = _scores(x, ridge="deff:4.5", intercept=intercept)
    assert result.factor.d_eff == pytest.approx(4.5, rel=1e-10)
    assert scores.sum() == pytest.approx(4.5, rel=1e-10)


def test_ridge_sum_is_effective_dimension(rng):
    x = rng.standard_normal((600, 10)) @ np.diag(np.logspace(0, 2, 10))
    lam = 50.0
    result, scores = _scores(x, ridge=lam)
    s = np.linalg.svd(x, compute_uv=False)
    d_lambda = np.sum(s**2 / (s**2 + lam))
    assert scores.sum() == pytest.approx(d_lambda, rel=1e-12)
    assert np.all(scores > 0)
    assert np.all(scores < 1)


@pytest.mark.parametrize("method", METHODS)
def test_rank_deficient_sum_is_rank(rng, method):
    x = rank_deficient_matrix(900, 14, 5, rng=rng)
    result, scores = _scores(x, method=method)
    assert result.factor.rank == 5
    assert scores.sum() == pytest.approx(5.0, rel=1e-9)
    np.testing.assert_allclose(scores, reference_leverage(x), atol=1e-9)
    assert scores.min() >= -1e-12
    assert scores.max() <= 1 + 1e-12


def test_rank_deficient_uses_pseudoinverse(rng):
    x = rank_deficient_matrix(300, 8, 3, rng=rng)
    result, _ = _scores(x, method="tsqr")
    assert result.factor.solver_kind == "pseudoinverse"
    assert result.factor.solver.shape == (8, 3)


def test_intercept_is_hat_matrix_of_ones_and_x(rng):
    x = rng.standard_normal((400, 6)) + 5.0
    _, scores = _scores(x, intercept=True)
    design = np.hstack([np.ones((400, 1)), x])
    hat = np.einsum("ij,ji->i", design, np.linalg.pinv(design))
    np.testing.assert_allclose(scores, hat, rtol=1e-10)
    assert scores.sum() == pytest.approx(7.0, rel=1e-12)


@pytest.mark.parametrize(
    ("condition", "tolerance"),
    [
        (1e6, 1e-8),  # required accuracy at condition number 1e6
        (1e10, 1e-5),  # required accuracy at condition number 1e10
    ],
)
def test_tsqr_accuracy_on_ill_conditioned(rng, condition, tolerance):
    x, _ = matrix_with_condition(20000, 40, condition, rng=rng)
    result, scores = _scores(x, method="tsqr", chunks=1500)
    exact = extended_precision_leverage(x)
    relative = np.max(np.abs(scores - exact) / exact)
    assert relative <= tolerance
    assert result.factor.rank == 40


@pytest.mark.parametrize("condition", [1e6, 1e10])
def test_auto_avoids_gram_when_ill_conditioned(rng, condition):
    x, _ = matrix_with_condition(5000, 20, condition, rng=rng)
    result, _ = _scores(x, method="auto", chunks=1000)
    assert result.factor.method == "tsqr"
    assert "too large" in result.factor.method_reason


def test_auto_uses_gram_when_well_conditioned(rng):
    x, _ = matrix_with_condition(5000, 20, 10.0, rng=rng)
    result, scores = _scores(x, method="auto", chunks=1000)
    assert result.factor.method == "gram"
    np.testing.assert_allclose(scores, extended_precision_leverage(x), rtol=1e-10)


def test_auto_gram_meets_its_accuracy_bound(rng):
    # The largest condition number auto still sends to Gram must give ~1e-8.
    x, _ = matrix_with_condition(8000, 20, 1.5e3, rng=rng)
    result, scores = _scores(x, method="auto", chunks=1000)
    assert result.factor.method == "gram"
    exact = extended_precision_leverage(x)
    assert np.max(np.abs(scores - exact) / exact) <= 1e-8


def test_zero_rows_score_exactly_zero(rng):
    x = rng.standard_normal((300, 5))
    x[[0, 17, 299]] = 0.0
    for method in METHODS:
        for ridge in (0.0, "rel:0.1"):
            _, scores = _scores(x, method=method, ridge=ridge)
            assert scores[0] == 0.0
            assert scores[17] == 0.0
            assert scores[299] == 0.0


def test_identical_rows_score_the_same(rng):
    x = rng.standard_normal((250, 7))
    x[100] = x[3]
    x[249] = x[3]
    for method in METHODS:
        _, scores = _scores(x, method=method, ridge="rel:0.01", chunks=64)
        assert scores[100] == pytest.approx(scores[3], rel=1e-14)
        assert scores[249] == pytest.approx(scores[3], rel=1e-14)


def test_zero_matrix_has_rank_zero():
    result, scores = _scores(np.zeros((50, 4)))
    assert result.factor.rank == 0
    assert np.all(scores == 0.0)


def test_single_row_and_wide_block(rng):
    x = rng.standard_normal((3, 10))  # fewer rows than columns
    result, scores = _scores(x, chunks=2)
    assert result.factor.rank == 3
    np.testing.assert_allclose(scores, np.ones(3), rtol=1e-12)


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "int8", "int32", "int64", "uint8", "bool"]
)
def test_dtypes_are_computed_in_float64(rng, dtype):
    raw = (
        rng.integers(0, 3, size=(400, 6))
        if dtype != "bool"
        else (rng.random((400, 6)) > 0.5)
    )
    x = np.asarray(raw).astype(dtype)
    result, scores = _scores(x, ridge=0.5)
    assert scores.dtype == np.float64
    expected = reference_leverage(x.astype(np.float64), ridge=0.5)
    np.testing.assert_allclose(scores, expected, rtol=1e-10)
    assert result.scores.dtype == np.float64


def test_float32_gives_float64_accuracy(rng):
    x = rng.standard_normal((2000, 10)).astype(np.float32)
    _, scores = _scores(x, method="tsqr")
    np.testing.assert_allclose(
        scores, reference_leverage(x.astype(np.float64)), rtol=1e-11
    )
