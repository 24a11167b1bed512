"""Score stores: layout, attrs, atomic writes and reading back."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

import dleverage as dl


@pytest.fixture
def stored_input(tmp_path, rng):
    x = rng.standard_normal((1500, 6))
    array = zarr.create_array(
        store=tmp_path / "x.zarr", shape=x.shape, chunks=(400, 6), dtype="f8"
    )
    array[...] = x
    return str(tmp_path / "x.zarr"), x


def test_store_layout_and_attrs(tmp_path, stored_input):
    path, x = stored_input
    result = dl.leverage_scores(dl.open_matrix(path, chunks=400), ridge="rel:0.01")
    out = result.to_zarr(tmp_path / "scores.zarr")
    group = zarr.open_group(out, mode="r")
    assert group["scores"].dtype == np.float64
    assert group["scores"].chunks == (400,)
    assert group["factor/r_data"].shape == (6, 6)
    assert group["factor/solver"].shape == (6, 6)
    meta = group.attrs["dleverage"]
    assert meta["complete"] is True
    assert meta["n_samples"] == 1500
    assert meta["n_features"] == 6
    assert meta["method"] == result.factor.method
    assert meta["ridge"] == pytest.approx(result.factor.ridge)
    assert meta["ridge_spec"] == "rel:0.01"
    assert meta["d_eff"] == pytest.approx(result.factor.d_eff)
    assert meta["rank"] == 6
    assert meta["rcond"] > 0
    assert meta["version"] == dl.__version__
    assert meta["created_utc"].endswith("+00:00")
    assert meta["input"]["path"] == path
    assert meta["input"]["shape"] == [1500, 6]
    assert meta["input"]["dtype"] == "float64"
    assert meta["input"]["row_chunk"] == 400
    np.testing.assert_array_equal(group["scores"][...], result.compute())


def test_read_scores_round_trip(tmp_path, stored_input):
    path, _ = stored_input
    result = dl.leverage_scores(path, ridge=0.5)
    result.to_zarr(tmp_path / "s.zarr")
    back = dl.read_scores(tmp_path / "s.zarr")
    np.testing.assert_array_equal(back.compute(), result.compute())
    np.testing.assert_array_equal(back.factor.R, result.factor.R)
    assert back.factor.ridge == result.factor.ridge
    new = np.ones((2, 6))
    np.testing.assert_allclose(
        dl.score_rows(back.factor, new), dl.score_rows(result.factor, new), rtol=1e-15
    )


def test_existing_output_is_kept(tmp_path, stored_input):
    path, _ = stored_input
    result = dl.leverage_scores(path)
    out = tmp_path / "s.zarr"
    result.to_zarr(out)
    with pytest.raises(dl.OutputExistsError, match="exists already"):
        result.to_zarr(out)
    result.to_zarr(out, overwrite=True)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("user data")
    with pytest.raises(dl.OutputExistsError, match="not a dleverage store"):
        result.to_zarr(foreign, overwrite=True)
    assert (foreign / "keep.txt").read_text() == "user data"


def test_failed_write_leaves_nothing(tmp_path, stored_input):
    path, _ = stored_input
    result = dl.leverage_scores(dl.open_matrix(path, chunks=400))
    # Corrupt one stored chunk after pass 1, so pass 2 fails while writing.
    chunk_file = os.path.join(path, "c", "2", "0")
    with open(chunk_file, "wb") as handle:
        handle.write(b"not a zstd frame")
    with pytest.raises(Exception):  # noqa: B017 (the codec's own error type)
        result.to_zarr(tmp_path / "s.zarr")
    assert sorted(os.listdir(tmp_path)) == ["x.zarr"]


def test_incomplete_store_is_rejected(tmp_path):
    group = zarr.open_group(tmp_path / "half.zarr", mode="w")
    group.attrs["dleverage"] = {"format": "dleverage.scores/1", "complete": False}
    with pytest.raises(dl.IncompleteOutputError, match="is incomplete"):
        dl.read_scores(tmp_path / "half.zarr")
    zarr.open_group(tmp_path / "other.zarr", mode="w")
    with pytest.raises(dl.IncompleteOutputError, match="not a dleverage score store"):
        dl.read_scores(tmp_path / "other.zarr")


def test_missing_parent_is_rejected(tmp_path, rng):
    result = dl.leverage_scores(rng.standard_normal((10, 2)))
    with pytest.raises(dl.InvalidInputError, match="parent folder"):
        result.to_zarr(tmp_path / "no" / "such" / "s.zarr")


def test_values_sum_to_one(rng):
    x = rng.standard_normal((300, 4))
    x[5] = 0
    result = dl.leverage_scores(x, ridge="rel:0.05")
    values = dl.values(result).compute()
    assert values.sum() == pytest.approx(1.0, rel=1e-14)
    assert values[5] == 0.0
    np.testing.assert_allclose(dl.values(result.compute()), values, rtol=1e-14)
    with pytest.raises(dl.InvalidInputError, match="cannot be normalized"):
        dl.values(np.zeros(3))


def test_fsspec_urls_read_and_write(tmp_path, rng):
    x = rng.standard_normal((200, 3))
    zarr.create_array(
        store="memory://dleverage-test/x.zarr", shape=x.shape, dtype="f8"
    )[...] = x
    result = dl.leverage_scores("memory://dleverage-test/x.zarr", method="tsqr")
    assert result.input["path"] == "memory://dleverage-test/x.zarr"
    out = result.to_zarr("memory://dleverage-test/s.zarr")
    assert out == "memory://dleverage-test/s.zarr"
    np.testing.assert_array_equal(dl.read_scores(out).compute(), result.compute())
    with pytest.raises(dl.OutputExistsError, match="exists already"):
        result.to_zarr(out)


def test_file_url_input(tmp_path, stored_input):
    path, x = stored_input
    result = dl.leverage_scores("file://" + path, method="tsqr")
    np.testing.assert_allclose(
        result.compute(), dl.leverage_scores(x, method="tsqr").compute(), rtol=1e-12
    )
    assert result.input["path"] == "file://" + path
