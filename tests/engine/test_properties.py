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


@settings(max_examples=40, deadline=None)
@given(x=_matrices, chunk=st.integers(1, 15), ridge=st.sampled_from([0.0, 0.1, 10.0]))
def test_axioms_hold(x, chunk, ridge):
    x = x.copy()
    x[0] = 0.0  # a dummy row
    x[-1] = x[1]  # a duplicate
    result = dl.leverage_scores(
        dl.open_matrix(x, chunks=chunk), ridge=ridge, method="tsqr"
    )
    scores = result.compute()
    assert scores[0] == 0.0
    np.testing.assert_allclose(scores[-1], scores[1], rtol=1e-12, atol=1e-15)
    assert np.all(scores >= -1e-12)
    assert np.all(scores <= 1 + 1e-9)
    assert np.isclose(scores.sum(), result.factor.d_eff, rtol=1e-9, atol=1e-9)
    if ridge > 0:
        expected = reference_leverage(x, ridge=ridge)
        np.testing.assert_allclose(scores, expected, rtol=1e-7, atol=1e-12)
