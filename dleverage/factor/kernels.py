"""Pass-1 block kernels: R factors and Gram matrices of one row block, in NumPy.

These functions act on one in-memory block and know nothing about Dask. Each returns
a :class:`Partial`, which also carries the block's row count and the index of its
first row with a NaN or infinity, so that a tree reduction over blocks in row order
can report a global row index even when the chunk sizes are unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = [
    "Partial",
    "combine_gram",
    "combine_qr",
    "design_matrix",
    "gram_block",
    "piecewise_triangular_factor",
    "qr_block",
    "triangular_factor",
]

#: Rows per piece when a leaf block is factored piece by piece (see
#: :func:`piecewise_triangular_factor`).
PIECE_ROWS = 2048


class Partial(NamedTuple):
    """Reduced form of a run of consecutive rows.

    Attributes
    ----------
    matrix : ndarray of shape (p, p)
        Upper-triangular R with R^T R = Z^T Z (TSQR), or the Gram matrix Z^T Z.
    n_rows : int
        Number of rows reduced.
    first_nonfinite : int
        Row index, relative to the first row of the run, of the first row holding a
        NaN or infinity, or -1 if all values are finite.
    block_rows : tuple of int
        Rows of each block of the run, in order (resolves unknown chunk sizes).
    """

    matrix: np.ndarray
    n_rows: int
    first_nonfinite: int
    block_rows: tuple[int, ...]


def design_matrix(block: np.ndarray, *, intercept: bool) -> np.ndarray:
    """Return ``block`` in float64, with a leading column of ones if ``intercept``."""
    z = np.asarray(block, dtype=np.float64)
    if intercept:
        z = np.hstack([np.ones((z.shape[0], 1)), z])
    return z


def _first_nonfinite(z: np.ndarray) -> int:
    finite_rows = np.isfinite(z).all(axis=1)
    if finite_rows.all():
        return -1
    return int(np.argmin(finite_rows))


def triangular_factor(z: np.ndarray) -> np.ndarray:
    """Return the p x p upper-triangular R of a QR factorization of ``z``.

    Blocks with fewer rows than columns give an upper-trapezoidal R, which is
    padded with zero rows; an empty block gives the zero matrix. No Q is formed.
    """
    p = z.shape[1]
    r = np.zeros((p, p))
    if z.shape[0] == 0:
        return r
    r_small = np.linalg.qr(z, mode="r")
    r[: r_small.shape[0]] = r_small
    return r


def piecewise_triangular_factor(
    z: np.ndarray, *, piece_rows: int = PIECE_ROWS
) -> np.ndarray:
    """Return the p x p upper-triangular R of ``z``, factored in pieces of rows.

    ``z`` is split into runs of ``piece_rows`` rows. The R factors of the runs are
    stacked and factored again, which is one more level of the TSQR tree inside
    the block, so R^T R = z^T z holds to the same backward error as for one QR.
    Householder QR of a tall block whose column panels exceed the CPU cache is
    bound by memory bandwidth. Measured on x86_64 with one OpenBLAS thread, an
    81,920 x 100 float64 block took 0.15 s in pieces of 2,048 rows against 0.42 s
    in one QR (``benchmarks/engine_speed.py`` times whole runs). The stacked R
    factors add ``p / piece_rows`` of the flops, so blocks with
    ``p > piece_rows / 8`` or with fewer than ``2 * piece_rows`` rows are factored
    in one piece.
    """
    n_rows, p = z.shape
    if p > piece_rows // 8 or n_rows < 2 * piece_rows:
        return triangular_factor(z)
    pieces = [
        triangular_factor(z[start : start + piece_rows])
        for start in range(0, n_rows, piece_rows)
    ]
    return triangular_factor(np.vstack(pieces))


def qr_block(block: np.ndarray, intercept: bool) -> Partial:
    """Reduce one row block to its R factor (leaf of the TSQR tree)."""
    z = design_matrix(block, intercept=intercept)
    bad = _first_nonfinite(z)
    if bad >= 0:
        return Partial(np.zeros((z.shape[1], z.shape[1])), z.shape[0], bad, (len(z),))
    return Partial(piecewise_triangular_factor(z), z.shape[0], -1, (len(z),))


def _merge_counts(parts: Sequence[Partial]) -> tuple[int, int, tuple[int, ...]]:
    offset = 0
    first_bad = -1
    block_rows: list[int] = []
    for part in parts:
        if first_bad < 0 and part.first_nonfinite >= 0:
            first_bad = offset + part.first_nonfinite
        offset += part.n_rows
        block_rows.extend(part.block_rows)
    return offset, first_bad, tuple(block_rows)


def combine_qr(parts: Sequence[Partial]) -> Partial:
    """Reduce stacked R factors of consecutive runs to one R (inner TSQR node)."""
    n_rows, first_bad, block_rows = _merge_counts(parts)
    p = parts[0].matrix.shape[1]
    if first_bad >= 0:
        return Partial(np.zeros((p, p)), n_rows, first_bad, block_rows)
    stacked = np.vstack([part.matrix for part in parts])
    return Partial(triangular_factor(stacked), n_rows, -1, block_rows)


def gram_block(block: np.ndarray, intercept: bool) -> Partial:
    """Reduce one row block to its Gram matrix Z^T Z, accumulated in float64."""
    z = design_matrix(block, intercept=intercept)
    bad = _first_nonfinite(z)
    if bad >= 0:
        return Partial(np.zeros((z.shape[1], z.shape[1])), z.shape[0], bad, (len(z),))
    return Partial(z.T @ z, z.shape[0], -1, (len(z),))


def combine_gram(parts: Sequence[Partial]) -> Partial:
    """Sum the Gram matrices of consecutive runs, in a fixed order."""
    n_rows, first_bad, block_rows = _merge_counts(parts)
    total = parts[0].matrix.copy()
    for part in parts[1:]:
        total += part.matrix
    if first_bad >= 0:
        total[:] = 0.0
    return Partial(total, n_rows, first_bad, block_rows)
