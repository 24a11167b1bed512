"""Helpers of the cluster tests: the local recipe script and subprocess settings."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

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
