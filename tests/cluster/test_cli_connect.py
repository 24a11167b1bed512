"""How the command line finds its cluster: --scheduler, the environment, embedded."""

from __future__ import annotations

import pathlib
import socket
import subprocess
import sys

import pytest

from ._support import cli_env

pytestmark = [pytest.mark.cluster]


def _dleverage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(pathlib.Path(sys.executable).parent / "dleverage"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _score_args(store: str, out: pathlib.Path) -> list[str]:
    return ["-v", "score", store, "--out", str(out), "--no-progress", "--json"]


def test_embedded_cluster_prints_dashboard(tall_store, tmp_path):
    args = [*_score_args(tall_store, tmp_path / "s.zarr"), "--workers", "1"]
    completed = _dleverage(*args, env=cli_env())
    assert completed.returncode == 0, completed.stderr
    assert "Dask dashboard: http://127.0.0.1:" in completed.stderr
    assert "started LocalCluster with 1 workers" in completed.stderr


def test_environment_scheduler_used(dask_cluster, tall_store, tmp_path):
    env = cli_env()
    env["DASK_SCHEDULER_ADDRESS"] = dask_cluster
    completed = _dleverage(*_score_args(tall_store, tmp_path / "s.zarr"), env=env)
    assert completed.returncode == 0, completed.stderr
    assert f"connecting to scheduler {dask_cluster}" in completed.stderr
    assert "Dask dashboard" not in completed.stderr


def test_unreachable_scheduler_fails_cleanly(tall_store, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe socket is closed.
    out = tmp_path / "s.zarr"
    args = [*_score_args(tall_store, out), "--scheduler", f"tcp://127.0.0.1:{port}"]
    completed = _dleverage(*args, "--connect-timeout", "2", env=cli_env())
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert f"Cannot connect to the Dask scheduler at 'tcp://127.0.0.1:{port}'" in (
        completed.stderr
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
