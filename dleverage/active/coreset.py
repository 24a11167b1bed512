"""K-center greedy (core-set) selection with memory bounded by a block size.

Each step picks the unlabeled point farthest from its nearest center (labeled
points and earlier picks), the 2-approximation of the k-center problem of
Gonzalez (1985) used as the core-set strategy by Sener and Savarese, "Active
Learning for Convolutional Neural Networks: A Core-Set Approach" (ICLR 2018,
arXiv:1708.00489). The distance to the nearest center is kept as one vector and
initialized block by block, so memory is O(n_pool + block^2), never n x n.
"""

from __future__ import annotations

import logging

import numpy as np

from dleverage.active.base import QueryState, Strategy

__all__ = ["KCenterGreedy", "k_center_greedy", "nearest_center_distance"]

logger = logging.getLogger(__name__)

#: Rows per block of the pool-to-center distance computation.
BLOCK_ROWS = 2048


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the matrix of squared Euclidean distances between rows of a and b."""
    squared = (
        np.einsum("ij,ij->i", a, a)[:, None]
        - 2.0 * (a @ b.T)
        + np.einsum("ij,ij->i", b, b)[None, :]
    )
    return np.maximum(squared, 0.0)


def nearest_center_distance(
    points: np.ndarray, centers: np.ndarray, *, block_rows: int = BLOCK_ROWS
) -> np.ndarray:
    """Return the squared distance of each point to its nearest center.

    Points and centers are both processed in blocks of ``block_rows``, so at most
    ``block_rows**2`` distances are held at a time. With no centers every
    distance is infinite.
    """
    nearest = np.full(points.shape[0], np.inf)
    for start in range(0, points.shape[0], block_rows):
        block = points[start : start + block_rows]
        for center_start in range(0, centers.shape[0], block_rows):
            distances = _squared_distances(
                block, centers[center_start : center_start + block_rows]
            )
            nearest[start : start + block_rows] = np.minimum(
                nearest[start : start + block_rows], distances.min(axis=1)
            )
    return nearest


def k_center_greedy(points: np.ndarray, labeled: np.ndarray, size: int) -> np.ndarray:
    """Pick ``size`` rows of ``points`` greedily, farthest from all centers first.

    Parameters
    ----------
    points : ndarray of shape (n, d)
    labeled : ndarray of int
        Rows that are centers already; they are never picked.
    size : int

    Returns
    -------
    ndarray of shape (size,), int64
        Row indices in pick order.
    """
    nearest = nearest_center_distance(points, points[labeled])
    nearest[labeled] = -np.inf
    picks = np.empty(size, dtype=np.int64)
    for step in range(size):
        best = int(np.argmax(nearest))
        picks[step] = best
        update = _squared_distances(points, points[best : best + 1])[:, 0]
        nearest = np.minimum(nearest, update)
        nearest[best] = -np.inf
    return picks


class KCenterGreedy(Strategy):
    """K-center greedy on the model's penultimate embeddings."""

    name = "kcenter"

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` unlabeled points by farthest-first traversal."""
        return k_center_greedy(state.embeddings, state.labeled, batch_size)
