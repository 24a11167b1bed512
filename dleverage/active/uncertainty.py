"""Strategies on the softmax outputs: margin, entropy, expected gradient length.

All three score each unlabeled point from one forward pass and take the top
``batch_size``; ties are broken by pool index (a stable sort), so the picks are
deterministic given the model.
"""

from __future__ import annotations

import logging

import numpy as np

from dleverage.active.base import QueryState, Strategy

__all__ = [
    "EntropyStrategy",
    "ExpectedGradientLength",
    "MarginShortlistRandom",
    "MarginStrategy",
    "expected_gradient_length",
    "margins",
]

logger = logging.getLogger(__name__)


def margins(probabilities: np.ndarray) -> np.ndarray:
    """Return p_(1) - p_(2), the gap between the two largest class probabilities."""
    top_two = np.partition(probabilities, -2, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Return the Shannon entropy -sum_k p_k log p_k of each row, in nats."""
    clipped = np.clip(probabilities, 1e-300, 1.0)
    return -np.sum(probabilities * np.log(clipped), axis=1)


def expected_gradient_length(
    embeddings: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """Return the expected norm of the last-layer log-loss gradient of each point.

    For a point with penultimate activation h and softmax output p, the loss
    -log p_y has gradient (p - e_y) h^T with respect to the output weights and
    p - e_y with respect to the output bias, so its Frobenius norm is
    ``sqrt(||h||^2 + 1) * ||p - e_y||`` with ``||p - e_y||^2 = ||p||^2 - 2 p_y + 1``.
    The expectation over the model's own label distribution is then

        EGL(x) = sqrt(||h||^2 + 1) * sum_y p_y sqrt(||p||^2 - 2 p_y + 1),

    exact and in closed form (no backward pass). The L2 penalty of the training
    objective is left out, since it does not depend on the point. With two
    classes scikit-learn uses one logistic output, whose gradient norm is this
    value divided by sqrt(2); the ranking is the same.

    Parameters
    ----------
    embeddings : ndarray of shape (n, n_hidden)
        Penultimate-layer activations h.
    probabilities : ndarray of shape (n, n_classes)

    Returns
    -------
    ndarray of shape (n,)
    """
    scale = np.sqrt(np.einsum("ij,ij->i", embeddings, embeddings) + 1.0)
    squared = np.einsum("ij,ij->i", probabilities, probabilities)
    residual = np.sqrt(np.maximum(squared[:, None] - 2.0 * probabilities + 1.0, 0.0))
    return scale * np.einsum("ij,ij->i", probabilities, residual)


def _top(scores: np.ndarray, candidates: np.ndarray, size: int) -> np.ndarray:
    """Return the ``size`` candidates with the largest scores, best first."""
    order = np.argsort(-scores, kind="stable")[:size]
    return candidates[order]


class MarginStrategy(Strategy):
    """Smallest margin p_(1) - p_(2) first."""

    name = "margin"

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return the ``batch_size`` unlabeled points of smallest margin."""
        candidates = state.unlabeled
        return _top(-margins(state.probabilities[candidates]), candidates, batch_size)


class EntropyStrategy(Strategy):
    """Largest predictive entropy first."""

    name = "entropy"

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return the ``batch_size`` unlabeled points of largest entropy."""
        candidates = state.unlabeled
        return _top(entropy(state.probabilities[candidates]), candidates, batch_size)


class ExpectedGradientLength(Strategy):
    """Largest expected last-layer gradient norm first (EGL)."""

    name = "egl"
    uses_gradients = True

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return the ``batch_size`` unlabeled points of largest EGL."""
        candidates = state.unlabeled
        scores = expected_gradient_length(
            state.embeddings[candidates], state.probabilities[candidates]
        )
        return _top(scores, candidates, batch_size)


class MarginShortlistRandom(Strategy):
    """Control: ``batch_size`` points drawn at random from margin's top ``shortlist``.

    It measures how much of a diversifying hybrid's effect comes from merely
    breaking up margin's batch, with no geometry at all.
    """

    def __init__(self, shortlist: int = 50) -> None:
        self.shortlist = int(shortlist)
        self.name = f"margin_random_top{self.shortlist}"

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` random points of the ``shortlist`` smallest margins."""
        candidates = state.unlabeled
        size = min(max(self.shortlist, batch_size), candidates.size)
        top = _top(-margins(state.probabilities[candidates]), candidates, size)
        return state.rng.choice(top, size=batch_size, replace=False)
