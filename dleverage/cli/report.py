"""``dleverage report``: plot the spread of the scores of a score store."""

from __future__ import annotations

import argparse

from dleverage.cli._common import add_cluster_options, connect, emit
from dleverage.report import DEFAULT_BINS, render_report

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="plot the distribution of the scores",
        description="Plot a histogram of the scores on a log scale, the cumulative "
        "share of total leverage against the fraction of rows, and the effective "
        "dimension of ridge scores, to a PNG, SVG, PDF or HTML file.",
    )
    parser.add_argument("scores", help="score store written by 'dleverage score'")
    parser.add_argument(
        "--out", required=True, help="file to write: .png, .svg, .pdf or .html"
    )
    parser.add_argument(
        "--bins",
        type=int,
        default=DEFAULT_BINS,
        help=f"log-spaced histogram bins (default {DEFAULT_BINS})",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace OUT if it is an existing file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the statistics as JSON"
    )
    add_cluster_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage report``."""
    with connect(args):
        stats = render_report(
            args.scores, args.out, bins=args.bins, overwrite=args.overwrite
        )
    lines = [f"report written to {stats['out']}"]
    lines += [f"  {key:<15} {value}" for key, value in stats.items() if key != "out"]
    emit(stats, as_json=args.json, lines=lines)
    return 0
