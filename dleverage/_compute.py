"""Run a Dask computation on the active scheduler, with an optional progress bar."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import dask

__all__ = ["active_client", "compute"]


def active_client() -> Any | None:
    """Return the current ``distributed.Client``, or None when there is none."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return None
    try:
        return default_client()
    except ValueError:
        return None


def compute(collection: Any, *, progress: bool = False) -> Any:
    """Compute one Dask collection or Delayed and return its result.

    With ``progress=True`` a text progress bar goes to standard error: the
    ``distributed`` one when a client is active, else Dask's local one.
    """
    if not progress:
        return dask.compute(collection)[0]
    client = active_client()
    if client is not None:
        from distributed import progress as distributed_progress

        future = client.compute(collection)
        with contextlib.redirect_stdout(sys.stderr):
            distributed_progress(future)
        return future.result()
    from dask.diagnostics import ProgressBar

    with ProgressBar(out=sys.stderr):
        return dask.compute(collection)[0]
