"""Update a data factor with new rows: QR of the stored R stacked on the new R."""

from __future__ import annotations

import numpy as np

from dleverage.factor.factor import Factor, build_factor, positive_diagonal
from dleverage.factor.kernels import triangular_factor
from dleverage.factor.ridge import parse_ridge

__all__ = ["UPDATE_REASON", "stack_r", "updated_factor"]

#: ``method_reason`` of a factor built by :func:`updated_factor`.
UPDATE_REASON = "update: QR of the stored R stacked on the R of the new rows"


def stack_r(r_old: np.ndarray | None, r_new: np.ndarray) -> np.ndarray:
    """Return R with R^T R = r_old^T r_old + r_new^T r_new and a non-negative diagonal.

    This is one inner node of the TSQR tree: the R factor of the (2p, p) matrix
    [r_old; r_new]. With ``r_old=None`` it returns ``r_new`` with fixed signs.
    """
    if r_old is None:
        return positive_diagonal(r_new)
    return positive_diagonal(triangular_factor(np.vstack([r_old, r_new])))


def updated_factor(
    r_data: np.ndarray,
    *,
    n_samples: int,
    n_features: int,
    intercept: bool,
    ridge_spec: str,
) -> Factor:
    """Build the scoring factor of all rows from their data factor ``r_data``.

    ``ridge_spec`` is resolved again on the updated spectrum, so a relative or
    ``deff:K`` lambda follows the data as it grows, exactly as a from-scratch run
    on all rows would resolve it. The rank cutoff is the default ``max(n, p) * eps``.
    """
    return build_factor(
        r_data,
        n_samples=n_samples,
        n_features=n_features,
        intercept=intercept,
        ridge=parse_ridge(ridge_spec),
        rcond=None,
        method="tsqr",
        method_reason=UPDATE_REASON,
    )
