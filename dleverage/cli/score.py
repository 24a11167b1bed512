"""``dleverage score``: leverage scores of a stored matrix, written to Zarr."""

from __future__ import annotations

import argparse
import time
from typing import Any

from dleverage.cli._common import (
    add_cluster_options,
    connect,
    emit,
    show_progress,
    split_component,
)
from dleverage.io.lock import output_lock
from dleverage.io.matrix import open_matrix
from dleverage.io.output import check_output_location
from dleverage.scores import LeverageResult, leverage_scores

__all__ = ["add_parser", "run", "summary_lines", "summary_payload"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``score`` subcommand."""
    parser = subparsers.add_parser(
        "score",
        help="compute leverage scores of a Zarr matrix",
        description="Compute exact or ridge leverage scores of every row of a Zarr "
        "array and write them, with the factor, to a new Zarr group.",
    )
    parser.add_argument("input", help="Zarr array path or URL (PATH::NAME in a group)")
    parser.add_argument("--out", required=True, help="Zarr group to create")
    parser.add_argument(
        "--ridge",
        default="0",
        help="lambda: a float, rel:C (C times the mean eigenvalue of X^T X) or "
        "deff:K (target effective dimension); default 0 (exact leverage)",
    )
    parser.add_argument(
        "--method",
        choices=("auto", "tsqr", "gram"),
        default="auto",
        help="pass-1 factorization (default auto)",
    )
    parser.add_argument(
        "--intercept", action="store_true", help="score [1, X] (unpenalized intercept)"
    )
    parser.add_argument(
        "--chunks",
        type=int,
        default=None,
        metavar="ROWS",
        help="rows per block (default: whole storage chunks or shards, ~64 MiB)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT if it is a dleverage store written earlier",
    )
    parser.add_argument(
        "--allow-missing-chunks",
        action="store_true",
        help="read absent input chunks as the fill value instead of failing (only "
        "for arrays written with write_empty_chunks=False)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show progress bars"
    )
    add_cluster_options(parser)
    parser.set_defaults(handler=run)


def summary_payload(result: LeverageResult, seconds: float, out: str) -> dict[str, Any]:
    """Return the run summary as a JSON-serializable dict."""
    factor = result.factor
    return {
        "out": out,
        "n_samples": factor.n_samples,
        "n_features": factor.n_features,
        "intercept": factor.intercept,
        "method": factor.method,
        "method_reason": factor.method_reason,
        "ridge": factor.ridge,
        "ridge_spec": factor.ridge_spec,
        "rank": factor.rank,
        "d_eff": factor.d_eff,
        "seconds": round(seconds, 3),
        "rows_per_second": round(factor.n_samples / seconds) if seconds > 0 else None,
    }


def summary_lines(payload: dict[str, Any]) -> list[str]:
    """Return the human-readable summary of a run."""
    return [
        f"scores written to {payload['out']}",
        f"  rows x columns  {payload['n_samples']} x {payload['n_features']}"
        + (" (+ intercept)" if payload["intercept"] else ""),
        f"  method          {payload['method']} ({payload['method_reason']})",
        f"  lambda          {payload['ridge']:.6g} (given as {payload['ridge_spec']})",
        f"  rank            {payload['rank']}",
        f"  sum of scores   {payload['d_eff']:.6g}",
        f"  time            {payload['seconds']:.2f} s, "
        f"{payload['rows_per_second'] or 0:,} rows/s",
    ]


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage score``."""
    path, component = split_component(args.input)
    progress = show_progress(args)
    check_output_location(args.out, overwrite=args.overwrite)
    missing = "fill" if args.allow_missing_chunks else "raise"
    # The lock is taken before pass 1, so a second run on the same output fails
    # at once instead of after computing its factor.
    with output_lock(args.out), connect(args):
        start = time.perf_counter()
        x = open_matrix(
            path, component=component, chunks=args.chunks, missing_chunks=missing
        )
        result = leverage_scores(
            x,
            ridge=args.ridge,
            method=args.method,
            intercept=args.intercept,
            progress=progress,
        )
        out = result.to_zarr(args.out, overwrite=args.overwrite, progress=progress)
        seconds = time.perf_counter() - start
    payload = summary_payload(result, seconds, out)
    emit(payload, as_json=args.json, lines=summary_lines(payload))
    return 0
