"""Write and read score stores: a Zarr v3 group written atomically.

Layout of a store::

    OUT/                        Zarr v3 group, attrs["dleverage"] = metadata below
      scores                    float64 (n_samples,), row-chunked like the input
      factor/r_data             float64 (p, p), upper triangular, R^T R = Z^T Z
      factor/solver             float64 (p, p) or (p, rank)
      factor/singular_values    float64 (n_features,)

A local store is written under the hidden partial name ``.OUT.partial`` beside
``OUT`` and renamed into place when complete, so a failed run leaves no group at
``OUT``. Every store also carries ``attrs["dleverage"]["complete"] = True``, written
last, and readers reject stores without it (this is the only guard on stores that
are not local).

Resuming. While a store is being written it also contains ``chunk_records``, a uint64
array with one entry per scores chunk, and ``attrs["dleverage_partial"]`` with the
run fingerprint: a SHA-256 over the format, the input fingerprint (without the Dask
name), the factor fields and arrays, and the row chunks of the scores. Each write
task stores its scores chunk first and then its record, a 64-bit hash of the run
fingerprint and the chunk index. A run that finds a partial store with the same
fingerprint rewrites only the chunks whose record is missing or different; a partial
store with another fingerprint is discarded. Pass 1 always runs again, because the
factor it yields is part of the fingerprint. ``chunk_records`` and the partial attrs
are deleted before the store is marked complete.

Locking. A local output is written under :func:`~dleverage.io.lock.output_lock`, so a
second run on the same output raises :class:`~dleverage.errors.OutputLockedError`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import os
import shutil
import uuid
from typing import Any

import dask
import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage._version import __version__
from dleverage.errors import (
    DleverageError,
    IncompleteOutputError,
    InvalidInputError,
    OutputExistsError,
)
from dleverage.factor.factor import Factor
from dleverage.io.lock import output_lock
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "FORMAT",
    "factor_from_group",
    "factor_metadata",
    "open_store",
    "partial_path",
    "run_fingerprint",
    "write_factor",
    "write_score_chunk",
    "write_scores_store",
]

logger = logging.getLogger(__name__)

#: Format tag of score stores; readers check it.
FORMAT = "dleverage.scores/1"

_FACTOR_ARRAYS = ("r_data", "solver", "singular_values")


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def factor_metadata(factor: Factor) -> dict[str, Any]:
    """Return the JSON-serializable scalar fields of ``factor``."""
    return {
        "method": factor.method,
        "method_reason": factor.method_reason,
        "n_samples": factor.n_samples,
        "n_features": factor.n_features,
        "intercept": factor.intercept,
        "ridge": factor.ridge,
        "ridge_spec": factor.ridge_spec,
        "rcond": factor.rcond,
        "rank": factor.rank,
        "d_eff": factor.d_eff,
        "solver_kind": factor.solver_kind,
        "condition_number": _json_float(factor.condition_number),
    }


def write_factor(group: zarr.Group, factor: Factor) -> None:
    """Write the arrays of ``factor`` into ``group/factor``."""
    sub = group.require_group("factor")
    for name in _FACTOR_ARRAYS:
        values = np.asarray(getattr(factor, name), dtype=np.float64)
        array = sub.create_array(
            name,
            shape=values.shape,
            dtype="float64",
            chunks=values.shape or (1,),
            overwrite=True,
        )
        array[...] = values
    sub.attrs.update(factor_metadata(factor))


def factor_from_group(group: zarr.Group) -> Factor:
    """Read a :class:`Factor` written by :func:`write_factor`."""
    try:
        sub = group["factor"]
        meta = dict(sub.attrs)
        arrays = {name: np.asarray(sub[name][...]) for name in _FACTOR_ARRAYS}
    except KeyError as exc:
        raise IncompleteOutputError(
            f"The store {redact_url(str(group.store_path))} has no complete factor "
            f"group: {exc}."
        ) from exc
    condition = meta.get("condition_number")
    return Factor(
        method=meta["method"],
        method_reason=meta["method_reason"],
        n_samples=int(meta["n_samples"]),
        n_features=int(meta["n_features"]),
        intercept=bool(meta["intercept"]),
        ridge=float(meta["ridge"]),
        ridge_spec=str(meta["ridge_spec"]),
        rcond=float(meta["rcond"]),
        rank=int(meta["rank"]),
        d_eff=float(meta["d_eff"]),
        r_data=arrays["r_data"],
        singular_values=arrays["singular_values"],
        solver_kind=meta["solver_kind"],
        solver=arrays["solver"],
        condition_number=float("inf") if condition is None else float(condition),
    )


def _is_dleverage_store(path: str) -> bool:
    try:
        group = zarr.open_group(path, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    return "dleverage" in group.attrs


def _is_regular(chunks: tuple[int, ...]) -> bool:
    # Zarr needs equal chunks with a shorter last one; Dask chunks may be anything.
    head = chunks[:-1]
    return all(c == chunks[0] for c in head) and chunks[-1] <= chunks[0]


def partial_path(target: str) -> str:
    """Return the hidden location where the local output ``target`` is written."""
    target = local_path(target)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.partial")


def run_fingerprint(scores: da.Array, factor: Factor, metadata: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest that identifies one write of a score store.

    Two runs get the same fingerprint exactly when they would write the same bytes:
    same input (path, shape, dtype, chunks), same factor (fields and arrays, which
    pass 1 computes deterministically for a fixed chunking) and same scores chunks.
    """
    input_fingerprint = dict(metadata.get("input", {}))
    input_fingerprint.pop("dask_name", None)
    digest = hashlib.sha256()
    header = {
        "format": FORMAT,
        "input": input_fingerprint,
        "factor": factor_metadata(factor),
        "row_chunks": [int(c) for c in scores.chunks[0]],
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for name in _FACTOR_ARRAYS:
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


def _sum_rows(counts: list[int]) -> int:
    return int(sum(counts))


def _regular_scores(scores: da.Array) -> tuple[da.Array, int]:
    row_chunks = tuple(int(c) for c in scores.chunks[0])
    chunk = max(1, max(row_chunks, default=1))
    if _is_regular(row_chunks) and row_chunks[0] > 0:
        return scores, row_chunks[0]
    return scores.rechunk(chunk), chunk


def _partial_marker(group: zarr.Group) -> dict[str, Any] | None:
    marker = group.attrs.get("dleverage_partial")
    return marker if isinstance(marker, dict) else None


def _open_matching_partial(
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
    marker = _partial_marker(group)
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


def _create_partial(
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


def _write_group(
    location: str,
    scores: da.Array,
    factor: Factor,
    metadata: dict[str, Any],
    *,
    fingerprint: str,
    overwrite: bool,
    progress: bool,
) -> int:
    """Write or resume the group at ``location``; return the chunks reused."""
    scores, chunk = _regular_scores(scores)
    n_chunks = len(scores.chunks[0])
    shape = (factor.n_samples, chunk, n_chunks)
    group = _open_matching_partial(location, fingerprint, shape, overwrite)
    if group is None:
        group = _create_partial(location, factor, fingerprint, n_chunks, chunk)
    target, records = group["scores"], group["chunk_records"]
    stored = np.asarray(records[...])
    expected = [chunk_record(fingerprint, i) for i in range(n_chunks)]
    todo = [i for i in range(n_chunks) if int(stored[i]) != expected[i]]
    reused = n_chunks - len(todo)
    logger.info(
        "writing %s: reusing %d of %d finished chunks",
        redact_url(location),
        reused,
        n_chunks,
    )
    if todo:
        blocks = scores.to_delayed(optimize_graph=True).ravel().tolist()
        starts = np.concatenate([[0], np.cumsum(scores.chunks[0])]).astype(int)
        write = dask.delayed(write_score_chunk, pure=True)
        # Wrapped once, so the arrays are tokenized and sent once, not per task.
        target_task = dask.delayed(target, pure=True)
        records_task = dask.delayed(records, pure=True)
        tasks = [
            write(blocks[i], target_task, records_task, i, int(starts[i]), expected[i])
            for i in todo
        ]
        compute(dask.delayed(_sum_rows, pure=True)(tasks), progress=progress)
    del group["chunk_records"]
    group.attrs.put({"dleverage": {**metadata, "complete": True}})
    return reused


def write_scores_store(
    path: str | os.PathLike[str],
    scores: da.Array,
    factor: Factor,
    metadata: dict[str, Any],
    *,
    overwrite: bool = False,
    progress: bool = False,
) -> str:
    """Compute ``scores`` into a new store at ``path`` and return its location.

    A run that was interrupted (client killed, cluster lost) leaves a partial store;
    the same call resumes it, rewriting only the chunks without a matching
    completion record (see the module notes).

    Parameters
    ----------
    path : str or path-like
        Local path or fsspec URL of the group to create.
    scores : dask.array.Array of shape (n_samples,)
        Known chunk sizes.
    factor : Factor
    metadata : dict
        Extra attrs (input fingerprint); ``format``, ``version``, ``created_utc``
        and the factor fields are added.
    overwrite : bool, default=False
        Replace an existing store at ``path``, but only one that dleverage wrote.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False, or it exists and is not a
        dleverage store, or the partial location contains something else.
    OutputLockedError
        If another run is writing the same local output.
    """
    location = os.fspath(path)
    attrs = {
        "format": FORMAT,
        "version": __version__,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        **factor_metadata(factor),
        **metadata,
    }
    fingerprint = run_fingerprint(scores, factor, metadata)
    if not is_local(location):
        # NOTE: remote stores are written in place and not locked. Only the
        # completion marker in attrs, written last, marks a finished store.
        _write_group(
            location,
            scores,
            factor,
            attrs,
            fingerprint=fingerprint,
            overwrite=overwrite,
            progress=progress,
        )
        return redact_url(location)
    target = local_path(location)
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InvalidInputError(
            f"The parent folder {parent!r} of the output does not exist. Create it "
            "first."
        )
    with output_lock(target):
        _check_target(target, overwrite)
        partial = partial_path(target)
        try:
            _write_group(
                partial,
                scores,
                factor,
                attrs,
                fingerprint=fingerprint,
                overwrite=False,
                progress=progress,
            )
        except DleverageError:
            # Invalid input is not resumable: remove what this write created.
            _remove_partial(partial)
            raise
        _replace(partial, target)
    logger.info("wrote %s (%d rows)", target, factor.n_samples)
    return target


def _check_target(target: str, overwrite: bool) -> None:
    if not os.path.exists(target):
        return
    if not overwrite:
        raise OutputExistsError(
            f"The output {target!r} exists already. Choose another path or pass "
            "overwrite=True (--overwrite) to replace it."
        )
    if not _is_dleverage_store(target):
        raise OutputExistsError(
            f"The output {target!r} exists and is not a dleverage store, so it "
            "is not replaced. Choose another path."
        )


def _remove_partial(partial: str) -> None:
    try:
        group = zarr.open_group(partial, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return
    if _partial_marker(group) is not None:
        shutil.rmtree(partial, ignore_errors=True)


def _replace(temporary: str, target: str) -> None:
    if not os.path.exists(target):
        os.rename(temporary, target)
        return
    retired = f"{temporary}.old-{uuid.uuid4().hex[:12]}"
    os.rename(target, retired)
    os.rename(temporary, target)
    shutil.rmtree(retired, ignore_errors=True)


def open_store(path: str | os.PathLike[str]) -> zarr.Group:
    """Open a complete score store read-only.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``path``.
    IncompleteOutputError
        If the group has no completion marker or a different format.
    """
    where = redact_url(path)
    try:
        group = zarr.open_group(os.fspath(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"No score store found at {where!r}.") from exc
    meta = group.attrs.get("dleverage")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise IncompleteOutputError(
            f"{where!r} is not a dleverage score store (no attrs['dleverage'] of "
            f"format {FORMAT})."
        )
    if not meta.get("complete"):
        raise IncompleteOutputError(
            f"The score store {where!r} is incomplete: the run that wrote it did not "
            "finish. Run the scoring again."
        )
    return group
