"""The ``topk`` scheme: the m rows with the highest scores, ties broken by index.

Deterministic, so the seed is unused. The rows come straight from the per-group
top lists of pass 1, whose tree merge keeps the lower index among equal scores.
Every row gets probability 1 and weight 1: the subset is not a sketch, and
weighting it would not make its Gram matrix unbiased.
"""

from __future__ import annotations

import numpy as np

from dleverage.errors import InvalidSampleSizeError
from dleverage.sampling.blocks import BlockStats
from dleverage.sampling.result import Selection

__all__ = ["sample_topk"]


def sample_topk(stats: BlockStats, budgets: np.ndarray) -> Selection:
    """Return the ``budgets[g]`` highest rows of each label group g.

    Raises
    ------
    InvalidSampleSizeError
        If a budget exceeds the rows of its group.
    """
    rows = stats.count.sum(axis=0)
    indices, groups, scores = [], [], []
    for group, budget in enumerate(budgets):
        if budget > rows[group]:
            raise InvalidSampleSizeError(
                f"Cannot take the top {budget} of {rows[group]} rows. Choose a size "
                "of at most the number of rows."
            )
        values, chosen = stats.top[group]
        indices.append(chosen[:budget])
        scores.append(values[:budget])
        groups.append(np.full(int(budget), group, dtype=np.int64))
    index = np.concatenate(indices).astype(np.int64)
    order = np.argsort(index, kind="stable")
    ones = np.ones(index.size)
    return Selection(
        index[order],
        np.ones(index.size, dtype=np.int64),
        ones,
        ones.copy(),
        np.concatenate(groups)[order],
    )
