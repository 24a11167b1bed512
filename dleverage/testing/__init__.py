"""Independent references and test data, used by the test suite and benchmarks."""

from dleverage.testing.matrices import matrix_with_condition, rank_deficient_matrix
from dleverage.testing.reference import (
    extended_precision_leverage,
    reference_leverage,
)
from dleverage.testing.scores import heavy_scores

__all__ = [
    "extended_precision_leverage",
    "heavy_scores",
    "matrix_with_condition",
    "rank_deficient_matrix",
    "reference_leverage",
]
