"""Training on a sampled subset: weighted ridge regression, sketch and solve.

A subset S drawn with sketch weights w_i (see :class:`~dleverage.SampleResult`)
and multiplicities c_i replaces the full ridge problem

    theta* = argmin_theta ||X theta - Y||^2 + lambda ||theta||^2

by the weighted one on S, with per-row weights s_i = c_i w_i^2:

    theta_S = argmin_theta sum_{i in S} s_i ||x_i theta - y_i||^2 + lambda ||theta||^2.

For the random schemes sum_{i in S} s_i x_i x_i^T is an unbiased estimate of
X^T X, so the same lambda is used. Small subsets are solved in NumPy
(:func:`ridge_solve`); large ones go to a scikit-learn or dask-ml estimator
(:func:`fit_subset`) through ``sample_weight`` when its ``fit`` takes one, else by
scaling rows and targets by sqrt(s_i).
"""

from __future__ import annotations

import inspect
import logging
import os
import warnings
from typing import Any, Literal

import dask.array as da
import numpy as np
import zarr

from dleverage.errors import DleverageWarning, InvalidInputError
from dleverage.sampling.result import SampleResult, read_sample

__all__ = [
    "dask_ml_ridge",
    "fit_subset",
    "gather_subset",
    "read_subset",
    "ridge_objective",
    "ridge_solve",
    "sketch_and_solve",
]

logger = logging.getLogger(__name__)


