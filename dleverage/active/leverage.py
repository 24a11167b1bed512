"""Ridge-leverage query strategies on the engine's factor, with no backward pass.

The leverage of a candidate x relative to the labeled rows E_L is

    h(x) = x^T (E_L^T E_L + lambda I)^-1 x,

and a batch is picked greedily: take the candidate of largest h, add it to the
factor by a rank-one update (:meth:`dleverage.Factor.add_rows`), rescore, repeat.
This is the greedy D-optimal design of
:func:`dleverage.valuation.greedy_d_optimal`: each pick maximizes
log det(A + x x^T) - log det(A) = log(1 + h(x)).

lambda is relative to a trace: ``ridge_reference="pool"`` sets
lambda = c * trace(E_pool^T E_pool) / d (the published setting, c = 0.01), and
``"labeled"`` sets lambda = c * trace(E_L^T E_L) / d.

:class:`MarginLeverage` keeps margin's order and uses leverage only to discount
redundancy inside a batch: a candidate's margin is divided by the share of its
leverage that the batch picked so far has left, (h_{L+B}(x) / h_L(x))^gamma.
"""

from __future__ import annotations

import logging

import numpy as np

from dleverage.active.base import QueryState, Strategy
from dleverage.active.representations import FIXED, SPACES, features
from dleverage.active.uncertainty import margins
from dleverage.errors import InvalidInputError
from dleverage.factor import Factor, RidgeSpec, build_factor
from dleverage.factor.factor import positive_diagonal
from dleverage.factor.kernels import triangular_factor
from dleverage.valuation import greedy_d_optimal

__all__ = [
    "MarginDOptimal",
    "MarginLeverage",
    "RidgeLeverage",
    "ridge_for",
    "rows_factor",
]

logger = logging.getLogger(__name__)

#: Added to the margin in :class:`MarginLeverage`, so a zero margin is discounted.
MARGIN_OFFSET = 1e-3

#: Margin candidates per pick of :class:`MarginLeverage` when no shortlist is given.
SHORTLIST_PER_PICK = 4

#: Smallest lambda used, so an all-zero embedding (dead ReLU units) still factors.
MIN_RIDGE = 1e-12


def ridge_for(rows: np.ndarray, scale: float) -> float:
    """Return lambda = scale * trace(rows^T rows) / d, at least ``MIN_RIDGE``."""
    trace = float(np.einsum("ij,ij->", rows, rows))
    return max(scale * trace / rows.shape[1], MIN_RIDGE)


def rows_factor(rows: np.ndarray, ridge: float) -> Factor:
    """Return the engine factor of ``rows`` (no intercept) with absolute ``ridge``.

    R comes from a NumPy QR of the rows, the same leaf kernel the TSQR tree uses.
    At a few hundred rows a Dask graph would cost more than the factorization.
    """
    rows = np.asarray(rows, dtype=np.float64)
    r_data = positive_diagonal(triangular_factor(rows))
    return build_factor(
        r_data,
        n_samples=rows.shape[0],
        n_features=rows.shape[1],
        intercept=False,
        ridge=RidgeSpec("absolute", float(ridge), repr(float(ridge))),
        rcond=None,
        method="tsqr",
        method_reason="NumPy QR of the rows in memory",
    )


def _check_options(space: str, ridge_reference: str, ridge_scale: float) -> None:
    if space not in SPACES:
        raise InvalidInputError(f"Invalid space {space!r}. Expected one of {SPACES}.")
    if ridge_reference not in ("pool", "labeled"):
        raise InvalidInputError(
            f"Invalid ridge_reference {ridge_reference!r}. Expected 'pool' or "
            "'labeled'."
        )
    if not ridge_scale > 0:
        raise InvalidInputError(f"Invalid ridge_scale {ridge_scale!r}: expected > 0.")


