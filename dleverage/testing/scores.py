"""Fixed score vectors for sampler tests."""

from __future__ import annotations

import numpy as np


def heavy_scores() -> np.ndarray:
    """Return 40 Pareto(1.5) scores plus 0.05, with zeros at 3 and 17, 25 == 26."""
    rng = np.random.default_rng(7)
    scores = rng.pareto(1.5, size=40) + 0.05
    scores[[3, 17]] = 0.0
    scores[25] = scores[26]
    return scores
