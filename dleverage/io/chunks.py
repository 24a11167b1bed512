"""Integrity checks on the storage chunks of a Zarr input array.

Zarr returns the fill value for a chunk that is absent from the store, so a lost
chunk file would silently score as rows of zeros. :func:`check_chunks_present` lists
the store once before any computation and names the first absent chunk.
:func:`read_block` is the Dask getter for input blocks: it turns a decoding failure
(a truncated or overwritten chunk) into :class:`~dleverage.errors.CorruptChunkError`
naming the chunk key.

Zarr v3 skips writing chunks that equal the fill value unless the array was written
with ``write_empty_chunks=True``, so an absent chunk may also be a legitimate block
of fill values; ``missing_chunks="fill"`` accepts that.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator

import numpy as np
import zarr
from dask.array.core import getter
from zarr.core.sync import sync

from dleverage.errors import CorruptChunkError
from dleverage.io.urls import redact_url

__all__ = ["check_chunks_present", "chunk_keys", "read_block"]

logger = logging.getLogger(__name__)


def _grid(array: zarr.Array) -> tuple[int, ...]:
    storage = array.shards or array.chunks
    return tuple(math.ceil(n / c) for n, c in zip(array.shape, storage, strict=True))


def chunk_keys(array: zarr.Array) -> Iterator[tuple[tuple[int, ...], str]]:
    """Yield (grid index, store key) of every storage chunk or shard, in C order."""
    prefix = array.store_path.path
    for index in itertools.product(*(range(n) for n in _grid(array))):
        key = array.metadata.encode_chunk_key(index)
        yield index, f"{prefix}/{key}" if prefix else key


async def _list_keys(array: zarr.Array) -> set[str]:
    prefix = array.store_path.path
    return {key async for key in array.store.list_prefix(prefix)}


def _where(array: zarr.Array) -> str:
    return redact_url(str(array.store_path))


def check_chunks_present(array: zarr.Array) -> None:
    """Raise if a storage chunk (or shard) of ``array`` is absent from its store.

    Raises
    ------
    CorruptChunkError
        Naming the first absent chunk key and the number absent.
    """
    if array.size == 0:
        return
    present = sync(_list_keys(array))
    missing = [key for _, key in chunk_keys(array) if key not in present]
    if not missing:
        return
    raise CorruptChunkError(
        f"Chunk {missing[0]!r} of the Zarr array {_where(array)!r} is missing "
        f"({len(missing)} of {math.prod(_grid(array))} chunks missing), so those rows "
        "would read as fill values. Restore the chunk files, or, if the array was "
        "written with write_empty_chunks=False and the chunks hold only fill values, "
        'pass missing_chunks="fill" (--allow-missing-chunks).'
    )


def _bad_chunk(array: zarr.Array, selection: tuple[slice, ...]) -> str | None:
    storage = array.shards or array.chunks
    ranges = [
        range(s.start // c, max(s.start, s.stop - 1) // c + 1)
        for s, c in zip(selection, storage, strict=True)
    ]
    for index in itertools.product(*ranges):
        region = tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(index, storage, array.shape, strict=True)
        )
        try:
            array[region]
        except Exception:  # any decoding failure marks the chunk
            key = array.metadata.encode_chunk_key(index)
            prefix = array.store_path.path
            return f"{prefix}/{key}" if prefix else key
    return None


def read_block(
    array: zarr.Array,
    selection: tuple[slice, ...],
    asarray: bool = True,
    lock: object = None,
) -> np.ndarray:
    """Read one block of ``array``, naming the chunk if decoding fails.

    Same signature as Dask's default getter, for ``dask.array.from_array``.

    Raises
    ------
    CorruptChunkError
        If a chunk in the block cannot be read or decoded.
    """
    try:
        return getter(array, selection, asarray=asarray, lock=lock)
    except Exception as exc:
        if not isinstance(array, zarr.Array):
            raise
        key = _bad_chunk(array, selection) or "in rows " + str(selection[0])
        raise CorruptChunkError(
            f"Chunk {key!r} of the Zarr array {_where(array)!r} cannot be read: "
            f"{type(exc).__name__}: {exc}. The chunk is corrupt or truncated; "
            "restore it from a copy or rewrite the array."
        ) from exc
