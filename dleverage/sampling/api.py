"""``dleverage.sample``: draw a training subset from leverage scores."""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np

from dleverage.errors import InvalidLabelsError, InvalidSampleSizeError
from dleverage.sampling._input import (
    ScoreSource,
    as_labels,
    as_scores,
    check_choice,
    check_size,
)
from dleverage.sampling.bernoulli import sample_bernoulli
from dleverage.sampling.blocks import BlockStats, digest_of, scan_blocks
from dleverage.sampling.iid import sample_iid
from dleverage.sampling.result import SampleResult, Selection
from dleverage.sampling.seeding import resolve_seed
from dleverage.sampling.stratified import BUDGETS, class_budgets, label_classes
from dleverage.sampling.topk import sample_topk
from dleverage.sampling.uniform import sample_uniform

__all__ = ["BASE_SCHEMES", "SCHEMES", "sample"]

logger = logging.getLogger(__name__)

#: Schemes that draw from all rows at once.
BASE_SCHEMES = ("iid", "bernoulli", "topk", "uniform")
#: All values of ``scheme=``.
SCHEMES = (*BASE_SCHEMES, "stratified")

Scheme = Literal["iid", "bernoulli", "topk", "uniform", "stratified"]


def sample(
    scores: object,
    *,
    size: int,
    scheme: Scheme = "iid",
    seed: int | None = None,
    labels: object = None,
    base: Literal["iid", "bernoulli", "topk", "uniform"] = "iid",
    budget: Literal["proportional", "equal"] = "proportional",
    replace: bool = False,
) -> SampleResult:
    """Draw a subset of rows with probabilities given by their scores.

    Parameters
    ----------
    scores : LeverageResult, str, path-like, dask.array.Array or ndarray
        Scores h_i >= 0 of shape (n_samples,): a result of
        :func:`~dleverage.leverage_scores`, the path of a score store (read with
        :func:`~dleverage.read_scores`), or an array.
    size : int
        m >= 1: draws for ``iid``, the expected size for ``bernoulli``, rows for
        ``topk`` and ``uniform``, the total over classes for ``stratified``.
    scheme : {"iid", "bernoulli", "topk", "uniform", "stratified"}, default="iid"
        ``iid``: m draws with replacement, p_i = h_i / sum_j h_j, weight
        1 / sqrt(m p_i). ``bernoulli``: row i kept independently with
        pi_i = min(1, c h_i), c such that sum_i pi_i = m, weight 1 / sqrt(pi_i).
        ``topk``: the m highest scores, ties by lower index, weight 1.
        ``uniform``: m rows uniformly, without replacement unless ``replace``.
        ``stratified``: ``base`` inside each class of ``labels``.
    seed : int, optional
        Non-negative integer. None draws one from the operating system, stored in
        the result. The sample depends on the seed and the row chunks of the
        scores only, not on the scheduler, workers or threads.
    labels : array-like of shape (n_samples,), optional
        Class labels (integer, boolean or string; NumPy, Dask or a Zarr path),
        required by and only used by ``stratified``.
    base : {"iid", "bernoulli", "topk", "uniform"}, default="iid"
        Scheme run inside each class by ``stratified``.
    budget : {"proportional", "equal"}, default="proportional"
        Split of m over classes: m_g within 1 of m n_g / n, or of m / G.
    replace : bool, default=False
        Draw ``uniform`` with replacement (p_i = 1 / n per draw).

    Returns
    -------
    SampleResult
        ``indices`` (sorted, int64), ``counts``, ``weights`` and
        ``probabilities`` as NumPy arrays, and :meth:`SampleResult.to_zarr`.

    Raises
    ------
    InvalidScoresError
        If a score is NaN, infinite or negative, or all are zero (except for
        ``uniform``).
    InvalidSampleSizeError
        If m < 1, or m (or a class budget) exceeds the rows available without
        replacement: n for ``topk`` and ``uniform``, the positive scores for
        ``bernoulli``.
    UnknownSchemeError
        For an unknown ``scheme``, ``base`` or ``budget``.
    InvalidLabelsError
        If labels are missing for ``stratified``, given for another scheme, or
        have the wrong length or dtype.
    InvalidSeedError
        If ``seed`` is not a non-negative integer or None.

    Notes
    -----
    Pass 1 reads every block of the scores once for block masses, counts and
    checks (and the highest scores for ``topk`` and ``bernoulli``); pass 2 reads
    only blocks with draws. Scores of a :class:`~dleverage.LeverageResult` that
    was not written to a store are computed in each pass, so for large inputs
    write the scores first and sample from the store.

    Examples
    --------
    >>> import numpy as np, dleverage as dl
    >>> chosen = dl.sample(np.array([0.0, 1.0, 1.0, 2.0]), size=2, scheme="topk")
    >>> chosen.indices
    array([1, 3])
    """
    m = check_size(size)
    scheme = check_choice(scheme, SCHEMES, name="scheme")  # type: ignore[assignment]
    base = check_choice(base, BASE_SCHEMES, name="base scheme")  # type: ignore[assignment]
    budget = check_choice(budget, BUDGETS, name="budget rule")  # type: ignore[assignment]
    drawn_seed = resolve_seed(seed)
    source = as_scores(scores)
    if scheme != "stratified" and labels is not None:
        raise InvalidLabelsError(
            f"labels are only used by scheme='stratified', not {scheme!r}. Drop "
            "them, or choose the stratified scheme."
        )
    if scheme == "stratified":
        selection, stats, options = _stratified(
            source, labels, m, base, budget, drawn_seed, replace
        )
    else:
        budgets = np.array([m], dtype=np.int64)
        selection, stats = _run(
            scheme, source, None, np.zeros(1), budgets, drawn_seed, replace
        )
        options = {"replace": bool(replace)} if scheme == "uniform" else {}
    result = SampleResult(
        indices=selection.indices,
        counts=selection.counts,
        weights=selection.weights,
        probabilities=selection.probabilities,
        scheme=scheme,
        size=m,
        seed=drawn_seed,
        source=_fingerprint(source, stats),
        options=options,
    )
    logger.info(
        "sample: scheme=%s m=%d seed=%d selected=%d",
        scheme,
        m,
        drawn_seed,
        result.n_selected,
    )
    return result


