"""Dask graph plumbing for pass 1: a tree reduction over row blocks.

The tree has a fixed shape for a given chunking, so the floating-point result does
not depend on the scheduler, the number of workers or the order tasks finish in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import dask
import dask.array as da
from dask.delayed import Delayed

from dleverage.factor.kernels import Partial

__all__ = ["DEFAULT_SPLIT_EVERY", "reduce_blocks"]

logger = logging.getLogger(__name__)

#: Default fan-in of each inner node. A node holds ``split_every`` p x p factors, so
#: its memory is bounded whatever the number of chunks.
DEFAULT_SPLIT_EVERY = 8


def reduce_blocks(
    x: da.Array,
    leaf: Callable[[object, bool], Partial],
    combine: Callable[[Sequence[Partial]], Partial],
    *,
    intercept: bool,
    split_every: int = DEFAULT_SPLIT_EVERY,
) -> Delayed:
    """Build a lazy tree reduction of the row blocks of ``x``.

    Parameters
    ----------
    x : dask.array.Array of shape (n_samples, n_features)
        Chunked by rows only (one chunk across the columns). Row chunk sizes may be
        unknown or zero.
    leaf : callable
        ``leaf(block, intercept) -> Partial``, applied to every row block.
    combine : callable
        ``combine(list_of_partials) -> Partial``, applied to groups of at most
        ``split_every`` consecutive partials, level by level.
    split_every : int, default=8
        Fan-in of the tree, at least 2.

    Returns
    -------
    dask.delayed.Delayed
        Evaluates to the :class:`Partial` of all rows.
    """
    if split_every < 2:
        raise ValueError(f"split_every must be >= 2, got {split_every}.")
    blocks = x.to_delayed(optimize_graph=True)[:, 0].tolist()
    leaf_task = dask.delayed(leaf, pure=True)
    combine_task = dask.delayed(combine, pure=True)
    level = [leaf_task(block, intercept) for block in blocks]
    depth = 0
    while len(level) > 1:
        level = [
            combine_task(level[start : start + split_every])
            for start in range(0, len(level), split_every)
        ]
        depth += 1
    logger.debug("tree reduction over %d blocks, depth %d", len(blocks), depth)
    if depth == 0:
        # A single block is combined once so the root always passes through combine.
        return combine_task(level)
    return level[0]
