"""Read a new batch of rows once: copy it into a store, hash it, reduce it to R.

The three results come from one Dask pass over the batch, so every block is read
from the source once. The hash is a SHA-256 of the dtype, the shape and the
SHA-256 of each block's bytes in order. Blocks have the store's fixed row count, so
the hash depends on the content and not on how the source was chunked.
"""

from __future__ import annotations

import hashlib
from typing import Any

import dask
import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage.errors import InvalidInputError, NonFiniteInputError
from dleverage.factor.kernels import Partial, combine_qr, qr_block
from dleverage.factor.tree import reduce_blocks
from dleverage.io.matrix import open_matrix

__all__ = ["ingest_batch", "open_batch"]


def _store_block(block: np.ndarray, target: zarr.Array, start: int) -> bytes:
    # Copy one block into the store and return the SHA-256 of its bytes.
    target[start : start + block.shape[0]] = block
    return hashlib.sha256(np.ascontiguousarray(block).tobytes()).digest()


def _batch_digest(dtype: str, shape: tuple[int, int], digests: list[bytes]) -> str:
    digest = hashlib.sha256(f"{dtype}:{shape[0]}x{shape[1]}".encode())
    for part in digests:
        digest.update(part)
    return digest.hexdigest()


def _pair(first: Any, second: Any) -> tuple[Any, Any]:
    return first, second


def ingest_batch(
    x: da.Array, staging: str, intercept: bool, progress: bool
) -> tuple[str, np.ndarray]:
    """Copy ``x`` to ``staging``, hash it and reduce it to R, in one pass.

    Returns
    -------
    digest : str
        SHA-256 hex digest of the batch (see the module notes).
    r_new : ndarray of shape (p, p)
        Upper-triangular R with R^T R = Z^T Z for the batch's design matrix Z.

    Raises
    ------
    NonFiniteInputError
        If the batch contains NaN or infinity (``staging`` is left for the caller
        to remove).
    InvalidInputError
        If the batch has no rows.
    """
    chunk_rows = int(x.chunks[0][0])
    target = zarr.create_array(
        staging,
        shape=x.shape,
        chunks=(chunk_rows, x.shape[1]),
        dtype=x.dtype,
        zarr_format=3,
    )
    starts = np.concatenate([[0], np.cumsum(x.chunks[0])]).astype(int)
    blocks = x.to_delayed(optimize_graph=True)[:, 0].tolist()
    store = dask.delayed(_store_block, pure=True)
    target_task = dask.delayed(target, pure=True)
    digests = [
        store(block, target_task, int(starts[i])) for i, block in enumerate(blocks)
    ]
    root = reduce_blocks(x, qr_block, combine_qr, intercept=intercept)
    partial, parts = compute(
        dask.delayed(_pair, pure=True)(root, digests), progress=progress
    )
    _check_partial(partial)
    return _batch_digest(str(x.dtype), x.shape, parts), partial.matrix


def _check_partial(partial: Partial) -> None:
    if partial.first_nonfinite >= 0:
        row = partial.first_nonfinite
        raise NonFiniteInputError(
            f"Row {row} of the new batch contains NaN or infinity, so the batch is "
            "not appended. Remove or impute non-finite values first.",
            row,
        )
    if partial.n_rows == 0:
        raise InvalidInputError("The new batch has no rows; nothing to append.")


def open_batch(
    new: object, component: str | None, chunk_rows: int, missing_chunks: str
) -> da.Array:
    """Open the new rows as a Dask array in blocks of exactly ``chunk_rows`` rows."""
    x = open_matrix(
        new,
        component=component,
        chunks=chunk_rows,
        missing_chunks=missing_chunks,  # type: ignore[arg-type]
    )
    rows = x.chunks[0]
    if any(c != chunk_rows for c in rows[:-1]):
        x = x.rechunk({0: chunk_rows})
    return x
