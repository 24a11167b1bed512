"""Open a tall matrix from Zarr, NumPy or Dask as a row-chunked Dask array."""

from __future__ import annotations

import json
import logging
import math
import os
from typing import Any, Literal

import dask.array as da
import numpy as np
import zarr
from dask.base import tokenize

from dleverage._validation import check_dtype, check_matrix_shape
from dleverage.errors import InvalidInputError, UnsupportedDtypeError
from dleverage.io.chunks import check_chunks_present, read_block
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = ["open_matrix", "open_zarr_array", "row_chunk_size", "source_of"]

logger = logging.getLogger(__name__)

# Store location of the arrays open_matrix returned, by Dask name, so that results
# can record where their input came from. Bounded: old entries are dropped first.
_SOURCES: dict[str, str] = {}
_MAX_SOURCES = 1024


def _remember_source(array: da.Array, location: str) -> da.Array:
    _SOURCES[array.name] = location
    while len(_SOURCES) > _MAX_SOURCES:
        _SOURCES.pop(next(iter(_SOURCES)))
    return array


def source_of(array: da.Array) -> str | None:
    """Return the redacted store location that ``array`` was opened from, if known."""
    return _SOURCES.get(array.name)


#: Default bytes of float64 data per task when storage chunks are small.
DEFAULT_BLOCK_BYTES = 64 * 2**20

_CODE_EXECUTING_CODECS = ("pickle",)


