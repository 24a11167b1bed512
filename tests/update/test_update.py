"""`update_dataset` and `dleverage update`: factor, scores, idempotence, failures."""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage import NonFiniteInputError, leverage_scores
from dleverage.cli.main import main
from dleverage.errors import CorruptChunkError, DatasetStoreError, OutputLockedError
from dleverage.factor.factor import positive_diagonal
from dleverage.io.lock import lock_path
from dleverage.testing import reference_leverage
from dleverage.update import read_dataset, update_dataset

CHUNK_ROWS = 256


def _write(path, values, chunk=100) -> str:
    array = zarr.create_array(
        str(path), shape=values.shape, chunks=(chunk, values.shape[1]), dtype="float64"
    )
    array[...] = values
    return str(path)


@pytest.fixture
def batches(rng):
    """Three batches of 6 features with different scales and sizes."""
    return [
        rng.normal(size=(700, 6)),
        3.0 * rng.normal(size=(450, 6)) + 1.0,
        rng.normal(size=(333, 6)) * np.linspace(0.1, 5.0, 6),
    ]


def _reference_scores(x, ridge, intercept):
    # Explicit inverse of Z^T Z + lambda P on a small problem, in float64.
    z = np.hstack([np.ones((len(x), 1)), x]) if intercept else x
    penalty = np.eye(z.shape[1])
    if intercept:
        penalty[0, 0] = 0.0
    inverse = np.linalg.inv(z.T @ z + ridge * penalty)
    return np.einsum("ij,jk,ik->i", z, inverse, z)


@pytest.mark.parametrize(
    ("ridge", "intercept"), [("0", False), ("rel:0.01", False), ("rel:0.1", True)]
)
def test_factor_equals_from_scratch(tmp_path, batches, ridge, intercept):
    store = str(tmp_path / "store")
    for i, batch in enumerate(batches):
        update_dataset(
            store,
            _write(tmp_path / f"b{i}.zarr", batch),
            ridge=ridge if i == 0 else None,
            intercept=intercept if i == 0 else None,
            chunk_rows=CHUNK_ROWS if i == 0 else None,
        )
    manifest, result = read_dataset(store)
    x = np.vstack(batches)
    scratch = leverage_scores(x, ridge=ridge, intercept=intercept, method="tsqr")
    z = np.hstack([np.ones((len(x), 1)), x]) if intercept else x
    r_numpy = positive_diagonal(np.linalg.qr(z, mode="r"))
    # Both R are the unique positive-diagonal Cholesky factor of Z^T Z; QR is
    # backward stable, so they agree to a few eps times the norm of R.
    scale = np.abs(r_numpy).max()
    assert np.abs(result.factor.r_data - r_numpy).max() / scale <= 1e-10
    assert np.abs(result.factor.r_data - scratch.factor.r_data).max() / scale <= 1e-10
    assert result.factor.ridge == pytest.approx(scratch.factor.ridge, rel=1e-12)
    scores = result.compute()
    expected = _reference_scores(x, result.factor.ridge, intercept)
    assert np.max(np.abs(scores - expected)) <= 1e-10
    assert np.max(np.abs(scores - scratch.compute())) <= 1e-12
    assert manifest.n_samples == len(x)
    assert manifest.generation == 3
    assert [b.rows for b in manifest.batches] == [700, 450, 333]
    assert all(b.scored_generation == 3 for b in manifest.batches)


def test_only_new_keeps_old_scores(tmp_path, batches):
    store = str(tmp_path / "store")
    update_dataset(store, _write(tmp_path / "a.zarr", batches[0]), ridge="rel:0.01")
    _, before = read_dataset(store)
    old_scores = before.compute()
    update_dataset(store, _write(tmp_path / "b.zarr", batches[1]), only_new=True)
    manifest, after = read_dataset(store)
    scores = after.compute()
    assert np.array_equal(scores[:700], old_scores)
    assert np.max(np.abs(scores[700:] - after.factor.score(batches[1]))) <= 1e-14
    assert [b.scored_generation for b in manifest.batches] == [1, 2]
    # The old scores are stale: rescoring everything lowers them.
    assert np.all(after.factor.score(batches[0]) <= old_scores + 1e-12)


def test_same_batch_twice_unchanged(tmp_path, batches):
    store = str(tmp_path / "store")
    first = update_dataset(store, _write(tmp_path / "a.zarr", batches[0], chunk=100))
    manifest_bytes = open(os.path.join(store, "manifest.json"), "rb").read()
    # Same content in another storage chunking: the content hash is the same.
    again = update_dataset(store, _write(tmp_path / "a2.zarr", batches[0], chunk=64))
    assert first.applied
    assert not again.applied
    assert again.batch_id == first.batch_id
    assert again.generation == first.generation == 1
    assert open(os.path.join(store, "manifest.json"), "rb").read() == manifest_bytes
    assert os.listdir(os.path.join(store, "batches")) == [first.batch_id]


