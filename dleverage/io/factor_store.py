"""Store a :class:`~dleverage.factor.factor.Factor` in a Zarr group and read it back.

Layout inside the group::

    factor/r_data             float64 (p, p), upper triangular, R^T R = Z^T Z
    factor/solver             float64 (p, p) or (p, rank)
    factor/singular_values    float64 (n_features,)

The scalar fields are the attrs of ``factor/``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import zarr

from dleverage.errors import IncompleteOutputError
from dleverage.factor.factor import Factor
from dleverage.io.urls import redact_url

__all__ = ["FACTOR_ARRAYS", "factor_from_group", "factor_metadata", "write_factor"]

FACTOR_ARRAYS = ("r_data", "solver", "singular_values")


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def factor_metadata(factor: Factor) -> dict[str, Any]:
    """Return the JSON-serializable scalar fields of ``factor``."""
    return {
        "method": factor.method,
        "method_reason": factor.method_reason,
        "n_samples": factor.n_samples,
        "n_features": factor.n_features,
        "intercept": factor.intercept,
        "ridge": factor.ridge,
        "ridge_spec": factor.ridge_spec,
        "rcond": factor.rcond,
        "rank": factor.rank,
        "d_eff": factor.d_eff,
        "solver_kind": factor.solver_kind,
        "condition_number": _json_float(factor.condition_number),
    }


def write_factor(group: zarr.Group, factor: Factor) -> None:
    """Write the arrays of ``factor`` into ``group/factor``."""
    sub = group.require_group("factor")
    for name in FACTOR_ARRAYS:
        values = np.asarray(getattr(factor, name), dtype=np.float64)
        array = sub.create_array(
            name,
            shape=values.shape,
            dtype="float64",
            chunks=values.shape or (1,),
            overwrite=True,
        )
        array[...] = values
    sub.attrs.update(factor_metadata(factor))


def factor_from_group(group: zarr.Group) -> Factor:
    """Read a :class:`Factor` written by :func:`write_factor`."""
    try:
        sub = group["factor"]
        meta = dict(sub.attrs)
        arrays = {name: np.asarray(sub[name][...]) for name in FACTOR_ARRAYS}
    except KeyError as exc:
        raise IncompleteOutputError(
            f"The store {redact_url(str(group.store_path))} has no complete factor "
            f"group: {exc}."
        ) from exc
    condition = meta.get("condition_number")
    return Factor(
        method=meta["method"],
        method_reason=meta["method_reason"],
        n_samples=int(meta["n_samples"]),
        n_features=int(meta["n_features"]),
        intercept=bool(meta["intercept"]),
        ridge=float(meta["ridge"]),
        ridge_spec=str(meta["ridge_spec"]),
        rcond=float(meta["rcond"]),
        rank=int(meta["rank"]),
        d_eff=float(meta["d_eff"]),
        r_data=arrays["r_data"],
        singular_values=arrays["singular_values"],
        solver_kind=meta["solver_kind"],
        solver=arrays["solver"],
        condition_number=float("inf") if condition is None else float(condition),
    )