def open_zarr_array(
    source: str | os.PathLike[str] | zarr.Array | zarr.Group,
    *,
    component: str | None = None,
    storage_options: dict[str, Any] | None = None,
) -> zarr.Array:
    """Open a Zarr v2 or v3 array read-only, from a path, URL, array or group.

    Parameters
    ----------
    source : str, path-like, zarr.Array or zarr.Group
        A local path or fsspec URL of an array or a group, or an open Zarr object.
    component : str, optional
        Path of the array inside a group. Needed when a group holds several arrays.
    storage_options : dict, optional
        Passed to fsspec for remote URLs.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``source`` or a group does not name a single array.
    UnsupportedDtypeError
        If the array stores objects or uses a pickle codec, which runs code on read.
    """
    if isinstance(source, zarr.Array):
        node: zarr.Array | zarr.Group = source
        where = redact_url(str(source.store_path))
    elif isinstance(source, zarr.Group):
        node = source
        where = redact_url(str(source.store_path))
    else:
        where = redact_url(source)
        _reject_unsafe_v2_metadata(source, component, where)
        try:
            node = zarr.open(
                store=os.fspath(source), mode="r", storage_options=storage_options
            )
        except FileNotFoundError as exc:
            raise InvalidInputError(
                f"No Zarr array or group found at {where!r}. Check the path."
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(
                f"Cannot open {where!r} as a Zarr store: {exc}"
            ) from exc
    if isinstance(node, zarr.Group):
        node = _select_array(node, component, where)
    elif component is not None:
        raise InvalidInputError(
            f"{where!r} is an array, but component={component!r} was given. "
            "Drop the component, or point at the group that holds the array."
        )
    _reject_unsafe_codecs(node, where)
    return node


def _select_array(group: zarr.Group, component: str | None, where: str) -> zarr.Array:
    if component is None:
        names = sorted(group.array_keys())
        if len(names) != 1:
            raise InvalidInputError(
                f"{where!r} is a Zarr group with arrays {names}; pass component=NAME "
                "(on the command line INPUT::NAME) to choose one."
            )
        component = names[0]
    try:
        node = group[component]
    except KeyError as exc:
        raise InvalidInputError(
            f"No array {component!r} in the Zarr group {where!r}, which contains "
            f"{sorted(group.array_keys())}."
        ) from exc
    if not isinstance(node, zarr.Array):
        raise InvalidInputError(f"{component!r} in {where!r} is a group, not an array.")
    return node


def _reject_unsafe_v2_metadata(
    source: str | os.PathLike[str], component: str | None, where: str
) -> None:
    """Reject a local Zarr v2 array whose metadata names object dtype or pickle.

    Zarr 3 itself rejects such arrays, with a message about data types. This
    check reads the ``.zarray`` JSON first, so the message names the unsafe part.
    """
    if not is_local(source):
        return
    path = os.path.join(local_path(source), component or "", ".zarray")
    try:
        with open(path, encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (OSError, ValueError):
        return
    if not isinstance(metadata, dict):
        return
    codecs = [metadata.get("compressor"), *(metadata.get("filters") or ())]
    names = [c.get("id") for c in codecs if isinstance(c, dict)]
    if "pickle" in names:
        raise UnsupportedDtypeError(
            f"The Zarr v2 array {where!r} uses the pickle codec, which unpickles "
            "data and can run arbitrary code on read, so it is not opened. Rewrite "
            "it with a numeric dtype and a compressor such as Zstd or Blosc."
        )
    if str(metadata.get("dtype", "")).endswith("O"):
        raise UnsupportedDtypeError(
            f"The Zarr v2 array {where!r} has object dtype, which cannot be scored "
            "and may run code on read, so it is not opened. Store the data as "
            "float32 or float64."
        )


def _reject_unsafe_codecs(array: zarr.Array, where: str) -> None:
    if array.dtype == object:
        raise UnsupportedDtypeError(
            f"The Zarr array {where!r} has object dtype, which cannot be scored and "
            "may run code on read. Store the data as float32 or float64."
        )
    metadata = array.metadata
    configs: list[object] = []
    if metadata.zarr_format == 2:
        configs = [metadata.compressor, *(metadata.filters or ())]
    else:
        configs = list(metadata.codecs)
    for codec in configs:
        text = repr(codec).lower()
        if any(name in text for name in _CODE_EXECUTING_CODECS):
            raise UnsupportedDtypeError(
                f"The Zarr array {where!r} uses codec {codec!r}, which unpickles data "
                "and can run arbitrary code on read. Rewrite it with a numeric dtype "
                "and a compressor such as Zstd or Blosc."
            )


def row_chunk_size(
    storage_rows: int, n_features: int, *, block_bytes: int = DEFAULT_BLOCK_BYTES
) -> int:
    """Return the rows per task: a whole multiple of ``storage_rows``.

    Tasks read whole storage chunks (or shards), and small chunks are grouped so
    that each task holds about ``block_bytes`` of float64 data.
    """
    per_chunk = max(1, storage_rows * n_features * 8)
    return storage_rows * max(1, block_bytes // per_chunk)


def _rows_argument(chunks: int | None, storage_rows: int, n_features: int) -> int:
    if chunks is None:
        return row_chunk_size(storage_rows, n_features)
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise InvalidInputError(
            f"Invalid chunks={chunks!r}. Expected the number of rows per block as an "
            "integer >= 1, or None to follow the storage chunks."
        )
    return chunks


def open_matrix(
    source: object,
    *,
    component: str | None = None,
    chunks: int | None = None,
    storage_options: dict[str, Any] | None = None,
    missing_chunks: Literal["raise", "fill"] = "raise",
) -> da.Array:
    """Open a tall matrix as a Dask array chunked by rows only.

    Parameters
    ----------
    source : str, path-like, zarr.Array, zarr.Group, numpy.ndarray or dask.array.Array
        A Zarr v2 or v3 array or group (path, fsspec URL or open object), a NumPy
        array or a Dask array, of shape (n_samples, n_features).
    component : str, optional
        Array path inside a Zarr group.
    chunks : int, optional
        Rows per block. By default a Zarr array is read in whole shards (sharded v3
        arrays) or whole storage chunks, grouped to about 64 MiB of float64 per
        block; a NumPy array is split into about 64 MiB blocks; a Dask array keeps
        its row chunks.
    storage_options : dict, optional
        Passed to fsspec for remote URLs.
    missing_chunks : {"raise", "fill"}, default="raise"
        What to do when a storage chunk of a Zarr array is absent: raise, or read
        it as the fill value (Zarr's own behaviour, right only for arrays written
        with ``write_empty_chunks=False``).

    Returns
    -------
    dask.array.Array of shape (n_samples, n_features)
        One chunk across all columns; row chunks may have unknown (NaN) sizes when
        the input Dask array has them.

    Raises
    ------
    InvalidInputError
        If the input is not 2-D, has no columns, or cannot be opened.
    UnsupportedDtypeError
        If the dtype is not boolean, integer or real floating point.
    CorruptChunkError
        If a storage chunk is absent (with ``missing_chunks="raise"``); reading a
        chunk that cannot be decoded raises it later, when the blocks compute.
    """
    if missing_chunks not in ("raise", "fill"):
        raise InvalidInputError(
            f"Invalid missing_chunks={missing_chunks!r}. Expected 'raise' or 'fill'."
        )
    if isinstance(source, da.Array):
        return _from_dask(source, chunks)
    if isinstance(source, np.ndarray) or (
        hasattr(source, "__array__")
        and not isinstance(source, (str, os.PathLike))
        and not isinstance(source, (zarr.Array, zarr.Group))
    ):
        return _from_numpy(np.asarray(source), chunks)
    if isinstance(source, (str, os.PathLike, zarr.Array, zarr.Group)):
        array = open_zarr_array(
            source, component=component, storage_options=storage_options
        )
        if isinstance(source, (str, os.PathLike)):
            location = redact_url(source)
        else:
            location = redact_url(str(array.store_path))
        if component is not None:
            location = f"{location}::{component}"
        matrix = _from_zarr(array, chunks)  # checks shape and dtype first
        if missing_chunks == "raise":
            check_chunks_present(array)
        return _remember_source(matrix, location)
    raise InvalidInputError(
        f"Cannot open an input of type {type(source).__name__}. Expected a Zarr path "
        "or URL, a zarr.Array, a NumPy array or a Dask array."
    )


def _from_numpy(array: np.ndarray, chunks: int | None) -> da.Array:
    check_matrix_shape(array.shape)
    check_dtype(array.dtype)
    rows = _rows_argument(chunks, 1, array.shape[1])
    rows = min(rows, max(1, array.shape[0]))
    return da.from_array(array, chunks=(rows, array.shape[1]))


def _from_dask(array: da.Array, chunks: int | None) -> da.Array:
    check_matrix_shape(array.shape)
    check_dtype(array.dtype)
    if chunks is not None:
        rows = _rows_argument(chunks, 1, array.shape[1])
        array = array.rechunk({0: rows})
    if math.isnan(array.shape[1]):
        raise InvalidInputError(
            "The number of columns of the Dask array is unknown (NaN). Call "
            "x.compute_chunk_sizes() or build it with known column chunks."
        )
    if len(array.chunks[1]) > 1:
        logger.debug("rechunking %d column chunks into one", len(array.chunks[1]))
        array = array.rechunk({1: -1})
    return array


def _from_zarr(array: zarr.Array, chunks: int | None) -> da.Array:
    check_matrix_shape(array.shape)
    check_dtype(array.dtype)
    storage = array.shards or array.chunks
    rows = _rows_argument(chunks, storage[0], array.shape[1])
    rows = min(rows, max(1, array.shape[0]))
    logger.debug(
        "opening %s with %d rows per block (storage %s)",
        redact_url(str(array.store_path)),
        rows,
        storage,
    )
    block_chunks = (rows, array.shape[1])
    name = "from-zarr-" + tokenize(array, block_chunks)
    return da.from_array(array, chunks=block_chunks, name=name, getitem=read_block)