def test_explicit_batch_id(tmp_path, batches):
    store = str(tmp_path / "store")
    update_dataset(store, batches[0], batch_id="2026-12-01")
    result = update_dataset(store, batches[1], batch_id="2026-12-01")
    assert not result.applied
    assert read_dataset(store)[0].n_samples == 700
    with pytest.raises(DatasetStoreError, match="Invalid batch id '../x'"):
        update_dataset(store, batches[1], batch_id="../x")


def test_nonfinite_batch_leaves_store(tmp_path, batches):
    store = str(tmp_path / "store")
    update_dataset(store, batches[0])
    manifest_bytes = open(os.path.join(store, "manifest.json"), "rb").read()
    bad = batches[1].copy()
    bad[17, 2] = np.nan
    with pytest.raises(NonFiniteInputError, match="Row 17 of the new batch"):
        update_dataset(store, bad)
    assert open(os.path.join(store, "manifest.json"), "rb").read() == manifest_bytes
    assert len(os.listdir(os.path.join(store, "batches"))) == 1
    assert os.listdir(os.path.join(store, "generations")) == ["1"]


def test_settings_must_match(tmp_path, batches):
    store = str(tmp_path / "store")
    update_dataset(store, batches[0], ridge="rel:0.01")
    with pytest.raises(DatasetStoreError, match="created with ridge 'rel:0.01'"):
        update_dataset(store, batches[1], ridge="0.5")
    with pytest.raises(DatasetStoreError, match="has 5 columns but the dataset store"):
        update_dataset(store, batches[1][:, :5])


def test_foreign_folder_untouched(tmp_path, batches):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(DatasetStoreError, match="is not a dleverage dataset store"):
        update_dataset(str(folder), batches[0])
    assert sorted(os.listdir(folder)) == ["keep.txt"]


def test_cli_update_messages(tmp_path, batches, capsys):
    store = str(tmp_path / "store")
    a = _write(tmp_path / "a.zarr", batches[0])
    argv = ["update", store, "--append", a, "--ridge", "rel:0.01", "--no-progress"]
    argv += ["--workers", "1", "--threads-per-worker", "1", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["applied"] is True
    assert payload["n_samples"] == 700
    assert "Dask dashboard: http://127.0.0.1:" in captured.err
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["applied"] is False
    bad = tmp_path / "bad.zarr"
    _write(bad, np.full((10, 6), np.inf))
    code = main(["update", store, "--append", str(bad), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 2  # the dashboard line and the one-line error
    assert "dleverage update: error: Row 0 of the new batch contains NaN" in err


def test_update_reads_only_new_rows(tmp_path, batches):
    store = str(tmp_path / "store")
    first = update_dataset(store, batches[0], chunk_rows=CHUNK_ROWS, ridge="rel:0.01")
    # Damage a stored chunk of the first batch: an update that read old rows for
    # the factor would fail on it.
    chunk = os.path.join(store, "batches", first.batch_id, "c", "1", "0")
    with open(chunk, "wb") as handle:
        handle.write(b"\x00 damaged")
    manifest_before = open(os.path.join(store, "manifest.json"), "rb").read()
    with pytest.raises(CorruptChunkError, match=r"Chunk '.*c/1/0' of the Zarr array"):
        update_dataset(store, batches[1])
    assert open(os.path.join(store, "manifest.json"), "rb").read() == manifest_before
    assert os.listdir(os.path.join(store, "batches")) == [first.batch_id]
    assert os.listdir(os.path.join(store, "generations")) == ["1"]
    result = update_dataset(store, batches[1], only_new=True)
    assert result.applied
    assert result.rescored_rows == 450
    scratch = leverage_scores(np.vstack(batches[:2]), ridge="rel:0.01", method="tsqr")
    scale = np.abs(scratch.factor.r_data).max()
    assert np.abs(result.factor.r_data - scratch.factor.r_data).max() / scale <= 1e-10


def test_update_of_locked_store(tmp_path, batches):
    store = str(tmp_path / "store")
    update_dataset(store, batches[0])
    # pid 1 always runs, so this lock of this host is live, not stale.
    record = {"format": "dleverage.lock/1", "pid": 1, "host": socket.gethostname()}
    with open(lock_path(store), "w") as handle:
        json.dump(record, handle)
    with pytest.raises(OutputLockedError, match="is locked by another run .pid 1 on"):
        update_dataset(store, batches[1])
    assert read_dataset(store)[0].n_samples == 700


def test_dataset_store_reads_as_scores(tmp_path, batches):
    store = str(tmp_path / "ds")
    update_dataset(store, batches[0], ridge="rel:0.01")
    update_dataset(store, batches[1])
    result = dl.read_scores(store)
    rows = np.vstack(batches[:2])
    expected = reference_leverage(rows, ridge=result.factor.ridge)
    np.testing.assert_allclose(result.compute(), expected, rtol=1e-10)
    subset = dl.sample(store, size=20, scheme="topk")
    assert subset.indices.shape == (20,)
