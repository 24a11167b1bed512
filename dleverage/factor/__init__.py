"""Pass 1: the reduced factor (TSQR or Gram) and the ridge parameter."""

from dleverage.factor.factor import Factor, build_factor, default_rcond
from dleverage.factor.reduce import factorize, gram_is_safe
from dleverage.factor.ridge import (
    RidgeSpec,
    effective_dimension,
    parse_ridge,
    ridge_for_effective_dimension,
)

__all__ = [
    "Factor",
    "RidgeSpec",
    "build_factor",
    "default_rcond",
    "effective_dimension",
    "factorize",
    "gram_is_safe",
    "parse_ridge",
    "ridge_for_effective_dimension",
]
