"""Two runs on one output: the second gets OutputLockedError; stale locks."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from dleverage import leverage_scores, read_scores
from dleverage.cli.main import main
from dleverage.errors import OutputLockedError
from dleverage.io.lock import lock_path, output_lock

from ._support import cli_env

pytestmark = [pytest.mark.cluster]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_second_run_gets_lock_error(dask_cluster, tall_store, tmp_path, capsys):
    out = str(tmp_path / "scores.zarr")
    dleverage = str(pathlib.Path(sys.executable).parent / "dleverage")
    first = subprocess.Popen(
        [dleverage, "score", tall_store, "--out", out, "--scheduler", dask_cluster]
        + ["--chunks", "1000", "--no-progress", "--json"],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = pathlib.Path(lock_path(out))
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:
        assert first.poll() is None
        time.sleep(0.005)
    owner = json.loads(lock.read_text())
    assert owner["pid"] == first.pid
    assert owner["host"] == socket.gethostname()

    code = main(["score", tall_store, "--out", out, "--scheduler", dask_cluster])
    stdout, stderr = first.communicate(timeout=300)
    assert code == 2
    message = capsys.readouterr().err
    assert f"is locked by another run (pid {first.pid} on host" in message
    assert first.returncode == 0, stderr
    assert json.loads(stdout)["n_samples"] == 40_000
    assert read_scores(out).compute().shape == (40_000,)
    assert not lock.exists()


def test_stale_lock_replaced(tmp_path, caplog):
    out = str(tmp_path / "scores.zarr")
    record = {
        "format": "dleverage.lock/1",
        "pid": _dead_pid(),
        "host": socket.gethostname(),
        "started_utc": "2026-01-01T00:00:00+00:00",
    }
    pathlib.Path(lock_path(out)).write_text(json.dumps(record))
    x = np.random.default_rng(3).normal(size=(50, 3))
    leverage_scores(x).to_zarr(out)
    assert "replacing stale lock" in caplog.text
    assert not os.path.exists(lock_path(out))


def test_lock_of_other_host_kept(tmp_path):
    out = str(tmp_path / "scores.zarr")
    record = {"format": "dleverage.lock/1", "pid": 1, "host": "elsewhere.invalid"}
    pathlib.Path(lock_path(out)).write_text(json.dumps(record))
    with pytest.raises(OutputLockedError, match=r"pid 1 on host elsewhere\.invalid"):
        with output_lock(out):
            pass
    assert os.path.exists(lock_path(out))


def test_foreign_lock_file_kept(tmp_path):
    out = str(tmp_path / "scores.zarr")
    pathlib.Path(lock_path(out)).write_text("not json")
    with pytest.raises(OutputLockedError, match="not a dleverage lock file"):
        with output_lock(out):
            pass
    assert pathlib.Path(lock_path(out)).read_text() == "not json"


def test_lock_reentrant_in_process(tmp_path):
    out = str(tmp_path / "scores.zarr")
    with output_lock(out) as outer, output_lock(out) as inner:
        assert outer == inner
        assert os.path.exists(outer)
    assert not os.path.exists(lock_path(out))
