"""Materializing the selected rows and labels out of core."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

import dleverage as dl


@pytest.fixture
def stored(tmp_path, rng):
    """A (600, 5) float32 matrix in Zarr chunks of 100 rows, labels, and scores."""
    x = rng.standard_normal((600, 5)).astype(np.float32)
    x[250] *= 50.0  # one dominant row in chunk 2
    y = rng.integers(0, 3, size=600)
    group = zarr.open_group(tmp_path / "data.zarr", mode="w", zarr_format=3)
    group.create_array("X", shape=x.shape, chunks=(100, 5), dtype="float32")[...] = x
    group.create_array("y", shape=y.shape, chunks=(100,), dtype="int64")[...] = y
    scores = tmp_path / "scores.zarr"
    dl.leverage_scores(dl.open_matrix(tmp_path / "data.zarr", component="X")).to_zarr(
        scores
    )
    return tmp_path, x, y, scores


def test_materialize_rows_and_labels(stored):
    root, x, y, scores = stored
    result = dl.sample(str(scores), size=40, scheme="bernoulli", seed=2)
    out = result.to_zarr(
        root / "subset.zarr",
        materialize=f"{root / 'data.zarr'}::X",
        labels=f"{root / 'data.zarr'}::y",
        chunk_rows=16,
    )
    group = zarr.open_group(out, mode="r")
    np.testing.assert_array_equal(group["X"][...], x[result.indices])
    np.testing.assert_array_equal(group["y"][...], y[result.indices])
    assert group["X"].dtype == np.float32
    assert group["X"].chunks == (16, 5)
    meta = group.attrs["dleverage"]
    assert meta["materialized"]["shape"] == [result.n_selected, 5]
    assert meta["materialized"]["input"].endswith("data.zarr::X")


def test_materialize_reads_only_selected_blocks(stored):
    # Corrupt the stored chunk of rows 500-599, which no selected row is in: a
    # read of it would fail to decode, so success shows it was never read.
    root, x, _, scores = stored
    chunk_file = root / "data.zarr" / "X" / "c" / "5" / "0"
    assert chunk_file.exists()
    chunk_file.write_bytes(b"not a compressed chunk")
    scores_array = dl.read_scores(scores).compute()
    scores_array[500:] = 0.0
    result = dl.sample(scores_array, size=30, scheme="topk")
    assert result.indices.max() < 500
    out = result.to_zarr(root / "subset.zarr", materialize=root / "data.zarr::X")
    np.testing.assert_array_equal(zarr.open_group(out)["X"][...], x[result.indices])
    with pytest.raises(RuntimeError, match=r"decompression error"):
        np.asarray(zarr.open_group(root / "data.zarr")["X"][500:600])


def test_materialize_numpy_and_empty(tmp_path, rng):
    x = rng.standard_normal((50, 3))
    result = dl.sample(dl.leverage_scores(x), size=10, scheme="uniform", seed=0)
    out = result.to_zarr(tmp_path / "a.zarr", materialize=x)
    np.testing.assert_array_equal(zarr.open_group(out)["X"][...], x[result.indices])
    assert os.path.basename(out) == "a.zarr"
