"""Connect to a Dask scheduler, or start a local multi-process cluster on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import dask
from distributed import Client, LocalCluster, Security

from dleverage.errors import ClusterConnectionError
from dleverage.io.urls import redact_url

__all__ = ["SCHEDULER_ENV", "cluster_client", "tls_security"]

logger = logging.getLogger(__name__)

#: Environment variable read when no scheduler address is given.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 30


def tls_security(
    ca_file: str | None = None,
    cert: str | None = None,
    key: str | None = None,
) -> Security | None:
    """Build the TLS settings of a client from PEM files, or None if none is given.

    Parameters
    ----------
    ca_file : str, optional
        Certificate authority that signed the scheduler's certificate.
    cert : str, optional
        Client certificate (may also hold the key).
    key : str, optional
        Private key of ``cert`` when it is in a separate file.

    Returns
    -------
    distributed.Security or None
        With ``require_encryption=True``; None when all three are None, so that
        Dask's own configuration (``distributed.comm.tls.*``) applies.

    Raises
    ------
    ClusterConnectionError
        If a file does not exist, or a certificate is given without a CA or the
        other way round.
    """
    if ca_file is None and cert is None and key is None:
        return None
    for option, value in (("--tls-ca-file", ca_file), ("--tls-cert", cert)):
        if value is None:
            raise ClusterConnectionError(
                f"TLS needs both --tls-ca-file and --tls-cert; {option} is missing. "
                "Give the CA that signed the scheduler's certificate and this "
                "client's certificate (with --tls-key if the key is separate)."
            )
    for option, value in (
        ("--tls-ca-file", ca_file),
        ("--tls-cert", cert),
        ("--tls-key", key),
    ):
        if value is not None and not os.path.isfile(value):
            raise ClusterConnectionError(
                f"The {option} file {value!r} does not exist. Check the path."
            )
    return Security(
        tls_ca_file=ca_file,
        tls_client_cert=cert,
        tls_client_key=key,
        require_encryption=True,
    )


def _tls_configured() -> bool:
    return bool(dask.config.get("distributed.comm.tls.ca-file", None))


def _connect(address: str, security: Security | None, timeout: float) -> Client:
    if address.startswith("tls://") and security is None and not _tls_configured():
        raise ClusterConnectionError(
            f"The scheduler address {address!r} uses TLS, but no TLS settings were "
            "given. Pass --tls-ca-file and --tls-cert (and --tls-key), or set "
            "distributed.comm.tls.* in the Dask configuration."
        )
    try:
        return Client(address, security=security, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterConnectionError(
            f"Cannot connect to the Dask scheduler at {redact_url(address)!r}: "
            f"{exc}. Check that the scheduler runs, the address and port, and the "
            "TLS settings."
        ) from exc


@contextlib.contextmanager
def cluster_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_limit: str | int | None = None,
    security: Any = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Iterator[Client]:
    """Yield a ``distributed.Client`` for the duration of a ``with`` block.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786`` or ``tls://...``).
        Falls back to the ``DASK_SCHEDULER_ADDRESS`` environment variable; if
        neither is set, a ``LocalCluster`` of worker processes is started with
        its scheduler and dashboard bound to 127.0.0.1, and closed on exit.
        ``client.cluster`` is that LocalCluster, or None for a remote scheduler.
    n_workers, threads_per_worker, memory_limit
        Size of the local cluster (ignored with a scheduler address).
        ``memory_limit`` is per worker, as Dask parses it (``"2GiB"``).
    security : distributed.Security, optional
        TLS settings for the connection (see :func:`tls_security`).
    connect_timeout : float, default=30
        Seconds to wait for a remote scheduler.

    Raises
    ------
    ClusterConnectionError
        If the scheduler cannot be reached within ``connect_timeout`` seconds, or
        a ``tls://`` address comes without TLS settings.
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        logger.info("connecting to scheduler %s", redact_url(address))
        with _connect(address, security, connect_timeout) as client:
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
