"""Describe a stored matrix: shape, dtype, chunks, shards, codecs and sizes."""

from __future__ import annotations

import os
from typing import Any

import zarr

from dleverage.io.matrix import open_zarr_array, row_chunk_size
from dleverage.io.urls import redact_url

__all__ = ["describe_array"]


def describe_array(
    source: str | os.PathLike[str] | zarr.Array,
    *,
    component: str | None = None,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the layout of a Zarr array as a JSON-serializable dict.

    Keys: ``path``, ``zarr_format``, ``shape``, ``dtype``, ``chunks`` (storage chunk
    shape), ``shards`` (shard shape or None), ``compressors``, ``filters``,
    ``nbytes`` (uncompressed bytes), ``nbytes_stored`` (bytes on disk) and
    ``rows_per_block`` (rows per task that :func:`~dleverage.open_matrix` uses).
    """
    array = open_zarr_array(
        source, component=component, storage_options=storage_options
    )
    location = source if not isinstance(source, zarr.Array) else array.store_path
    storage = array.shards or array.chunks
    return {
        "path": redact_url(str(location)),
        "zarr_format": array.metadata.zarr_format,
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "chunks": list(array.chunks),
        "shards": list(array.shards) if array.shards else None,
        "compressors": [repr(c) for c in array.compressors],
        "filters": [repr(f) for f in array.filters],
        "nbytes": int(array.nbytes),
        "nbytes_stored": int(array.nbytes_stored()),
        "rows_per_block": (
            min(row_chunk_size(storage[0], array.shape[1]), max(1, array.shape[0]))
            if array.ndim == 2
            else None
        ),
    }
