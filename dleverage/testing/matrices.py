"""Test matrices with a prescribed condition number or rank."""

from __future__ import annotations

import numpy as np


def _orthonormal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def matrix_with_condition(
    n: int, d: int, condition: float, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``X = U diag(s) V^T`` with log-spaced s from 1 down to 1/condition.

    Rows of U get a spread of norms (a few rows carry most of the leverage), so the
    scores are far from uniform. Returns ``(X, exact)`` where ``exact`` is the
    leverage ``||U_i||^2`` of the construction, before rounding of the product.
    """
    g = rng.standard_normal((n, d)) * rng.lognormal(0.0, 1.0, size=(n, 1))
    u, r = np.linalg.qr(g)
    u = u * np.sign(np.diag(r))
    v = _orthonormal(rng, d, d)
    s = np.logspace(0.0, -np.log10(condition), d)
    return (u * s) @ v.T, np.sum(u**2, axis=1)


def rank_deficient_matrix(
    n: int, d: int, rank: int, *, rng: np.random.Generator
) -> np.ndarray:
    """Return an n x d matrix of exact rank ``rank`` (a product of Gaussian factors)."""
    return rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))
