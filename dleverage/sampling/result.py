"""The result of :func:`dleverage.sample` and its Zarr layout.

Layout of a sample group::

    OUT/                 Zarr v3 group, attrs["dleverage"] = metadata below
      indices            int64 (k,), ascending row indices into the scored matrix
      counts             int64 (k,), multiplicity of each row (1 without replacement)
      weights            float64 (k,), sketch weight of one copy of the row
      probabilities      float64 (k,), draw (iid) or inclusion probability
      sample_weight      float64 (k,), counts * weights**2, for estimators' fit
      X, y               only with materialize: the selected rows and their labels

The attrs hold ``format``, ``scheme``, ``m``, ``seed``, ``n_selected``,
``n_draws``, the stratification (``base``, ``budget``, ``classes``,
``budgets``) and ``source``, the fingerprint of the scores: their store path,
row count, row chunks and a BLAKE2b digest of their bytes.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import zarr

from dleverage._version import __version__
from dleverage.io.atomic import atomic_output, open_complete_group
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = ["FORMAT", "SampleResult", "Selection", "read_sample"]

logger = logging.getLogger(__name__)

#: Format tag of sample groups; readers check it.
FORMAT = "dleverage.sample/1"

_ARRAYS = ("indices", "counts", "weights", "probabilities")


class Selection(NamedTuple):
    """Rows one scheme selected, sorted by index (internal to the schemes)."""

    indices: np.ndarray
    counts: np.ndarray
    probabilities: np.ndarray
    weights: np.ndarray
    groups: np.ndarray


@dataclass
class SampleResult:
    """Rows drawn by :func:`dleverage.sample`, with their multiplicities and weights.

    Attributes
    ----------
    indices : ndarray of shape (k,), int64
        Selected rows of the scored matrix, ascending and distinct.
    counts : ndarray of shape (k,), int64
        Times each row was drawn; all ones for schemes without replacement.
    weights : ndarray of shape (k,), float64
        Sketch weight of one copy of each row: 1 / sqrt(m p_i) with replacement,
        1 / sqrt(pi_i) without, 1 for ``topk``.
    probabilities : ndarray of shape (k,), float64
        Per-draw probability p_i (with replacement) or inclusion probability pi_i
        (without), relative to the row's class when stratified.
    scheme : str
        ``iid``, ``bernoulli``, ``topk``, ``uniform`` or ``stratified``.
    size : int
        The requested m (the expected size for ``bernoulli``).
    seed : int
        Seed the draws came from.
    source : dict
        Fingerprint of the scores sampled from.
    options : dict
        Scheme options: ``replace``, and for ``stratified`` the ``base`` scheme,
        ``budget`` rule, ``classes`` and per-class ``budgets``.
    """

    indices: np.ndarray
    counts: np.ndarray
    weights: np.ndarray
    probabilities: np.ndarray
    scheme: str
    size: int
    seed: int
    source: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_selected(self) -> int:
        """Distinct rows selected."""
        return int(self.indices.size)

    @property
    def n_draws(self) -> int:
        """Total draws, ``counts.sum()``."""
        return int(self.counts.sum())

    @property
    def sample_weight(self) -> np.ndarray:
        """``counts * weights**2``: per-row weights of the weighted least squares fit.

        With these weights sum_i w_i x_i x_i^T over the subset is an unbiased
        estimate of X^T X (for the random schemes).
        """
        return self.counts * self.weights**2

    def metadata(self) -> dict[str, Any]:
        """Return the attrs written with the arrays."""
        return {
            "format": FORMAT,
            "version": __version__,
            "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "scheme": self.scheme,
            "m": self.size,
            "seed": self.seed,
            "n_selected": self.n_selected,
            "n_draws": self.n_draws,
            **self.options,
            "source": self.source,
        }

    def to_zarr(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        materialize: object = None,
        labels: object = None,
        chunk_rows: int | None = None,
    ) -> str:
        """Write the sample as a new Zarr v3 group, atomically.

        The group is built under a hidden temporary name beside ``path`` and
        renamed into place when complete; on any error nothing is left at
        ``path``.

        Parameters
        ----------
        path : str or path-like
            Group to create.
        overwrite : bool, default=False
            Replace an existing sample group at ``path``.
        materialize : array-like of shape (n_samples, n_features), optional
            The matrix that was scored (Zarr path, ``PATH::NAME``, zarr.Array,
            NumPy or Dask array). Its selected rows are gathered block by block
            into ``X``; the whole matrix is never loaded.
        labels : array-like of shape (n_samples,), optional
            Labels of the scored rows; the selected ones go to ``y``.
        chunk_rows : int, optional
            Row chunk of ``X`` and ``y`` (default: the input's row chunk).

        Returns
        -------
        str
            The absolute path (or redacted URL) written.

        Raises
        ------
        OutputExistsError
            If ``path`` exists and ``overwrite`` is False, or it is not a sample.
        InvalidInputError
            If ``materialize`` or ``labels`` do not have one row per score.
        """
        from dleverage.sampling.materialize import write_labels, write_rows

        with atomic_output(
            path, overwrite=overwrite, is_replaceable=_is_sample_group
        ) as location:
            group = zarr.open_group(location, mode="w", zarr_format=3)
            self._write_arrays(group)
            extra: dict[str, Any] = {}
            if materialize is not None:
                extra["materialized"] = write_rows(group, self, materialize, chunk_rows)
            if labels is not None:
                extra["labels"] = write_labels(group, self, labels, chunk_rows)
            group.attrs["dleverage"] = {**self.metadata(), **extra, "complete": True}
        where = local_path(path) if is_local(path) else redact_url(path)
        logger.info("wrote sample of %d rows to %s", self.n_selected, where)
        return where

    def _write_arrays(self, group: zarr.Group) -> None:
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        arrays["sample_weight"] = self.sample_weight
        chunk = max(1, min(1 << 20, self.n_selected))
        for name, values in arrays.items():
            target = group.create_array(
                name, shape=values.shape, dtype=values.dtype, chunks=(chunk,)
            )
            target[...] = values


def _is_sample_group(path: str) -> bool:
    try:
        group = zarr.open_group(path, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    meta = group.attrs.get("dleverage")
    return isinstance(meta, dict) and meta.get("format") == FORMAT


_RESULT_KEYS = ("format", "version", "created_utc", "scheme", "m", "seed", "source")
_DERIVED_KEYS = ("n_selected", "n_draws", "complete", "materialized", "labels")


def read_sample(path: str | os.PathLike[str]) -> SampleResult:
    """Open a sample group written by :meth:`SampleResult.to_zarr`.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``path``.
    IncompleteOutputError
        If the group is not a complete sample group.
    """
    group = open_complete_group(
        path,
        format_tag=FORMAT,
        kind="sample group",
        rerun="Draw the sample again.",
    )
    meta = group.attrs["dleverage"]
    arrays = {name: np.asarray(group[name][...]) for name in _ARRAYS}
    options = {
        key: value
        for key, value in meta.items()
        if key not in _RESULT_KEYS and key not in _DERIVED_KEYS
    }
    return SampleResult(
        **arrays,
        scheme=meta["scheme"],
        size=int(meta["m"]),
        seed=int(meta["seed"]),
        source=dict(meta["source"]),
        options=options,
    )
