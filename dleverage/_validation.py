"""Boundary checks shared by the Python API and the command line.

The numerical kernels below this layer trust their inputs: these helpers check rank,
dtype and layout once, and raise a :class:`~dleverage.errors.DleverageError` subclass
whose message names the bad value and the fix.
"""

from __future__ import annotations

import numbers

import numpy as np

from dleverage.errors import InvalidInputError, UnsupportedDtypeError

__all__ = ["check_dtype", "check_matrix_shape", "check_seed", "check_positive_int"]

_NUMERIC_KINDS = "biuf"


def check_dtype(dtype: np.dtype, *, what: str = "input matrix") -> np.dtype:
    """Return ``dtype`` if it is boolean, integer or real floating point.

    Raises
    ------
    UnsupportedDtypeError
        For complex, object, string, datetime and structured dtypes.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in _NUMERIC_KINDS:
        raise UnsupportedDtypeError(
            f"Unsupported dtype {dtype} for the {what}. Expected a boolean, integer or "
            "real floating-point dtype; convert the data to float64 first (object and "
            "string arrays cannot be scored)."
        )
    return dtype


def check_matrix_shape(shape: tuple[float, ...], *, what: str = "input matrix") -> None:
    """Check that ``shape`` is 2-D with at least one column.

    Raises
    ------
    InvalidInputError
        If the array is not 2-D or has no columns.
    """
    if len(shape) != 2:
        hint = ""
        if len(shape) == 1:
            hint = " Reshape a single feature with x.reshape(-1, 1)."
        raise InvalidInputError(
            f"Expected a 2-D {what} of shape (n_samples, n_features), got "
            f"{len(shape)}-D shape {tuple(shape)}.{hint}"
        )
    if shape[1] == 0:
        raise InvalidInputError(
            f"The {what} has shape {tuple(shape)} with no columns; at least one "
            "feature column is needed."
        )


def check_positive_int(value: object, *, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidInputError(
            f"Invalid value for {name}: {value!r}. Expected an integer >= 1."
        )
    return int(value)


def check_seed(seed: object) -> int | None:
    """Return ``seed`` if it is None or a non-negative integer.

    Raises
    ------
    InvalidInputError
        For floats, strings, booleans and negative integers.
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidInputError(
            f"Invalid seed {seed!r}. Expected a non-negative integer or None."
        )
    return int(seed)
