"""Score vectors shared by the sampler tests."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from dleverage import testing


@pytest.fixture
def heavy_scores() -> np.ndarray:
    """40 scores with a heavy tail, two zeros and a tie, in float64."""
    return testing.heavy_scores()


@pytest.fixture
def chunked(heavy_scores) -> da.Array:
    """``heavy_scores`` in six blocks of 7 rows (the last one 5)."""
    return da.from_array(heavy_scores, chunks=7)


@pytest.fixture
def synchronous():
    """Run Dask in the calling thread: the statistical tests draw hundreds of
    small samples, and the scheduler does not change a draw."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        yield
