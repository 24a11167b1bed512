"""Values, marginal gains and greedy batches, against explicit inverses."""

from __future__ import annotations

import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import reference_leverage

RIDGE = 0.5


@pytest.fixture
def selected(rng):
    """A factor of 30 selected rows (d = 4) with lambda = 0.5, and 12 candidates."""
    x = rng.standard_normal((30, 4))
    candidates = rng.standard_normal((12, 4)) * rng.pareto(2.0, size=(12, 1))
    return x, dl.leverage_scores(x, ridge=RIDGE).factor, candidates


def _explicit(x, candidates, ridge=RIDGE):
    inverse = np.linalg.inv(x.T @ x + ridge * np.eye(x.shape[1]))
    h = np.einsum("ij,jk,ik->i", candidates, inverse, candidates)
    u = candidates @ inverse
    return h, np.sum(u**2, axis=1) / (1 + h)


def test_d_optimal_gains_oracle(selected):
    x, factor, candidates = selected
    h, _ = _explicit(x, candidates)
    np.testing.assert_allclose(
        dl.d_optimal_gains(factor, candidates), np.log1p(h), rtol=1e-12
    )


def test_a_optimal_gains_oracle(selected):
    # The gain equals the drop of trace(A^-1), computed here from two inverses.
    x, factor, candidates = selected
    _, expected = _explicit(x, candidates)
    np.testing.assert_allclose(
        dl.a_optimal_gains(factor, candidates), expected, rtol=1e-10
    )
    a = x.T @ x + RIDGE * np.eye(4)
    row = candidates[0]
    drop = np.trace(np.linalg.inv(a)) - np.trace(np.linalg.inv(a + np.outer(row, row)))
    assert dl.a_optimal_gains(factor, row)[0] == pytest.approx(drop, rel=1e-10)


def test_gains_pseudoinverse_factor(rng):
    # lambda = 0 and rank 2 of 3 columns: gains use the pseudo-inverse.
    x = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 3))
    factor = dl.leverage_scores(x).factor
    assert factor.solver_kind == "pseudoinverse"
    candidates = rng.standard_normal((5, 3))
    pinv = np.linalg.pinv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", candidates, pinv, candidates)
    np.testing.assert_allclose(
        dl.d_optimal_gains(factor, candidates), np.log1p(h), rtol=1e-8
    )
    a_gain = np.sum((candidates @ pinv) ** 2, axis=1) / (1 + h)
    np.testing.assert_allclose(
        dl.a_optimal_gains(factor, candidates), a_gain, rtol=1e-8
    )


def _brute_greedy(x, candidates, size, criterion):
    chosen, gains = [], []
    current = x
    for _ in range(size):
        h, a_gain = _explicit(current, candidates)
        step = np.log1p(h) if criterion == "d-optimal" else a_gain
        step[chosen] = -np.inf
        best = int(np.argmax(step))
        chosen.append(best)
        gains.append(step[best])
        current = np.vstack([current, candidates[best]])
    return np.array(chosen), np.array(gains), current


@pytest.mark.parametrize("criterion", ["d-optimal", "a-optimal"])
def test_greedy_batch_matches_refactoring(selected, criterion):
    x, factor, candidates = selected
    picked, gains, updated = dl.greedy_batch(factor, candidates, 5, criterion=criterion)
    expected, expected_gains, stacked = _brute_greedy(x, candidates, 5, criterion)
    np.testing.assert_array_equal(picked, expected)
    np.testing.assert_allclose(gains, expected_gains, rtol=1e-9)
    assert np.all(np.diff(gains) <= 1e-12)  # submodular: gains do not grow
    gram = updated.solver.T @ updated.solver
    np.testing.assert_allclose(
        gram, stacked.T @ stacked + RIDGE * np.eye(4), rtol=1e-10
    )
    assert updated.n_samples == 35


def test_greedy_batch_avoids_duplicates(rng):
    # Two copies of a rare direction: h of a copy is about 9.5 at first and 0.9
    # once the other is in, below the 1.28 of the fresh row [8, 0, 0].
    x = rng.standard_normal((50, 3)) * [1.0, 1.0, 0.01]
    factor = dl.leverage_scores(x, ridge=0.1).factor
    candidates = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [8.0, 0.0, 0.0]])
    picked, _, _ = dl.greedy_batch(factor, candidates, 2)
    np.testing.assert_array_equal(picked, [0, 2])


def test_greedy_d_optimal_unchanged(selected):
    _, factor, candidates = selected
    a = dl.greedy_d_optimal(factor, candidates, 4)
    b = dl.greedy_batch(factor, candidates, 4, criterion="d-optimal")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_greedy_batch_bad_input(selected):
    _, factor, candidates = selected
    with pytest.raises(dl.InvalidInputError, match=r"Cannot pick size=13 rows"):
        dl.greedy_batch(factor, candidates, 13)
    with pytest.raises(dl.UnknownSchemeError, match=r"Invalid criterion 'e-optimal'"):
        dl.greedy_batch(factor, candidates, 2, criterion="e-optimal")
    with pytest.raises(
        dl.InvalidInputError, match=r"Expected candidates of shape \(m, 4\)"
    ):
        dl.d_optimal_gains(factor, candidates[:, :3])


# Axioms of data values.


def test_axiom_dummy(rng):
    # A zero row is worth 0 and gains 0 under both utilities.
    x = rng.standard_normal((25, 3))
    x[7] = 0.0
    result = dl.leverage_scores(x, ridge=RIDGE)
    v = dl.values(result.compute())
    assert v[7] == 0.0
    assert dl.d_optimal_gains(result.factor, np.zeros(3))[0] == 0.0
    assert dl.a_optimal_gains(result.factor, np.zeros(3))[0] == 0.0


def test_axiom_symmetry(rng):
    # Identical rows get identical values and gains.
    x = rng.standard_normal((25, 3))
    x[11] = x[4]
    result = dl.leverage_scores(x, ridge=RIDGE)
    v = dl.values(result.compute())
    assert v[11] == pytest.approx(v[4], rel=1e-13)
    gains = dl.d_optimal_gains(result.factor, x[[4, 11]])
    assert gains[0] == gains[1]


@pytest.mark.parametrize("ridge", [0.0, RIDGE])
def test_axiom_efficiency(rng, ridge):
    # Values sum to 1; the raw scores sum to rank (lambda = 0) or d_eff.
    x = rng.standard_normal((25, 3)) @ np.diag([1.0, 1.0, 0.0])
    result = dl.leverage_scores(x, ridge=ridge)
    scores = result.compute()
    np.testing.assert_allclose(scores, reference_leverage(x, ridge=ridge), atol=1e-12)
    assert dl.values(scores).sum() == pytest.approx(1.0, abs=1e-14)
    assert scores.sum() == pytest.approx(result.factor.d_eff, rel=1e-12)


def test_axiom_positive_ridge_gains(rng):
    # With lambda > 0 every nonzero row gains, even one already in the set and
    # one tiny enough that its gain is near the rounding of h.
    x = rng.standard_normal((40, 5))
    factor = dl.leverage_scores(x, ridge=1e-3).factor
    rows = np.vstack([x[:5], 1e-6 * rng.standard_normal((5, 5)), 1e3 * np.eye(5)])
    assert np.all(dl.d_optimal_gains(factor, rows) > 0)
    assert np.all(dl.a_optimal_gains(factor, rows) > 0)