def _run(
    scheme: str,
    source: ScoreSource,
    labels: Any,
    classes: np.ndarray,
    budgets: np.ndarray,
    seed: int,
    replace: bool,
) -> tuple[Selection, BlockStats]:
    top = budgets if scheme in ("topk", "bernoulli") else np.zeros_like(budgets)
    if scheme in ("topk", "uniform") and not replace:
        _check_rows(budgets, source.n_samples)
    stats = scan_blocks(
        source.scores, labels, classes, top, require_mass=scheme in ("iid", "bernoulli")
    )
    if scheme == "iid":
        _check_group_mass(stats, budgets, classes)
        return sample_iid(source.scores, labels, classes, budgets, seed, stats), stats
    if scheme == "bernoulli":
        return sample_bernoulli(
            source.scores, labels, classes, budgets, seed, stats
        ), stats
    if scheme == "topk":
        return sample_topk(stats, budgets), stats
    selection = sample_uniform(
        source.scores, labels, classes, budgets, seed, stats, replace=replace
    )
    return selection, stats


def _check_rows(budgets: np.ndarray, n_samples: int) -> None:
    total = int(budgets.sum())
    if total > n_samples:
        raise InvalidSampleSizeError(
            f"Cannot select {total} of n_samples={n_samples} rows without "
            f"replacement. Choose a size of at most {n_samples}, or use scheme='iid'."
        )


def _check_group_mass(
    stats: BlockStats, budgets: np.ndarray, classes: np.ndarray
) -> None:
    mass = stats.mass.sum(axis=0)
    names = classes.tolist()
    for group, budget in enumerate(budgets):
        if budget > 0 and not mass[group] > 0:
            raise InvalidSampleSizeError(
                f"Class {names[group]!r} has a budget of {budget} draws but all its "
                "scores are zero, so none of its rows can be drawn in proportion to "
                "its score. Use base='uniform', or drop that class."
            )


def _stratified(
    source: ScoreSource,
    labels: object,
    size: int,
    base: str,
    budget: str,
    seed: int,
    replace: bool,
) -> tuple[Selection, BlockStats, dict[str, Any]]:
    if labels is None:
        raise InvalidLabelsError(
            "scheme='stratified' needs labels: one class label per score."
        )
    label_array = as_labels(labels, source.scores)
    classes, class_rows = label_classes(label_array)
    budgets = class_budgets(size, class_rows, budget)
    if base in ("topk", "uniform") and not replace:
        names = classes.tolist()
        for label, rows, count in zip(names, class_rows, budgets, strict=True):
            if count > rows:
                raise InvalidSampleSizeError(
                    f"Class {label!r} has {rows} rows, fewer than its budget of "
                    f"{count} rows without replacement. Choose a smaller size or "
                    "budget='proportional'."
                )
    selection, stats = _run(base, source, label_array, classes, budgets, seed, replace)
    options = {
        "base": base,
        "budget": budget,
        "replace": bool(replace),
        "classes": classes.tolist(),
        "budgets": budgets.tolist(),
    }
    return selection, stats, options


def _fingerprint(source: ScoreSource, stats: BlockStats) -> dict[str, Any]:
    chunks = [int(c) for c in source.scores.chunks[0]]
    return {
        "path": source.location,
        "n_samples": source.n_samples,
        "row_chunks": chunks if len(set(chunks[:-1])) > 1 else None,
        "row_chunk": chunks[0],
        "n_row_chunks": len(chunks),
        "blake2b": digest_of(stats),
        "total": float(stats.mass.sum()),
        "input": source.input,
        "factor": source.factor,
    }
