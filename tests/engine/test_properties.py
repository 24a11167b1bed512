"""Property tests: the leverage axioms on random small matrices (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dleverage as dl
from dleverage.testing import reference_leverage

_matrices = st.integers(2, 6).flatmap(
    lambda d: arrays(
        np.float64,
        st.tuples(st.integers(d, 40), st.just(d)),
        elements=st.floats(-100, 100, allow_nan=False, width=32),
    )
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(x=_matrices, chunk=st.integers(1, 15), ridge=st.sampled_from([0.0, 0.1, 10.0]))
def test_axioms_hold(x, chunk, ridge):
    x = x.copy()
    x[0] = 0.0  # a dummy row
    x[-1] = x[1]  # a duplicate
    result = dl.leverage_scores(
        dl.open_matrix(x, chunks=chunk), ridge=ridge, method="tsqr"
    )
    scores = result.compute()
    # Scores are perturbed by about kappa(X) * eps (kappa(X)^2 is the factor's
    # condition number), and generated matrices can be nearly singular.
    kappa = np.sqrt(result.factor.condition_number)
    tolerance = 1e-9 + 100 * np.finfo(np.float64).eps * kappa
    assert scores[0] == 0.0
    np.testing.assert_allclose(scores[-1], scores[1], rtol=1e-12, atol=1e-15)
    assert np.all(scores >= -tolerance)
    assert np.all(scores <= 1 + tolerance)
    assert np.isclose(scores.sum(), result.factor.d_eff, rtol=tolerance, atol=1e-9)
    if ridge > 0 and kappa < 1e6:
        expected = reference_leverage(x, ridge=ridge)
        np.testing.assert_allclose(scores, expected, rtol=1e-7, atol=1e-12)


def test_nearly_singular_found_by_hypothesis():
    # Two tiny rows along e1 and one row (1, 1): kappa(X) is about 1e11, and the
    # exact scores are 0.5, 0.5 and 1.
    x = np.zeros((5, 4))
    x[1, 0] = x[3, 0] = 1.09124602e-11
    x[2, :2] = 1.0
    result = dl.leverage_scores(dl.open_matrix(x, chunks=1), method="tsqr")
    scores = result.compute()
    assert result.factor.rank == 2
    np.testing.assert_allclose(scores[[1, 2, 3]], [0.5, 1.0, 0.5], rtol=1e-4)
    assert scores[1] == scores[3]
