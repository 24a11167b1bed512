"""The topk scheme: the m highest scores, ties broken by the lower index."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import heavy_scores


def _oracle(scores, m):
    return np.sort(np.lexsort((np.arange(scores.size), -scores))[:m])


@pytest.mark.parametrize("chunks", [1, 7, 40])
@pytest.mark.parametrize("m", [1, 10, 26, 40])
def test_topk_matches_sort(chunks, m):
    scores = heavy_scores()
    result = dl.sample(da.from_array(scores, chunks=chunks), size=m, scheme="topk")
    np.testing.assert_array_equal(result.indices, _oracle(scores, m))
    assert np.all(result.weights == 1.0)
    assert np.all(result.probabilities == 1.0)
    assert np.all(result.counts == 1)


def test_topk_ties_by_index():
    # Ten equal scores across four blocks: the first three by index win.
    scores = da.from_array(np.ones(10), chunks=3)
    result = dl.sample(scores, size=3, scheme="topk", seed=5)
    np.testing.assert_array_equal(result.indices, [0, 1, 2])


def test_topk_ignores_seed():
    scores = heavy_scores()
    first = dl.sample(scores, size=7, scheme="topk", seed=1)
    second = dl.sample(scores, size=7, scheme="topk", seed=2)
    np.testing.assert_array_equal(first.indices, second.indices)


def test_topk_rejects_size_over_rows():
    with pytest.raises(
        dl.InvalidSampleSizeError,
        match=r"Cannot select 41 of n_samples=40 rows without",
    ):
        dl.sample(heavy_scores(), size=41, scheme="topk")
