"""``dleverage info``: shape, dtype, chunks, shards, codecs and size of an array."""

from __future__ import annotations

import argparse

from dleverage.cli._common import emit, split_component
from dleverage.io.info import describe_array

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``info`` subcommand."""
    parser = subparsers.add_parser(
        "info", help="describe a Zarr array", description="Describe a Zarr array."
    )
    parser.add_argument("input", help="Zarr array path or URL (PATH::NAME in a group)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage info``."""
    path, component = split_component(args.input)
    info = describe_array(path, component=component)
    lines = [f"{key:<15} {value}" for key, value in info.items()]
    emit(info, as_json=args.json, lines=lines)
    return 0
