"""Pass 2: leverage scores of every row block against the reduced factor."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import dask
import dask.array as da
import numpy as np

from dleverage._compute import compute
from dleverage._validation import check_dtype
from dleverage.errors import InvalidInputError
from dleverage.factor.factor import Factor, score_design
from dleverage.factor.kernels import design_matrix
from dleverage.factor.reduce import factorize
from dleverage.factor.ridge import RidgeSpec
from dleverage.factor.tree import DEFAULT_SPLIT_EVERY
from dleverage.io.matrix import open_matrix, source_of
from dleverage.io.output import factor_from_group, open_store, write_scores_store

__all__ = [
    "LeverageResult",
    "fingerprint",
    "leverage_scores",
    "read_scores",
    "score_rows",
]

logger = logging.getLogger(__name__)


def fingerprint(x: da.Array, location: str | None = None) -> dict[str, Any]:
    """Return the identity of an input matrix: location, shape, chunks and dtype.

    Row chunks are listed in full unless they are regular, in which case
    ``row_chunk`` and ``n_row_chunks`` describe them.
    """
    rows = tuple(x.chunks[0])
    regular = all(c == rows[0] for c in rows[:-1]) and rows[-1] <= rows[0]
    layout: dict[str, Any]
    if regular and not any(math.isnan(c) for c in rows):
        layout = {"row_chunk": int(rows[0]), "n_row_chunks": len(rows)}
    else:
        layout = {"row_chunks": [None if math.isnan(c) else int(c) for c in rows]}
    return {
        "path": location if location is not None else source_of(x),
        "shape": [None if math.isnan(n) else int(n) for n in x.shape],
        "dtype": str(x.dtype),
        "dask_name": x.name,
        **layout,
    }


@dataclass
class LeverageResult:
    """Scores of every row of a matrix and the factor they were computed from.

    Attributes
    ----------
    scores : dask.array.Array of shape (n_samples,)
        Lazy float64 leverage (or ridge leverage) scores; computing them runs
        pass 2 over the input.
    factor : Factor
        The reduced factor: R, lambda, rank, d_eff and the method that ran.
    input : dict
        Fingerprint of the input (see :func:`fingerprint`).
    """

    scores: da.Array
    factor: Factor
    input: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        """Rows scored."""
        return self.factor.n_samples

    def compute(self, *, progress: bool = False) -> np.ndarray:
        """Return the scores as a NumPy array of shape (n_samples,)."""
        return np.asarray(compute(self.scores, progress=progress))

    def to_zarr(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        progress: bool = False,
    ) -> str:
        """Compute the scores into a new Zarr v3 group at ``path``, atomically.

        The group holds ``scores``, the factor arrays and attrs with n, d, method,
        ridge (absolute and as given), rank, d_eff, rcond, the input fingerprint,
        the dleverage version and a UTC timestamp. See :mod:`dleverage.io.output`.

        Returns
        -------
        str
            The absolute path (or redacted URL) written.

        Raises
        ------
        OutputExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        return write_scores_store(
            path,
            self.scores,
            self.factor,
            {"input": self.input},
            overwrite=overwrite,
            progress=progress,
        )


def _score_block(
    block: np.ndarray, solver: np.ndarray, solver_kind: str, intercept: bool
) -> np.ndarray:
    return score_design(design_matrix(block, intercept=intercept), solver_kind, solver)


def _with_known_chunks(x: da.Array, block_rows: tuple[int, ...]) -> da.Array:
    if not any(math.isnan(c) for c in x.chunks[0]):
        return x
    chunks = (block_rows, x.chunks[1])
    return da.Array(x.dask, x.name, chunks=chunks, meta=x._meta)


def score_blocks(x: da.Array, factor: Factor) -> da.Array:
    """Return the lazy scores of every row of ``x`` against ``factor`` (pass 2).

    The output's Dask name is ``leverage-scores-`` plus a hash of ``x`` and the
    solver, so scores of the same input against different factors never share
    keys, in one graph or on one scheduler.
    """
    solver = dask.delayed(factor.solver, pure=True)
    return x.map_blocks(
        _score_block,
        solver,
        factor.solver_kind,
        factor.intercept,
        drop_axis=1,
        dtype=np.float64,
        meta=np.empty((0,), dtype=np.float64),
        token="leverage-scores",
    )


