"""SampleResult on disk: layout, attrs, atomic writes, reading back."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.testing import heavy_scores


@pytest.fixture
def score_store(tmp_path, rng):
    x = rng.standard_normal((300, 4))
    path = tmp_path / "scores.zarr"
    dl.leverage_scores(dl.open_matrix(x, chunks=64), ridge="rel:0.01").to_zarr(path)
    return path


def test_to_zarr_layout(tmp_path, score_store):
    result = dl.sample(str(score_store), size=25, scheme="iid", seed=11)
    out = result.to_zarr(tmp_path / "subset.zarr")
    assert out == str(tmp_path / "subset.zarr")
    group = zarr.open_group(out, mode="r")
    for name in ("indices", "counts", "weights", "probabilities", "sample_weight"):
        assert name in group
    np.testing.assert_array_equal(group["indices"][...], result.indices)
    np.testing.assert_array_equal(group["counts"][...], result.counts)
    meta = group.attrs["dleverage"]
    assert meta["format"] == "dleverage.sample/1"
    assert meta["scheme"] == "iid"
    assert meta["m"] == 25
    assert meta["seed"] == 11
    assert meta["complete"] is True
    assert meta["source"]["path"] == str(score_store)
    assert meta["source"]["n_samples"] == 300
    assert meta["source"]["row_chunk"] == 64
    assert len(meta["source"]["blake2b"]) == 32
    assert meta["source"]["factor"]["ridge_spec"] == "rel:0.01"


def test_read_sample_round_trip(tmp_path):
    result = dl.sample(
        heavy_scores(), size=6, scheme="stratified", labels=np.arange(40) % 2, seed=3
    )
    back = dl.read_sample(result.to_zarr(tmp_path / "s.zarr"))
    for name in ("indices", "counts", "weights", "probabilities"):
        np.testing.assert_array_equal(getattr(back, name), getattr(result, name))
    assert back.options == result.options
    assert back.source == result.source
    assert back.seed == 3


def test_fingerprint_tracks_content():
    scores = heavy_scores()
    first = dl.sample(scores, size=5, seed=0).source["blake2b"]
    scores[0] += 1e-9
    assert dl.sample(scores, size=5, seed=0).source["blake2b"] != first


def test_seed_none_is_recorded():
    result = dl.sample(heavy_scores(), size=5, seed=None)
    again = dl.sample(heavy_scores(), size=5, seed=result.seed)
    np.testing.assert_array_equal(again.indices, result.indices)


def test_existing_output_kept(tmp_path):
    target = tmp_path / "s.zarr"
    dl.sample(heavy_scores(), size=5, seed=0).to_zarr(target)
    with pytest.raises(dl.OutputExistsError, match=r"exists already"):
        dl.sample(heavy_scores(), size=5, seed=1).to_zarr(target)
    assert dl.read_sample(target).seed == 0
    dl.sample(heavy_scores(), size=5, seed=1).to_zarr(target, overwrite=True)
    assert dl.read_sample(target).seed == 1


def test_overwrite_rejects_foreign_folder(tmp_path):
    foreign = tmp_path / "data"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    with pytest.raises(dl.OutputExistsError, match=r"not replaced"):
        dl.sample(heavy_scores(), size=5, seed=0).to_zarr(foreign, overwrite=True)
    assert (foreign / "keep.txt").read_text() == "x"


def test_failed_write_leaves_nothing(tmp_path):
    result = dl.sample(heavy_scores(), size=5, seed=0)
    wrong_rows = np.zeros((39, 2))
    with pytest.raises(dl.InvalidInputError, match=r"has 39 rows but the scores"):
        result.to_zarr(tmp_path / "s.zarr", materialize=wrong_rows)
    assert os.listdir(tmp_path) == []


def test_missing_parent(tmp_path):
    with pytest.raises(dl.InvalidInputError, match=r"parent folder .* does not exist"):
        dl.sample(heavy_scores(), size=5, seed=0).to_zarr(tmp_path / "no" / "s.zarr")


def test_read_sample_rejects_score_store(score_store):
    with pytest.raises(dl.IncompleteOutputError, match=r"not a dleverage sample"):
        dl.read_sample(score_store)
