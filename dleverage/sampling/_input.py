"""Boundary checks of the sampler: scores, labels, size and scheme names.

Scores arrive as a :class:`~dleverage.scores.LeverageResult`, the path of a score
store, a Dask array or a NumPy array; labels as a NumPy or Dask array or a Zarr
array path. Both leave here as 1-D Dask arrays with the same known row chunks.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import zarr

from dleverage._validation import check_dtype
from dleverage.errors import (
    InvalidInputError,
    InvalidLabelsError,
    InvalidSampleSizeError,
    UnknownSchemeError,
)
from dleverage.io.matrix import open_zarr_array
from dleverage.io.urls import redact_url
from dleverage.scores import LeverageResult, read_scores

__all__ = [
    "NUMPY_BLOCK_ROWS",
    "ScoreSource",
    "as_labels",
    "as_scores",
    "check_choice",
    "check_size",
]

#: Rows per block when NumPy scores or labels are split for the sampler. Fixed, so
#: the same NumPy scores and seed always give the same sample.
NUMPY_BLOCK_ROWS = 1 << 20

_LABEL_KINDS = "biuUS"


@dataclass
class ScoreSource:
    """Scores to sample from, as a 1-D Dask array with known row chunks.

    Attributes
    ----------
    scores : dask.array.Array of shape (n_samples,)
    location : str or None
        Redacted path of the score store they were read from.
    input : dict
        Fingerprint of the matrix the scores were computed from, when known.
    factor : dict
        ``ridge``, ``ridge_spec``, ``d_eff`` and ``rank`` of the factor, when known.
    """

    scores: da.Array
    location: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    factor: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        """Number of scores."""
        return int(self.scores.shape[0])


def _factor_fields(result: LeverageResult) -> dict[str, Any]:
    factor = result.factor
    return {
        "ridge": factor.ridge,
        "ridge_spec": factor.ridge_spec,
        "d_eff": factor.d_eff,
        "rank": factor.rank,
    }


def _check_vector(array: da.Array, what: str) -> da.Array:
    if array.ndim != 1:
        raise InvalidInputError(
            f"Expected 1-D {what} of shape (n_samples,), got shape {array.shape}. "
            "Pass one score per row."
        )
    if any(math.isnan(c) for c in array.chunks[0]):
        raise InvalidInputError(
            f"The {what} have unknown chunk sizes. Call x.compute_chunk_sizes() first."
        )
    if array.shape[0] == 0:
        raise InvalidInputError(f"The {what} are empty; there is nothing to sample.")
    return array


def as_scores(scores: object) -> ScoreSource:
    """Return ``scores`` as a :class:`ScoreSource`.

    Raises
    ------
    InvalidInputError
        If the scores are not 1-D, are empty, or the store cannot be read.
    UnsupportedDtypeError
        If their dtype is not numeric.
    """
    if isinstance(scores, (str, os.PathLike)):
        result = read_scores(scores)
        source = ScoreSource(
            result.scores, redact_url(scores), result.input, _factor_fields(result)
        )
    elif isinstance(scores, LeverageResult):
        source = ScoreSource(scores.scores, None, scores.input, _factor_fields(scores))
    elif isinstance(scores, da.Array):
        source = ScoreSource(scores)
    else:
        array = np.asarray(scores)
        if array.ndim != 1:
            raise InvalidInputError(
                f"Expected 1-D scores of shape (n_samples,), got shape {array.shape}."
            )
        chunk = min(NUMPY_BLOCK_ROWS, max(1, array.shape[0]))
        source = ScoreSource(da.from_array(array, chunks=chunk))
    check_dtype(source.scores.dtype, what="scores")
    source.scores = _check_vector(source.scores, "scores")
    return source


def _open_labels(labels: object) -> da.Array:
    if isinstance(labels, da.Array):
        return labels
    if isinstance(labels, (str, os.PathLike)):
        text = os.fspath(labels)
        path, sep, component = text.partition("::")
        array = open_zarr_array(path, component=component if sep else None)
        return da.from_zarr(array)
    if isinstance(labels, zarr.Array):
        return da.from_zarr(labels)
    return da.from_array(np.asarray(labels), chunks=NUMPY_BLOCK_ROWS)


def as_labels(labels: object, scores: da.Array, *, classes: bool = True) -> da.Array:
    """Return ``labels`` as a 1-D Dask array chunked like ``scores``.

    With ``classes=False`` any numeric target (float regression targets too) is
    accepted.

    Raises
    ------
    InvalidLabelsError
        If the labels are not 1-D, not as long as the scores, or (with
        ``classes=True``) not integer, boolean or string.
    """
    array = _open_labels(labels)
    n = scores.shape[0]
    if array.ndim != 1 or array.shape[0] != n:
        raise InvalidLabelsError(
            f"Expected labels of shape ({n},), one per score, got shape "
            f"{array.shape}. Pass the labels of the rows that were scored."
        )
    kinds = _LABEL_KINDS if classes else _LABEL_KINDS + "f"
    if array.dtype.kind not in kinds:
        raise InvalidLabelsError(
            f"Unsupported label dtype {array.dtype}. Expected integer, boolean or "
            "string class labels; convert float labels with labels.astype(int)."
        )
    return array.rechunk({0: scores.chunks[0]})


def check_size(size: object) -> int:
    """Return the sample size as an int.

    Raises
    ------
    InvalidSampleSizeError
        If ``size`` is not an integer >= 1.
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise InvalidSampleSizeError(
            f"Invalid sample size {size!r}. Expected an integer m >= 1."
        )
    return int(size)


def check_choice(value: object, choices: tuple[str, ...], *, name: str) -> str:
    """Return ``value`` if it is one of ``choices``.

    Raises
    ------
    UnknownSchemeError
        Otherwise, listing the choices.
    """
    if not isinstance(value, str) or value not in choices:
        raise UnknownSchemeError(
            f"Invalid {name} {value!r}. Expected one of {', '.join(choices)}."
        )
    return value
