"""Results do not depend on the chunking (to 1e-12) nor on the scheduler (bitwise)."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import reference_leverage


@pytest.fixture
def matrix(rng):
    return rng.standard_normal((3000, 16)) @ np.diag(np.logspace(0, 2, 16))


def _layouts(x):
    yield "one chunk", da.from_array(x, chunks=x.shape)
    yield "many chunks", da.from_array(x, chunks=(101, 16))
    yield "column chunks", da.from_array(x, chunks=(500, 5))
    yield "irregular chunks", da.from_array(x, chunks=((1, 999, 7, 1993), (16,)))
    yield "empty chunks", da.from_array(x, chunks=((0, 1500, 0, 0, 1500, 0), (16,)))
    unknown = da.from_array(x, chunks=(400, 16))
    unknown = unknown[unknown[:, 0] > -np.inf]  # boolean mask: chunk sizes unknown
    yield "unknown sizes", unknown


@pytest.mark.parametrize("method", ["tsqr", "gram"])
@pytest.mark.parametrize("ridge", [0.0, "rel:0.01"])
def test_chunk_layouts_agree(matrix, method, ridge):
    expected = reference_leverage(matrix, ridge=0.0)
    results = {}
    for name, x in _layouts(matrix):
        result = dl.leverage_scores(x, method=method, ridge=ridge)
        scores = result.compute()
        assert scores.shape == (3000,), name
        results[name] = scores
        if ridge == 0.0:
            np.testing.assert_allclose(scores, expected, rtol=1e-11, err_msg=name)
    baseline = results["one chunk"]
    for name, scores in results.items():
        relative = np.max(np.abs(scores - baseline) / baseline)
        assert relative <= 1e-12, name


def test_unknown_chunks_get_known_sizes_in_output(matrix, tmp_path):
    x = da.from_array(matrix, chunks=(700, 16))
    x = x[x[:, 0] > -np.inf]
    assert np.isnan(x.chunks[0][0])
    result = dl.leverage_scores(x)
    assert result.scores.chunks[0] == (700, 700, 700, 700, 200)
    result.to_zarr(tmp_path / "scores.zarr")
    stored = dl.read_scores(tmp_path / "scores.zarr").scores.compute()
    np.testing.assert_array_equal(stored, result.compute())


def test_schedulers_give_identical_bits(matrix, client):
    x = da.from_array(matrix, chunks=(250, 16))
    outputs = []
    for scheduler in ("sync", "threads", None):
        for method in ("tsqr", "gram"):
            if scheduler is None:  # the distributed client of the fixture
                result = dl.leverage_scores(x, method=method, ridge="rel:0.01")
                scores = result.compute()
            else:
                with dask.config.set(scheduler=scheduler):
                    result = dl.leverage_scores(x, method=method, ridge="rel:0.01")
                    scores = result.compute()
            outputs.append((scheduler, method, result.factor.R.copy(), scores))
    for method in ("tsqr", "gram"):
        runs = [o for o in outputs if o[1] == method]
        for scheduler, _, r, scores in runs[1:]:
            np.testing.assert_array_equal(r, runs[0][2], err_msg=str(scheduler))
            np.testing.assert_array_equal(scores, runs[0][3], err_msg=str(scheduler))


def test_fan_in_changes_nothing_beyond_rounding(matrix):
    x = da.from_array(matrix, chunks=(50, 16))  # 60 blocks, a 3-level tree at 4
    a = dl.leverage_scores(x, method="tsqr", split_every=2).compute()
    b = dl.leverage_scores(x, method="tsqr", split_every=32).compute()
    assert np.max(np.abs(a - b) / b) <= 1e-12