def ridge_solve(
    X: np.ndarray,  # noqa: N803 (standard symbol)
    y: np.ndarray,
    *,
    ridge: float = 0.0,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Solve min_theta sum_i s_i ||x_i theta - y_i||^2 + lambda ||theta||^2.

    Solved by least squares on the stacked system [sqrt(s) X; sqrt(lambda) I],
    which avoids forming X^T X and so keeps the condition number of X.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    ridge : float, default=0.0
        lambda >= 0 (with 0 the minimum-norm least squares solution).
    sample_weight : ndarray of shape (n_samples,), optional
        s_i >= 0; default all ones.

    Returns
    -------
    ndarray of shape (n_features,) or (n_features, n_targets)

    Raises
    ------
    InvalidInputError
        If the shapes do not match or a weight or lambda is negative.
    """
    x = np.asarray(X, dtype=np.float64)
    targets = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or targets.shape[0] != x.shape[0]:
        raise InvalidInputError(
            f"Expected X of shape (n, d) and y with n rows, got {x.shape} and "
            f"{targets.shape}."
        )
    weights = (
        np.ones(x.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    )
    if weights.shape != (x.shape[0],) or (weights < 0).any() or ridge < 0:
        raise InvalidInputError(
            "Expected sample_weight >= 0 with one entry per row and ridge >= 0, got "
            f"weights of shape {weights.shape} and ridge={ridge!r}."
        )
    root = np.sqrt(weights)
    lhs = np.vstack([x * root[:, None], np.sqrt(ridge) * np.eye(x.shape[1])])
    pad = np.zeros((x.shape[1],) + targets.shape[1:])
    rhs = np.concatenate(
        [targets * root.reshape((-1,) + (1,) * (targets.ndim - 1)), pad]
    )
    theta, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
    return theta


def ridge_objective(
    X: np.ndarray,  # noqa: N803 (standard symbol)
    y: np.ndarray,
    theta: np.ndarray,
    *,
    ridge: float,
) -> float:
    """Return the full-data ridge risk ||X theta - y||^2 + lambda ||theta||^2."""
    residual = np.asarray(X, dtype=np.float64) @ theta - y
    return float(np.sum(residual**2) + ridge * np.sum(theta**2))


def gather_subset(
    X: object,  # noqa: N803 (standard symbol)
    y: object,
    sample: SampleResult,
) -> tuple[Any, Any]:
    """Return the selected rows of ``X`` and ``y``, lazily for Dask inputs."""
    if isinstance(X, da.Array):
        rows = X[sample.indices]
    else:
        rows = np.asarray(X)[sample.indices]
    if y is None:
        return rows, None
    if isinstance(y, da.Array):
        return rows, y[sample.indices]
    return rows, np.asarray(y)[sample.indices]


def sketch_and_solve(
    X: object,  # noqa: N803 (standard symbol)
    y: object,
    sample: SampleResult,
    *,
    ridge: float,
) -> np.ndarray:
    """Return theta_S, the weighted ridge solution on the rows of ``sample``.

    The subset is loaded into memory (only its rows are read from a Dask ``X``),
    so this suits subsets of up to a few million entries; use
    :func:`fit_subset` with a dask-ml estimator beyond that.
    """
    rows, targets = gather_subset(X, y, sample)
    if isinstance(rows, da.Array):
        rows, targets = da.compute(rows, targets)
    return ridge_solve(rows, targets, ridge=ridge, sample_weight=sample.sample_weight)


def dask_ml_ridge(ridge: float, **options: Any) -> Any:
    """Return a dask-ml ``LinearRegression`` that minimizes the ridge objective.

    dask-ml's linear models minimize, through dask-glm (0.4.0 read),
    ``sum_i (y_i - x_i beta)^2 + (1 / C) ||beta||^2 / 2``, so lambda corresponds
    to ``C = 1 / (2 lambda)``. The intercept is off, as in the objective above.
    dask-glm standardizes the columns by default, which moves the penalty onto
    the standardized coefficients, so ``normalize=False`` is passed to the solver.
    """
    from dask_ml.linear_model import LinearRegression

    if not ridge > 0:
        raise InvalidInputError(
            f"Invalid ridge {ridge!r} for dask-ml: expected lambda > 0."
        )
    settings = {
        "solver": "lbfgs",
        "max_iter": 500,
        "tol": 1e-10,
        "solver_kwargs": {"normalize": False},
        **options,
    }
    return LinearRegression(
        penalty="l2", C=1.0 / (2.0 * ridge), fit_intercept=False, **settings
    )


def _accepts_sample_weight(estimator: Any) -> bool:
    try:
        return "sample_weight" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def fit_subset(
    estimator: Any,
    X: object,  # noqa: N803 (standard symbol)
    y: object,
    sample: SampleResult | None = None,
    *,
    sample_weight: object = None,
    weighting: Literal["auto", "sample_weight", "scale"] = "auto",
) -> Any:
    """Fit ``estimator`` on a weighted subset and return it.

    Parameters
    ----------
    estimator : scikit-learn or dask-ml estimator
        Unfitted; ``fit`` is called once.
    X, y : arrays
        Either the full matrix and targets together with ``sample`` (the selected
        rows are gathered, lazily for Dask), or the subset itself together with
        ``sample_weight`` (for example from :func:`read_subset`).
    sample : SampleResult, optional
    sample_weight : array-like of shape (k,), optional
        Per-row weights s_i of a subset passed directly.
    weighting : {"auto", "sample_weight", "scale"}, default="auto"
        ``sample_weight``: pass s_i to ``fit``. ``scale``: fit on sqrt(s_i) x_i
        and sqrt(s_i) y_i, which gives the same least squares fit for models
        without an intercept (dask-ml's models take no sample_weight). ``auto``:
        the former when ``fit`` takes ``sample_weight``, else the latter.

    Raises
    ------
    InvalidInputError
        If neither or both of ``sample`` and ``sample_weight`` are given.
    """
    if (sample is None) == (sample_weight is None):
        raise InvalidInputError(
            "Pass exactly one of sample (to gather the rows from X and y) or "
            "sample_weight (when X and y are the subset already)."
        )
    if sample is not None:
        X, y = gather_subset(X, y, sample)  # noqa: N806 (standard symbol)
        sample_weight = sample.sample_weight
    mode = weighting
    if mode == "auto":
        mode = "sample_weight" if _accepts_sample_weight(estimator) else "scale"
    if mode == "sample_weight":
        logger.debug("fitting %s with sample_weight", type(estimator).__name__)
        return estimator.fit(X, y, sample_weight=sample_weight)
    if getattr(estimator, "fit_intercept", False):
        warnings.warn(
            "Row scaling by sqrt(sample_weight) also scales the intercept column, so "
            "a model with fit_intercept=True does not fit the weighted problem. Use "
            "fit_intercept=False and an explicit ones column.",
            DleverageWarning,
            stacklevel=2,
        )
    root = (
        np.sqrt(sample_weight)
        if not isinstance(sample_weight, da.Array)
        else da.sqrt(sample_weight)
    )
    if isinstance(X, da.Array) and not isinstance(root, da.Array):
        root = da.from_array(root, chunks=(X.chunks[0],))
    scaled_x = X * root[:, None]
    scaled_y = y * (root if np.ndim(y) == 1 else root[:, None])
    logger.debug("fitting %s on rows scaled by sqrt(weight)", type(estimator).__name__)
    return estimator.fit(scaled_x, scaled_y)


def read_subset(
    path: str | os.PathLike[str],
) -> tuple[da.Array, da.Array | None, da.Array]:
    """Open a materialized sample group lazily as ``X``, ``y`` and ``sample_weight``.

    ``y`` is None when no labels were materialized.

    Raises
    ------
    InvalidInputError
        If the group has no materialized rows ``X``.
    """
    read_sample(path)
    group = zarr.open_group(os.fspath(path), mode="r")
    if "X" not in group:
        raise InvalidInputError(
            f"The sample group {os.fspath(path)!r} has no rows X. Write it with "
            "materialize=INPUT (--materialize INPUT)."
        )
    rows = da.from_zarr(group["X"])
    targets = da.from_zarr(group["y"]) if "y" in group else None
    weights = da.from_zarr(group["sample_weight"]).rechunk((rows.chunks[0],))
    return rows, targets, weights
