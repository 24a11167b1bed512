"""The active-learning experiment: all (strategy, seed) trials and their outputs.

Trials run in ``jobs`` worker processes (one BLAS thread each, so they do not
oversubscribe the cores) or in this process when ``jobs == 1``. The output folder
receives:

- ``rounds.csv``: ``strategy, seed, round, n_labeled, accuracy``;
- ``picks.csv``: one row per queried point with its query-time diagnostics;
- ``summary.csv`` and ``summary.md``: final accuracy and learning-curve AUC
  (mean +- std), wins per seed and paired tests against random and margin, and
  the pick diagnostics;
- ``learning_curves.png``: mean curves with +- 1 std shaded;
- ``run.json``: the protocol, dataset, split seed and wall times.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from dleverage.active import representations
from dleverage.active.data import ActiveDataset
from dleverage.active.loop import TrialResult, check_protocol, run_trial
from dleverage.active.report import (
    diagnostics_table,
    markdown_table,
    plot_curves,
    summarize,
)
from dleverage.active.strategies import make_strategy
from dleverage.errors import InvalidInputError

__all__ = ["ExperimentResult", "run_experiment", "write_outputs"]

logger = logging.getLogger(__name__)

ROUND_COLUMNS = ("strategy", "seed", "round", "n_labeled", "accuracy")
PICK_COLUMNS = (
    "strategy",
    "seed",
    "round",
    "pool_index",
    "label",
    "predicted",
    "misclassified",
    "norm_percentile",
    "margin",
    "leverage",
)


@dataclass
class ExperimentResult:
    """Everything one experiment measured.

    Attributes
    ----------
    rounds, picks : list of dict
        Concatenated :class:`~dleverage.active.loop.TrialResult` rows.
    summary, diagnostics : list of dict
        From :func:`~dleverage.active.report.summarize` and
        :func:`~dleverage.active.report.diagnostics_table`.
    metadata : dict
        Protocol, dataset, split seed, wall and per-strategy times.
    """

    rounds: list[dict]
    picks: list[dict]
    summary: list[dict]
    diagnostics: list[dict]
    metadata: dict


_WORKER_DATASET: ActiveDataset | None = None


def _init_worker(dataset: ActiveDataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _run_one(spec: str, seed: int, protocol: dict) -> tuple[str, int, TrialResult]:
    with threadpool_limits(limits=1):
        result = run_trial(_WORKER_DATASET, make_strategy(spec), seed=seed, **protocol)
    return spec, seed, result


def _trials_in_process(
    dataset: ActiveDataset, tasks: list[tuple[str, int]], protocol: dict, bar: tqdm
) -> dict:
    results = {}
    for spec, seed in tasks:
        with threadpool_limits(limits=1):
            results[(spec, seed)] = run_trial(
                dataset, make_strategy(spec), seed=seed, on_round=bar.update, **protocol
            )
    return results


def _trials_in_pool(
    dataset: ActiveDataset,
    tasks: list[tuple[str, int]],
    protocol: dict,
    bar: tqdm,
    jobs: int,
) -> dict:
    results = {}
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(dataset,)
    ) as pool:
        futures = [pool.submit(_run_one, spec, seed, protocol) for spec, seed in tasks]
        for future in as_completed(futures):
            spec, seed, result = future.result()
            results[(spec, seed)] = result
            bar.update(len(result.rounds))
    return results


def run_experiment(
    dataset: ActiveDataset,
    strategies: Sequence[str],
    *,
    seeds: int = 5,
    first_seed: int = 0,
    rounds: int = 40,
    batch_size: int = 5,
    initial: int = 100,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """Run every strategy on seeds first_seed..first_seed+seeds-1 and summarize.

    Parameters
    ----------
    dataset : ActiveDataset
    strategies : sequence of str
        Registry names with optional options (see
        :func:`~dleverage.active.strategies.make_strategy`).
    seeds, rounds, batch_size, initial : int
        The protocol: ``initial`` stratified random labels, then ``rounds``
        queries of ``batch_size``, repeated for each of ``seeds`` seeds.
    first_seed : int, default=0
        The first seed. Seeds not used to choose a strategy's options give a
        held-out check of it.
    jobs : int, default=1
        Worker processes.
    progress : bool, default=True
        Show a progress bar over rounds on standard error.

    Raises
    ------
    InvalidInputError
        For an unknown strategy, a protocol that does not fit the pool,
        ``seeds``/``jobs`` < 1 or ``first_seed`` < 0.
    """
    if seeds < 1:
        raise InvalidInputError(f"Invalid seeds={seeds}: expected >= 1.")
    if jobs < 1:
        raise InvalidInputError(f"Invalid jobs={jobs}: expected >= 1.")
    if isinstance(strategies, str) or not all(isinstance(s, str) for s in strategies):
        raise InvalidInputError(
            f"Invalid strategies {strategies!r}: expected a list of registry names "
            "such as ['margin', 'margin_leverage:gamma=2']."
        )
    if first_seed < 0:
        raise InvalidInputError(f"Invalid first_seed={first_seed}: expected >= 0.")
    seed_list = list(range(first_seed, first_seed + seeds))
    if len(set(strategies)) != len(strategies):
        raise InvalidInputError(f"Duplicate strategies in {list(strategies)}.")
    check_protocol(dataset, rounds=rounds, batch_size=batch_size, initial=initial)
    built = [make_strategy(spec) for spec in strategies]
    start = time.perf_counter()
    representations.ensure(dataset, {s.representation for s in built} - {None})
    representation_seconds = time.perf_counter() - start
    protocol = {"rounds": rounds, "batch_size": batch_size, "initial": initial}
    tasks = [(spec, seed) for spec in strategies for seed in seed_list]
    with tqdm(
        total=len(tasks) * (rounds + 1),
        desc="rounds",
        unit="round",
        disable=not progress,
    ) as bar:
        if jobs == 1:
            results = _trials_in_process(dataset, tasks, protocol, bar)
        else:
            results = _trials_in_pool(dataset, tasks, protocol, bar, jobs)
    wall = time.perf_counter() - start
    ordered = [results[task] for task in tasks]
    all_rounds = [row for result in ordered for row in result.rounds]
    all_picks = [row for result in ordered for row in result.picks]
    timing = {
        spec: {
            "fit_seconds": sum(results[(spec, s)].fit_seconds for s in seed_list),
            "query_seconds": sum(results[(spec, s)].query_seconds for s in seed_list),
        }
        for spec in strategies
    }
    metadata = {
        "dataset": dataset.name,
        "source": dataset.source,
        "n_pool": int(dataset.X_pool.shape[0]),
        "n_test": int(dataset.X_test.shape[0]),
        "split_seed": dataset.split_seed,
        "strategies": list(strategies),
        "seeds": seeds,
        "first_seed": first_seed,
        "jobs": jobs,
        **protocol,
        "wall_seconds": wall,
        "representation_seconds": representation_seconds,
        "timing": timing,
        "cpu_count": os.cpu_count(),
    }
    return ExperimentResult(
        rounds=all_rounds,
        picks=all_picks,
        summary=summarize(all_rounds),
        diagnostics=diagnostics_table(all_picks, batch_size),
        metadata=metadata,
    )


def _seed_text(meta: dict) -> str:
    first = meta.get("first_seed", 0)
    if meta["seeds"] == 1:
        return f"seed {first}"
    return f"{meta['seeds']} seeds ({first}-{first + meta['seeds'] - 1})"


def _write_csv(path: str, rows: list[dict], columns: Sequence[str]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


#: The files of a results folder, by key.
OUTPUT_FILES = {
    "rounds": "rounds.csv",
    "picks": "picks.csv",
    "summary_csv": "summary.csv",
    "summary_md": "summary.md",
    "plot": "learning_curves.png",
    "metadata": "run.json",
}


def check_results_dir(out_dir: str | os.PathLike[str]) -> str:
    """Check that ``out_dir`` can take the results; return it as a string.

    Run before the experiment, so a bad folder fails in a second, not after the
    trials. The folder may exist (its result files are replaced) or not (it is
    created, with missing parents).

    Raises
    ------
    InvalidInputError
        If ``out_dir`` is empty, is an existing file, contains a folder where a
        result file goes, or lies under a folder this process cannot write.
    """
    out_dir = os.fspath(out_dir)
    if not out_dir:
        raise InvalidInputError(
            "The results folder is empty (''). Pass a folder path, for example "
            "--out results/."
        )
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise InvalidInputError(
            f"The results folder {out_dir!r} is an existing file. Pass a folder path."
        )
    for name in OUTPUT_FILES.values():
        if os.path.isdir(os.path.join(out_dir, name)):
            raise InvalidInputError(
                f"{os.path.join(out_dir, name)!r} is a folder, where the result file "
                f"{name} goes. Remove it or pass another --out."
            )
    existing = os.path.abspath(out_dir)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidInputError(
            f"Cannot write the results folder {out_dir!r}: {existing!r} is not a "
            "folder this process may write. Pass another --out."
        )
    return out_dir


def write_outputs(result: ExperimentResult, out_dir: str | os.PathLike[str]) -> dict:
    """Write the CSVs, summary, plot and metadata to ``out_dir``; return their paths.

    Every file is first written under a temporary name; only when all of them
    are written are they renamed into place. A failure before that removes the
    temporary files and leaves earlier results in ``out_dir`` as they were.

    Raises
    ------
    InvalidInputError
        As :func:`check_results_dir`.
    """
    out_dir = check_results_dir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    paths = {key: os.path.join(out_dir, name) for key, name in OUTPUT_FILES.items()}
    partial = {key: path + ".partial" for key, path in paths.items()}
    try:
        _write_partials(result, partial)
    except BaseException:
        for path in partial.values():
            if os.path.exists(path):
                os.remove(path)
        raise
    for key, path in paths.items():
        os.replace(partial[key], path)
    return paths


def _write_partials(result: ExperimentResult, partial: dict[str, str]) -> None:
    _write_csv(partial["rounds"], result.rounds, ROUND_COLUMNS)
    _write_csv(partial["picks"], result.picks, PICK_COLUMNS)
    summary_columns = sorted({k for row in result.summary for k in row}, key=str)
    summary_columns.remove("strategy")
    _write_csv(partial["summary_csv"], result.summary, ["strategy", *summary_columns])
    meta = result.metadata
    with open(partial["summary_md"], "w") as handle:
        handle.write(
            f"{meta['dataset']}: pool {meta['n_pool']}, test {meta['n_test']}, "
            f"split seed {meta['split_seed']}; {meta['initial']} initial + "
            f"{meta['rounds']} rounds x {meta['batch_size']}, {_seed_text(meta)}\n\n"
        )
        handle.write(markdown_table(result.summary, result.diagnostics))
    title = (
        f"{meta['dataset']}: {meta['initial']} + {meta['rounds']} x "
        f"{meta['batch_size']} labels, {_seed_text(meta)}"
    )
    plot_curves(result.rounds, partial["plot"], title=title)
    with open(partial["metadata"], "w") as handle:
        json.dump({**meta, "diagnostics": result.diagnostics}, handle, indent=2)
