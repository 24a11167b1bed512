"""The ``bernoulli`` scheme: keep row i independently with pi_i = min(1, c h_i).

The constant c solves E|S| = sum_i min(1, c h_i) = m. The left side is continuous,
piecewise linear and increasing in c, so the root is unique whenever m is at most
the number of positive scores. It is found exactly from the m highest scores: if
the k highest rows are the ones capped at pi = 1, then c = (m - k) / (H - T_k),
with H the total mass and T_k the mass of those k rows, and k is the smallest
count for which the next row is not capped. Each block then keeps its rows by
comparing pi_i with uniforms from its own random stream. The weight of a kept row
is 1 / sqrt(pi_i), so that sum_{i in S} x_i x_i^T / pi_i is unbiased for X^T X.
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
from dleverage.sampling.seeding import block_rng

__all__ = ["draw_block", "inclusion_constant", "sample_bernoulli"]

logger = logging.getLogger(__name__)

# Relative slack when testing whether a row is capped, so that a row whose c h_i is
# 1 up to rounding counts as capped and the expected size stays m.
_CAP_SLACK = 1e-12


def inclusion_constant(top: np.ndarray, total: float, size: int) -> float:
    """Return c with sum_i min(1, c h_i) = size.

    Parameters
    ----------
    top : ndarray of shape (size,)
        The ``size`` highest scores, descending and positive.
    total : float
        Sum of all scores H.
    size : int
        Expected sample size m, at most the number of positive scores.
    """
    capped_mass = 0.0
    for k in range(size):
        remaining = total - capped_mass
        c = (size - k) / remaining if remaining > 0 else np.inf
        if c * top[k] <= 1.0 + _CAP_SLACK:
            return float(c)
        capped_mass += float(top[k])
    # All size rows are capped: only reachable through rounding of the masses.
    return float(1.0 / top[size - 1])


def draw_block(
    scores: np.ndarray,
    labels: np.ndarray | None,
    classes: np.ndarray,
    constants: np.ndarray,
    seed: int,
    block: int,
    offset: int,
) -> BlockDraw:
    """Keep each row of one block with probability min(1, c_g h_i)."""
    h = np.asarray(scores, dtype=np.float64)
    codes = group_codes(labels, classes, h.size)
    probabilities = np.minimum(1.0, constants[codes] * h)
    keep = block_rng(seed, block).random(h.size) < probabilities
    (rows,) = np.nonzero(keep)
    ones = np.ones(rows.size, dtype=np.int64)
    return BlockDraw(offset + rows.astype(np.int64), ones, h[rows], codes[rows])


def _constants(stats: BlockStats, budgets: np.ndarray) -> np.ndarray:
    positive = stats.positive.sum(axis=0)
    mass = stats.mass.sum(axis=0)
    constants = np.zeros(len(budgets))
    for group, budget in enumerate(budgets):
        if budget == 0:
            continue
        if budget > positive[group]:
            raise InvalidSampleSizeError(
                f"Cannot draw an expected {budget} rows without replacement from "
                f"{positive[group]} rows with a positive score. Choose a size of at "
                "most that many, or use scheme='iid'."
            )
        top = stats.top[group][0][:budget]
        constants[group] = inclusion_constant(top, float(mass[group]), int(budget))
    return constants


def sample_bernoulli(
    scores: da.Array,
    labels: da.Array | None,
    classes: np.ndarray,
    budgets: np.ndarray,
    seed: int,
    stats: BlockStats,
) -> Selection:
    """Keep rows independently, an expected ``budgets[g]`` of each label group g.

    ``stats`` must hold the ``budgets[g]`` highest scores of each group.

    Raises
    ------
    InvalidSampleSizeError
        If a budget exceeds the number of positive scores of its group.
    """
    constants = _constants(stats, budgets)
    offsets = block_offsets(scores.chunks[0])
    arguments = [
        (classes, constants, seed, b, int(offsets[b])) for b in range(len(offsets))
    ]
    kept = BlockDraw.concatenate(run_blocks(draw_block, scores, labels, arguments))
    probabilities = np.minimum(1.0, constants[kept.groups] * kept.scores)
    logger.debug("bernoulli: kept %d rows, c=%s", kept.indices.size, constants)
    return Selection(
        kept.indices,
        kept.counts,
        probabilities,
        1.0 / np.sqrt(probabilities),
        kept.groups,
    )
