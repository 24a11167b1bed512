"""Independent references and test matrices, used by the test suite and benchmarks."""

from dleverage.testing.matrices import matrix_with_condition, rank_deficient_matrix
from dleverage.testing.reference import (
    extended_precision_leverage,
    reference_leverage,
)

__all__ = [
    "extended_precision_leverage",
    "matrix_with_condition",
    "rank_deficient_matrix",
    "reference_leverage",
]
