"""Append a batch of rows to a dataset store, update its factor and rescore.

One update reads the new rows once: in the same Dask pass it copies them into the
store, hashes them (the default batch id) and reduces them to their R factor. The
stored factor is then updated by one QR of [R_old; R_new] (O(p^3), independent of
the number of rows), lambda is resolved again from the stored ridge spec, and the
scores are recomputed: of all rows by default, because every score changes when
rows are added (h_i = x_i^T (X^T X + lambda I)^-1 x_i depends on all of X), or of
the new rows only with ``only_new=True``, keeping the old rows' scores from the
generation that computed them. The new state becomes visible in one atomic
manifest replace (see :mod:`dleverage.io.dataset`).
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from typing import Literal

import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage.errors import DatasetStoreError, DleverageError
from dleverage.factor.factor import Factor
from dleverage.factor.update import stack_r, updated_factor
from dleverage.io.atomic import remove_when_quiet
from dleverage.io.dataset import (
    BatchRecord,
    Manifest,
    batch_path,
    check_batch_id,
    create_dataset_store,
    generation_path,
    read_manifest,
    remove_unreferenced,
    staging_path,
    write_manifest,
)
from dleverage.io.ingest import ingest_batch, open_batch
from dleverage.io.lock import output_lock
from dleverage.io.matrix import open_matrix
from dleverage.io.output import factor_from_group, factor_metadata, write_factor
from dleverage.io.urls import local_path, redact_url
from dleverage.scores import LeverageResult, score_blocks

__all__ = ["UpdateResult", "read_dataset", "update_dataset"]

logger = logging.getLogger(__name__)

#: Rows per chunk of the batches and scores of a new store when none is given.
DEFAULT_CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class UpdateResult:
    """Outcome of :func:`update_dataset`.

    Attributes
    ----------
    store : str
        Path of the dataset store.
    batch_id : str
        Id of the batch (its content hash unless one was given).
    applied : bool
        False when the batch was committed before, so nothing changed.
    rows_added, n_samples, generation, rescored_rows : int
        Rows of the batch, rows in the store, the committed generation, and the
        rows whose scores this update computed.
    factor : Factor
        The factor of all committed rows.
    """

    store: str
    batch_id: str
    applied: bool
    rows_added: int
    n_samples: int
    generation: int
    rescored_rows: int
    factor: Factor


def _start_manifest(
    root: str, ridge: str | None, intercept: bool | None, chunk_rows: int | None
) -> Manifest | None:
    manifest = read_manifest(root)
    if manifest is None:
        if not os.path.exists(root):
            create_dataset_store(root)
        return None
    if ridge is not None and str(ridge) != manifest.ridge_spec:
        raise DatasetStoreError(
            f"The dataset store {root!r} was created with ridge "
            f"{manifest.ridge_spec!r}, not {ridge!r}. Drop --ridge to keep the "
            "stored one, or start a new store."
        )
    if intercept is not None and intercept != manifest.intercept:
        raise DatasetStoreError(
            f"The dataset store {root!r} was created with intercept="
            f"{manifest.intercept}. Drop --intercept or start a new store."
        )
    if chunk_rows is not None and chunk_rows != manifest.chunk_rows:
        raise DatasetStoreError(
            f"The dataset store {root!r} uses {manifest.chunk_rows} rows per chunk, "
            f"not {chunk_rows}. Drop --chunk-rows to keep the stored value."
        )
    return manifest


def _check_features(manifest: Manifest | None, x: da.Array, root: str) -> None:
    if manifest is not None and x.shape[1] != manifest.n_features:
        raise DatasetStoreError(
            f"The new batch has {x.shape[1]} columns but the dataset store {root!r} "
            f"holds {manifest.n_features}. Append rows with the same features."
        )


def _write_generation(
    root: str,
    manifest: Manifest,
    factor: Factor,
    previous: Manifest | None,
    only_new: bool,
    progress: bool,
) -> int:
    """Write the factor and scores of ``manifest.generation``; return rows scored."""
    path = generation_path(root, manifest.generation)
    group = zarr.open_group(path, mode="w", zarr_format=3)
    write_factor(group, factor)
    new_batch = manifest.batches[-1]
    rescore = manifest.batches if not only_new or previous is None else [new_batch]
    arrays = [
        open_matrix(batch_path(root, b.id), chunks=manifest.chunk_rows) for b in rescore
    ]
    scores = score_blocks(da.concatenate(arrays, axis=0), factor)
    if len(rescore) < len(manifest.batches):
        assert previous is not None
        old = da.from_zarr(
            zarr.open_group(generation_path(root, previous.generation), mode="r")[
                "scores"
            ]
        )
        scores = da.concatenate([old, scores])
    scores = scores.rechunk(manifest.chunk_rows)
    target = group.create_array(
        "scores",
        shape=(manifest.n_samples,),
        chunks=(manifest.chunk_rows,),
        dtype="float64",
    )
    compute(da.store(scores, target, lock=False, compute=False), progress=progress)
    group.attrs["dleverage_generation"] = {"generation": manifest.generation}
    return sum(b.rows for b in rescore)


def update_dataset(
    store: str | os.PathLike[str],
    new: object,
    *,
    component: str | None = None,
    batch_id: str | None = None,
    only_new: bool = False,
    ridge: str | float | None = None,
    intercept: bool | None = None,
    chunk_rows: int | None = None,
    missing_chunks: Literal["raise", "fill"] = "raise",
    progress: bool = False,
) -> UpdateResult:
    """Append the rows of ``new`` to the dataset store ``store`` and rescore.

    Creates the store on its first call. Runs on the active Dask client, or on
    Dask's default scheduler when there is none.

    Parameters
    ----------
    store : str or path-like
        Local path of the dataset store.
    new : array-like of shape (m, n_features)
        The new rows: a Zarr path, zarr.Array, NumPy or Dask array.
    component : str, optional
        Array inside a Zarr group ``new``.
    batch_id : str, optional
        Id of the batch; default the first 16 hex digits of the SHA-256 of its
        dtype, shape and bytes.
    only_new : bool, default=False
        Score only the new rows against the updated factor, keeping the stored
        scores of the old rows (which the new rows would have lowered).
    ridge : str or float, optional
        Ridge spec of a new store (default ``"0"``); must match an existing one.
    intercept : bool, optional
        Score [1, X] in a new store (default False); must match an existing one.
    chunk_rows : int, optional
        Rows per chunk of a new store (default 65,536); must match an existing one.
    missing_chunks : {"raise", "fill"}, default="raise"
        See :func:`~dleverage.open_matrix`.
    progress : bool, default=False
        Progress bars on standard error.

    Returns
    -------
    UpdateResult
        ``applied=False`` when a batch with the same id was committed before.

    Raises
    ------
    DatasetStoreError
        For a path that is not a dataset store, settings that differ from the
        stored ones, or a batch with other columns.
    OutputLockedError
        If another update of the same store runs.
    NonFiniteInputError
        If the batch contains NaN or infinity; the store is unchanged.
    """
    root = local_path(os.fspath(store))
    if batch_id is not None:
        check_batch_id(batch_id)
    with output_lock(root):
        manifest = _start_manifest(
            root, None if ridge is None else str(ridge), intercept, chunk_rows
        )
        remove_unreferenced(root, manifest)
        rows_per_chunk = manifest.chunk_rows if manifest else chunk_rows
        rows_per_chunk = rows_per_chunk or DEFAULT_CHUNK_ROWS
        x = open_batch(new, component, rows_per_chunk, missing_chunks)
        _check_features(manifest, x, root)
        if (
            batch_id is not None
            and manifest is not None
            and manifest.has_batch(batch_id)
        ):
            return _unchanged(root, manifest, batch_id)
        staging = staging_path(root, uuid.uuid4().hex[:12])
        use_intercept = manifest.intercept if manifest else bool(intercept)
        try:
            digest, r_new = ingest_batch(x, staging, use_intercept, progress)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        batch_id = batch_id or digest[:16]
        if manifest is not None and manifest.has_batch(batch_id):
            shutil.rmtree(staging, ignore_errors=True)
            return _unchanged(root, manifest, batch_id)
        os.rename(staging, batch_path(root, batch_id))
        try:
            return _commit(
                root,
                manifest,
                x,
                new,
                batch_id,
                r_new,
                ridge,
                use_intercept,
                rows_per_chunk,
                only_new,
                progress,
            )
        except DleverageError:
            # Invalid input found while rescoring: drop the uncommitted batch and
            # generation now instead of at the next update. Tasks still running
            # when Dask raised may write a chunk after the first removal, so each
            # folder is removed until it stays gone.
            for path in remove_unreferenced(root, manifest):
                remove_when_quiet(path)
            raise


def _unchanged(root: str, manifest: Manifest, batch_id: str) -> UpdateResult:
    logger.info("batch %s is already in %s; nothing changed", batch_id, root)
    factor = factor_from_group(
        zarr.open_group(generation_path(root, manifest.generation), mode="r")
    )
    rows = next(b.rows for b in manifest.batches if b.id == batch_id)
    return UpdateResult(
        root, batch_id, False, rows, manifest.n_samples, manifest.generation, 0, factor
    )


def _commit(
    root: str,
    previous: Manifest | None,
    x: da.Array,
    new: object,
    batch_id: str,
    r_new: np.ndarray,
    ridge: str | float | None,
    intercept: bool,
    chunk_rows: int,
    only_new: bool,
    progress: bool,
) -> UpdateResult:
    r_old = None
    if previous is not None:
        old_group = zarr.open_group(
            generation_path(root, previous.generation), mode="r"
        )
        r_old = factor_from_group(old_group).r_data
    if previous is not None:
        ridge_spec = previous.ridge_spec
    else:
        ridge_spec = "0" if ridge is None else str(ridge)
    generation = previous.generation + 1 if previous else 1
    n_samples = (previous.n_samples if previous else 0) + int(x.shape[0])
    factor = updated_factor(
        stack_r(r_old, r_new),
        n_samples=n_samples,
        n_features=int(x.shape[1]),
        intercept=intercept,
        ridge_spec=ridge_spec,
    )
    source = (
        redact_url(new) if isinstance(new, (str, os.PathLike)) else type(new).__name__
    )
    record = BatchRecord(
        id=batch_id,
        rows=int(x.shape[0]),
        source=source,
        added_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        scored_generation=generation,
    )
    batches = list(previous.batches) if previous else []
    if not only_new:
        batches = [
            BatchRecord(**{**b.__dict__, "scored_generation": generation})
            for b in batches
        ]
    manifest = Manifest(
        generation=generation,
        n_features=int(x.shape[1]),
        chunk_rows=chunk_rows,
        ridge_spec=ridge_spec,
        intercept=intercept,
        batches=[*batches, record],
        factor=factor_metadata(factor),
    )
    rescored = _write_generation(root, manifest, factor, previous, only_new, progress)
    write_manifest(root, manifest)
    remove_unreferenced(root, manifest)
    return UpdateResult(
        root, batch_id, True, record.rows, n_samples, generation, rescored, factor
    )


def read_dataset(store: str | os.PathLike[str]) -> tuple[Manifest, LeverageResult]:
    """Open the committed state of a dataset store.

    Returns
    -------
    manifest : Manifest
    result : LeverageResult
        Scores of all rows (lazy), the factor, and the batch ids as the input.

    Raises
    ------
    DatasetStoreError
        If ``store`` is not a dataset store or has no committed batch.
    """
    root = local_path(os.fspath(store))
    if not os.path.exists(root):
        raise DatasetStoreError(f"No dataset store found at {root!r}.")
    manifest = read_manifest(root)
    if manifest is None:
        raise DatasetStoreError(
            f"The dataset store {root!r} has no committed batch yet. Run "
            "dleverage update STORE --append NEW first."
        )
    group = zarr.open_group(generation_path(root, manifest.generation), mode="r")
    scores = da.from_zarr(group["scores"])
    input_fingerprint = {"path": root, "batches": [b.id for b in manifest.batches]}
    return manifest, LeverageResult(scores, factor_from_group(group), input_fingerprint)
