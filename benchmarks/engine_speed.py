"""Time the leverage engine against the I/O floor and Dask's own TSQR.

The script writes a float64 Zarr v3 array of about 1 GB twice (uncompressed and
with Zarr's default compression), starts a LocalCluster of 2 worker processes with
one thread each on 127.0.0.1, and times, in interleaved order:

- ``io floor``: two reads of the store (``X.sum().compute()`` twice), since the
  engine reads the input once per pass;
- ``tsqr`` and ``auto``: :func:`dleverage.leverage_scores` (pass 1) plus computing
  the scores (pass 2), with pass 1 also reported alone;
- ``gram``: the same with ``method="gram"``;
- ``dask tsqr``: ``Q, R = dask.array.linalg.tsqr(X)`` and the squared row norms of
  Q, computed (one read of X, but Q is formed and multiplied out).

Each timing is repeated and the median is reported. The table goes to standard
output and to the ``engine_speed`` section of ``benchmarks/RESULTS.md``.

Run::

    python benchmarks/engine_speed.py [--rows N] [--repeats 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import dask.array as da
import numpy as np
import zarr
from _results import machine_line, write_section
from distributed import Client, LocalCluster

import dleverage as dl

N_FEATURES = 100
CHUNK_ROWS = 81_920  # 62.5 MiB of float64 per chunk, one dleverage task each
SEED = 20261203

TASKS = ("io floor", "tsqr", "auto", "gram", "dask tsqr")


def write_store(path: str, n_rows: int, *, compressed: bool) -> zarr.Array:
    """Write a seeded standard normal (n_rows, N_FEATURES) float64 array."""
    array = zarr.create_array(
        path,
        shape=(n_rows, N_FEATURES),
        chunks=(CHUNK_ROWS, N_FEATURES),
        dtype="float64",
        compressors="auto" if compressed else None,
        zarr_format=3,
        overwrite=True,
    )
    rng = np.random.default_rng(SEED)
    for start in range(0, n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n_rows)
        array[start:stop] = rng.standard_normal((stop - start, N_FEATURES))
    return array


def store_bytes(path: str) -> int:
    """Return the bytes on disk under ``path``."""
    total = 0
    for folder, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(folder, name)) for name in files)
    return total


def _process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(client: Client) -> float:
    """Return CPU seconds used so far by this process and every worker process."""
    workers = client.run(_process_cpu_seconds)
    return _process_cpu_seconds() + sum(workers.values())


def time_io_floor(x: da.Array) -> dict[str, float]:
    start = time.perf_counter()
    x.sum().compute()
    one_read = time.perf_counter() - start
    x.sum().compute()
    return {"total": time.perf_counter() - start, "pass1": one_read}


def time_engine(x: da.Array, method: str) -> dict[str, object]:
    start = time.perf_counter()
    result = dl.leverage_scores(x, method=method)
    pass1 = time.perf_counter() - start
    scores = result.compute()
    total = time.perf_counter() - start
    return {
        "total": total,
        "pass1": pass1,
        "scores": scores,
        "chosen": result.factor.method,
    }


def time_dask_tsqr(x: da.Array) -> dict[str, object]:
    start = time.perf_counter()
    q, _ = da.linalg.tsqr(x)
    scores = (q**2).sum(axis=1).compute()
    return {"total": time.perf_counter() - start, "scores": scores}


def run_variant(
    client: Client, x: da.Array, repeats: int
) -> tuple[dict[str, list[dict[str, object]]], dict[str, np.ndarray]]:
    """Time every task ``repeats`` times, rotating their order each round.

    Besides wall seconds each run records the CPU seconds of the client and the
    workers, which other processes on a shared machine inflate less.
    """
    runners: dict[str, Callable[[], dict[str, object]]] = {
        "io floor": lambda: time_io_floor(x),
        "tsqr": lambda: time_engine(x, "tsqr"),
        "auto": lambda: time_engine(x, "auto"),
        "gram": lambda: time_engine(x, "gram"),
        "dask tsqr": lambda: time_dask_tsqr(x),
    }
    timings: dict[str, list[dict[str, object]]] = {task: [] for task in TASKS}
    scores: dict[str, np.ndarray] = {}
    for round_index in range(repeats):
        shift = round_index % len(TASKS)
        order = TASKS[shift:] + TASKS[:shift]
        for task in order:
            cpu_before = cpu_seconds(client)
            outcome = runners[task]()
            outcome["cpu"] = cpu_seconds(client) - cpu_before
            if "scores" in outcome:
                scores[task] = np.asarray(outcome.pop("scores"))
            timings[task].append(outcome)
            print(
                f"  round {round_index + 1} {task:<10} {outcome['total']:.2f} s, "
                f"cpu {outcome['cpu']:.2f} s",
                file=sys.stderr,
            )
    return timings, scores


def max_relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Return max |a - b| / max(|b|, tiny) over all rows."""
    scale = np.maximum(np.abs(b), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b) / scale))


def per_round_ratios(
    timings: dict[str, list[dict[str, object]]], task: str, reference: str
) -> str:
    """Return the wall-time ratios of ``task`` to ``reference`` round by round."""
    pairs = zip(timings[task], timings[reference], strict=True)
    return ", ".join(f"{float(a['total']) / float(b['total']):.2f}" for a, b in pairs)


