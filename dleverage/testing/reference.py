"""Reference leverage scores from a float64 SVD of the whole matrix.

This path shares no code with the engine: it takes the SVD of X itself (not of a
reduced factor) and handles the intercept by centering, not by an extra column.
"""

from __future__ import annotations

import numpy as np


def reference_leverage(
    x: np.ndarray, *, ridge: float = 0.0, intercept: bool = False, rcond=None
) -> np.ndarray:
    """Return leverage scores of the rows of ``x`` from ``numpy.linalg.svd``.

    For lambda = 0: h_i = sum_{j <= r} U_ij^2, r the numerical rank with cutoff
    ``rcond * s_max`` (default ``max(n, d) * eps``, as numpy.linalg.matrix_rank).
    For lambda > 0: h_i = sum_j U_ij^2 s_j^2 / (s_j^2 + lambda).
    With an unpenalized intercept: 1/n plus the scores of the centered matrix
    (for lambda = 0 this is the hat matrix of [1, X]).
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    base = np.zeros(n)
    if intercept:
        x = x - x.mean(axis=0)
        base = np.full(n, 1.0 / n)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    if ridge == 0:
        if rcond is None:
            rcond = max(n, d + int(intercept)) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(s > rcond * (s[0] if s.size else 0.0)))
        return base + np.sum(u[:, :rank] ** 2, axis=1)
    shrink = s**2 / (s**2 + ridge)
    return base + (u**2) @ shrink


def extended_precision_leverage(x: np.ndarray) -> np.ndarray:
    """Return exact leverage scores of a full-rank ``x`` in extended precision.

    Gram-Schmidt with one reorthogonalization pass (CGS2) in ``numpy.longdouble``
    (64-bit mantissa on x86-64, eps about 1.1e-19) gives the orthonormal basis Q of
    the columns of the float64 matrix as stored, and h_i = ||Q_i||^2. Its error is
    about kappa * 1e-19, far below the float64 methods under test, so it serves as
    the reference for ill-conditioned matrices. It raises ValueError when
    ``numpy.longdouble`` is no more precise than float64.
    """
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps:
        raise ValueError("numpy.longdouble is not wider than float64 here")
    q = np.array(x, dtype=np.longdouble)
    d = q.shape[1]
    for j in range(d):
        column = q[:, j].copy()
        for _ in range(2):
            if j:
                column -= q[:, :j] @ (q[:, :j].T @ column)
        q[:, j] = column / np.sqrt(column @ column)
    return np.asarray(np.sum(q * q, axis=1), dtype=np.float64)
