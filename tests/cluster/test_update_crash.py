"""`dleverage update` killed with SIGKILL between its steps: old state or new."""

from __future__ import annotations

import glob
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zarr

from dleverage.update import read_dataset, update_dataset

from ._support import cli_env

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _write(path: pathlib.Path, values: np.ndarray) -> str:
    array = zarr.create_array(
        str(path), shape=values.shape, chunks=(500, values.shape[1]), dtype="float64"
    )
    array[...] = values
    return str(path)


def _update(store: str, new: str, scheduler: str) -> list[str]:
    dleverage = str(pathlib.Path(sys.executable).parent / "dleverage")
    return [dleverage, "update", store, "--append", new, "--scheduler", scheduler]


def _kill_when(command: list[str], pattern: str) -> None:
    process = subprocess.Popen(
        command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while not glob.glob(pattern):
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the step did not start in 120 s"
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()


@pytest.mark.parametrize(
    "step",
    ["batches/.staging-*", "generations/2"],
    ids=["while-copying-batch", "while-rescoring"],
)
def test_update_killed_keeps_old_state(dask_cluster, tmp_path, rng, step):
    first = rng.normal(size=(6_000, 8))
    second = 2.0 * rng.normal(size=(8_000, 8))
    store = str(tmp_path / "store")
    a, b = _write(tmp_path / "a.zarr", first), _write(tmp_path / "b.zarr", second)
    update_dataset(store, a, ridge="rel:0.01", chunk_rows=500)
    old_manifest, old = read_dataset(store)
    old_scores = old.compute()

    _kill_when(_update(store, b, dask_cluster), os.path.join(store, step))
    manifest, result = read_dataset(store)
    assert manifest.generation == old_manifest.generation == 1
    assert manifest.batches == old_manifest.batches
    assert np.array_equal(result.compute(), old_scores)
    assert np.array_equal(result.factor.r_data, old.factor.r_data)

    completed = subprocess.run(
        _update(store, b, dask_cluster),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    manifest, result = read_dataset(store)
    assert manifest.generation == 2
    assert manifest.n_samples == 14_000
    clean = str(tmp_path / "clean")
    update_dataset(clean, a, ridge="rel:0.01", chunk_rows=500)
    update_dataset(clean, b)
    _, expected = read_dataset(clean)
    assert np.array_equal(result.compute(), expected.compute())
    assert sorted(os.listdir(os.path.join(store, "generations"))) == ["2"]
    assert not glob.glob(os.path.join(store, "batches", ".staging-*"))
