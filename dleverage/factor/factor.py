"""The reduced d x d factor of a tall matrix, and scoring rows against it.

A :class:`Factor` holds everything needed to score any row x without the data:

    h(x) = z^T (Z^T Z + lambda P)^+ z,

where z = x (or [1, x] with an intercept), Z is the design matrix of the fitted
rows and P is the identity (the intercept entry zero, since the intercept is not
penalized). Ridge problems and full-rank exact problems keep an upper-triangular R
with R^T R = Z^T Z + lambda P and score by triangular solve. Rank-deficient exact
problems keep W = V_r diag(1 / s_r), the truncated pseudo-inverse from the SVD of
the data factor, so that h(x) = ||z^T W||^2 and the scores sum to the numerical
rank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import scipy.linalg

from dleverage.factor.kernels import design_matrix, triangular_factor
from dleverage.factor.ridge import RidgeSpec, effective_dimension, resolve_ridge

__all__ = ["Factor", "build_factor", "default_rcond", "positive_diagonal"]

logger = logging.getLogger(__name__)

Method = Literal["tsqr", "gram"]
SolverKind = Literal["triangular", "pseudoinverse"]


def default_rcond(n_samples: int, n_columns: int) -> float:
    """Return ``max(n, p) * eps``, the tolerance of :func:`numpy.linalg.matrix_rank`."""
    return max(n_samples, n_columns) * float(np.finfo(np.float64).eps)


def positive_diagonal(r: np.ndarray) -> np.ndarray:
    """Return ``r`` with rows negated where needed so its diagonal is >= 0.

    R^T R is unchanged; fixing the signs makes factors comparable entry by entry.
    """
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    return r * signs[:, None]


@dataclass(frozen=True, eq=False)
class Factor:
    """Reduced factor of a tall matrix X, enough to score any row.

    Attributes
    ----------
    method : {"tsqr", "gram"}
        How pass 1 reduced the data.
    method_reason : str
        Why that method ran (the rule of ``method="auto"``, or "requested").
    n_samples : int
        Rows of X.
    n_features : int
        Columns of X (without the intercept column).
    intercept : bool
        Whether the design matrix is [1, X], with the intercept not penalized.
    ridge : float
        Absolute lambda >= 0.
    ridge_spec : str
        The ``ridge`` argument as given (for example ``"rel:0.01"``).
    rcond : float
        Relative cutoff on singular values for the numerical rank.
    rank : int
        Numerical rank of the design matrix.
    d_eff : float
        Sum of all leverage scores: the rank when lambda = 0, otherwise the
        effective dimension ``n_unpenalized + sum_j s_j^2 / (s_j^2 + lambda)``.
    r_data : ndarray of shape (p, p)
        Upper-triangular factor with ``r_data^T r_data = Z^T Z`` and a non-negative
        diagonal; ``p = n_features + intercept``.
    singular_values : ndarray of shape (n_features,)
        Singular values of the penalized part: of X, or of the column-centered X
        with an intercept.
    solver_kind : {"triangular", "pseudoinverse"}
    solver : ndarray
        R of shape (p, p) with ``R^T R = Z^T Z + lambda P`` ("triangular"), or W of
        shape (p, rank) ("pseudoinverse").
    condition_number : float
        2-norm condition number of ``Z^T Z + lambda P`` restricted to its numerical
        rank, from the singular values of the factor.
    """

    method: Method
    method_reason: str
    n_samples: int
    n_features: int
    intercept: bool
    ridge: float
    ridge_spec: str
    rcond: float
    rank: int
    d_eff: float
    r_data: np.ndarray = field(repr=False)
    singular_values: np.ndarray = field(repr=False)
    solver_kind: SolverKind
    solver: np.ndarray = field(repr=False)
    condition_number: float

    @property
    def R(self) -> np.ndarray:  # noqa: N802 (standard symbol)
        """Upper-triangular factor used for scoring, or the data factor if none."""
        return self.solver if self.solver_kind == "triangular" else self.r_data

    @property
    def n_columns(self) -> int:
        """Columns of the design matrix: ``n_features + intercept``."""
        return self.n_features + int(self.intercept)

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Return h(x) for each row of ``rows``, shape (m, n_features), in float64."""
        z = design_matrix(rows, intercept=self.intercept)
        return score_design(z, self.solver_kind, self.solver)

    def add_rows(self, rows: np.ndarray) -> Factor:
        """Return the factor of X stacked on ``rows``, with the same absolute lambda.

        Each new row updates R by Givens rotations, a rank-one update costing
        O(p^2) per row, without reading X again. The spectrum, rank and d_eff are
        recomputed from the updated data factor in O(p^3).
        """
        z = design_matrix(np.atleast_2d(rows), intercept=self.intercept)
        r_data = self.r_data.copy()
        solver = self.solver.copy() if self.solver_kind == "triangular" else None
        for row in z:
            _givens_add_row(r_data, row)
            if solver is not None:
                _givens_add_row(solver, row)
        updated = build_factor(
            positive_diagonal(r_data),
            n_samples=self.n_samples + z.shape[0],
            n_features=self.n_features,
            intercept=self.intercept,
            ridge=RidgeSpec("absolute", self.ridge, self.ridge_spec),
            rcond=self.rcond,
            method=self.method,
            method_reason=self.method_reason,
            regularized=None if solver is None else positive_diagonal(solver),
        )
        return replace(updated, ridge_spec=self.ridge_spec)


