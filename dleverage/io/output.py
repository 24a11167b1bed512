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

Resuming. While a store is being written it carries per-chunk completion records,
so an interrupted write resumes where it stopped (see :mod:`dleverage.io.partial`).
``chunk_records`` and the partial attrs are deleted before the store is marked
complete.

Locking. A local output is written under :func:`~dleverage.io.lock.output_lock`, so a
second run on the same output raises :class:`~dleverage.errors.OutputLockedError`.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

import dask
import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage._version import __version__
from dleverage.errors import (
    DleverageError,
)
from dleverage.factor.factor import Factor
from dleverage.io.atomic import (
    check_target,
    open_complete_group,
    replace_folder,
    require_location,
)
from dleverage.io.factor_store import factor_from_group, factor_metadata, write_factor
from dleverage.io.lock import output_lock
from dleverage.io.partial import (
    chunk_record,
    create_partial,
    open_matching_partial,
    partial_path,
    remove_partial,
    run_fingerprint,
    sum_rows,
    write_score_chunk,
)
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "FORMAT",
    "check_output_location",
    "factor_from_group",
    "factor_metadata",
    "open_store",
    "partial_path",
    "write_factor",
    "write_scores_store",
]

logger = logging.getLogger(__name__)

#: Format tag of score stores; readers check it.
FORMAT = "dleverage.scores/1"


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


def _regular_scores(scores: da.Array) -> tuple[da.Array, int]:
    row_chunks = tuple(int(c) for c in scores.chunks[0])
    chunk = max(1, max(row_chunks, default=1))
    if _is_regular(row_chunks) and row_chunks[0] > 0:
        return scores, row_chunks[0]
    return scores.rechunk(chunk), chunk


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
    group = open_matching_partial(location, fingerprint, shape, overwrite)
    if group is None:
        group = create_partial(location, factor, fingerprint, n_chunks, chunk)
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
        compute(dask.delayed(sum_rows, pure=True)(tasks), progress=progress)
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
        check_output_location(location, overwrite=overwrite)
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
    target = check_output_location(location, overwrite=overwrite)
    with output_lock(target):
        check_target(target, overwrite=overwrite, is_replaceable=_is_dleverage_store)
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
            remove_partial(partial)
            raise
        replace_folder(partial, target)
    logger.info("wrote %s (%d rows)", target, factor.n_samples)
    return target


def check_output_location(
    path: str | os.PathLike[str], *, overwrite: bool = False
) -> str:
    """Check that a store may be written at ``path``; return it (absolute if local).

    Call it before any computation so that a run fails before doing work. A remote
    location that holds an incomplete store passes, so that the write resumes it.

    Raises
    ------
    OutputExistsError
        If a store exists at ``path`` and ``overwrite`` is False, or something
        that is not a dleverage store exists there (it is never replaced).
    InvalidInputError
        If the parent folder of a local ``path`` does not exist.
    """
    location = require_location(path)
    if not is_local(location):
        if _is_complete_store(location):
            check_target(
                location,
                overwrite=overwrite,
                is_replaceable=_is_dleverage_store,
                shown=redact_url(location),
            )
        return location
    target = local_path(location)
    check_target(target, overwrite=overwrite, is_replaceable=_is_dleverage_store)
    return target


def _is_complete_store(location: str) -> bool:
    try:
        group = zarr.open_group(location, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    meta = group.attrs.get("dleverage")
    return isinstance(meta, dict) and bool(meta.get("complete"))


def open_store(path: str | os.PathLike[str]) -> zarr.Group:
    """Open a complete score store read-only.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``path``.
    IncompleteOutputError
        If the group has no completion marker or a different format.
    """
    return open_complete_group(
        path,
        format_tag=FORMAT,
        kind="score store",
        rerun="The run that wrote it did not finish. Run the scoring again.",
    )
