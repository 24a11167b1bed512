"""``dleverage active-learning``: compare query strategies on MNIST or digits."""

from __future__ import annotations

import argparse

from dleverage.active.data import DEFAULT_SPLIT_SEED, load_dataset
from dleverage.active.experiment import (
    check_results_dir,
    run_experiment,
    write_outputs,
)
from dleverage.active.strategies import DEFAULT_STRATEGIES, STRATEGIES
from dleverage.cli._common import emit

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``active-learning`` subcommand."""
    parser = subparsers.add_parser(
        "active-learning",
        help="compare active-learning query strategies with an MLP",
        description="Run pool-based active learning with a 784-256-64-10 ReLU MLP "
        "(64-256-64-10 on digits), retrained from scratch each round, for each "
        "strategy and seed, and write "
        "rounds.csv, picks.csv, summary.csv, summary.md, learning_curves.png and "
        "run.json to the output folder. Strategies: " + ", ".join(STRATEGIES) + ".",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--mnist-dir",
        metavar="DIR",
        help="folder of the MNIST IDX files; the 10,000-image test split is split "
        "into a pool of 8,000 and a test set of 2,000",
    )
    source.add_argument(
        "--dataset",
        choices=("digits",),
        default="digits",
        help="embedded dataset when no --mnist-dir is given (default digits)",
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        default=list(DEFAULT_STRATEGIES),
        metavar="NAME",
        help="strategy names, each optionally NAME:KEY=VALUE,... "
        f"(default: {' '.join(DEFAULT_STRATEGIES)})",
    )
    parser.add_argument(
        "--seeds", type=int, default=5, help="trials per strategy (default 5)"
    )
    parser.add_argument(
        "--first-seed", type=int, default=0, help="first trial seed (default 0)"
    )
    parser.add_argument(
        "--rounds", type=int, default=40, help="query rounds (default 40)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=5, help="points queried per round (default 5)"
    )
    parser.add_argument(
        "--initial",
        type=int,
        default=100,
        help="stratified random initial labels (default 100)",
    )
    parser.add_argument(
        "--split-seed",
        type=int,
        default=DEFAULT_SPLIT_SEED,
        help=f"seed of the pool/test split (default {DEFAULT_SPLIT_SEED})",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)"
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="RESULTS_DIR",
        help="folder for the CSVs, summary, plot and run.json (created if missing)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dleverage active-learning``."""
    check_results_dir(args.out)
    dataset = load_dataset(
        mnist_dir=args.mnist_dir, dataset=args.dataset, split_seed=args.split_seed
    )
    result = run_experiment(
        dataset,
        args.strategies,
        seeds=args.seeds,
        first_seed=args.first_seed,
        rounds=args.rounds,
        batch_size=args.batch_size,
        initial=args.initial,
        jobs=args.jobs,
        progress=not args.json,
    )
    paths = write_outputs(result, args.out)
    payload = {"summary": result.summary, "outputs": paths, **result.metadata}
    with open(paths["summary_md"]) as handle:
        lines = handle.read().splitlines()
    lines += ["", f"wall time {result.metadata['wall_seconds']:.1f} s"]
    lines += [f"{key}: {path}" for key, path in paths.items()]
    emit(payload, as_json=args.json, lines=lines)
    return 0
