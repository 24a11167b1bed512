"""Data values from leverage scores, marginal gains, and greedy batch selection.

Normalized leverage ``v_i = h_i / sum_j h_j`` satisfies the Shapley axioms of
dummy (a zero row is worth 0), symmetry (identical rows are worth the same) and
efficiency (the values sum to 1).

The marginal gain of a candidate row x relative to a selected set S with
A = X_S^T X_S + lambda I and h = x^T A^-1 x is, for the D-optimal utility
log det A, ``log(1 + h)``, and for the A-optimal utility -trace(A^-1),
``||A^-1 x||^2 / (1 + h)`` (Sherman-Morrison). Both are > 0 for every x != 0
when lambda > 0.
"""

from __future__ import annotations

import logging
from typing import Literal

import dask.array as da
import numpy as np
import scipy.linalg

from dleverage.errors import InvalidInputError, UnknownSchemeError
from dleverage.factor.factor import Factor
from dleverage.factor.kernels import design_matrix
from dleverage.scores import LeverageResult

__all__ = [
    "CRITERIA",
    "a_optimal_gains",
    "d_optimal_gains",
    "greedy_batch",
    "greedy_d_optimal",
    "values",
]

#: Utilities accepted by :func:`greedy_batch`.
CRITERIA = ("d-optimal", "a-optimal")

Criterion = Literal["d-optimal", "a-optimal"]

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


def _candidates(factor: Factor, candidates: object) -> np.ndarray:
    rows = np.asarray(candidates, dtype=np.float64)
    if rows.ndim == 1:
        rows = rows[None, :]
    if rows.ndim != 2 or rows.shape[1] != factor.n_features:
        raise InvalidInputError(
            f"Expected candidates of shape (m, {factor.n_features}), got shape "
            f"{rows.shape}. Pass rows with the features of the factor."
        )
    return rows


