"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from distributed import Client

from dleverage.client import cluster_client, tls_security

__all__ = ["add_cluster_options", "connect", "emit", "split_component"]


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
        "--connect-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="seconds to wait for the scheduler before failing (default 30)",
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
    tls = parser.add_argument_group(
        "TLS", "PEM files for a tls:// scheduler; default: Dask's distributed.comm.tls"
    )
    tls.add_argument(
        "--tls-ca-file",
        metavar="PEM",
        help="certificate authority that signed the scheduler's certificate",
    )
    tls.add_argument("--tls-cert", metavar="PEM", help="this client's certificate")
    tls.add_argument(
        "--tls-key", metavar="PEM", help="private key, if not inside --tls-cert"
    )


@contextlib.contextmanager
def connect(args: argparse.Namespace) -> Iterator[Client]:
    """Open the cluster that the options of ``args`` select, for a ``with`` block.

    An embedded LocalCluster prints its dashboard link to standard error.
    """
    security = tls_security(args.tls_ca_file, args.tls_cert, args.tls_key)
    with cluster_client(
        args.scheduler,
        n_workers=args.workers,
        threads_per_worker=args.threads_per_worker,
        memory_limit=args.memory_limit,
        security=security,
        connect_timeout=args.connect_timeout,
    ) as client:
        if client.cluster is not None:
            sys.stderr.write(f"Dask dashboard: {client.dashboard_link}\n")
        yield client


def show_progress(args: argparse.Namespace) -> bool:
    """Return True when progress bars should go to standard error.

    They are shown on a terminal only, and never with ``--json`` or
    ``--no-progress``, so that logs and captured output hold no control codes.
    """
    quiet = getattr(args, "no_progress", False) or getattr(args, "json", False)
    return not quiet and sys.stderr.isatty()


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
