"""Fixtures: a cluster of `dask scheduler` and `dask worker` processes, test stores."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from ._support import CHUNK_ROWS, N_FEATURES, N_SAMPLES, run_local_script


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """Scheduler address of 2 nanny-managed workers started by the local recipe."""
    state = tmp_path_factory.mktemp("dask-cluster")
    address = run_local_script(
        "start",
        "--state-dir",
        str(state),
        "--workers",
        "2",
        "--memory-limit",
        "1GiB",
    )
    try:
        yield address
    finally:
        run_local_script("stop", "--state-dir", str(state))


@pytest.fixture(scope="session")
def tall_store(tmp_path_factory) -> str:
    """A float64 Zarr v3 array of shape (40000, 12) in chunks of 1000 rows."""
    path = tmp_path_factory.mktemp("data") / "tall.zarr"
    rng = np.random.default_rng(20261203)
    values = rng.normal(size=(N_SAMPLES, N_FEATURES))
    values[:, 0] *= 50.0  # uneven column scales, so scores vary across rows
    array = zarr.create_array(
        str(path),
        shape=values.shape,
        chunks=(CHUNK_ROWS, N_FEATURES),
        dtype="float64",
    )
    array[...] = values
    return str(path)
