"""Random streams of a sample: one for the driver, one per row block.

Every stream is a :class:`numpy.random.SeedSequence` with the user's seed as
entropy and a spawn key ``(stage, block)``, so the stream of block ``b`` depends on
the seed and on ``b`` only. Which worker or thread runs the block, and in what
order blocks finish, cannot change a draw. The row chunking does enter: block
``b`` is the ``b``-th row chunk of the scores, so the same seed with a different
chunking gives a different (equally distributed) sample.
"""

from __future__ import annotations

import numbers

import numpy as np

from dleverage.errors import InvalidSeedError

__all__ = ["DRIVER_STAGE", "BLOCK_STAGE", "block_rng", "driver_rng", "resolve_seed"]

#: Spawn-key stage of the draws made on the client (counts per block).
DRIVER_STAGE = 0
#: Spawn-key stage of the draws made inside row blocks.
BLOCK_STAGE = 1


def resolve_seed(seed: object) -> int:
    """Return ``seed`` as an int, or fresh OS entropy when it is None.

    A seed drawn here is stored with the sample, so every sample can be redrawn.

    Raises
    ------
    InvalidSeedError
        For floats, strings, booleans and negative integers.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidSeedError(
            f"Invalid seed {seed!r}. Expected a non-negative integer, or None to draw "
            "one from the operating system."
        )
    return int(seed)


def driver_rng(seed: int, group: int = 0) -> np.random.Generator:
    """Return the generator of the client-side draws of label group ``group``."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(DRIVER_STAGE, group))
    )


def block_rng(seed: int, block: int) -> np.random.Generator:
    """Return the generator of the draws inside row block ``block``."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(BLOCK_STAGE, block))
    )
