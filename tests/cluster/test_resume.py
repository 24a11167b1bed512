"""The client killed in the middle of `dleverage score`, then the same command rerun."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zarr
from distributed import Client

from dleverage import (
    IncompleteOutputError,
    InvalidInputError,
    leverage_scores,
    open_matrix,
    read_scores,
)
from dleverage.io.output import partial_path

from ._support import cli_env

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

#: 200 chunks of scores, so the write lasts long enough to be interrupted.
ROWS = "200"


def _command(store: str, out: str, scheduler: str, ridge: str) -> list[str]:
    dleverage = str(pathlib.Path(sys.executable).parent / "dleverage")
    return [
        dleverage,
        "-v",
        "score",
        store,
        "--out",
        out,
        "--scheduler",
        scheduler,
        "--chunks",
        ROWS,
        "--ridge",
        ridge,
        "--no-progress",
    ]


def _kill_during_write(command: list[str], out: str, min_records: int = 20) -> None:
    """Start ``command`` and SIGKILL it once ``min_records`` chunks are recorded."""
    records = pathlib.Path(partial_path(out)) / "chunk_records" / "c"
    process = subprocess.Popen(
        command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if records.is_dir() and len(os.listdir(records)) >= min_records:
                break
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            time.sleep(0.005)
        else:
            pytest.fail("the write did not start within 120 s")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, env=cli_env(), capture_output=True, text=True, timeout=300
    )


def _assert_not_complete(out: str) -> None:
    assert not os.path.exists(out)
    with pytest.raises(InvalidInputError, match="No score store found"):
        read_scores(out)
    partial = zarr.open_group(partial_path(out), mode="r")
    assert "dleverage_partial" in partial.attrs
    assert "dleverage" not in partial.attrs
    with pytest.raises(IncompleteOutputError, match="not a dleverage score store"):
        read_scores(partial_path(out))


@pytest.fixture(scope="module")
def clean_scores(dask_cluster, tall_store, tmp_path_factory) -> np.ndarray:
    """Scores of an uninterrupted run with the same chunking, through the API."""
    out = str(tmp_path_factory.mktemp("clean") / "scores.zarr")
    with Client(dask_cluster):
        x = open_matrix(tall_store, chunks=int(ROWS))
        leverage_scores(x, ridge="rel:0.01").to_zarr(out)
    return read_scores(out).compute()


def test_client_killed_then_resumed(dask_cluster, tall_store, clean_scores, tmp_path):
    out = str(tmp_path / "scores.zarr")
    command = _command(tall_store, out, dask_cluster, "rel:0.01")
    _kill_during_write(command, out)
    _assert_not_complete(out)

    # A chunk whose record does not match is rewritten, whatever it contains now.
    partial = zarr.open_group(partial_path(out), mode="r+")
    partial["chunk_records"][0] = 12345
    partial["scores"][0:100] = np.nan

    completed = _run(command)
    assert completed.returncode == 0, completed.stderr
    reused = [line for line in completed.stderr.splitlines() if "reusing" in line]
    assert len(reused) == 1
    n_reused = int(reused[0].split("reusing ")[1].split()[0])
    assert 0 < n_reused < 200
    assert not os.path.exists(partial_path(out))
    scores = read_scores(out).compute()
    assert np.array_equal(scores, clean_scores)
    assert "chunk_records" not in zarr.open_group(out, mode="r")


def test_partial_of_other_run_discarded(
    dask_cluster, tall_store, clean_scores, tmp_path
):
    out = str(tmp_path / "scores.zarr")
    _kill_during_write(_command(tall_store, out, dask_cluster, "rel:0.5"), out)
    _assert_not_complete(out)
    completed = _run(_command(tall_store, out, dask_cluster, "rel:0.01"))
    assert completed.returncode == 0, completed.stderr
    assert "discarding partial store" in completed.stderr
    assert "reusing 0 of 200 finished chunks" in completed.stderr
    assert np.array_equal(read_scores(out).compute(), clean_scores)
