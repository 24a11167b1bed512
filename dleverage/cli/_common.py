"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_cluster_options", "emit", "split_component"]


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--scheduler`` and the local-cluster sizing options to ``parser``."""
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler; default $DASK_SCHEDULER_ADDRESS, "
        "else an embedded LocalCluster on 127.0.0.1",
    )
    group.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the embedded LocalCluster",
    )
    group.add_argument(
        "--threads-per-worker",
        type=int,
        default=None,
        metavar="N",
        help="threads per worker of the embedded LocalCluster",
    )
    group.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="memory limit per worker of the embedded LocalCluster, e.g. 2GiB",
    )


def split_component(location: str) -> tuple[str, str | None]:
    """Split ``PATH::NAME`` into the store path and the array inside a group."""
    path, sep, component = location.partition("::")
    return path, (component or None) if sep else None


def emit(payload: dict[str, Any], *, as_json: bool, lines: list[str]) -> None:
    """Print ``payload`` as JSON, or the human-readable ``lines``."""
    if as_json:
        json.dump(payload, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(lines) + "\n")
