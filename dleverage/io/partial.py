"""Partial score stores: completion records per chunk, so an interrupted write resumes.

While a store is being written it contains ``chunk_records``, a uint64 array with
one entry per scores chunk, and ``attrs["dleverage_partial"]`` with the run
fingerprint: a SHA-256 over the input fingerprint (without the Dask name), the
factor fields and arrays, and the row chunks of the scores. Each write task stores
its scores chunk first and then its record, a 64-bit hash of the run fingerprint
and the chunk index. A run that finds a partial store with the same fingerprint
rewrites only the chunks whose record is missing or different. A partial store with
another fingerprint is discarded. Pass 1 always runs again, because the factor it
yields is part of the fingerprint.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
from typing import Any

import dask.array as da
import numpy as np
import zarr

from dleverage.errors import OutputExistsError
from dleverage.factor.factor import Factor
from dleverage.io.atomic import remove_when_quiet
from dleverage.io.factor_store import FACTOR_ARRAYS, factor_metadata, write_factor
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "chunk_record",
    "create_partial",
    "open_matching_partial",
    "partial_marker",
    "partial_path",
    "remove_partial",
    "run_fingerprint",
    "sum_rows",
    "write_score_chunk",
]

logger = logging.getLogger(__name__)

# Part of every fingerprint, so that a change of this layout invalidates old ones.
_FINGERPRINT_TAG = "dleverage.partial/1"


def partial_path(target: str) -> str:
    """Return the hidden location where the local output ``target`` is written."""
    target = local_path(target)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.partial")


def run_fingerprint(scores: da.Array, factor: Factor, metadata: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest that identifies one write of a score store.

    It covers the input (path, shape, dtype, chunks), the factor (fields and
    arrays, which pass 1 computes deterministically for a fixed chunking) and the
    scores chunks. Two runs with the same fingerprint therefore write the same bytes.
    """
    input_fingerprint = dict(metadata.get("input", {}))
    input_fingerprint.pop("dask_name", None)
    digest = hashlib.sha256()
    header = {
        "format": _FINGERPRINT_TAG,
        "input": input_fingerprint,
        "factor": factor_metadata(factor),
        "row_chunks": [int(c) for c in scores.chunks[0]],
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for name in FACTOR_ARRAYS:
        values = np.ascontiguousarray(getattr(factor, name), dtype=np.float64)
        digest.update(name.encode())
        digest.update(str(values.shape).encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def chunk_record(fingerprint: str, index: int) -> int:
    """Return the nonzero 64-bit completion record of scores chunk ``index``."""
    digest = hashlib.sha256(f"{fingerprint}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") | 1


def write_score_chunk(
    block: np.ndarray,
    scores: zarr.Array,
    records: zarr.Array,
    index: int,
    start: int,
    record: int,
) -> int:
    """Store one scores chunk, then its completion record; return the rows written.

    The record is written only after the chunk, so a record never marks a chunk
    that is not on disk. Writing the same chunk twice stores the same bytes, so a
    task that Dask reruns after losing a worker is harmless.
    """
    scores[start : start + block.shape[0]] = block
    records[index] = record
    return int(block.shape[0])


def sum_rows(counts: list[int]) -> int:
    return int(sum(counts))


def partial_marker(group: zarr.Group) -> dict[str, Any] | None:
    marker = group.attrs.get("dleverage_partial")
    return marker if isinstance(marker, dict) else None


def open_matching_partial(
    location: str, fingerprint: str, shape: tuple[int, int, int], overwrite: bool
) -> zarr.Group | None:
    """Return the partial group at ``location`` if it belongs to this very write.

    ``shape`` is (n_samples, rows per chunk, number of chunks). None means that
    nothing reusable is there and a new group may be created at ``location``.

    Raises
    ------
    OutputExistsError
        If ``location`` contains something that dleverage did not write, or a complete
        store that ``overwrite`` does not allow to replace.
    """
    where = redact_url(location)
    try:
        group = zarr.open_group(location, mode="r+")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        if is_local(location) and os.path.exists(local_path(location)):
            raise OutputExistsError(
                f"{where!r} exists and is not a Zarr group that dleverage wrote, so "
                "it is left alone. Move it away and retry."
            ) from None
        return None
    marker = partial_marker(group)
    if marker is None:
        if "dleverage" in group.attrs and overwrite:
            return None
        raise OutputExistsError(
            f"{where!r} exists and is not a partial score store that dleverage "
            "wrote, so it is left alone. Move it away, or pass overwrite=True "
            "(--overwrite) to replace a complete dleverage store."
        )
    if marker.get("fingerprint") != fingerprint:
        logger.info("discarding partial store %s of another run", where)
        return None
    n_samples, chunk, n_chunks = shape
    try:
        scores = group["scores"]
        records = group["chunk_records"]
    except KeyError:
        return None
    if scores.shape != (n_samples,) or scores.chunks != (chunk,):
        return None
    if records.shape != (max(1, n_chunks),):
        return None
    return group


def create_partial(
    location: str, factor: Factor, fingerprint: str, n_chunks: int, chunk: int
) -> zarr.Group:
    group = zarr.open_group(location, mode="w", zarr_format=3)
    group.attrs["dleverage_partial"] = {
        "fingerprint": fingerprint,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    group.create_array(
        "scores", shape=(factor.n_samples,), chunks=(chunk,), dtype="float64"
    )
    group.create_array(
        "chunk_records",
        shape=(max(1, n_chunks),),
        chunks=(1,),
        dtype="uint64",
        fill_value=0,
    )
    write_factor(group, factor)
    return group


def remove_partial(partial: str) -> None:
    try:
        group = zarr.open_group(partial, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return
    if partial_marker(group) is not None:
        remove_when_quiet(partial)