def score_design(z: np.ndarray, solver_kind: str, solver: np.ndarray) -> np.ndarray:
    """Return squared row norms of ``z R^{-1}`` (triangular) or ``z W``."""
    if z.shape[0] == 0:
        return np.zeros(0)
    if solver_kind == "triangular":
        y = scipy.linalg.solve_triangular(
            solver, z.T, trans="T", lower=False, check_finite=False
        )
        return np.einsum("ij,ij->j", y, y)
    y = z @ solver
    return np.einsum("ij,ij->i", y, y)


def _givens_add_row(r: np.ndarray, row: np.ndarray) -> None:
    """Update upper-triangular ``r`` in place so ``r^T r`` gains ``row row^T``."""
    x = row.astype(np.float64, copy=True)
    p = r.shape[0]
    for k in range(p):
        if x[k] == 0.0:
            continue
        c, s, rkk = _givens(r[k, k], x[k])
        r[k, k] = rkk
        rk = r[k, k + 1 :].copy()
        r[k, k + 1 :] = c * rk + s * x[k + 1 :]
        x[k + 1 :] = -s * rk + c * x[k + 1 :]
        x[k] = 0.0


def _givens(a: float, b: float) -> tuple[float, float, float]:
    radius = float(np.hypot(a, b))
    return a / radius, b / radius, radius


def _penalty_diagonal(n_columns: int, intercept: bool) -> np.ndarray:
    diagonal = np.ones(n_columns)
    if intercept:
        diagonal[0] = 0.0
    return diagonal


def _penalized_block(r_data: np.ndarray, intercept: bool) -> np.ndarray:
    # With the ones column first, the trailing block R22 of R satisfies
    # R22^T R22 = X^T X - n mean mean^T, the Gram matrix of the centered X.
    return r_data[1:, 1:] if intercept else r_data


def build_factor(
    r_data: np.ndarray,
    *,
    n_samples: int,
    n_features: int,
    intercept: bool,
    ridge: RidgeSpec,
    rcond: float | None,
    method: Method,
    method_reason: str,
    regularized: np.ndarray | None = None,
) -> Factor:
    """Resolve lambda on the data factor and build the scoring solver.

    Parameters
    ----------
    r_data : ndarray of shape (p, p)
        Upper triangular with ``r_data^T r_data = Z^T Z``.
    ridge : RidgeSpec
        Resolved against the penalized singular values.
    rcond : float or None
        Relative singular-value cutoff; None means ``max(n, p) * eps``.
    regularized : ndarray of shape (p, p), optional
        A precomputed upper-triangular R with ``R^T R = Z^T Z + lambda P`` (the
        Cholesky factor of the Gram method). Computed by QR of
        ``[r_data; sqrt(lambda) P]`` when omitted.
    """
    p = r_data.shape[1]
    if rcond is None:
        rcond = default_rcond(n_samples, p)
    penalized_s = np.linalg.svd(_penalized_block(r_data, intercept), compute_uv=False)
    lam = resolve_ridge(ridge, penalized_s, n_unpenalized=int(intercept))
    _, s_full, vt = np.linalg.svd(r_data)
    cutoff = rcond * (s_full[0] if s_full.size else 0.0)
    rank = int(np.count_nonzero(s_full > cutoff))
    n_unpenalized = int(intercept)
    if lam > 0:
        if regularized is None:
            penalty = np.sqrt(lam) * np.diag(_penalty_diagonal(p, intercept))
            regularized = positive_diagonal(
                triangular_factor(np.vstack([r_data, penalty]))
            )
        solver_kind: SolverKind = "triangular"
        solver = regularized
        d_eff = n_unpenalized + effective_dimension(penalized_s, lam)
        s_reg = np.linalg.svd(solver, compute_uv=False)
        condition = float((s_reg[0] / s_reg[-1]) ** 2) if s_reg[-1] > 0 else np.inf
    elif rank == p:
        solver_kind = "triangular"
        solver = r_data if regularized is None else regularized
        d_eff = float(rank)
        condition = float((s_full[0] / s_full[-1]) ** 2)
    else:
        solver_kind = "pseudoinverse"
        solver = vt[:rank].T / s_full[:rank]
        d_eff = float(rank)
        condition = float((s_full[0] / s_full[rank - 1]) ** 2) if rank else 1.0
    logger.debug(
        "factor: method=%s lambda=%g rank=%d d_eff=%.6g solver=%s",
        method,
        lam,
        rank,
        d_eff,
        solver_kind,
    )
    return Factor(
        method=method,
        method_reason=method_reason,
        n_samples=int(n_samples),
        n_features=int(n_features),
        intercept=bool(intercept),
        ridge=float(lam),
        ridge_spec=ridge.text,
        rcond=float(rcond),
        rank=rank,
        d_eff=float(d_eff),
        r_data=r_data,
        singular_values=penalized_s,
        solver_kind=solver_kind,
        solver=np.ascontiguousarray(solver),
        condition_number=condition,
    )
