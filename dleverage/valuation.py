"""Data values from leverage scores, and greedy batch selection by ridge leverage.

Normalized leverage ``v_i = h_i / sum_j h_j`` satisfies the Shapley axioms of
dummy (a zero row is worth 0), symmetry (identical rows are worth the same) and
efficiency (the values sum to 1).
"""

from __future__ import annotations

import logging

import dask.array as da
import numpy as np

from dleverage.errors import InvalidInputError
from dleverage.factor.factor import Factor
from dleverage.scores import LeverageResult

__all__ = ["greedy_d_optimal", "values"]

logger = logging.getLogger(__name__)


def values(
    result: LeverageResult | da.Array | np.ndarray,
) -> da.Array | np.ndarray:
    """Return normalized data values ``h_i / sum_j h_j``, which sum to 1.

    Parameters
    ----------
    result : LeverageResult, dask.array.Array or ndarray
        Scores, or a result whose ``scores`` are used.

    Returns
    -------
    dask.array.Array or ndarray
        Lazy for a result or Dask input, NumPy for NumPy input.

    Raises
    ------
    InvalidInputError
        If the scores are all zero (a zero matrix has no value to share).
    """
    scores = result.scores if isinstance(result, LeverageResult) else result
    if isinstance(scores, da.Array):
        return scores / scores.sum()
    scores = np.asarray(scores, dtype=np.float64)
    total = scores.sum()
    if not total > 0:
        raise InvalidInputError(
            f"The scores sum to {total!r}, so they cannot be normalized; the matrix "
            "has rank 0."
        )
    return scores / total


def greedy_d_optimal(
    factor: Factor,
    candidates: np.ndarray,
    size: int,
) -> tuple[np.ndarray, np.ndarray, Factor]:
    """Pick ``size`` candidate rows greedily by D-optimal gain, updating the factor.

    At each step the row with the largest ridge leverage h(x) = x^T A^-1 x against
    the current factor A = X_S^T X_S + lambda I is picked, which maximizes the
    D-optimal gain log det(A + x x^T) - log det(A) = log(1 + h(x)). The factor then
    gains that row by a rank-one update, so a second copy of the same direction
    scores lower and the batch is not redundant.

    Parameters
    ----------
    factor : Factor
        Factor of the rows already selected (for example the labeled set).
    candidates : ndarray of shape (m, n_features)
    size : int
        Rows to pick, 1 <= size <= m.

    Returns
    -------
    indices : ndarray of shape (size,), int64
        Positions in ``candidates``, in the order picked.
    gains : ndarray of shape (size,)
        log(1 + h) of each pick at the time it was picked.
    factor : Factor
        The factor after all picks.
    """
    candidates = np.asarray(candidates, dtype=np.float64)
    if candidates.ndim != 2 or not 1 <= size <= candidates.shape[0]:
        raise InvalidInputError(
            f"Cannot pick size={size} rows from candidates of shape "
            f"{candidates.shape}; expected 1 <= size <= number of rows."
        )
    picked: list[int] = []
    gains: list[float] = []
    available = np.ones(candidates.shape[0], dtype=bool)
    for _ in range(size):
        scores = np.where(available, factor.score(candidates), -np.inf)
        best = int(np.argmax(scores))
        picked.append(best)
        gains.append(float(np.log1p(scores[best])))
        available[best] = False
        factor = factor.add_rows(candidates[best])
    return np.asarray(picked, dtype=np.int64), np.asarray(gains), factor
