"""The ``uniform`` scheme, for comparisons: rows drawn regardless of their score.

Without replacement (the default) this is a simple random sample of m of the n
rows: the client splits m over the blocks by one multivariate hypergeometric draw
on the block sizes, and each block picks its k_b rows without replacement from its
own stream, which together give every m-subset the same probability. Each row has
inclusion probability m / n and weight sqrt(n / m). With replacement the split is
a multinomial and each block draws uniformly with replacement; then p_i = 1 / n
per draw and the weight is 1 / sqrt(m p_i), as for ``iid``.
"""

from __future__ import annotations

import logging

import dask.array as da
import numpy as np

from dleverage.errors import InvalidSampleSizeError
from dleverage.sampling.blocks import (
    BlockDraw,
    BlockStats,
    block_offsets,
    group_codes,
    run_blocks,
)
from dleverage.sampling.result import Selection
from dleverage.sampling.seeding import block_rng, driver_rng

__all__ = ["block_counts", "draw_block", "sample_uniform"]

logger = logging.getLogger(__name__)


def block_counts(
    stats: BlockStats, budgets: np.ndarray, seed: int, *, replace: bool
) -> np.ndarray:
    """Return the rows drawn per block and group, shape (n_blocks, n_groups)."""
    counts = np.zeros(stats.count.shape, dtype=np.int64)
    for group, budget in enumerate(budgets):
        if budget == 0:
            continue
        sizes = stats.count[:, group]
        rng = driver_rng(seed, group)
        if replace:
            counts[:, group] = rng.multinomial(budget, sizes / sizes.sum())
        else:
            counts[:, group] = rng.multivariate_hypergeometric(sizes, budget)
    return counts


def draw_block(
    scores: np.ndarray,
    labels: np.ndarray | None,
    classes: np.ndarray,
    counts: np.ndarray,
    replace: bool,
    seed: int,
    block: int,
    offset: int,
) -> BlockDraw:
    """Draw ``counts[g]`` rows of each group g of one block, uniformly."""
    h = np.asarray(scores, dtype=np.float64)
    codes = group_codes(labels, classes, h.size)
    rng = block_rng(seed, block)
    multiplicity = np.zeros(h.size, dtype=np.int64)
    for group, k in enumerate(counts):
        if k == 0:
            continue
        (members,) = np.nonzero(codes == group)
        if replace:
            multiplicity[members] += rng.multinomial(
                int(k), np.full(members.size, 1.0 / members.size)
            )
        else:
            multiplicity[rng.choice(members, size=int(k), replace=False)] = 1
    (rows,) = np.nonzero(multiplicity)
    return BlockDraw(
        offset + rows.astype(np.int64), multiplicity[rows], h[rows], codes[rows]
    )


def sample_uniform(
    scores: da.Array,
    labels: da.Array | None,
    classes: np.ndarray,
    budgets: np.ndarray,
    seed: int,
    stats: BlockStats,
    *,
    replace: bool = False,
) -> Selection:
    """Draw ``budgets[g]`` rows uniformly from each label group g.

    Raises
    ------
    InvalidSampleSizeError
        Without replacement, if a budget exceeds the rows of its group.
    """
    rows = stats.count.sum(axis=0)
    if not replace:
        for group, budget in enumerate(budgets):
            if budget > rows[group]:
                raise InvalidSampleSizeError(
                    f"Cannot draw {budget} of {rows[group]} rows without replacement. "
                    "Choose a size of at most the number of rows, or pass "
                    "replace=True."
                )
    counts = block_counts(stats, budgets, seed, replace=replace)
    offsets = block_offsets(scores.chunks[0])
    arguments = [
        (classes, counts[b], replace, seed, b, int(offsets[b]))
        if counts[b].any()
        else None
        for b in range(counts.shape[0])
    ]
    drawn = BlockDraw.concatenate(run_blocks(draw_block, scores, labels, arguments))
    group_rows = rows[drawn.groups].astype(np.float64)
    group_budget = budgets[drawn.groups].astype(np.float64)
    if replace:
        probabilities = 1.0 / group_rows
        weights = 1.0 / np.sqrt(group_budget * probabilities)
    else:
        probabilities = group_budget / group_rows
        weights = 1.0 / np.sqrt(probabilities)
    logger.debug("uniform: %d rows (replace=%s)", drawn.indices.size, replace)
    return Selection(drawn.indices, drawn.counts, probabilities, weights, drawn.groups)
