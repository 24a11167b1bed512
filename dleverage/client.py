"""Connect to a Dask scheduler, or start a local multi-process cluster on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from distributed import Client, LocalCluster

__all__ = ["SCHEDULER_ENV", "cluster_client"]

logger = logging.getLogger(__name__)

#: Environment variable read when no scheduler address is given.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@contextlib.contextmanager
def cluster_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_limit: str | int | None = None,
    security: Any = None,
) -> Iterator[Client]:
    """Yield a ``distributed.Client`` for the duration of a ``with`` block.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786`` or ``tls://...``).
        Falls back to the ``DASK_SCHEDULER_ADDRESS`` environment variable; if
        neither is set, a ``LocalCluster`` of worker processes is started with
        its scheduler and dashboard bound to 127.0.0.1, and closed on exit.
    n_workers, threads_per_worker, memory_limit
        Size of the local cluster (ignored with a scheduler address).
        ``memory_limit`` is per worker, as Dask parses it (``"2GiB"``).
    security : distributed.Security, optional
        TLS settings for the connection.
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        logger.info("connecting to scheduler %s", address)
        with Client(address, security=security) as client:
            yield client
        return
    cluster_kwargs: dict[str, Any] = {
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:0",
        "processes": True,
    }
    if n_workers is not None:
        cluster_kwargs["n_workers"] = n_workers
    if threads_per_worker is not None:
        cluster_kwargs["threads_per_worker"] = threads_per_worker
    if memory_limit is not None:
        cluster_kwargs["memory_limit"] = memory_limit
    if security is not None:
        cluster_kwargs["security"] = security
    with LocalCluster(**cluster_kwargs) as cluster, Client(cluster) as client:
        logger.info(
            "started LocalCluster with %d workers, dashboard %s",
            len(cluster.workers),
            client.dashboard_link,
        )
        yield client
