"""Bad input to the sampler: a named error, and nothing written."""

from __future__ import annotations

import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import heavy_scores


@pytest.mark.parametrize(
    ("scores", "pattern"),
    [
        (np.array([0.1, np.nan, 0.3]), r"Invalid score nan at row 1"),
        (np.array([0.1, 0.2, -0.5]), r"Invalid score -0.5 at row 2"),
        (np.array([0.1, np.inf]), r"Invalid score inf at row 1"),
        (np.zeros(4), r"All scores are zero"),
    ],
)
def test_invalid_scores(scores, pattern):
    with pytest.raises(dl.InvalidScoresError, match=pattern):
        dl.sample(scores, size=1, scheme="iid", seed=0)


def test_invalid_score_row_in_later_block():
    import dask.array as da

    scores = np.ones(50)
    scores[37] = np.nan
    with pytest.raises(dl.InvalidScoresError, match=r"at row 37") as info:
        dl.sample(da.from_array(scores, chunks=8), size=3, seed=0)
    assert info.value.row == 37


@pytest.mark.parametrize("size", [0, -3, 2.5, "10", True])
def test_invalid_size(size):
    with pytest.raises(dl.InvalidSampleSizeError, match=r"Invalid sample size"):
        dl.sample(heavy_scores(), size=size, seed=0)


@pytest.mark.parametrize("seed", [1.5, "7", -1, True])
def test_invalid_seed(seed):
    with pytest.raises(dl.InvalidSeedError, match=r"Invalid seed"):
        dl.sample(heavy_scores(), size=3, seed=seed)


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"scheme": "leverage"}, r"Invalid scheme 'leverage'. Expected one of iid"),
        ({"scheme": "stratified", "base": "x"}, r"Invalid base scheme 'x'"),
        ({"budget": "neyman"}, r"Invalid budget rule 'neyman'"),
    ],
)
def test_unknown_choices(options, pattern):
    with pytest.raises(dl.UnknownSchemeError, match=pattern):
        dl.sample(heavy_scores(), size=3, seed=0, **options)


def test_scores_not_vector():
    with pytest.raises(dl.InvalidInputError, match=r"Expected 1-D scores"):
        dl.sample(np.ones((3, 2)), size=1, seed=0)


def test_missing_store(tmp_path):
    with pytest.raises(dl.InvalidInputError, match=r"No score store found"):
        dl.sample(str(tmp_path / "none.zarr"), size=1, seed=0)
