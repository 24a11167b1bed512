"""Fixtures: a cluster of `dask scheduler` and `dask worker` processes, test stores."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import zarr

REPO = pathlib.Path(__file__).resolve().parents[2]
LOCAL_SCRIPT = REPO / "cluster" / "local" / "dask_local.py"

#: Rows, columns and rows per chunk of the shared input: 40 chunks, so that every
#: pass has many tasks and a kill can land between them.
N_SAMPLES, N_FEATURES, CHUNK_ROWS = 40_000, 12, 1_000


def run_local_script(*args: str, timeout: float = 120) -> str:
    """Run cluster/local/dask_local.py and return its last line of output."""
    completed = subprocess.run(
        [sys.executable, str(LOCAL_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def cli_env() -> dict[str, str]:
    """Environment for `dleverage` subprocesses, with no scheduler preset."""
    env = dict(os.environ)
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


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
