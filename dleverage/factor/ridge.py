"""The ridge parameter lambda: parsing its three forms and resolving it on the data.

Forms accepted by ``ridge=``:

- an absolute float ``lambda >= 0`` (also the strings ``"0.5"`` or ``"abs:0.5"``);
- ``"rel:c"``: ``lambda = c * trace(X^T X) / d``, that is ``c`` times the mean
  eigenvalue of X^T X (``"rel:0.01"`` is 1% of the mean eigenvalue);
- ``"deff:k"``: the lambda for which the effective dimension
  ``d_lambda = sum_j s_j^2 / (s_j^2 + lambda)`` equals ``k``.

With an intercept the penalty leaves the intercept column out, and ``X`` above is
the column-centered matrix whose singular values the factor provides.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dleverage.errors import InvalidRidgeError

__all__ = [
    "RidgeSpec",
    "effective_dimension",
    "parse_ridge",
    "resolve_ridge",
    "ridge_for_effective_dimension",
]

_BISECTION_STEPS = 200


@dataclass(frozen=True)
class RidgeSpec:
    """A parsed ``ridge`` argument.

    Attributes
    ----------
    kind : {"absolute", "relative", "deff"}
    value : float
        lambda itself, the factor c of the mean eigenvalue, or the target d_lambda.
    text : str
        The argument as given, kept in the output attrs.
    """

    kind: Literal["absolute", "relative", "deff"]
    value: float
    text: str


def parse_ridge(ridge: float | str | RidgeSpec) -> RidgeSpec:
    """Parse ``ridge`` into a :class:`RidgeSpec`.

    Raises
    ------
    InvalidRidgeError
        For negative or non-finite values, unknown prefixes and unparsable numbers.
    """
    if isinstance(ridge, RidgeSpec):
        return ridge
    if isinstance(ridge, bool):
        raise InvalidRidgeError(
            f"Invalid ridge {ridge!r}: expected a number or string."
        )
    if isinstance(ridge, numbers.Real):
        return _checked(RidgeSpec("absolute", float(ridge), repr(float(ridge))))
    if not isinstance(ridge, str):
        raise InvalidRidgeError(
            f"Invalid ridge of type {type(ridge).__name__}: expected a float, "
            "'rel:C' or 'deff:K'."
        )
    text = ridge.strip()
    prefix, sep, rest = text.partition(":")
    kinds = {"abs": "absolute", "rel": "relative", "deff": "deff"}
    if not sep:
        prefix, rest = "abs", text
    if prefix.lower() not in kinds:
        raise InvalidRidgeError(
            f"Invalid ridge {ridge!r}: unknown prefix {prefix!r}. Use a float, "
            "'abs:LAMBDA', 'rel:C' (C times the mean eigenvalue of X^T X) or "
            "'deff:K' (target effective dimension)."
        )
    try:
        value = float(rest)
    except ValueError as exc:
        raise InvalidRidgeError(
            f"Invalid ridge {ridge!r}: {rest!r} is not a number. Expected a number "
            f"after the prefix, as in '{prefix.lower()}:0.01' or 'deff:50'."
        ) from exc
    return _checked(RidgeSpec(kinds[prefix.lower()], value, text))  # type: ignore[arg-type]


def _checked(spec: RidgeSpec) -> RidgeSpec:
    if not math.isfinite(spec.value) or spec.value < 0:
        raise InvalidRidgeError(
            f"Invalid ridge {spec.text!r}: the value must be finite and >= 0."
        )
    if spec.kind == "deff" and spec.value <= 0:
        raise InvalidRidgeError(
            f"Invalid ridge {spec.text!r}: the target effective dimension must be > 0, "
            "as in 'deff:50'."
        )
    return spec


def effective_dimension(singular_values: np.ndarray, ridge: float) -> float:
    """Return ``sum_j s_j^2 / (s_j^2 + lambda)``, or the count of s_j > 0 at 0."""
    s2 = np.asarray(singular_values, dtype=np.float64) ** 2
    if ridge == 0:
        return float(np.count_nonzero(s2))
    return float(np.sum(s2 / (s2 + ridge)))


def ridge_for_effective_dimension(
    singular_values: np.ndarray, target: float, *, text: str | None = None
) -> float:
    """Return lambda > 0 with ``effective_dimension(s, lambda) == target``.

    Bisection on log(lambda): d_lambda decreases strictly from rank (lambda -> 0)
    to 0 (lambda -> infinity), so the root is unique.

    Raises
    ------
    InvalidRidgeError
        If ``target`` is not strictly between 0 and the number of nonzero s_j.
    """
    s = np.asarray(singular_values, dtype=np.float64)
    s = s[s > 0]
    if not 0 < target < s.size:
        shown = text if text is not None else f"deff:{target:g}"
        raise InvalidRidgeError(
            f"Invalid ridge {shown!r}: the effective dimension must lie "
            f"strictly between 0 and the rank {s.size} of the penalized columns. "
            "Use ridge=0 for the exact leverage, whose sum is the rank."
        )
    low = math.log(s.min() ** 2) - 40.0
    high = math.log(s.max() ** 2) + 40.0
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if effective_dimension(s, math.exp(middle)) > target:
            low = middle
        else:
            high = middle
        if high - low < 1e-14:
            break
    return math.exp(0.5 * (low + high))


def resolve_ridge(
    spec: RidgeSpec, singular_values: np.ndarray, *, n_unpenalized: int = 0
) -> float:
    """Return the absolute lambda of ``spec`` for penalized singular values ``s``.

    For ``"rel:c"`` this is ``c * sum(s^2) / len(s)``, c times the mean eigenvalue of
    the penalized Gram matrix. For ``"deff:k"`` the target counts the
    ``n_unpenalized`` columns (the intercept), each of which adds exactly 1.
    """
    if spec.kind == "absolute":
        return spec.value
    s = np.asarray(singular_values, dtype=np.float64)
    if spec.kind == "relative":
        return spec.value * float(np.sum(s**2)) / max(1, s.size)
    target = spec.value - n_unpenalized
    if target <= 0:
        raise InvalidRidgeError(
            f"Invalid ridge {spec.text!r}: with an intercept the effective dimension "
            f"is at least {n_unpenalized}; choose a larger target."
        )
    return ridge_for_effective_dimension(s, target, text=spec.text)
