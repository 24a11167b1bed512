"""The cluster/ recipes: local processes for real, the others parsed and checked.

No SLURM, PBS, Kubernetes or Docker is available to the tests, so the jobqueue
recipe is checked by rendering its job scripts with dask-jobqueue (when installed),
and the manifests by parsing them and checking the fields their schemas require.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import yaml
import zarr
from dask.utils import parse_bytes
from distributed import Client

from ._support import LOCAL_SCRIPT, REPO, cli_env, run_local_script

CLUSTER = REPO / "cluster"


def _gib(quantity: str) -> int:
    # Kubernetes and Compose quantities ("8Gi", "4g") in bytes.
    text = str(quantity)
    if text.endswith("i"):
        text += "B"
    return parse_bytes(text)


def _state(pid: int) -> str | None:
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next(line.split()[1] for line in status.splitlines() if line[:6] == "State:")


@pytest.mark.cluster
def test_local_recipe_starts_and_stops(tmp_path):
    state = tmp_path / "state"
    address = run_local_script(
        "start", "--state-dir", str(state), "--workers", "1", "--memory-limit", "1GiB"
    )
    pids = [int(p.read_text()) for p in sorted(state.glob("*.pid"))]
    try:
        assert address.startswith("tcp://127.0.0.1:")
        assert run_local_script("address", "--state-dir", str(state)) == address
        assert len(pids) == 2
        with Client(address) as client:
            workers = client.scheduler_info()["workers"]
            assert len(workers) == 1
            assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
        assert all(_state(pid) not in (None, "Z") for pid in pids)
    finally:
        run_local_script("stop", "--state-dir", str(state))
    assert list(state.glob("*.pid")) == []
    assert all(_state(pid) in (None, "Z") for pid in pids)


def test_local_recipe_refuses_second_start(tmp_path):
    (tmp_path / "scheduler.pid").write_text("1")
    completed = subprocess.run(
        [sys.executable, str(LOCAL_SCRIPT), "start", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "holds a running cluster; stop it first" in completed.stderr


def test_jobqueue_config_fields():
    config = yaml.safe_load((CLUSTER / "jobqueue" / "jobqueue.yaml").read_text())
    for system in ("slurm", "pbs"):
        settings = config["jobqueue"][system]
        assert settings["cores"] % settings["processes"] == 0
        assert parse_bytes(settings["memory"]) >= parse_bytes("1GiB")
        assert "127.0.0.1" in settings["scheduler-options"]["dashboard_address"]


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (
            "slurm",
            ["#SBATCH -J dleverage-worker", "#SBATCH --mem=16G", "#SBATCH -p compute"],
        ),
        (
            "pbs",
            ["#PBS -N dleverage-worker", "#PBS -q workq", "#PBS -l select=1:ncpus=4"],
        ),
    ],
)
def test_jobqueue_job_script(system, expected):
    pytest.importorskip("dask_jobqueue")
    env = cli_env()
    env["DASK_CONFIG"] = str(CLUSTER / "jobqueue")
    completed = subprocess.run(
        [sys.executable, str(CLUSTER / "jobqueue" / "score_batch.py"), "in.zarr"]
        + [
            "out.zarr",
            "--system",
            system,
            "--dry-run",
            "--scheduler-host",
            "127.0.0.1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    script = completed.stdout
    for line in expected:
        assert line in script
    assert "--nthreads 2" in script
    assert "--nworkers 2" in script
    assert "--memory-limit 8.00GiB" in script
    assert "tcp://127.0.0.1:" in script
    assert "source $HOME/venvs/dleverage/bin/activate" in script


def _containers(pod_spec: dict) -> list[dict]:
    containers = pod_spec["containers"]
    assert containers
    for container in containers:
        assert container["name"]
        assert container["image"]
    return containers


def test_daskcluster_manifest():
    manifest = yaml.safe_load((CLUSTER / "kubernetes" / "daskcluster.yaml").read_text())
    assert manifest["apiVersion"] == "kubernetes.dask.org/v1"
    assert manifest["kind"] == "DaskCluster"
    name = manifest["metadata"]["name"]
    scheduler, worker = manifest["spec"]["scheduler"], manifest["spec"]["worker"]
    assert isinstance(worker["replicas"], int) and worker["replicas"] >= 1
    (worker_container,) = _containers(worker["spec"])
    (scheduler_container,) = _containers(scheduler["spec"])
    resources = worker_container["resources"]
    assert resources["requests"] == resources["limits"]
    args = worker_container["args"]
    memory_limit = parse_bytes(args[args.index("--memory-limit") + 1])
    assert memory_limit < _gib(resources["limits"]["memory"])
    assert int(args[args.index("--nthreads") + 1]) <= int(resources["limits"]["cpu"])
    ports = {p["name"] for p in scheduler_container["ports"]}
    service = scheduler["service"]
    assert {p["targetPort"] for p in service["ports"]} <= ports
    assert service["selector"]["dask.org/cluster-name"] == name
    mounts = {m["name"] for m in worker_container["volumeMounts"]}
    assert mounts <= {v["name"] for v in worker["spec"]["volumes"]}

    cronjob = yaml.safe_load(
        (CLUSTER / "kubernetes" / "update-cronjob.yaml").read_text()
    )
    assert cronjob["kind"] == "CronJob"
    assert len(cronjob["spec"]["schedule"].split()) == 5
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (update,) = _containers(pod)
    env = {e["name"]: e["value"] for e in update["env"]}
    assert env["DASK_SCHEDULER_ADDRESS"] == f"tcp://{name}-scheduler:8786"


def test_compose_file():
    compose = yaml.safe_load((CLUSTER / "compose" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"scheduler", "worker", "client"} <= set(services)
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")
    worker = services["worker"]
    assert "tcp://scheduler:8786" in worker["command"]
    command = worker["command"]
    memory_limit = parse_bytes(command[command.index("--memory-limit") + 1])
    limit = worker["deploy"]["resources"]["limits"]["memory"]
    assert memory_limit < parse_bytes(limit.replace("g", "GiB"))
    dockerfile = (CLUSTER / "compose" / "Dockerfile").read_text()
    assert "pip install --no-cache-dir ." in dockerfile
    assert services["scheduler"]["build"]["dockerfile"] == "cluster/compose/Dockerfile"


def test_schedule_files():
    timer = (CLUSTER / "schedule" / "dleverage-update.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in timer
    service = (CLUSTER / "schedule" / "dleverage-update.service").read_text()
    assert "Type=oneshot" in service
    assert "ExecStart=/opt/dleverage/cluster/schedule/nightly-update.sh" in service
    lines = (CLUSTER / "schedule" / "crontab").read_text().splitlines()
    jobs = [line for line in lines if line and line[0].isdigit()]
    assert len(jobs) == 1
    assert jobs[0].split()[:5] == ["30", "2", "*", "*", "*"]
    script = CLUSTER / "schedule" / "nightly-update.sh"
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0


@pytest.mark.cluster
def test_nightly_script_runs_update(dask_cluster, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    env = cli_env()
    env.update(
        DLEVERAGE_STORE=str(tmp_path / "store"),
        DLEVERAGE_INCOMING=str(incoming),
        DASK_SCHEDULER_ADDRESS=dask_cluster,
    )
    script = str(CLUSTER / "schedule" / "nightly-update.sh")
    missing = subprocess.run([script], env=env, capture_output=True, text=True)
    assert missing.returncode == 3
    assert "no batch" in missing.stderr
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    values = np.random.default_rng(11).normal(size=(300, 4))
    array = zarr.create_array(
        str(incoming / f"{today}.zarr"), shape=values.shape, dtype="f8"
    )
    array[...] = values
    runs = [
        subprocess.run([script], env=env, capture_output=True, text=True, timeout=300)
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    first, second = (json.loads(run.stdout) for run in runs)
    assert first["applied"] is True
    assert first["n_samples"] == 300
    assert second["applied"] is False
    assert os.path.exists(tmp_path / "store" / "manifest.json")
