#!/usr/bin/env python3
"""Score a Zarr matrix on SLURM or PBS workers started through dask-jobqueue.

Run it on a login node (or inside a small batch job) that can submit jobs and that
the compute nodes can reach. The scheduler runs in this process; each batch job
starts the worker processes that ``jobqueue.yaml`` describes. The input and the
output must be on a file system that the compute nodes mount at the same path.

Usage::

    DASK_CONFIG=cluster/jobqueue python cluster/jobqueue/score_batch.py \\
        --system slurm --jobs 4 /scratch/me/features.zarr /scratch/me/scores.zarr
    python cluster/jobqueue/score_batch.py --system pbs --dry-run IN OUT

``--dry-run`` prints the job script that would be submitted and exits, without
submitting anything; it needs no batch system.
"""

from __future__ import annotations

import argparse
import sys


def make_cluster(system: str, scheduler_host: str | None) -> object:
    """Return a SLURMCluster or PBSCluster configured from ``jobqueue.yaml``."""
    import dask_jobqueue

    cluster_class = {
        "slurm": dask_jobqueue.SLURMCluster,
        "pbs": dask_jobqueue.PBSCluster,
    }[system]
    options = {}
    if scheduler_host is not None:
        options["scheduler_options"] = {
            "host": scheduler_host,
            "dashboard_address": f"{scheduler_host}:0",
        }
    return cluster_class(**options)


def main(argv: list[str] | None = None) -> int:
    """Start the batch cluster, score INPUT into OUTPUT, and close the cluster."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="Zarr array (PATH::NAME in a group)")
    parser.add_argument("output", help="score store to create")
    parser.add_argument("--system", choices=("slurm", "pbs"), required=True)
    parser.add_argument("--jobs", type=int, default=2, help="batch jobs to submit")
    parser.add_argument("--ridge", default="0", help="as for dleverage score")
    parser.add_argument(
        "--scheduler-host",
        default=None,
        help="address the compute nodes use to reach this host (default: the "
        "jobqueue 'interface' setting)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the job script")
    args = parser.parse_args(argv)

    from distributed import Client

    import dleverage as dl

    cluster = make_cluster(args.system, args.scheduler_host)
    with cluster:
        if args.dry_run:
            print(cluster.job_script())
            return 0
        cluster.scale(jobs=args.jobs)
        with Client(cluster) as client:
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
            client.wait_for_workers(1, timeout=1800)
            path, _, component = args.input.partition("::")
            x = dl.open_matrix(path, component=component or None)
            result = dl.leverage_scores(x, ridge=args.ridge, progress=True)
            print(result.to_zarr(args.output, progress=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
