"""Shared fixtures: a real multi-process Dask cluster, Zarr stores, MNIST."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

#: The MNIST test split beside the checkout (IDX files). Tests skip without it.
MNIST_DIR = pathlib.Path(
    os.environ.get(
        "DLEVERAGE_MNIST_DIR",
        pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
    )
)


@pytest.fixture(scope="session")
def mnist_dir() -> pathlib.Path:
    """Folder of the MNIST IDX files, or skip the test when it is absent."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(
            f"MNIST IDX files not found in {MNIST_DIR} (set DLEVERAGE_MNIST_DIR)"
        )
    return MNIST_DIR


@pytest.fixture(scope="session")
def cluster():
    """A real LocalCluster: 2 worker processes on 127.0.0.1, shared by a session."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit="2GiB",
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def client(cluster):
    """A client of the shared cluster, set as the default scheduler for the test."""
    from distributed import Client

    with Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random test is reproducible."""
    return np.random.default_rng(20261203)
