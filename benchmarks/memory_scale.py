"""Score an array several times larger than the total worker memory.

Generates a float64 Zarr array of ``--gib`` GiB, uncompressed so that reads cost
I/O and not codec time, on a LocalCluster of ``--workers`` processes limited to
``--memory-limit`` each. It measures the I/O floor, one pass that reads every chunk
and does nothing else. Then it runs ``leverage_scores(...).to_zarr(...)`` while a
thread samples each worker's memory (RSS as the workers report it to the
scheduler) and status. The run fails if a worker is paused, restarted or lost.
Writes the ``memory_scale`` section of benchmarks/RESULTS.md.

Usage::

    python benchmarks/memory_scale.py --gib 4.2 --workers 2 --memory-limit 400MiB
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

import dask.array as da
import numpy as np
import zarr
from _results import machine_line, write_section
from dask.utils import format_bytes, parse_bytes
from distributed import Client, LocalCluster

import dleverage as dl

SEED = 20261203


class MemoryMonitor(threading.Thread):
    """Sample worker memory and status from the scheduler every ``interval`` s."""

    def __init__(self, client: Client, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.interval = interval
        self.peak: dict[str, int] = {}
        self.statuses: set[str] = set()
        self.workers_seen: set[str] = set()
        self.min_workers = 10**9
        self.spilled = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            self.min_workers = min(self.min_workers, len(workers))
            for address, info in workers.items():
                self.workers_seen.add(address)
                self.statuses.add(str(info.get("status", "running")))
                memory = int(info["metrics"]["memory"])
                self.peak[address] = max(self.peak.get(address, 0), memory)
                spilled = info["metrics"].get("spilled_bytes", {}).get("disk", 0)
                self.spilled = max(self.spilled, int(spilled))
            self.samples += 1
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _generate(path: str, n_samples: int, n_features: int, rows: int) -> None:
    rng = da.random.default_rng(SEED)
    x = rng.standard_normal((n_samples, n_features), chunks=(rows, n_features))
    x = x * np.linspace(1.0, 10.0, n_features)
    target = zarr.create_array(
        path,
        shape=x.shape,
        chunks=(rows, n_features),
        dtype="float64",
        compressors=None,
    )
    da.store(x, target, lock=False)


def _read_rows(block: np.ndarray) -> np.ndarray:
    return np.array([block.shape[0]])


def _io_floor(path: str, rows: int) -> float:
    x = dl.open_matrix(path, chunks=rows)
    start = time.perf_counter()
    total = x.map_blocks(_read_rows, drop_axis=1, chunks=(1,), dtype=int).sum()
    assert int(total.compute()) == x.shape[0]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=4.2, help="array size in GiB")
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--block-mib", type=float, default=8.0, help="MiB per block")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="400MiB", help="per worker")
    parser.add_argument("--dir", default=None, help="folder for the stores")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = parser.parse_args()

    n_bytes = int(args.gib * 2**30)
    n_features = args.features
    rows = max(1, int(args.block_mib * 2**20) // (8 * n_features))
    n_samples = n_bytes // (8 * n_features)
    limit = parse_bytes(args.memory_limit)
    ratio = n_samples * n_features * 8 / (limit * args.workers)
    parent = args.dir or tempfile.gettempdir()
    free = shutil.disk_usage(parent).free
    if free < 1.5 * n_bytes:
        sys.exit(f"only {format_bytes(free)} free in {parent}; need 1.5 x the data")
    load_before = os.getloadavg()[0]
    folder = tempfile.mkdtemp(prefix="dleverage-memory-scale-", dir=parent)
    data, out = os.path.join(folder, "x.zarr"), os.path.join(folder, "scores.zarr")
    print(f"data {format_bytes(n_bytes)} in {folder}, {format_bytes(free)} free")
    try:
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                memory_limit=args.memory_limit,
                host="127.0.0.1",
                dashboard_address=None,
                processes=True,
            ) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            _generate(data, n_samples, n_features, rows)
            generate_seconds = time.perf_counter() - start
            pids_before = client.run(os.getpid)
            floor = min(_io_floor(data, rows) for _ in range(2))
            monitor = MemoryMonitor(client)
            monitor.start()
            start = time.perf_counter()
            result = dl.leverage_scores(dl.open_matrix(data, chunks=rows), ridge="0")
            pass1 = time.perf_counter() - start
            result.to_zarr(out)
            total = time.perf_counter() - start
            monitor.stop()
            pids_after = client.run(os.getpid)
        scores = dl.read_scores(out).compute()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()[0]
    restarted = pids_before != pids_after or len(monitor.workers_seen) != args.workers
    paused = "paused" in monitor.statuses
    peak = max(monitor.peak.values())
    # auto reads the data once for the Gram pass, once more if it falls back to
    # TSQR, and once for pass 2 with the write.
    reads = 2 if result.factor.method == "gram" else 3
    rows_table = [
        ("array", f"{n_samples:,} x {n_features} float64, {format_bytes(n_bytes)}"),
        (
            "blocks",
            f"{-(-n_samples // rows)} of {rows:,} rows ({args.block_mib:g} MiB)",
        ),
        ("workers", f"{args.workers} x 1 thread, memory limit {args.memory_limit}"),
        ("data / total worker memory", f"{ratio:.2f}"),
        ("generate and write", f"{generate_seconds:.1f} s"),
        ("I/O floor, one read of every chunk", f"{floor:.1f} s"),
        ("pass 1 (factor, method " + result.factor.method + ")", f"{pass1:.1f} s"),
        ("pass 1 + pass 2 + write", f"{total:.1f} s"),
        (f"total / ({reads} x I/O floor)", f"{total / (reads * floor):.2f}"),
        ("peak worker memory (max over workers)", format_bytes(peak)),
        ("peak / memory limit", f"{peak / limit:.2f}"),
        ("max spilled to disk", format_bytes(monitor.spilled)),
        ("worker paused", "yes" if paused else "no"),
        ("worker restarted or lost", "yes" if restarted else "no"),
        ("memory samples", str(monitor.samples)),
        ("1-minute load average, start / end", f"{load_before:.1f} / {load_after:.1f}"),
        ("sum of scores (expect rank = d)", f"{scores.sum():.6f}"),
    ]
    width = max(len(name) for name, _ in rows_table)
    for name, value in rows_table:
        print(f"{name:<{width}}  {value}")
    command = " ".join(["python", "benchmarks/memory_scale.py", *sys.argv[1:]])
    table = "\n".join(f"| {name} | {value} |" for name, value in rows_table)
    write_section(
        "memory_scale",
        f"""## Memory at scale: scoring {ratio:.1f} x the total worker memory

Command: `{command}`

Machine: {machine_line()}. The cores and the disk are shared with other jobs, so a
load average above the core count means the times include waiting for a core.

| quantity | value |
| --- | --- |
{table}

Peak worker memory is the largest RSS a worker reported to the scheduler,
sampled every 0.2 s while pass 1, pass 2 and the write ran. The I/O floor is the
best of two runs of a task graph that reads every chunk and discards it; the
scoring reads the data {reads} times (pass 1, then pass 2 with the write).
The store was just written and the machine had more free RAM than the data, so
reads were probably served from the page cache (not measured): the floor is then a
memory-bandwidth floor, not a cold-disk one.
""",
    )
    if paused or restarted:
        print("FAILED: a worker was paused, restarted or lost", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
