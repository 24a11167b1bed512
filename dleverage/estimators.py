"""scikit-learn-style estimators: LeverageScorer and LeverageSampler.

Both accept NumPy arrays (checked by scikit-learn's ``validate_data``) and Dask
arrays (checked by :func:`~dleverage.open_matrix`, and kept lazy).
"""

from __future__ import annotations

import logging
from typing import Any

import dask.array as da
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from dleverage.sampling.api import sample
from dleverage.sampling.result import SampleResult
from dleverage.scores import leverage_scores, score_rows

__all__ = ["LeverageSampler", "LeverageScorer"]

logger = logging.getLogger(__name__)


def _validated(estimator: BaseEstimator, X: Any, *, reset: bool) -> Any:  # noqa: N803
    if isinstance(X, da.Array):
        if not reset and X.ndim == 2 and X.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                f"expecting {estimator.n_features_in_} features as input."
            )
        if reset:
            estimator.n_features_in_ = int(X.shape[1]) if X.ndim == 2 else 0
        return X
    return validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])


class LeverageScorer(TransformerMixin, BaseEstimator):
    """Fit the leverage factor of X and score rows against it.

    Parameters
    ----------
    ridge : float or str, default=0.0
        lambda: an absolute float, ``"rel:C"`` or ``"deff:K"`` (see
        :func:`~dleverage.leverage_scores`).
    method : {"auto", "tsqr", "gram"}, default="auto"
    intercept : bool, default=False
        Score [1, X], the intercept not penalized.

    Attributes
    ----------
    factor_ : Factor
        The reduced factor of the training data.
    scores_ : ndarray of shape (n_samples,)
        Leverage scores of the training rows (a lazy Dask array for Dask input).
    n_features_in_ : int

    Notes
    -----
    ``score_samples(X)`` returns h(x) = z^T (Z^T Z + lambda P)^+ z for every row,
    the out-of-sample leverage against the training factor; ``transform`` returns
    the same as a column of shape (n, 1).
    """

    def __init__(
        self, ridge: float | str = 0.0, method: str = "auto", intercept: bool = False
    ) -> None:
        self.ridge = ridge
        self.method = method
        self.intercept = intercept

    def fit(self, X: Any, y: Any = None) -> LeverageScorer:  # noqa: N803
        """Compute the factor of ``X``; ``y`` is ignored."""
        x = _validated(self, X, reset=True)
        result = leverage_scores(
            x, ridge=self.ridge, method=self.method, intercept=self.intercept
        )
        self.factor_ = result.factor
        self.scores_ = result.scores if isinstance(X, da.Array) else result.compute()
        return self

    def score_samples(self, X: Any) -> Any:  # noqa: N803
        """Return the leverage of each row of ``X`` against the fitted factor."""
        check_is_fitted(self, "factor_")
        x = _validated(self, X, reset=False)
        return score_rows(self.factor_, x)

    def transform(self, X: Any) -> Any:  # noqa: N803
        """Return :meth:`score_samples` as a column of shape (n_samples, 1)."""
        return self.score_samples(X)[:, None]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class LeverageSampler(BaseEstimator):
    """Score X and draw a subset of its rows (see :func:`dleverage.sample`).

    Parameters
    ----------
    size : int, default=100
        m, as in :func:`dleverage.sample`.
    scheme : {"iid", "bernoulli", "topk", "uniform", "stratified"}, default="iid"
        ``stratified`` uses ``y`` of :meth:`fit` as the class labels.
    seed : int, default=0
    ridge : float or str, default=0.0
    method : {"auto", "tsqr", "gram"}, default="auto"
    intercept : bool, default=False
    base : str, default="iid"
        Base scheme of ``stratified``.
    budget : {"proportional", "equal"}, default="proportional"

    Attributes
    ----------
    sample_ : SampleResult
    indices_ : ndarray of int64
        Selected rows, ascending.
    weights_, counts_, probabilities_ : ndarray
        As in :class:`~dleverage.SampleResult`.
    factor_ : Factor
    n_features_in_ : int
    """

    def __init__(
        self,
        size: int = 100,
        scheme: str = "iid",
        seed: int = 0,
        ridge: float | str = 0.0,
        method: str = "auto",
        intercept: bool = False,
        base: str = "iid",
        budget: str = "proportional",
    ) -> None:
        self.size = size
        self.scheme = scheme
        self.seed = seed
        self.ridge = ridge
        self.method = method
        self.intercept = intercept
        self.base = base
        self.budget = budget

    def fit(self, X: Any, y: Any = None) -> LeverageSampler:  # noqa: N803
        """Score ``X`` and draw the subset; ``y`` labels the classes if stratified."""
        x = _validated(self, X, reset=True)
        result = leverage_scores(
            x, ridge=self.ridge, method=self.method, intercept=self.intercept
        )
        drawn = sample(
            result,
            size=self.size,
            scheme=self.scheme,  # type: ignore[arg-type]
            seed=self.seed,
            labels=y if self.scheme == "stratified" else None,
            base=self.base,  # type: ignore[arg-type]
            budget=self.budget,  # type: ignore[arg-type]
        )
        self.factor_ = result.factor
        self._store(drawn)
        return self

    def _store(self, drawn: SampleResult) -> None:
        self.sample_ = drawn
        self.indices_ = drawn.indices
        self.weights_ = drawn.weights
        self.counts_ = drawn.counts
        self.probabilities_ = drawn.probabilities

    def fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any, np.ndarray]:  # noqa: N803
        """Fit, then return the selected rows, their targets and sample weights.

        Returns
        -------
        X_subset : array of shape (k, n_features)
        y_subset : array of shape (k,) or None
        sample_weight : ndarray of shape (k,)
            ``counts * weights**2``, for the ``sample_weight`` of a later fit.
        """
        self.fit(X, y)
        rows = (
            X[self.indices_]
            if isinstance(X, da.Array)
            else np.asarray(X)[self.indices_]
        )
        targets = None
        if y is not None:
            targets = (
                y[self.indices_]
                if isinstance(y, da.Array)
                else np.asarray(y)[self.indices_]
            )
        return rows, targets, self.sample_.sample_weight
