"""Write and read score stores: a Zarr v3 group written atomically.

Layout of a store::

    OUT/                        Zarr v3 group, attrs["dleverage"] = metadata below
      scores                    float64 (n_samples,), row-chunked like the input
      factor/r_data             float64 (p, p), upper triangular, R^T R = Z^T Z
      factor/solver             float64 (p, p) or (p, rank)
      factor/singular_values    float64 (n_features,)

A local store is written under a hidden temporary name beside ``OUT`` and renamed
into place when complete, so a failed run leaves no group at ``OUT``. Every store
also carries ``attrs["dleverage"]["complete"] = True``, written last, and readers
reject stores without it (this is the only guard on stores that are not local).
"""

from __future__ import annotations

import datetime
import logging
import math
import os
import shutil
import time
import uuid
from typing import Any

import dask.array as da
import numpy as np
import zarr

from dleverage._compute import compute
from dleverage._version import __version__
from dleverage.errors import IncompleteOutputError, InvalidInputError, OutputExistsError
from dleverage.factor.factor import Factor
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "FORMAT",
    "check_output_location",
    "factor_from_group",
    "factor_metadata",
    "open_store",
    "write_factor",
    "write_scores_store",
]

logger = logging.getLogger(__name__)

#: Format tag of score stores; readers check it.
FORMAT = "dleverage.scores/1"

_FACTOR_ARRAYS = ("r_data", "solver", "singular_values")


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
    for name in _FACTOR_ARRAYS:
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
        arrays = {name: np.asarray(sub[name][...]) for name in _FACTOR_ARRAYS}
    except KeyError as exc:
        raise IncompleteOutputError(
            f"The store {group.store_path} has no complete factor group: {exc}."
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


def _node_exists(location: str) -> bool:
    try:
        zarr.open(store=location, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    return True


def _is_dleverage_store(path: str) -> bool:
    try:
        group = zarr.open_group(path, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    return "dleverage" in group.attrs


def _is_regular(chunks: tuple[int, ...]) -> bool:
    # Zarr needs equal chunks with a shorter last one; Dask chunks may be anything.
    head = chunks[:-1]
    return all(c == chunks[0] for c in head) and chunks[-1] <= chunks[0]


def _write_group(
    location: str,
    scores: da.Array,
    factor: Factor,
    metadata: dict[str, Any],
    *,
    progress: bool,
) -> None:
    group = zarr.open_group(location, mode="w", zarr_format=3)
    row_chunks = tuple(int(c) for c in scores.chunks[0])
    chunk = max(1, max(row_chunks, default=1))
    if _is_regular(row_chunks) and row_chunks[0] > 0:
        chunk = row_chunks[0]
    else:
        scores = scores.rechunk(chunk)
    target = group.create_array(
        "scores", shape=(factor.n_samples,), chunks=(chunk,), dtype="float64"
    )
    write_factor(group, factor)
    compute(da.store(scores, target, lock=False, compute=False), progress=progress)
    group.attrs["dleverage"] = {**metadata, "complete": True}


def check_output_location(
    path: str | os.PathLike[str], *, overwrite: bool = False
) -> str:
    """Check that a new store may be written at a local ``path``; return it absolute.

    Call it before any computation so that a run fails before doing work.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False, or it is not a dleverage
        store (which is never replaced).
    InvalidInputError
        If the parent folder does not exist.
    """
    location = os.fspath(path)
    local = is_local(location)
    target = local_path(location) if local else location
    shown = target if local else redact_url(location)
    exists = os.path.exists(target) if local else _node_exists(location)
    if exists:
        if not overwrite:
            raise OutputExistsError(
                f"The output {shown!r} exists already. Choose another path or pass "
                "overwrite=True (--overwrite) to replace it."
            )
        if not _is_dleverage_store(target):
            raise OutputExistsError(
                f"The output {shown!r} exists and is not a dleverage store, so it "
                "is not replaced. Choose another path."
            )
    parent = os.path.dirname(target)
    if local and not os.path.isdir(parent):
        raise InvalidInputError(
            f"The parent folder {parent!r} of the output does not exist. Create it "
            "first."
        )
    return target


def write_scores_store(
    path: str | os.PathLike[str],
    scores: da.Array,
    factor: Factor,
    metadata: dict[str, Any],
    *,
    overwrite: bool = False,
    progress: bool = False,
) -> str:
    """Compute ``scores`` into a new store at ``path`` and return its location.

    Parameters
    ----------
    path : str or path-like
        Local path or fsspec URL of the group to create.
    scores : dask.array.Array of shape (n_samples,)
        Known chunk sizes.
    factor : Factor
    metadata : dict
        Extra attrs (input fingerprint); ``format``, ``version``, ``created_utc``
        and the factor fields are added.
    overwrite : bool, default=False
        Replace an existing store at ``path``, but only one that dleverage wrote.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False, or it exists and is not a
        dleverage store.
    """
    location = os.fspath(path)
    attrs = {
        "format": FORMAT,
        "version": __version__,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        **factor_metadata(factor),
        **metadata,
    }
    if not is_local(location):
        check_output_location(location, overwrite=overwrite)
        # NOTE: remote stores are written in place. Only the completion marker in
        # attrs, written last, distinguishes a finished store from a failed one.
        _write_group(location, scores, factor, attrs, progress=progress)
        return redact_url(location)
    target = check_output_location(location, overwrite=overwrite)
    parent = os.path.dirname(target)
    temporary = os.path.join(
        parent, f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex[:12]}"
    )
    try:
        _write_group(temporary, scores, factor, attrs, progress=progress)
        _replace(temporary, target)
    except BaseException:
        _discard(temporary)
        raise
    logger.info("wrote %s (%d rows)", target, factor.n_samples)
    return target


def _discard(
    temporary: str, *, quiet_seconds: float = 1.0, timeout: float = 60.0
) -> None:
    """Remove a failed run's temporary store, also what in-flight tasks write later.

    When one block fails, Dask raises at once while tasks already running on other
    threads or workers go on and may write their chunk after a first removal. The
    folder counts as gone once it has stayed absent for ``quiet_seconds``.
    """
    deadline = time.monotonic() + timeout
    absent_since: float | None = None
    while time.monotonic() < deadline:
        if os.path.exists(temporary):
            shutil.rmtree(temporary, ignore_errors=True)
            absent_since = None
        elif absent_since is None:
            absent_since = time.monotonic()
        elif time.monotonic() - absent_since >= quiet_seconds:
            return
        time.sleep(0.05)
    logger.error("could not remove the temporary store %s of a failed run", temporary)


def _replace(temporary: str, target: str) -> None:
    if not os.path.exists(target):
        os.rename(temporary, target)
        return
    retired = f"{temporary}.old"
    os.rename(target, retired)
    os.rename(temporary, target)
    shutil.rmtree(retired, ignore_errors=True)


def open_store(path: str | os.PathLike[str]) -> zarr.Group:
    """Open a complete score store read-only.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``path``.
    IncompleteOutputError
        If the group has no completion marker or a different format.
    """
    where = redact_url(path)
    try:
        group = zarr.open_group(os.fspath(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"No score store found at {where!r}.") from exc
    meta = group.attrs.get("dleverage")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise IncompleteOutputError(
            f"{where!r} is not a dleverage score store (no attrs['dleverage'] of "
            f"format {FORMAT})."
        )
    if not meta.get("complete"):
        raise IncompleteOutputError(
            f"The score store {where!r} is incomplete: the run that wrote it did not "
            "finish. Run the scoring again."
        )
    return group
