"""Piecewise leaf QR: R factors of tall blocks computed in runs of rows.

Householder QR is backward stable, so R^T R matches Z^T Z to a few eps times
||Z||^2 whatever the split. The inputs are well-conditioned Gaussians
(condition number below 10), so R itself is determined to about the same relative
accuracy once the signs of its rows are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

import dleverage as dl
from dleverage.factor.factor import positive_diagonal
from dleverage.factor.kernels import (
    piecewise_triangular_factor,
    qr_block,
    triangular_factor,
)

# (rows, columns, piece_rows)
PIECED = [
    (6000, 20, 2048),  # last piece of 1,904 rows
    (4097, 5, 2048),  # last piece of 1 row, fewer rows than columns
    (4096, 3, 2048),  # whole pieces only
    (900, 4, 64),  # many pieces, so the stacked R factors are tall too
]

# Shapes that skip the pieces and must give exactly the one-QR result.
SINGLE = [
    (4095, 20, 2048),  # fewer than 2 * piece_rows rows
    (2100, 300, 1024),  # p > piece_rows / 8
    (0, 6, 2048),  # empty block
]


@pytest.mark.parametrize(("n_rows", "p", "piece_rows"), PIECED)
def test_pieces_reproduce_gram(rng, n_rows, p, piece_rows):
    z = rng.standard_normal((n_rows, p))
    r = piecewise_triangular_factor(z, piece_rows=piece_rows)
    assert r.shape == (p, p)
    assert np.array_equal(r, np.triu(r))
    scale = np.linalg.norm(z, 2) ** 2
    assert np.abs(r.T @ r - z.T @ z).max() <= 1e-13 * scale


@pytest.mark.parametrize(("n_rows", "p", "piece_rows"), PIECED)
def test_pieces_match_one_qr(rng, n_rows, p, piece_rows):
    z = rng.standard_normal((n_rows, p))
    pieced = positive_diagonal(piecewise_triangular_factor(z, piece_rows=piece_rows))
    whole = positive_diagonal(triangular_factor(z))
    assert np.abs(pieced - whole).max() <= 1e-12 * np.abs(whole).max()


@pytest.mark.parametrize(("n_rows", "p", "piece_rows"), SINGLE)
def test_small_or_wide_blocks_skip_pieces(rng, n_rows, p, piece_rows):
    z = rng.standard_normal((n_rows, p))
    pieced = piecewise_triangular_factor(z, piece_rows=piece_rows)
    assert np.array_equal(pieced, triangular_factor(z))


def test_pieces_of_rank_deficient_block(rng):
    base = rng.standard_normal((6000, 4))
    z = np.hstack([base, base[:, :2]])  # rank 4 of 6 columns
    r = piecewise_triangular_factor(z)
    scale = np.linalg.norm(z, 2) ** 2
    assert np.abs(r.T @ r - z.T @ z).max() <= 1e-13 * scale
    s = np.linalg.svd(r, compute_uv=False)
    assert np.count_nonzero(s > 1e-10 * s[0]) == 4


def test_qr_block_uses_pieces(rng):
    z = rng.standard_normal((5000, 7))
    partial = qr_block(z, False)
    assert np.array_equal(partial.matrix, piecewise_triangular_factor(z))
    assert partial.n_rows == 5000
    assert partial.first_nonfinite == -1


def _reference_scores(z: np.ndarray) -> np.ndarray:
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    u = u[:, s > s[0] * 1e-12]
    return np.einsum("ij,ij->i", u, u)


@pytest.mark.parametrize("intercept", [False, True])
def test_tsqr_scores_with_pieced_leaves(rng, intercept):
    # One block of 6,000 rows, so the leaf is factored in three pieces.
    x = rng.standard_normal((6000, 8)) * np.linspace(1.0, 5.0, 8)
    result = dl.leverage_scores(
        dl.open_matrix(x, chunks=6000), method="tsqr", intercept=intercept
    )
    z = np.hstack([np.ones((6000, 1)), x]) if intercept else x
    expected = _reference_scores(z)
    assert np.abs(result.compute() - expected).max() <= 1e-12
    assert result.factor.rank == z.shape[1]
