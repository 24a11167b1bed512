"""The query-strategy interface: the state a strategy reads and the batch it returns.

A strategy receives a :class:`QueryState` (the pool features, the labeled indices,
the current model and a seeded generator) and returns ``batch_size`` distinct pool
indices that are not labeled yet. Forward-pass quantities of the model (the 64-d
embedding and the softmax outputs of every pool point) are computed once per round
and shared by the strategy and the loop's diagnostics.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import cached_property

import numpy as np

from dleverage.active.model import MLP
from dleverage.errors import InvalidInputError

__all__ = ["QueryState", "Strategy", "check_selection"]

logger = logging.getLogger(__name__)


class QueryState:
    """Everything a strategy may use to pick the next batch.

    Parameters
    ----------
    X_pool : ndarray of shape (n_pool, n_features)
    labeled : ndarray of int
        Pool indices whose labels are known.
    y_labeled : ndarray of int
        Their labels, in the order of ``labeled``.
    model : MLP
        The model trained on the labeled set this round.
    rng : numpy.random.Generator
        Seeded generator of the trial, for randomized strategies.
    representations : mapping of str to ndarray, optional
        Fixed pool representations (rows aligned with ``X_pool``).
    """

    def __init__(
        self,
        X_pool: np.ndarray,  # noqa: N803 (standard symbol)
        labeled: np.ndarray,
        y_labeled: np.ndarray,
        model: MLP,
        rng: np.random.Generator,
        representations: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.X_pool = X_pool
        self.labeled = np.asarray(labeled, dtype=np.int64)
        self.y_labeled = np.asarray(y_labeled)
        self.model = model
        self.rng = rng
        self.representations = dict(representations or {})

    @property
    def n_pool(self) -> int:
        """Number of pool points, labeled or not."""
        return int(self.X_pool.shape[0])

    @cached_property
    def unlabeled(self) -> np.ndarray:
        """Sorted pool indices not labeled yet."""
        mask = np.ones(self.n_pool, dtype=bool)
        mask[self.labeled] = False
        return np.flatnonzero(mask)

    @cached_property
    def embeddings(self) -> np.ndarray:
        """Penultimate-layer embeddings of the whole pool, shape (n_pool, 64)."""
        return self.model.embed(self.X_pool)

    @cached_property
    def probabilities(self) -> np.ndarray:
        """Softmax outputs of the whole pool, shape (n_pool, n_classes)."""
        return self.model.probabilities_from_embedding(self.embeddings)

    def representation(self, name: str) -> np.ndarray:
        """Return the fixed pool representation ``name``.

        Raises
        ------
        InvalidInputError
            If the experiment did not compute that representation.
        """
        if name not in self.representations:
            raise InvalidInputError(
                f"Representation {name!r} is missing from the query state; "
                f"available: {sorted(self.representations)}. Compute it with "
                "dleverage.active.representations.ensure before the trial."
            )
        return self.representations[name]


class Strategy(ABC):
    """A query strategy: picks a batch of unlabeled pool indices.

    Attributes
    ----------
    name : str
        Name in results and plots (the registry name with its options).
    representation : str or None
        Fixed representation the strategy needs, computed once per dataset.
    uses_gradients : bool
        Whether the strategy needs loss gradients (only EGL, in closed form).
    """

    name: str = "strategy"
    representation: str | None = None
    uses_gradients: bool = False

    @abstractmethod
    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` distinct unlabeled pool indices, in pick order."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def check_selection(state: QueryState, picks: np.ndarray, batch_size: int) -> None:
    """Raise if ``picks`` are not ``batch_size`` distinct unlabeled pool indices.

    Raises
    ------
    InvalidInputError
        Naming the first problem: wrong count, duplicates, out of range, labeled.
    """
    picks = np.asarray(picks)
    if picks.shape != (batch_size,):
        raise InvalidInputError(
            f"The strategy returned {picks.shape} indices; expected ({batch_size},)."
        )
    if np.unique(picks).size != batch_size:
        raise InvalidInputError(f"The strategy returned duplicate indices: {picks}.")
    if picks.min() < 0 or picks.max() >= state.n_pool:
        raise InvalidInputError(
            f"The strategy returned indices outside [0, {state.n_pool}): {picks}."
        )
    labeled = np.isin(picks, state.labeled)
    if labeled.any():
        raise InvalidInputError(
            f"The strategy returned labeled indices: {picks[labeled]}."
        )
