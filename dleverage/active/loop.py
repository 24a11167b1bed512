"""One active-learning trial: train, query, reveal labels, retrain, measure.

Round 0 trains on the stratified random initial set; each later round asks the
strategy for a batch using the model of the previous round, reveals the labels of
the batch, retrains from scratch and records test accuracy. Every pick is
recorded with diagnostics measured at query time, before its label is revealed:
its class, whether the model misclassified it, the percentile of its embedding
norm among the unlabeled points, its margin, and its ridge leverage relative to
the labeled embeddings (lambda 1% of the pool mean eigenvalue).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dleverage.active.base import QueryState, Strategy, check_selection
from dleverage.active.data import ActiveDataset, stratified_split
from dleverage.active.leverage import ridge_for, rows_factor
from dleverage.active.model import MLP, fit_mlp
from dleverage.active.uncertainty import margins
from dleverage.errors import InvalidInputError
from dleverage.scores import score_rows

__all__ = ["TrialResult", "check_protocol", "initial_labeled", "run_trial"]

logger = logging.getLogger(__name__)


@dataclass
class TrialResult:
    """Per-round accuracies and per-pick diagnostics of one (strategy, seed) trial.

    Attributes
    ----------
    rounds : list of dict
        Keys ``strategy, seed, round, n_labeled, accuracy``; round 0 is the
        initial set.
    picks : list of dict
        Keys ``strategy, seed, round, pool_index, label, predicted,
        misclassified, norm_percentile, margin, leverage``.
    fit_seconds, query_seconds : float
        Wall time spent training and in the strategy's ``select``.
    """

    rounds: list[dict] = field(default_factory=list)
    picks: list[dict] = field(default_factory=list)
    fit_seconds: float = 0.0
    query_seconds: float = 0.0


def check_protocol(
    dataset: ActiveDataset, *, rounds: int, batch_size: int, initial: int
) -> None:
    """Raise if the protocol does not fit the pool.

    Raises
    ------
    InvalidInputError
        If a size is not positive, the initial set cannot hold every class, or
        ``initial + rounds * batch_size`` exceeds the pool.
    """
    for name, value in (("rounds", rounds), ("batch_size", batch_size)):
        if value < 1:
            raise InvalidInputError(f"Invalid {name}={value}: expected >= 1.")
    if initial < dataset.n_classes:
        raise InvalidInputError(
            f"Invalid initial={initial}: the stratified initial set needs at least "
            f"one point per class ({dataset.n_classes})."
        )
    total = initial + rounds * batch_size
    if total > dataset.X_pool.shape[0]:
        raise InvalidInputError(
            f"The protocol labels {total} points (initial + rounds * batch size) "
            f"but the pool has {dataset.X_pool.shape[0]}; lower --rounds or "
            "--batch-size."
        )


def initial_labeled(y_pool: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Return ``size`` stratified random pool indices, the same for every strategy."""
    first, _ = stratified_split(
        y_pool, n_first=size, n_second=y_pool.shape[0] - size, seed=seed
    )
    return first


def _norm_percentiles(
    norms: np.ndarray, candidates: np.ndarray, picks: np.ndarray
) -> np.ndarray:
    """Return the percentile (0-100) of each pick's norm among the candidates."""
    reference = np.sort(norms[candidates])
    below = np.searchsorted(reference, norms[picks], side="left")
    return 100.0 * below / max(reference.size - 1, 1)


def _diagnostics(
    state: QueryState, picks: np.ndarray, y_pool: np.ndarray, base: dict
) -> list[dict]:
    embeddings = state.embeddings
    probabilities = state.probabilities[picks]
    predicted = state.model.classes[np.argmax(probabilities, axis=1)]
    norms = np.linalg.norm(embeddings, axis=1)
    percentiles = _norm_percentiles(norms, state.unlabeled, picks)
    factor = rows_factor(embeddings[state.labeled], ridge_for(embeddings, 0.01))
    leverage = score_rows(factor, embeddings[picks])
    pick_margins = margins(probabilities)
    return [
        {
            **base,
            "pool_index": int(index),
            "label": int(y_pool[index]),
            "predicted": int(predicted[k]),
            "misclassified": int(predicted[k] != y_pool[index]),
            "norm_percentile": float(percentiles[k]),
            "margin": float(pick_margins[k]),
            "leverage": float(leverage[k]),
        }
        for k, index in enumerate(picks)
    ]


def _fit(
    dataset: ActiveDataset, labeled: np.ndarray, seed: int, result: TrialResult
) -> MLP:
    start = time.perf_counter()
    model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=seed)
    result.fit_seconds += time.perf_counter() - start
    return model


def _query(
    dataset: ActiveDataset,
    strategy: Strategy,
    model: MLP,
    labeled: np.ndarray,
    rng: np.random.Generator,
    batch_size: int,
    result: TrialResult,
    base: dict,
) -> np.ndarray:
    """Ask the strategy for a batch, check it and record its diagnostics."""
    state = QueryState(
        dataset.X_pool,
        labeled,
        dataset.y_pool[labeled],
        model,
        rng,
        dataset.representations,
    )
    start = time.perf_counter()
    picks = np.asarray(strategy.select(state, batch_size), dtype=np.int64)
    result.query_seconds += time.perf_counter() - start
    check_selection(state, picks, batch_size)
    result.picks += _diagnostics(state, picks, dataset.y_pool, base)
    return picks


def run_trial(
    dataset: ActiveDataset,
    strategy: Strategy,
    *,
    seed: int,
    rounds: int,
    batch_size: int,
    initial: int,
    on_round: Callable[[], None] | None = None,
) -> TrialResult:
    """Run one trial of ``rounds`` queries of ``batch_size`` after ``initial`` points.

    The initial set and the model seed depend only on ``seed``, so trials of
    different strategies with the same seed are paired. ``on_round`` is called
    after every round (for a progress bar).

    Raises
    ------
    InvalidInputError
        If the protocol does not fit the pool (see :func:`check_protocol`), or
        the strategy returns an invalid batch.
    """
    check_protocol(dataset, rounds=rounds, batch_size=batch_size, initial=initial)
    rng = np.random.default_rng([seed, 1])
    labeled = initial_labeled(dataset.y_pool, initial, seed)
    result = TrialResult()
    model = _fit(dataset, labeled, seed, result)
    for round_index in range(rounds + 1):
        if round_index > 0:
            base = {"strategy": strategy.name, "seed": seed, "round": round_index}
            picks = _query(
                dataset, strategy, model, labeled, rng, batch_size, result, base
            )
            labeled = np.concatenate([labeled, picks])
            model = _fit(dataset, labeled, seed, result)
        result.rounds.append(
            {
                "strategy": strategy.name,
                "seed": seed,
                "round": round_index,
                "n_labeled": int(labeled.size),
                "accuracy": model.accuracy(dataset.X_test, dataset.y_test),
            }
        )
        if on_round is not None:
            on_round()
    logger.info(
        "trial %s seed %d: final accuracy %.4f (fit %.1f s, query %.1f s)",
        strategy.name,
        seed,
        result.rounds[-1]["accuracy"],
        result.fit_seconds,
        result.query_seconds,
    )
    return result
