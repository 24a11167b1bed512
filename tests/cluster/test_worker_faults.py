"""Workers killed with SIGKILL while `score` runs: same scores as an undisturbed run."""

from __future__ import annotations

import os

import numpy as np
import pytest
from distributed import Client

from dleverage import leverage_scores, open_matrix, read_scores
from dleverage.testing.faults import KillWorkerPlugin, plugin_report

from ._support import CHUNK_ROWS

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

RIDGE = "rel:0.01"


def _score_to(path: str, out: str) -> np.ndarray:
    result = leverage_scores(open_matrix(path, chunks=CHUNK_ROWS), ridge=RIDGE)
    result.to_zarr(out)
    return read_scores(out).compute()


@pytest.fixture(scope="module")
def undisturbed(dask_cluster, tall_store, tmp_path_factory) -> np.ndarray:
    out = str(tmp_path_factory.mktemp("undisturbed") / "scores.zarr")
    with Client(dask_cluster):
        return _score_to(tall_store, out)


@pytest.mark.parametrize(
    ("prefix", "state", "after"),
    [
        ("gram_block", "memory", 6),  # pass 1: partial Gram matrices are lost
        ("leverage-scores", "memory", 6),  # pass 2: score blocks are lost
        ("write_score_chunk", "processing", 6),  # the write of the store
    ],
    ids=["pass1", "pass2", "write"],
)
def test_worker_sigkill_same_scores(
    dask_cluster, tall_store, undisturbed, tmp_path, prefix, state, after
):
    out = str(tmp_path / "scores.zarr")
    with Client(dask_cluster) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        client.register_plugin(KillWorkerPlugin(prefix, state, after, pids))
        try:
            scores = _score_to(tall_store, out)
            report = client.run_on_scheduler(plugin_report)
        finally:
            client.unregister_scheduler_plugin(KillWorkerPlugin.name)
        client.wait_for_workers(2, timeout=60)
    assert report["killed"] is not None, report
    assert report["killed"]["pid"] in pids.values()
    # The reduction tree and the block scoring are fixed for a given chunking, so
    # recomputed tasks give the same bits; 1e-12 allows only for that claim failing.
    relative = np.max(np.abs(scores - undisturbed) / np.maximum(undisturbed, 1e-300))
    assert relative <= 1e-12
    assert np.array_equal(scores, undisturbed)
