"""K-center greedy against brute force, with blocks smaller than the data."""

from __future__ import annotations

import numpy as np
import scipy.spatial.distance

from dleverage.active.coreset import k_center_greedy, nearest_center_distance


def brute_force_k_center(points, labeled, size):
    distances = scipy.spatial.distance.cdist(points, points, "sqeuclidean")
    centers = list(labeled)
    picks = []
    for _ in range(size):
        nearest = distances[:, centers].min(axis=1)
        nearest[centers] = -np.inf
        best = int(np.argmax(nearest))
        picks.append(best)
        centers.append(best)
    return np.array(picks)


def test_nearest_distance_matches_cdist_in_blocks(rng):
    points = rng.normal(size=(53, 4))
    centers = rng.normal(size=(17, 4))
    expected = scipy.spatial.distance.cdist(points, centers, "sqeuclidean").min(axis=1)
    # Blocks of 7 rows split both the points and the centers unevenly.
    np.testing.assert_allclose(
        nearest_center_distance(points, centers, block_rows=7), expected, atol=1e-12
    )


def test_nearest_distance_without_centers_is_infinite(rng):
    points = rng.normal(size=(5, 3))
    assert np.all(np.isinf(nearest_center_distance(points, points[:0])))


def test_k_center_greedy_matches_brute_force(rng):
    points = rng.normal(size=(120, 6))
    labeled = np.arange(10)
    np.testing.assert_array_equal(
        k_center_greedy(points, labeled, 8), brute_force_k_center(points, labeled, 8)
    )
