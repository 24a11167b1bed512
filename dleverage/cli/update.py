"""``dleverage update``: append rows to a dataset store, update its factor, rescore."""

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
from dleverage.errors import DatasetStoreError
from dleverage.update import UpdateResult, update_dataset

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``update`` subcommand."""
    parser = subparsers.add_parser(
        "update",
        help="append rows to a dataset store and rescore",
        description="Append the rows of NEW to the dataset store STORE (created on "
        "first use), update the stored factor by reading only the new rows, and "
        "rescore. Every score changes when rows are added, so all rows are "
        "rescored unless --only-new is given. A batch whose id is already in the "
        "store changes nothing. The store moves from the old state to the new one "
        "in one atomic step, so a failed or killed run leaves the old state. "
        "Exit code 0 on success or an already applied batch, 2 on any error.",
    )
    parser.add_argument("store", help="dataset store (a local folder)")
    parser.add_argument(
        "--append",
        required=True,
        metavar="NEW",
        help="Zarr array of the new rows (PATH::NAME in a group)",
    )
    parser.add_argument(
        "--batch-id",
        default=None,
        help="id of the batch (default: SHA-256 of its dtype, shape and bytes)",
    )
    parser.add_argument(
        "--only-new",
        action="store_true",
        help="score only the new rows; old rows keep their stored scores",
    )
    parser.add_argument(
        "--ridge",
        default=None,
        help="lambda of a new store: float, rel:C or deff:K (default 0); an existing "
        "store keeps its own",
    )
    parser.add_argument(
        "--intercept",
        action="store_true",
        default=None,
        help="score [1, X] in a new store",
    )
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        metavar="ROWS",
        help="rows per chunk of a new store (default 65536)",
    )
    parser.add_argument(
        "--allow-missing-chunks",
        action="store_true",
        help="read absent chunks of NEW as the fill value instead of failing",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show progress bars"
    )
    add_cluster_options(parser)
    parser.set_defaults(handler=run)


def _payload(result: UpdateResult, seconds: float) -> dict[str, Any]:
    factor = result.factor
    return {
        "store": result.store,
        "batch_id": result.batch_id,
        "applied": result.applied,
        "rows_added": result.rows_added if result.applied else 0,
        "n_samples": result.n_samples,
        "n_features": factor.n_features,
        "generation": result.generation,
        "rescored_rows": result.rescored_rows,
        "ridge": factor.ridge,
        "ridge_spec": factor.ridge_spec,
        "rank": factor.rank,
        "d_eff": factor.d_eff,
        "seconds": round(seconds, 3),
    }


def _lines(payload: dict[str, Any]) -> list[str]:
    if not payload["applied"]:
        return [
            f"batch {payload['batch_id']} is already in {payload['store']} "
            f"(generation {payload['generation']}); nothing changed"
        ]
    return [
        f"batch {payload['batch_id']} appended to {payload['store']}",
        f"  rows added      {payload['rows_added']}",
        f"  rows in store   {payload['n_samples']} x {payload['n_features']}",
        f"  generation      {payload['generation']}",
        f"  rows rescored   {payload['rescored_rows']}",
        f"  lambda          {payload['ridge']:.6g} (given as {payload['ridge_spec']})",
        f"  sum of scores   {payload['d_eff']:.6g}",
        f"  time            {payload['seconds']:.2f} s",
    ]


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage update``."""
    path, component = split_component(args.append)
    progress = show_progress(args)
    start = time.perf_counter()
    with connect(args):
        try:
            result = update_dataset(
                args.store,
                path,
                component=component,
                batch_id=args.batch_id,
                only_new=args.only_new,
                ridge=args.ridge,
                intercept=args.intercept,
                chunk_rows=args.chunk_rows,
                missing_chunks="fill" if args.allow_missing_chunks else "raise",
                progress=progress,
            )
        except OSError as exc:
            # Scheduled runs need a one-line reason and a nonzero exit for any
            # file system failure, not only for invalid input.
            raise DatasetStoreError(
                f"Updating {args.store!r} failed: {exc}. The store keeps its "
                "previous state; fix the cause and run the same command again."
            ) from exc
    payload = _payload(result, time.perf_counter() - start)
    emit(payload, as_json=args.json, lines=_lines(payload))
    return 0
