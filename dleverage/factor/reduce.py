"""Pass 1: reduce a row-chunked Dask array to a :class:`Factor`.

``method="tsqr"`` reduces R factors (no Q is formed). ``method="gram"`` sums
Z^T Z in float64 and takes a Cholesky factor of Z^T Z + lambda P. It costs about
half as much but squares the condition number. ``method="auto"`` computes the
Gram matrix first and keeps it only when the rule in :func:`gram_is_safe` holds;
otherwise it runs the TSQR pass as well.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import dask.array as da
import numpy as np
import scipy.linalg

from dleverage._compute import compute
from dleverage.errors import InvalidInputError, NonFiniteInputError
from dleverage.factor.factor import (
    Factor,
    build_factor,
    default_rcond,
    positive_diagonal,
)
from dleverage.factor.kernels import (
    Partial,
    combine_gram,
    combine_qr,
    gram_block,
    qr_block,
    triangular_factor,
)
from dleverage.factor.ridge import RidgeSpec, parse_ridge, resolve_ridge
from dleverage.factor.tree import DEFAULT_SPLIT_EVERY, reduce_blocks

__all__ = ["GRAM_ACCURACY", "MethodChoice", "factorize", "gram_is_safe", "gram_rcond"]

logger = logging.getLogger(__name__)

#: Target relative accuracy of the scores for which ``method="auto"`` accepts Gram.
GRAM_ACCURACY = 1e-8

METHODS = ("auto", "tsqr", "gram")


@dataclass(frozen=True)
class MethodChoice:
    """Outcome of the ``method="auto"`` rule: the method, and the reason in words."""

    method: Literal["tsqr", "gram"]
    reason: str


@dataclass(frozen=True)
class Pass1:
    """Result of pass 1 before the factor is built: data factor and row counts."""

    r_data: np.ndarray
    gram: np.ndarray | None
    n_samples: int
    block_rows: tuple[int, ...]


def gram_is_safe(condition_number: float, n_columns: int) -> bool:
    """Return True when ``kappa * p * eps <= GRAM_ACCURACY``.

    ``kappa`` is the condition number of Z^T Z + lambda P and ``p`` its order;
    ``kappa * p * eps`` is a first-order bound on the relative error of scores
    computed from a Cholesky factor of that matrix.
    """
    eps = float(np.finfo(np.float64).eps)
    return bool(condition_number * n_columns * eps <= GRAM_ACCURACY)


def _penalty(n_columns: int, intercept: bool) -> np.ndarray:
    diagonal = np.ones(n_columns)
    if intercept:
        diagonal[0] = 0.0
    return np.diag(diagonal)


def gram_rcond(n_columns: int) -> float:
    """Return the smallest meaningful relative singular-value cutoff of the Gram path.

    Eigenvalues of a computed Z^T Z carry absolute errors of about
    ``p * eps * s_max^2``, so singular values taken as their square roots are only
    resolved down to ``sqrt(p * eps) * s_max``.
    """
    return float(np.sqrt(n_columns * np.finfo(np.float64).eps))


def _gram_condition(gram: np.ndarray, lam: float, intercept: bool) -> float:
    eigenvalues = np.linalg.eigvalsh(gram + lam * _penalty(gram.shape[0], intercept))
    if eigenvalues[0] <= 0:
        return float("inf")
    return float(eigenvalues[-1] / eigenvalues[0])


def _checked(partial: Partial) -> Partial:
    if partial.first_nonfinite >= 0:
        row = partial.first_nonfinite
        raise NonFiniteInputError(
            f"Row {row} of the input matrix contains NaN or infinity. Remove or "
            "impute non-finite values before scoring.",
            row,
        )
    if partial.n_rows == 0:
        raise InvalidInputError(
            "The input matrix has no rows; at least one row is needed."
        )
    return partial


def _gram_to_r(gram: np.ndarray) -> np.ndarray:
    # R with R^T R = G for a positive semidefinite G, also when G is singular:
    # G = V diag(w) V^T, so the R of QR(diag(sqrt(w)) V^T) works.
    eigenvalues, vectors = np.linalg.eigh(gram)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))[:, None] * vectors.T
    return positive_diagonal(triangular_factor(root))


def _run_tsqr(
    x: da.Array, *, intercept: bool, split_every: int, progress: bool
) -> Pass1:
    root = reduce_blocks(
        x, qr_block, combine_qr, intercept=intercept, split_every=split_every
    )
    partial = _checked(compute(root, progress=progress))
    return Pass1(
        positive_diagonal(partial.matrix), None, partial.n_rows, partial.block_rows
    )


def _run_gram(
    x: da.Array, *, intercept: bool, split_every: int, progress: bool
) -> Pass1:
    root = reduce_blocks(
        x, gram_block, combine_gram, intercept=intercept, split_every=split_every
    )
    partial = _checked(compute(root, progress=progress))
    gram = partial.matrix
    return Pass1(_gram_to_r(gram), gram, partial.n_rows, partial.block_rows)


def _cholesky_or_none(
    gram: np.ndarray, lam: float, intercept: bool
) -> np.ndarray | None:
    try:
        upper = scipy.linalg.cholesky(
            gram + lam * _penalty(gram.shape[0], intercept), lower=False
        )
    except np.linalg.LinAlgError:
        return None
    return positive_diagonal(upper)


def factorize(
    x: da.Array,
    *,
    ridge: float | str | RidgeSpec = 0.0,
    method: str = "auto",
    intercept: bool = False,
    rcond: float | None = None,
    split_every: int = DEFAULT_SPLIT_EVERY,
    progress: bool = False,
) -> tuple[Factor, tuple[int, ...]]:
    """Compute the reduced factor of ``x`` (pass 1).

    Parameters
    ----------
    x : dask.array.Array of shape (n_samples, n_features)
        Row-chunked, as returned by :func:`~dleverage.open_matrix`.
    ridge, method, intercept, rcond, split_every, progress
        See :func:`~dleverage.leverage_scores`.

    Returns
    -------
    factor : Factor
    block_rows : tuple of int
        Rows of each block of ``x``, known even when ``x`` has unknown chunk sizes.

    Raises
    ------
    NonFiniteInputError
        If a value is NaN or infinite; the message names the first such row.
    InvalidRidgeError
        If the ridge cannot be resolved for this data.
    """
    spec = parse_ridge(ridge)
    if method not in METHODS:
        raise InvalidInputError(
            f"Invalid method {method!r}. Expected one of {', '.join(METHODS)}."
        )
    p = x.shape[1] + int(intercept)
    if method == "tsqr":
        pass1 = _run_tsqr(
            x, intercept=intercept, split_every=split_every, progress=progress
        )
        return _finish(pass1, spec, "tsqr", "requested", x, intercept, rcond), (
            pass1.block_rows
        )
    pass1 = _run_gram(
        x, intercept=intercept, split_every=split_every, progress=progress
    )
    assert pass1.gram is not None
    s_pen = np.linalg.svd(
        pass1.r_data[1:, 1:] if intercept else pass1.r_data, compute_uv=False
    )
    lam = resolve_ridge(spec, s_pen, n_unpenalized=int(intercept))
    kappa = _gram_condition(pass1.gram, lam, intercept)
    if method == "gram":
        choice = MethodChoice("gram", "requested")
    elif gram_is_safe(kappa, p):
        choice = MethodChoice(
            "gram",
            f"auto: condition number {kappa:.3g} of Z^T Z + lambda P times p * eps "
            f"is within {GRAM_ACCURACY:g}",
        )
    else:
        choice = MethodChoice(
            "tsqr",
            f"auto: condition number {kappa:.3g} of Z^T Z + lambda P is too large "
            f"for the Gram method at accuracy {GRAM_ACCURACY:g}",
        )
    logger.info("pass 1 method %s (%s)", choice.method, choice.reason)
    if choice.method == "tsqr":
        pass1 = _run_tsqr(
            x, intercept=intercept, split_every=split_every, progress=progress
        )
        return _finish(pass1, spec, "tsqr", choice.reason, x, intercept, rcond), (
            pass1.block_rows
        )
    regularized = _cholesky_or_none(pass1.gram, lam, intercept)
    absolute = RidgeSpec("absolute", lam, spec.text)
    floor = gram_rcond(p)
    if rcond is None or rcond < floor:
        rcond = max(floor, default_rcond(pass1.n_samples, p))
    factor = build_factor(
        pass1.r_data,
        n_samples=pass1.n_samples,
        n_features=x.shape[1],
        intercept=intercept,
        ridge=absolute,
        rcond=rcond,
        method="gram",
        method_reason=choice.reason,
        regularized=regularized,
    )
    return factor, pass1.block_rows


def _finish(
    pass1: Pass1,
    spec: RidgeSpec,
    method: Literal["tsqr", "gram"],
    reason: str,
    x: da.Array,
    intercept: bool,
    rcond: float | None,
) -> Factor:
    return build_factor(
        pass1.r_data,
        n_samples=pass1.n_samples,
        n_features=x.shape[1],
        intercept=intercept,
        ridge=spec,
        rcond=rcond,
        method=method,
        method_reason=reason,
    )
