"""The ``iid`` scheme: m draws with replacement, p_i = h_i / sum_j h_j.

The draw is exact in distribution and runs block by block. The client draws how
many of the m draws fall in each block from one multinomial over the block masses
M_b = sum_{i in b} h_i. Each block b then draws its k_b rows from a multinomial
over h_i / M_b with its own random stream. Given the block counts the draws inside
different blocks are independent multinomials, so together they are one
multinomial over all rows with p_i = h_i / sum_j h_j. Blocks with no draws are not
read.

Row i drawn c_i times carries the sketch weight w_i = 1 / sqrt(m p_i): the
weighted Gram matrix sum_i c_i w_i^2 x_i x_i^T is an unbiased estimate of X^T X.
"""

from __future__ import annotations

import logging

import dask.array as da
import numpy as np

from dleverage.sampling.blocks import (
    BlockDraw,
    BlockStats,
    block_offsets,
    group_codes,
    run_blocks,
)
from dleverage.sampling.result import Selection
from dleverage.sampling.seeding import block_rng, driver_rng

__all__ = ["block_counts", "draw_block", "sample_iid"]

logger = logging.getLogger(__name__)


def block_counts(stats: BlockStats, budgets: np.ndarray, seed: int) -> np.ndarray:
    """Return the draws per block and group, shape (n_blocks, n_groups).

    Column g is one multinomial of ``budgets[g]`` draws over the block masses of
    group g, from the client stream of group g.
    """
    counts = np.zeros(stats.mass.shape, dtype=np.int64)
    for group, budget in enumerate(budgets):
        if budget == 0:
            continue
        mass = stats.mass[:, group]
        counts[:, group] = driver_rng(seed, group).multinomial(
            budget, mass / mass.sum()
        )
    return counts


def draw_block(
    scores: np.ndarray,
    labels: np.ndarray | None,
    classes: np.ndarray,
    counts: np.ndarray,
    seed: int,
    block: int,
    offset: int,
) -> BlockDraw:
    """Draw ``counts[g]`` rows of each group g of one block, with replacement."""
    h = np.asarray(scores, dtype=np.float64)
    codes = group_codes(labels, classes, h.size)
    rng = block_rng(seed, block)
    multiplicity = np.zeros(h.size, dtype=np.int64)
    for group, k in enumerate(counts):
        if k == 0:
            continue
        weights = np.where(codes == group, h, 0.0)
        multiplicity += rng.multinomial(int(k), weights / weights.sum())
    (rows,) = np.nonzero(multiplicity)
    return BlockDraw(
        offset + rows.astype(np.int64), multiplicity[rows], h[rows], codes[rows]
    )


def sample_iid(
    scores: da.Array,
    labels: da.Array | None,
    classes: np.ndarray,
    budgets: np.ndarray,
    seed: int,
    stats: BlockStats,
) -> Selection:
    """Draw ``budgets[g]`` rows with replacement from each label group g.

    Within group g, p_i = h_i / H_g with H_g the group's score mass, and the
    weight is 1 / sqrt(m_g p_i).
    """
    counts = block_counts(stats, budgets, seed)
    offsets = block_offsets(scores.chunks[0])
    arguments = [
        (classes, counts[b], seed, b, int(offsets[b])) if counts[b].any() else None
        for b in range(counts.shape[0])
    ]
    drawn = BlockDraw.concatenate(run_blocks(draw_block, scores, labels, arguments))
    probabilities = drawn.scores / stats.mass.sum(axis=0)[drawn.groups]
    weights = 1.0 / np.sqrt(budgets[drawn.groups] * probabilities)
    logger.debug("iid: %d draws, %d rows", drawn.counts.sum(), drawn.indices.size)
    return Selection(drawn.indices, drawn.counts, probabilities, weights, drawn.groups)