def median(values: list[dict[str, object]], key: str) -> float:
    return statistics.median(float(v[key]) for v in values if key in v)


def format_variant(
    name: str,
    timings: dict[str, list[dict[str, object]]],
    scores: dict[str, np.ndarray],
    disk_bytes: int,
) -> list[str]:
    floor = median(timings["io floor"], "total")
    floor_one = median(timings["io floor"], "pass1")
    tsqr = median(timings["tsqr"], "total")
    floor_cpu = median(timings["io floor"], "cpu")
    lines = [
        f"### {name} ({disk_bytes / 1e9:.2f} GB on disk)",
        "",
        "| task | median s (both passes) | median s (pass 1) | x io floor "
        "| median CPU s | CPU x io floor | runs s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for task in TASKS:
        total = median(timings[task], "total")
        pass1 = (
            f"{median(timings[task], 'pass1'):.2f}"
            if "pass1" in timings[task][0]
            else "-"
        )
        runs = ", ".join(f"{float(v['total']):.2f}" for v in timings[task])
        label = task
        if task == "auto":
            label = f"auto (chose {timings[task][0]['chosen']})"
        cpu = median(timings[task], "cpu")
        lines.append(
            f"| {label} | {total:.2f} | {pass1} | {total / floor:.2f} "
            f"| {cpu:.2f} | {cpu / floor_cpu:.2f} | {runs} |"
        )
    dask_native = median(timings["dask tsqr"], "total")
    tsqr_pass1 = median(timings["tsqr"], "pass1")
    tsqr_cpu = median(timings["tsqr"], "cpu")
    dask_cpu = median(timings["dask tsqr"], "cpu")
    lines += [
        "",
        f"- tsqr / io floor (two passes vs two reads): **{tsqr / floor:.2f}** "
        f"wall, {tsqr_cpu / floor_cpu:.2f} CPU; per round "
        f"{per_round_ratios(timings, 'tsqr', 'io floor')} (target <= 2)",
        f"- tsqr pass 1 / one read: {tsqr_pass1 / floor_one:.2f}",
        f"- dask tsqr / tsqr: **{dask_native / tsqr:.2f}** wall, "
        f"{dask_cpu / tsqr_cpu:.2f} CPU; per round "
        f"{per_round_ratios(timings, 'dask tsqr', 'tsqr')} (target >= 3)",
        "- max relative difference of scores vs tsqr: "
        f"gram {max_relative_difference(scores['gram'], scores['tsqr']):.1e}, "
        f"auto {max_relative_difference(scores['auto'], scores['tsqr']):.1e}, "
        f"dask tsqr {max_relative_difference(scores['dask tsqr'], scores['tsqr']):.1e}",
        "",
    ]
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=16 * CHUNK_ROWS,
        help=f"rows of the array (default {16 * CHUNK_ROWS}, 1.05 GB of float64)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timings per task")
    parser.add_argument(
        "--dir",
        default=None,
        help="folder for the stores (default: a new temporary folder)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the stores instead of deleting them"
    )
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    arguments = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/engine_speed.py", shlex.join(arguments)])
    command = command.rstrip()
    directory = args.dir or tempfile.mkdtemp(prefix="dleverage-bench-")
    os.makedirs(directory, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    lines: list[str] = []
    try:
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                memory_limit="4GiB",
            ) as cluster,
            Client(cluster) as client,
        ):
            for name, compressed in (("uncompressed", False), ("default zstd", True)):
                path = os.path.join(directory, f"{name.split()[0]}.zarr")
                print(f"writing {path}", file=sys.stderr)
                write_store(path, args.rows, compressed=compressed)
                x = dl.open_matrix(path)
                timings, scores = run_variant(client, x, args.repeats)
                lines += format_variant(name, timings, scores, store_bytes(path))
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    body = [
        "## Engine speed: dleverage vs I/O floor and dask.array.linalg.tsqr",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine_line()}. The tasks are interleaved (order rotated "
        "every round) so that any load from other processes falls on all of them. "
        f"1-minute load average {load_before:.1f} at the start and "
        f"{load_after:.1f} at the end (the benchmark's own 2 workers count).",
        "",
        f"Input: {args.rows:,} x {N_FEATURES} float64 standard normal, Zarr v3, "
        f"row chunks of {CHUNK_ROWS:,} rows ({CHUNK_ROWS * N_FEATURES * 8 / 2**20:.1f}"
        " MiB), read from the page cache. Cluster: LocalCluster, 2 worker processes "
        f"x 1 thread, 127.0.0.1. Median of {args.repeats} runs; whole run "
        f"{elapsed:.0f} s.",
        "",
        "Columns: `both passes` is `leverage_scores` plus computing the scores (for "
        "the io floor: two reads, for dask tsqr: its single graph); `pass 1` is "
        "`leverage_scores` alone (for the io floor: the first read). TSQR leaf "
        "blocks are factored in pieces of 2,048 rows "
        "(`dleverage.factor.kernels.piecewise_triangular_factor`). `CPU s` sums "
        "the user and system CPU seconds of the client and both worker processes "
        "over the task. Waiting for a core does not count there, so CPU ratios "
        "move less than wall ratios when other processes load the machine.",
        "",
        *lines,
    ]
    markdown = "\n".join(body)
    print(markdown)
    if not args.no_write:
        write_section("engine_speed", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
