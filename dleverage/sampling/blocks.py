"""Pass 1 of every scheme: statistics of each row block of the scores.

One pass over the scores (and labels) gathers, per block and per label group, the
score mass ``sum h_i``, the row count and the count of positive scores, a digest of
the score bytes, and the first invalid score. Schemes that need the largest scores
(``topk``, and ``bernoulli`` for its constant) also keep, per group, the ``k`` rows
with the highest score, ties broken by the lower row index. Blocks are merged by a
tree of fixed fan-in, so the top lists never hold more than ``k`` rows per group
times the fan-in.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import dask
import dask.array as da
import numpy as np

from dleverage._compute import compute
from dleverage.errors import InvalidScoresError

__all__ = [
    "BlockDraw",
    "BlockStats",
    "block_offsets",
    "digest_of",
    "group_codes",
    "run_blocks",
    "scan_blocks",
    "top_rows",
]

logger = logging.getLogger(__name__)

_FAN_IN = 8


@dataclass
class BlockStats:
    """Statistics of consecutive row blocks, per label group.

    Attributes
    ----------
    mass : ndarray of shape (n_blocks, n_groups)
        Sum of the scores of each group in each block.
    count : ndarray of shape (n_blocks, n_groups), int64
        Rows of each group in each block.
    positive : ndarray of shape (n_blocks, n_groups), int64
        Rows with a score > 0.
    digests : list of bytes
        BLAKE2b digest of the float64 scores of each block.
    first_invalid : int
        Global index of the first NaN, infinite or negative score, or -1.
    invalid_value : float
        That score.
    top : list of (ndarray, ndarray)
        Per group, the scores (descending) and global row indices of its highest
        rows, at most the requested number.
    """

    mass: np.ndarray
    count: np.ndarray
    positive: np.ndarray
    digests: list[bytes]
    first_invalid: int
    invalid_value: float
    top: list[tuple[np.ndarray, np.ndarray]]


class BlockDraw(NamedTuple):
    """Rows that one block (or all blocks) selected.

    Attributes
    ----------
    indices : ndarray of int64
        Global row indices, ascending.
    counts : ndarray of int64
        Multiplicity of each row (1 without replacement).
    scores : ndarray of float64
        The score of each row.
    groups : ndarray of int64
        Label group of each row (0 without labels).
    """

    indices: np.ndarray
    counts: np.ndarray
    scores: np.ndarray
    groups: np.ndarray

    @classmethod
    def concatenate(cls, parts: Sequence[BlockDraw]) -> BlockDraw:
        """Join the draws of blocks given in block order."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, np.zeros(0), empty)
        return cls(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def block_offsets(chunks: Sequence[int]) -> np.ndarray:
    """Return the global index of the first row of each block."""
    return np.concatenate([[0], np.cumsum(chunks)[:-1]]).astype(np.int64)


def group_codes(
    labels: np.ndarray | None, classes: np.ndarray, n_rows: int
) -> np.ndarray:
    """Return the position of each label in sorted ``classes`` (0 without labels)."""
    if labels is None:
        return np.zeros(n_rows, dtype=np.int64)
    return np.searchsorted(classes, np.asarray(labels)).astype(np.int64)


def top_rows(
    values: np.ndarray, indices: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``k`` highest ``values`` and their ``indices``, ties by index."""
    if k <= 0 or values.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    order = np.lexsort((indices, -values))[:k]
    return values[order], indices[order]


def _leaf(
    scores: np.ndarray,
    labels: np.ndarray | None,
    classes: np.ndarray,
    top_sizes: tuple[int, ...],
    offset: int,
) -> BlockStats:
    h = np.ascontiguousarray(scores, dtype=np.float64)
    n_groups = len(top_sizes)
    codes = group_codes(labels, classes, h.size)
    bad = ~np.isfinite(h) | (h < 0)
    first = int(np.argmax(bad)) if bad.any() else -1
    clean = np.where(bad, 0.0, h)
    top = []
    rows = offset + np.arange(h.size, dtype=np.int64)
    for group, k in enumerate(top_sizes):
        member = codes == group
        top.append(top_rows(clean[member], rows[member], k))
    return BlockStats(
        mass=np.bincount(codes, weights=clean, minlength=n_groups)[None, :],
        count=np.bincount(codes, minlength=n_groups)[None, :].astype(np.int64),
        positive=np.bincount(codes[clean > 0], minlength=n_groups)[None, :].astype(
            np.int64
        ),
        digests=[hashlib.blake2b(h.tobytes(), digest_size=16).digest()],
        first_invalid=-1 if first < 0 else offset + first,
        invalid_value=float(h[first]) if first >= 0 else 0.0,
        top=top,
    )


def _combine(parts: Sequence[BlockStats], top_sizes: tuple[int, ...]) -> BlockStats:
    first, value = -1, 0.0
    for part in parts:
        if part.first_invalid >= 0:
            first, value = part.first_invalid, part.invalid_value
            break
    top = []
    for group, k in enumerate(top_sizes):
        values = np.concatenate([part.top[group][0] for part in parts])
        indices = np.concatenate([part.top[group][1] for part in parts])
        top.append(top_rows(values, indices, k))
    return BlockStats(
        mass=np.vstack([part.mass for part in parts]),
        count=np.vstack([part.count for part in parts]),
        positive=np.vstack([part.positive for part in parts]),
        digests=[digest for part in parts for digest in part.digests],
        first_invalid=first,
        invalid_value=value,
        top=top,
    )


def scan_blocks(
    scores: da.Array,
    labels: da.Array | None = None,
    classes: np.ndarray | None = None,
    top_sizes: Sequence[int] = (0,),
    *,
    require_mass: bool = True,
) -> BlockStats:
    """Compute the :class:`BlockStats` of all blocks of ``scores`` and check them.

    Parameters
    ----------
    scores : dask.array.Array of shape (n_samples,)
        Known row chunks.
    labels : dask.array.Array of shape (n_samples,), optional
        Chunked like ``scores``; group g holds the rows labeled ``classes[g]``.
    classes : ndarray, optional
        Sorted distinct labels.
    top_sizes : sequence of int, default=(0,)
        Highest rows to keep per group (0 keeps none).
    require_mass : bool, default=True
        Reject scores that are all zero (every scheme but ``uniform`` needs mass).

    Raises
    ------
    InvalidScoresError
        If a score is NaN, infinite or negative (the message names the first such
        row), or all scores are zero and ``require_mass`` is True.
    """
    top = tuple(int(k) for k in top_sizes)
    classes = np.zeros(1) if classes is None else classes
    offsets = block_offsets(scores.chunks[0])
    score_blocks = scores.to_delayed().ravel().tolist()
    label_blocks = (
        [None] * len(score_blocks) if labels is None else labels.to_delayed().ravel()
    )
    leaf = dask.delayed(_leaf, pure=True)
    combine = dask.delayed(_combine, pure=True)
    level = [
        leaf(block, label, classes, top, int(offset))
        for block, label, offset in zip(
            score_blocks, label_blocks, offsets, strict=True
        )
    ]
    while len(level) > 1:
        level = [
            combine(level[start : start + _FAN_IN], top)
            for start in range(0, len(level), _FAN_IN)
        ]
    stats = compute(level[0])
    logger.debug("scanned %d score blocks", len(score_blocks))
    _check_stats(stats, require_mass)
    return stats


def run_blocks(
    kernel: Callable[..., Any],
    scores: da.Array,
    labels: da.Array | None,
    arguments: Sequence[tuple[Any, ...] | None],
) -> list[Any]:
    """Apply ``kernel(scores_block, labels_block, *arguments[b])`` to chosen blocks.

    Blocks whose entry in ``arguments`` is None are not read at all. Returns the
    results of the chosen blocks, in block order.
    """
    score_blocks = scores.to_delayed().ravel().tolist()
    label_blocks = (
        [None] * len(score_blocks) if labels is None else labels.to_delayed().ravel()
    )
    task = dask.delayed(kernel, pure=True)
    tasks = [
        task(block, label, *extra)
        for block, label, extra in zip(
            score_blocks, label_blocks, arguments, strict=True
        )
        if extra is not None
    ]
    logger.debug("drawing inside %d of %d blocks", len(tasks), len(score_blocks))
    if not tasks:
        return []
    return list(compute(tasks))


def _check_stats(stats: BlockStats, require_mass: bool) -> None:
    if stats.first_invalid >= 0:
        raise InvalidScoresError(
            f"Invalid score {stats.invalid_value!r} at row {stats.first_invalid}. "
            "Scores must be finite and >= 0; recompute them, or drop or repair that "
            "row.",
            row=stats.first_invalid,
        )
    if require_mass and not stats.mass.sum() > 0:
        raise InvalidScoresError(
            "All scores are zero, so no row can be drawn in proportion to its score. "
            "Check the scored matrix (a zero matrix has rank 0), or use "
            "scheme='uniform'."
        )


def digest_of(stats: BlockStats) -> str:
    """Return the hex BLAKE2b digest of the block digests, in block order."""
    return hashlib.blake2b(b"".join(stats.digests), digest_size=16).hexdigest()