class _LeverageBase(Strategy):
    """Shared options: feature space and the lambda rule."""

    def __init__(
        self,
        *,
        space: str = "embedding",
        ridge_reference: str = "pool",
        ridge_scale: float = 0.01,
    ) -> None:
        _check_options(space, ridge_reference, float(ridge_scale))
        self.space = space
        self.ridge_reference = ridge_reference
        self.ridge_scale = float(ridge_scale)
        self.representation = space if space in FIXED else None

    def _ridge(self, rows: np.ndarray, labeled_rows: np.ndarray) -> float:
        reference = rows if self.ridge_reference == "pool" else labeled_rows
        return ridge_for(reference, self.ridge_scale)


class RidgeLeverage(_LeverageBase):
    """Greedy batch of largest ridge leverage, relative to the labeled set or pool.

    Parameters
    ----------
    space : str, default="embedding"
        Feature space (see :mod:`dleverage.active.representations`).
    ridge_reference : {"pool", "labeled"}, default="pool"
        Trace that lambda is relative to.
    ridge_scale : float, default=0.01
        c in lambda = c * trace / d.
    reference : {"labeled", "pool"}, default="labeled"
        ``"labeled"``: leverage relative to the labeled rows, the active-learning
        form. ``"pool"``: the pool-wide variant, leverage of each candidate within
        the whole pool (labeled or not), then the same greedy batch on that factor,
        so a pick lowers the scores of its own direction.
    """

    def __init__(
        self,
        *,
        space: str = "embedding",
        ridge_reference: str = "pool",
        ridge_scale: float = 0.01,
        reference: str = "labeled",
        name: str = "ridge_leverage",
    ) -> None:
        super().__init__(
            space=space, ridge_reference=ridge_reference, ridge_scale=ridge_scale
        )
        if reference not in ("labeled", "pool"):
            raise InvalidInputError(
                f"Invalid reference {reference!r}. Expected 'labeled' or 'pool'."
            )
        self.reference = reference
        self.name = name

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` unlabeled points picked by greedy D-optimal gain."""
        rows = features(state, self.space)
        labeled_rows = rows[state.labeled]
        ridge = self._ridge(rows, labeled_rows)
        base = labeled_rows if self.reference == "labeled" else rows
        factor = rows_factor(base, ridge)
        candidates = state.unlabeled
        picks, _, _ = greedy_d_optimal(factor, rows[candidates], batch_size)
        return candidates[picks]


class MarginDOptimal(_LeverageBase):
    """Margin shortlist, then a greedy D-optimal (ridge leverage) batch within it.

    The ``shortlist`` unlabeled points of smallest margin are the candidates; the
    batch is the greedy D-optimal subset of them relative to the labeled
    factor. With ``shortlist == batch_size`` it is margin itself; a larger
    shortlist trades uncertainty for diversity.
    """

    def __init__(
        self,
        *,
        shortlist: int = 10,
        space: str = "embedding",
        ridge_reference: str = "pool",
        ridge_scale: float = 0.01,
        name: str = "margin_dopt",
    ) -> None:
        super().__init__(
            space=space, ridge_reference=ridge_reference, ridge_scale=ridge_scale
        )
        if int(shortlist) < 1:
            raise InvalidInputError(f"Invalid shortlist {shortlist!r}: expected >= 1.")
        self.shortlist = int(shortlist)
        self.name = name

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` points of the margin shortlist, in pick order."""
        unlabeled = state.unlabeled
        order = np.argsort(margins(state.probabilities[unlabeled]), kind="stable")
        size = min(max(self.shortlist, batch_size), unlabeled.size)
        candidates = unlabeled[order[:size]]
        rows = features(state, self.space)
        labeled_rows = rows[state.labeled]
        factor = rows_factor(labeled_rows, self._ridge(rows, labeled_rows))
        picks, _, _ = greedy_d_optimal(factor, rows[candidates], batch_size)
        return candidates[picks]


class MarginLeverage(_LeverageBase):
    """Margin order, with each margin discounted by leverage left after the batch.

    The candidates are the ``shortlist`` unlabeled points of smallest margin m(x).
    With A_L = E_L^T E_L + lambda I the labeled factor and A_B the factor after
    the picks made so far in this batch, each step picks the candidate that
    minimizes

        s(x) = (m(x) + MARGIN_OFFSET) * (h_L(x) / h_B(x))^gamma,
        h_L(x) = x^T A_L^-1 x,  h_B(x) = x^T A_B^-1 x,

    then adds it to A_B by a rank-one update (:meth:`dleverage.Factor.add_rows`).
    The ratio h_B / h_L in (0, 1] is the share of the candidate's leverage that
    the batch has not yet explained, so a candidate close to an earlier pick
    ranks as less uncertain than its margin alone. The first pick is always
    margin's first; with ``gamma=0`` the batch is margin's batch. The strategy
    departs from margin only where margin's batch is redundant in the embedding.
    ``MARGIN_OFFSET`` (0.001) lets a zero margin be discounted too; a candidate
    of zero leverage (an all-zero embedding) is not discounted.

    Parameters
    ----------
    shortlist : int, optional
        Candidates by margin, at least ``batch_size``. By default
        ``SHORTLIST_PER_PICK * batch_size``, 20 for a batch of 5.
    gamma : float, default=1.0
        Strength of the discount, >= 0.
    space : str, default="embedding"
        As for :class:`RidgeLeverage`.
    ridge_reference : {"pool", "labeled"}, default="labeled"
    ridge_scale : float, default=1e-3
        lambda = 0.001 * trace(E_L^T E_L) / d by default. A small lambda relative
        to the labeled set lets h_B / h_L fall well below 1 for a near copy of an
        earlier pick. With the published pool-trace lambda h is so small that the
        ratio stays near 1, and the batch is almost always margin's.
    """

    def __init__(
        self,
        *,
        shortlist: int | None = None,
        gamma: float = 1.0,
        space: str = "embedding",
        ridge_reference: str = "labeled",
        ridge_scale: float = 1e-3,
        name: str = "margin_leverage",
    ) -> None:
        super().__init__(
            space=space, ridge_reference=ridge_reference, ridge_scale=ridge_scale
        )
        if shortlist is not None and int(shortlist) < 1:
            raise InvalidInputError(f"Invalid shortlist {shortlist!r}: expected >= 1.")
        if not 0 <= float(gamma) < np.inf:
            raise InvalidInputError(
                f"Invalid gamma {gamma!r}: expected a finite number >= 0."
            )
        self.shortlist = None if shortlist is None else int(shortlist)
        self.gamma = float(gamma)
        self.name = name

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` points of the margin shortlist, in pick order."""
        unlabeled = state.unlabeled
        margin = margins(state.probabilities[unlabeled])
        shortlist = self.shortlist or SHORTLIST_PER_PICK * batch_size
        size = min(max(shortlist, batch_size), unlabeled.size)
        order = np.argsort(margin, kind="stable")[:size]
        candidates, margin = unlabeled[order], margin[order]

        rows = features(state, self.space)
        candidate_rows = rows[candidates]
        labeled_rows = rows[state.labeled]
        factor = rows_factor(labeled_rows, self._ridge(rows, labeled_rows))
        labeled_leverage = factor.score(candidate_rows)

        available = np.ones(size, dtype=bool)
        picks = np.empty(batch_size, dtype=np.int64)
        # The score is compared in logs, so a large gamma cannot overflow.
        log_margin = np.log(margin + MARGIN_OFFSET)
        log_discount = np.zeros(size)
        for step in range(batch_size):
            if step > 0:
                leverage = factor.score(candidate_rows)
                novel = leverage > 0
                log_discount[novel] = self.gamma * np.log(
                    labeled_leverage[novel] / leverage[novel]
                )
            score = log_margin + log_discount
            choices = np.flatnonzero(available)
            best = int(choices[np.argmin(score[choices])])
            picks[step] = best
            available[best] = False
            factor = factor.add_rows(candidate_rows[best : best + 1])
        return candidates[picks]
