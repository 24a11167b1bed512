"""Gather the selected rows of a matrix (and their labels) into a sample group.

The input is opened lazily as a Dask array with one block per storage chunk (or
shard) of rows. Selecting sorted indices makes one task per block that holds a
selected row, and each task reads only its block, so peak memory is a few storage
chunks whatever the size of the matrix. Chunks without a selected row are not
read.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage.errors import InvalidInputError
from dleverage.io.matrix import open_matrix, open_zarr_array, source_of
from dleverage.io.urls import redact_url
from dleverage.sampling._input import as_labels

if TYPE_CHECKING:
    from dleverage.sampling.result import SampleResult

__all__ = ["gather", "write_labels", "write_rows"]

logger = logging.getLogger(__name__)


def _open_rows(source: object) -> da.Array:
    # Blocks of one storage chunk (or shard), so that no unselected chunk is read.
    if isinstance(source, (str, os.PathLike)):
        path, sep, component = os.fspath(source).partition("::")
        array = open_zarr_array(path, component=component if sep else None)
        storage = array.shards or array.chunks
        return open_matrix(path, component=component or None, chunks=storage[0])
    if isinstance(source, zarr.Array):
        return open_matrix(source, chunks=(source.shards or source.chunks)[0])
    return open_matrix(source)


def _location(source: object, array: da.Array) -> str | None:
    if isinstance(source, (str, os.PathLike)):
        return redact_url(source)
    return source_of(array)


def gather(array: da.Array, indices: np.ndarray) -> da.Array:
    """Return the lazy rows ``array[indices]`` for sorted ``indices``."""
    return array[indices]


def _store(
    group: zarr.Group, name: str, rows: da.Array, chunk_rows: int | None, like: da.Array
) -> None:
    chunk = chunk_rows or max(1, int(max(like.chunks[0])))
    chunk = max(1, min(chunk, max(1, rows.shape[0])))
    rows = rows.rechunk({0: chunk})
    target = group.create_array(
        name,
        shape=rows.shape,
        dtype=rows.dtype,
        chunks=(chunk, *rows.shape[1:]),
    )
    if rows.shape[0]:
        compute(da.store(rows, target, lock=False, compute=False))


def write_rows(
    group: zarr.Group,
    sample: SampleResult,
    source: object,
    chunk_rows: int | None = None,
) -> dict[str, Any]:
    """Write ``source[sample.indices]`` to ``group["X"]`` and return its description.

    Raises
    ------
    InvalidInputError
        If ``source`` does not have one row per score.
    """
    array = _open_rows(source)
    n = sample.source.get("n_samples")
    if n is not None and array.shape[0] != n:
        raise InvalidInputError(
            f"The matrix to materialize has {array.shape[0]} rows but the scores "
            f"have {n}. Pass the matrix that was scored."
        )
    _store(group, "X", gather(array, sample.indices), chunk_rows, array)
    logger.info("materialized %d rows of shape %s", sample.n_selected, array.shape)
    return {
        "input": _location(source, array),
        "shape": [sample.n_selected, int(array.shape[1])],
        "dtype": str(array.dtype),
    }


def write_labels(
    group: zarr.Group,
    sample: SampleResult,
    labels: object,
    chunk_rows: int | None = None,
) -> dict[str, Any]:
    """Write the labels of the selected rows to ``group["y"]``.

    Raises
    ------
    InvalidLabelsError
        If the labels do not have one entry per score.
    """
    n = int(sample.source["n_samples"])
    reference = da.zeros(n, chunks=min(n, 1 << 20))
    array = as_labels(labels, reference, classes=False)
    _store(group, "y", gather(array, sample.indices), chunk_rows, array)
    location = redact_url(labels) if isinstance(labels, (str, os.PathLike)) else None
    return {"input": location, "dtype": str(array.dtype)}
