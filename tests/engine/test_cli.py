"""The dleverage command end to end on Zarr stores, with real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.testing import reference_leverage


def _run(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return subprocess.run(
        [sys.executable, "-m", "dleverage.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture
def store(tmp_path, rng):
    x = rng.standard_normal((3000, 7))
    array = zarr.create_array(
        store=tmp_path / "x.zarr", shape=x.shape, chunks=(1000, 7), dtype="f4"
    )
    array[...] = x
    return str(tmp_path / "x.zarr"), x.astype(np.float32).astype(np.float64)


def test_score_on_embedded_cluster(tmp_path, store):
    path, x = store
    out = str(tmp_path / "scores.zarr")
    proc = _run(
        "score",
        path,
        "--out",
        out,
        "--ridge",
        "rel:0.01",
        "--json",
        "--workers",
        "2",
        "--threads-per-worker",
        "1",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["n_samples"] == 3000
    assert summary["n_features"] == 7
    assert summary["method"] in ("tsqr", "gram")
    assert summary["rows_per_second"] > 0
    scores = zarr.open_group(out, mode="r")["scores"][...]
    expected = reference_leverage(x, ridge=summary["ridge"])
    np.testing.assert_allclose(scores, expected, rtol=1e-10)


def test_score_on_running_scheduler(tmp_path, store, cluster):
    path, x = store
    out = str(tmp_path / "scores.zarr")
    proc = _run(
        "score",
        path,
        "--out",
        out,
        "--method",
        "tsqr",
        "--intercept",
        "--scheduler",
        cluster.scheduler_address,
    )
    assert proc.returncode == 0, proc.stderr
    assert "method          tsqr (requested)" in proc.stdout
    assert "(+ intercept)" in proc.stdout
    scores = dl.read_scores(out).compute()
    np.testing.assert_allclose(
        scores, reference_leverage(x, intercept=True), rtol=1e-10
    )


def test_scheduler_from_environment(tmp_path, store, cluster):
    path, _ = store
    proc = _run(
        "score",
        path,
        "--out",
        str(tmp_path / "s.zarr"),
        "--json",
        env_extra={"DASK_SCHEDULER_ADDRESS": cluster.scheduler_address},
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "{missing}", "--out", "{out}"], "No Zarr array or group found"),
        (["score", "{path}", "--out", "{out}", "--ridge", "rel:x"], "is not a number"),
        (["score", "{path}", "--out", "{path}"], "exists already"),
        (["score", "{path}", "--out", "{out}", "--ridge", "deff:99"], "rank 7"),
        (["info", "{missing}"], "No Zarr array or group found"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path, store, cluster, args, message):
    path, _ = store
    fields = {
        "path": path,
        "out": str(tmp_path / "o.zarr"),
        "missing": str(tmp_path / "nope.zarr"),
    }
    argv = [a.format(**fields) for a in args]
    if argv[0] == "score":
        argv += ["--scheduler", cluster.scheduler_address]
    proc = _run(*argv)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    # Progress bars may come first; the error is one line, the last.
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"dleverage {argv[0]}: error: ")
    assert message in last
    assert not os.path.exists(tmp_path / "o.zarr")


def test_non_finite_input_exits_2(tmp_path, cluster):
    x = np.ones((100, 3))
    x[42, 1] = np.nan
    zarr.create_array(store=tmp_path / "n.zarr", shape=x.shape, dtype="f8")[...] = x
    proc = _run(
        "score",
        str(tmp_path / "n.zarr"),
        "--out",
        str(tmp_path / "o.zarr"),
        "--scheduler",
        cluster.scheduler_address,
    )
    assert proc.returncode == 2
    assert "Row 42 of the input matrix contains NaN or infinity" in proc.stderr
    assert not os.path.exists(tmp_path / "o.zarr")


def test_info_reports_layout(tmp_path, rng):
    array = zarr.create_array(
        store=tmp_path / "s.zarr",
        shape=(1000, 4),
        chunks=(100, 4),
        shards=(500, 4),
        dtype="f8",
    )
    array[...] = rng.standard_normal((1000, 4))
    proc = _run("info", str(tmp_path / "s.zarr"), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["shape"] == [1000, 4]
    assert info["chunks"] == [100, 4]
    assert info["shards"] == [500, 4]
    assert info["nbytes"] == 32000
    assert info["zarr_format"] == 3
    assert "Zstd" in info["compressors"][0]


def test_demo_scores_digits(tmp_path):
    proc = _run("demo", "--dir", str(tmp_path), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "1797 x 64" in proc.stdout
    assert "top 10 rows by value" in proc.stdout
    scores = dl.read_scores(tmp_path / "scores.zarr").compute()
    assert scores.shape == (1797,)
    from sklearn.datasets import load_digits

    x = load_digits().data
    result = dl.read_scores(tmp_path / "scores.zarr")
    expected = reference_leverage(x, ridge=result.factor.ridge)
    np.testing.assert_allclose(scores, expected, rtol=1e-9)
