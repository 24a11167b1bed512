"""``dleverage demo``: score scikit-learn's digits end to end on a local cluster."""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import zarr

from dleverage.cli._common import add_cluster_options, connect, emit, show_progress
from dleverage.cli.score import summary_lines, summary_payload
from dleverage.io.datasets import write_digits
from dleverage.io.matrix import open_matrix
from dleverage.scores import leverage_scores

__all__ = ["add_parser", "run"]

_TOP = 10


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="score scikit-learn's digits on a local cluster",
        description="Write scikit-learn's digits to a Zarr store, compute their "
        "ridge leverage scores on a Dask cluster (an embedded LocalCluster unless a "
        "scheduler is given), and print the summary "
        "and the ten highest-valued rows.",
    )
    parser.add_argument(
        "--dir",
        default=None,
        help="folder for digits.zarr and scores.zarr (default: a new temporary one)",
    )
    parser.add_argument(
        "--ridge",
        default="rel:0.01",
        help="lambda (default rel:0.01, 1%% of the mean eigenvalue of X^T X)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_cluster_options(parser)
    parser.set_defaults(handler=run, workers=2, threads_per_worker=1)


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage demo``."""
    directory = args.dir or tempfile.mkdtemp(prefix="dleverage-demo-")
    os.makedirs(directory, exist_ok=True)
    data_path = write_digits(directory)
    out_path = os.path.join(directory, "scores.zarr")
    with connect(args):
        start = time.perf_counter()
        result = leverage_scores(
            open_matrix(data_path, component="X"), ridge=args.ridge, method="auto"
        )
        out = result.to_zarr(out_path, overwrite=True, progress=show_progress(args))
        seconds = time.perf_counter() - start
    scores = np.asarray(zarr.open_group(out, mode="r")["scores"][...])
    labels = np.asarray(zarr.open_group(data_path, mode="r")["y"][...])
    values = scores / scores.sum()
    top = np.argsort(-scores, kind="stable")[:_TOP]
    payload = summary_payload(result, seconds, out)
    payload["data"] = data_path
    payload["top"] = [
        {
            "row": int(i),
            "label": int(labels[i]),
            "score": float(scores[i]),
            "value": float(values[i]),
        }
        for i in top
    ]
    lines = [
        f"digits written to {data_path}",
        *summary_lines(payload),
        "",
        f"top {_TOP} rows by value (value = score / sum of scores):",
        "   row  label     score     value",
    ]
    lines += [
        f"{t['row']:>6} {t['label']:>6} {t['score']:>9.4f} {t['value']:>9.5f}"
        for t in payload["top"]
    ]
    emit(payload, as_json=args.json, lines=lines)
    return 0
