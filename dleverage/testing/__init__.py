"""Oracles and fixtures data for the tests: explicit-inverse leverage, score sets."""

from __future__ import annotations

import numpy as np

__all__ = ["heavy_scores", "leverage_oracle"]


def leverage_oracle(x, ridge=0.0):
    """Return diag(X (X^T X + lambda I)^+ X^T) from a float64 SVD of X."""
    x = np.asarray(x, dtype=np.float64)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    if ridge == 0:
        keep = s > max(x.shape) * np.finfo(np.float64).eps * s[0]
        return np.sum(u[:, keep] ** 2, axis=1)
    return np.sum(u**2 * (s**2 / (s**2 + ridge)), axis=1)


def heavy_scores():
    """Return 40 Pareto(1.5) scores plus 0.05, with zeros at 3 and 17, 25 == 26."""
    rng = np.random.default_rng(7)
    scores = rng.pareto(1.5, size=40) + 0.05
    scores[[3, 17]] = 0.0
    scores[25] = scores[26]
    return scores
