"""A corrupt or missing input chunk: an error naming the chunk, nothing written."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from dleverage import open_matrix
from dleverage.errors import CorruptChunkError
from dleverage.io.lock import lock_path
from dleverage.io.output import partial_path

from ._support import cli_env

pytestmark = [pytest.mark.cluster]


def _score(store: str, out: str, scheduler: str) -> subprocess.CompletedProcess:
    dleverage = str(pathlib.Path(sys.executable).parent / "dleverage")
    return subprocess.run(
        [dleverage, "score", store, "--out", out, "--scheduler", scheduler]
        + ["--chunks", "1000", "--no-progress"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _assert_nothing_written(out: str) -> None:
    assert not os.path.exists(out)
    assert not os.path.exists(partial_path(out))
    assert not os.path.exists(lock_path(out))
    assert os.listdir(os.path.dirname(out)) == ["tall.zarr"]


def test_corrupt_chunk_named(dask_cluster, tall_store, tmp_path):
    store = str(tmp_path / "tall.zarr")
    shutil.copytree(tall_store, store)
    pathlib.Path(store, "c", "7", "0").write_bytes(b"\x00 not a zstd frame")
    out = str(tmp_path / "scores.zarr")
    completed = _score(store, out, dask_cluster)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "Chunk 'c/7/0' of the Zarr array" in completed.stderr
    assert "cannot be read" in completed.stderr
    _assert_nothing_written(out)


def test_missing_chunk_named(dask_cluster, tall_store, tmp_path):
    store = str(tmp_path / "tall.zarr")
    shutil.copytree(tall_store, store)
    os.remove(os.path.join(store, "c", "3", "0"))
    out = str(tmp_path / "scores.zarr")
    completed = _score(store, out, dask_cluster)
    assert completed.returncode == 2
    assert "Chunk 'c/3/0' of the Zarr array" in completed.stderr
    assert "is missing (1 of 40 chunks missing)" in completed.stderr
    _assert_nothing_written(out)


def test_missing_chunk_fill_allowed(tall_store, tmp_path):
    store = str(tmp_path / "tall.zarr")
    shutil.copytree(tall_store, store)
    os.remove(os.path.join(store, "c", "3", "0"))
    with pytest.raises(CorruptChunkError, match=r"missing_chunks=\"fill\""):
        open_matrix(store)
    x = open_matrix(store, missing_chunks="fill", chunks=1000)
    assert float(abs(x[3000:4000]).sum().compute()) == 0.0
