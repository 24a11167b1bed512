"""``dleverage sample``: draw a training subset from a score store."""

from __future__ import annotations

import argparse
import time
from typing import Any

from dleverage.cli._common import add_cluster_options, connect, emit
from dleverage.sampling.api import BASE_SCHEMES, SCHEMES, sample
from dleverage.sampling.result import SampleResult

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``sample`` subcommand."""
    parser = subparsers.add_parser(
        "sample",
        help="draw a subset of rows from leverage scores",
        description="Draw a subset of rows with probabilities given by the scores "
        "of a score store, and write indices, counts, weights and probabilities "
        "to a new Zarr group. With --materialize the selected rows (and labels) "
        "are copied into the group as X (and y), block by block.",
    )
    parser.add_argument("scores", help="score store written by 'dleverage score'")
    parser.add_argument(
        "--size", required=True, type=int, metavar="M", help="sample size m >= 1"
    )
    parser.add_argument(
        "--scheme", default="iid", help=f"one of {', '.join(SCHEMES)} (default iid)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="non-negative integer seed (default: drawn and stored in the output)",
    )
    parser.add_argument("--out", required=True, help="Zarr group to create")
    parser.add_argument(
        "--materialize",
        metavar="INPUT",
        help="the scored matrix (PATH or PATH::NAME); copy the selected rows to X",
    )
    parser.add_argument(
        "--labels",
        metavar="LABELS",
        help="Zarr array of labels (PATH or PATH::NAME): the classes of "
        "--scheme stratified, and copied to y with --materialize",
    )
    parser.add_argument(
        "--base",
        default="iid",
        help=f"base scheme of stratified: {', '.join(BASE_SCHEMES)} (default iid)",
    )
    parser.add_argument(
        "--budget",
        default="proportional",
        help="class budgets of stratified: proportional or equal (default "
        "proportional)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="draw the uniform scheme with replacement",
    )
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        metavar="ROWS",
        help="row chunk of the materialized X and y (default: as the input)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace OUT if it is a sample group"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_cluster_options(parser)
    parser.set_defaults(handler=run)


def _payload(result: SampleResult, out: str, seconds: float) -> dict[str, Any]:
    return {
        "out": out,
        "scheme": result.scheme,
        "m": result.size,
        "seed": result.seed,
        "n_selected": result.n_selected,
        "n_draws": result.n_draws,
        "n_samples": result.source.get("n_samples"),
        "options": result.options,
        "seconds": round(seconds, 3),
    }


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage sample``."""
    with connect(args):
        start = time.perf_counter()
        result = sample(
            args.scores,
            size=args.size,
            scheme=args.scheme,
            seed=args.seed,
            labels=args.labels if args.scheme == "stratified" else None,
            base=args.base,
            budget=args.budget,
            replace=args.replace,
        )
        out = result.to_zarr(
            args.out,
            overwrite=args.overwrite,
            materialize=args.materialize,
            labels=args.labels if args.materialize else None,
            chunk_rows=args.chunk_rows,
        )
        seconds = time.perf_counter() - start
    payload = _payload(result, out, seconds)
    lines = [
        f"sample written to {out}",
        f"  scheme      {result.scheme} {result.options or ''}".rstrip(),
        f"  m           {result.size} (seed {result.seed})",
        f"  selected    {result.n_selected} rows, {result.n_draws} draws "
        f"of {payload['n_samples']} rows",
        f"  time        {seconds:.2f} s",
    ]
    if args.materialize:
        lines.append(f"  rows        copied from {args.materialize} to X")
    emit(payload, as_json=args.json, lines=lines)
    return 0