def _solve_parts(factor: Factor, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return h = z^T A^+ z and the columns u = A^+ z, for z the design rows."""
    z = design_matrix(rows, intercept=factor.intercept)
    if factor.solver_kind == "triangular":
        y = scipy.linalg.solve_triangular(
            factor.solver, z.T, trans="T", lower=False, check_finite=False
        )
        u = scipy.linalg.solve_triangular(
            factor.solver, y, lower=False, check_finite=False
        )
    else:
        y = factor.solver.T @ z.T
        u = factor.solver @ y
    return np.einsum("ij,ij->j", y, y), u


def d_optimal_gains(factor: Factor, candidates: object) -> np.ndarray:
    """Return the D-optimal gains log det(A + x x^T) - log det A = log(1 + h(x)).

    Parameters
    ----------
    factor : Factor
        Factor of the selected set, A = X_S^T X_S + lambda I (lambda = 0: the
        pseudo-inverse on the row space, so rows outside it gain only their part
        inside it).
    candidates : array-like of shape (m, n_features)

    Returns
    -------
    ndarray of shape (m,)
        Gains in nats, >= 0.

    Raises
    ------
    InvalidInputError
        If the candidates do not have ``factor.n_features`` columns.

    Examples
    --------
    With X = I and lambda = 1, A = 2 I, so x = e_1 has h = 1/2 and gains
    log(3/2):

    >>> import numpy as np, dleverage as dl
    >>> factor = dl.leverage_scores(np.eye(2), ridge=1.0).factor
    >>> dl.d_optimal_gains(factor, np.array([[1.0, 0.0]]))
    array([0.40546511])
    >>> dl.a_optimal_gains(factor, np.array([[1.0, 0.0]]))
    array([0.16666667])
    """
    return np.log1p(factor.score(_candidates(factor, candidates)))


def a_optimal_gains(factor: Factor, candidates: object) -> np.ndarray:
    """Return the A-optimal gains trace(A^-1) - trace((A + x x^T)^-1).

    By Sherman-Morrison the gain is ``||A^-1 x||^2 / (1 + x^T A^-1 x)``; with
    lambda = 0 and a rank-deficient factor, A^-1 is the pseudo-inverse.

    Parameters
    ----------
    factor : Factor
    candidates : array-like of shape (m, n_features)

    Returns
    -------
    ndarray of shape (m,)
        Gains in units of 1 / (feature unit)^2, >= 0.

    Raises
    ------
    InvalidInputError
        If the candidates do not have ``factor.n_features`` columns.
    """
    h, u = _solve_parts(factor, _candidates(factor, candidates))
    return np.einsum("ij,ij->j", u, u) / (1.0 + h)


def greedy_batch(
    factor: Factor,
    candidates: object,
    size: int,
    *,
    criterion: Criterion = "d-optimal",
) -> tuple[np.ndarray, np.ndarray, Factor]:
    """Pick ``size`` candidate rows greedily by marginal gain, updating the factor.

    Each step scores every remaining candidate against the current factor, picks
    the highest gain (the lower index on ties) and adds that row to the factor
    with :meth:`Factor.add_rows`, a rank-one Givens update that does not read the
    selected set again. A second copy of a picked direction therefore gains less,
    so the batch is not redundant.

    Parameters
    ----------
    factor : Factor
        Factor of the rows already selected (for example the labeled set).
    candidates : array-like of shape (m, n_features)
    size : int
        Rows to pick, 1 <= size <= m.
    criterion : {"d-optimal", "a-optimal"}, default="d-optimal"
        Utility whose gain is maximized (see :func:`d_optimal_gains` and
        :func:`a_optimal_gains`).

    Returns
    -------
    indices : ndarray of shape (size,), int64
        Positions in ``candidates``, in the order picked.
    gains : ndarray of shape (size,)
        Gain of each pick at the time it was picked; non-increasing, because
        both utilities are submodular in the rows added.
    factor : Factor
        The factor after all picks.

    Raises
    ------
    InvalidInputError
        If ``size`` is out of range or the candidates have the wrong shape.
    UnknownSchemeError
        For an unknown ``criterion``.
    """
    if criterion not in CRITERIA:
        raise UnknownSchemeError(
            f"Invalid criterion {criterion!r}. Expected one of {', '.join(CRITERIA)}."
        )
    rows = _candidates(factor, candidates)
    if isinstance(size, bool) or not 1 <= size <= rows.shape[0]:
        raise InvalidInputError(
            f"Cannot pick size={size} rows from candidates of shape "
            f"{rows.shape}; expected 1 <= size <= number of rows."
        )
    gain_of = d_optimal_gains if criterion == "d-optimal" else a_optimal_gains
    picked: list[int] = []
    gains: list[float] = []
    available = np.ones(rows.shape[0], dtype=bool)
    for _ in range(size):
        step = np.where(available, gain_of(factor, rows), -np.inf)
        best = int(np.argmax(step))
        picked.append(best)
        gains.append(float(step[best]))
        available[best] = False
        factor = factor.add_rows(rows[best])
    logger.debug("greedy %s batch: picked %d rows", criterion, size)
    return np.asarray(picked, dtype=np.int64), np.asarray(gains), factor


def greedy_d_optimal(
    factor: Factor,
    candidates: np.ndarray,
    size: int,
) -> tuple[np.ndarray, np.ndarray, Factor]:
    """Pick ``size`` candidate rows greedily by D-optimal gain, updating the factor.

    The same as ``greedy_batch(factor, candidates, size, criterion="d-optimal")``:
    at each step the row with the largest ridge leverage h(x) = x^T A^-1 x
    against the current factor A = X_S^T X_S + lambda I is picked, which
    maximizes log det(A + x x^T) - log det(A) = log(1 + h(x)), and the factor
    gains that row by a rank-one update.

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
    return greedy_batch(factor, candidates, size, criterion="d-optimal")