def leverage_scores(
    X: object,  # noqa: N803 (standard symbol)
    *,
    ridge: float | str | RidgeSpec = 0.0,
    method: Literal["auto", "tsqr", "gram"] = "auto",
    intercept: bool = False,
    rcond: float | None = None,
    split_every: int = DEFAULT_SPLIT_EVERY,
    progress: bool = False,
) -> LeverageResult:
    """Compute the reduced factor of X and return lazy leverage scores of its rows.

    For X of shape (n, d) and lambda >= 0 the scores are

        h_i = x_i^T (X^T X)^+ x_i            (lambda = 0, on the numerical rank)
        h_i = x_i^T (X^T X + lambda I)^-1 x_i  (lambda > 0)

    so 0 <= h_i <= 1, and sum h_i is rank(X) or d_lambda = sum_j s_j^2 / (s_j^2 +
    lambda). An all-zero row scores exactly 0. With ``intercept=True`` the scores
    are those of [1, X], the intercept not penalized.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A Zarr path or URL, zarr.Array, NumPy array or Dask array; opened with
        :func:`~dleverage.open_matrix` unless it is already a row-chunked Dask array.
    ridge : float or str, default=0.0
        Absolute lambda, ``"rel:C"`` (C times the mean eigenvalue
        trace(X^T X) / d), or ``"deff:K"`` (lambda with d_lambda = K).
    method : {"auto", "tsqr", "gram"}, default="auto"
        ``"tsqr"``: R-only tall-skinny QR tree. ``"gram"``: float64 Gram sum and
        Cholesky, about twice as fast with a squared condition number. ``"auto"``:
        Gram when its condition number allows about 1e-8 relative accuracy,
        otherwise TSQR. ``result.factor.method_reason`` records which and why.
    intercept : bool, default=False
        Score [1, X] instead of X.
    rcond : float, optional
        Singular values below ``rcond * s_max`` count as zero when lambda = 0.
        Default ``max(n, d) * eps``, as :func:`numpy.linalg.matrix_rank`. The Gram
        method raises it to at least ``sqrt(d * eps)``, the finest cutoff its
        squared singular values resolve.
    split_every : int, default=8
        Fan-in of the pass-1 tree reduction.
    progress : bool, default=False
        Show a progress bar on standard error for pass 1.

    Returns
    -------
    LeverageResult
        ``scores`` (lazy Dask array), ``factor`` and the input fingerprint.

    Raises
    ------
    InvalidInputError
        For inputs that are not 2-D numeric matrices, or have no rows.
    NonFiniteInputError
        If X contains NaN or infinity. The message names the first such row.
    InvalidRidgeError
        For an unparsable ridge, or a ``deff:K`` target outside (0, rank).

    Examples
    --------
    >>> import numpy as np, dleverage as dl
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    >>> dl.leverage_scores(X).scores.compute()
    array([1. , 0.5, 0.5, 0. ])
    """
    x = X if isinstance(X, da.Array) and len(X.chunks[1]) == 1 else open_matrix(X)
    location = source_of(x)
    factor, block_rows = factorize(
        x,
        ridge=ridge,
        method=method,
        intercept=intercept,
        rcond=rcond,
        split_every=split_every,
        progress=progress,
    )
    check_dtype(x.dtype)
    x = _with_known_chunks(x, block_rows)
    logger.info(
        "factor ready: n=%d d=%d method=%s lambda=%g d_eff=%.6g",
        factor.n_samples,
        factor.n_features,
        factor.method,
        factor.ridge,
        factor.d_eff,
    )
    return LeverageResult(score_blocks(x, factor), factor, fingerprint(x, location))


def score_rows(factor: Factor, rows: object) -> np.ndarray | da.Array:
    """Score rows that were not part of the fit: h(x) = x^T (X^T X + lambda I)^-1 x.

    Parameters
    ----------
    factor : Factor
        From :func:`leverage_scores` or :func:`read_scores`.
    rows : array-like of shape (m, n_features) or (n_features,)
        NumPy or Dask array. With lambda = 0 a row outside the row space of X
        scores only its component inside it.

    Returns
    -------
    ndarray of shape (m,) or dask.array.Array
        NumPy in, NumPy out (a 1-D row gives shape (1,)); Dask in, lazy Dask out.

    Raises
    ------
    InvalidInputError
        If the number of columns differs from ``factor.n_features``.
    """
    if isinstance(rows, da.Array):
        x = open_matrix(rows)
        _check_columns(factor, x.shape[1])
        return score_blocks(x, factor)
    array = np.asarray(rows)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InvalidInputError(
            f"Expected rows of shape (m, {factor.n_features}), got shape {array.shape}."
        )
    check_dtype(array.dtype, what="rows")
    _check_columns(factor, array.shape[1])
    return factor.score(array)


def _check_columns(factor: Factor, n_columns: int) -> None:
    if n_columns != factor.n_features:
        raise InvalidInputError(
            f"The rows have {n_columns} columns but the factor was fitted on "
            f"{factor.n_features}. Score rows with the same features as the fit."
        )


def read_scores(path: str | os.PathLike[str]) -> LeverageResult:
    """Open a score store written by :meth:`LeverageResult.to_zarr`.

    A dataset store of ``dleverage update`` is accepted too: its current
    generation of scores and factor is returned (see :func:`~dleverage.read_dataset`).

    Returns
    -------
    LeverageResult
        ``scores`` read lazily from the store, the stored factor and fingerprint.

    Raises
    ------
    IncompleteOutputError
        If the store is not complete.
    """
    from dleverage.io.dataset import is_dataset_store

    if is_dataset_store(path):
        from dleverage.update import read_dataset

        return read_dataset(path)[1]
    group = open_store(path)
    meta = dict(group.attrs["dleverage"])
    scores = da.from_zarr(group["scores"])
    return LeverageResult(scores, factor_from_group(group), meta.get("input", {}))
