"""Active-learning benchmark: the default protocol on MNIST and digits.

Runs, in order, each saved to ``--out`` before the next starts:

1. MNIST, the default protocol (100 initial, 40 rounds x 5, 5 seeds) with the
   default strategies, timed end to end;
2. MNIST, the same protocol with the leverage variants and controls;
3. digits, the default protocol with all of the above;
4. the time of one ridge-leverage query round over the 8,000-point MNIST pool.

Then it prints the tables, writes ``benchmarks/active_learning.png`` and the
``active_learning`` section of RESULTS.md. ``--report-only`` rebuilds the report
from the saved CSVs.

    python benchmarks/active_learning.py --mnist-dir ../shared/data/mnist \
        --out /tmp/al-bench --jobs 2
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import shutil
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _results import machine_line, write_section  # noqa: E402

from dleverage.active.base import QueryState  # noqa: E402
from dleverage.active.data import load_dataset  # noqa: E402
from dleverage.active.experiment import run_experiment, write_outputs  # noqa: E402
from dleverage.active.loop import initial_labeled  # noqa: E402
from dleverage.active.model import fit_mlp  # noqa: E402
from dleverage.active.report import (  # noqa: E402
    diagnostics_table,
    markdown_table,
    plot_curves,
    summarize,
)
from dleverage.active.strategies import DEFAULT_STRATEGIES, make_strategy  # noqa: E402

PLOT = pathlib.Path(__file__).with_name("active_learning.png")

VARIANTS = (
    "ridge_leverage_labeled",
    "ridge_leverage_pool",
    "leverage_normalized",
    "leverage_class_whitened",
    "leverage_pca",
    "leverage_autoencoder",
    "margin_random_top50",
    "margin_dopt:shortlist=20",
    "margin_dopt:space=normalized",
    "margin_dopt:shortlist=20,space=normalized",
)


def read_rows(path: pathlib.Path) -> list[dict]:
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key, value in row.items():
            if key == "strategy":
                continue
            row[key] = float(value) if "." in value or "e" in value else int(value)
    return rows


def run(name: str, dataset, strategies, args) -> None:
    target = pathlib.Path(args.out) / name
    if (target / "run.json").exists():
        print(f"{name}: kept the saved results in {target}", file=sys.stderr)
        return
    result = run_experiment(dataset, strategies, jobs=args.jobs, seeds=args.seeds)
    write_outputs(result, target)
    print(f"{name}: {result.metadata['wall_seconds']:.0f} s", file=sys.stderr)


def time_query_round(dataset, repeats: int = 5) -> dict:
    """Time ridge_leverage.select at 100 labels on the full pool (1 BLAS thread)."""
    with threadpool_limits(limits=1):
        labeled = initial_labeled(dataset.y_pool, 100, 0)
        model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=0)
        strategy = make_strategy("ridge_leverage")
        times, embed_times = [], []
        for _ in range(repeats):
            state = QueryState(
                dataset.X_pool,
                labeled,
                dataset.y_pool[labeled],
                model,
                np.random.default_rng(0),
            )
            start = time.perf_counter()
            _ = state.embeddings
            embed_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            strategy.select(state, 5)
            times.append(time.perf_counter() - start)
    return {
        "n_pool": int(dataset.X_pool.shape[0]),
        "embedding_seconds_median": float(np.median(embed_times)),
        "select_seconds_median": float(np.median(times)),
        "total_seconds_median": float(np.median(np.add(times, embed_times))),
    }


def combined(out: pathlib.Path, names: list[str]):
    rounds, picks, meta = [], [], []
    for name in names:
        if not (out / name / "run.json").exists():
            continue
        rounds += read_rows(out / name / "rounds.csv")
        picks += read_rows(out / name / "picks.csv")
        meta.append(json.loads((out / name / "run.json").read_text()))
    return rounds, picks, meta


def report(args) -> None:
    out = pathlib.Path(args.out)
    sections = []
    mnist_rounds, mnist_picks, mnist_meta = combined(out, ["mnist", "mnist_variants"])
    if mnist_rounds:
        default = [r for r in mnist_rounds if r["strategy"] in DEFAULT_STRATEGIES]
        plot_curves(
            default, str(PLOT), title="MNIST (pool 8000): 100 + 40 x 5 labels, 5 seeds"
        )
        plot_curves(
            mnist_rounds, str(out / "mnist_all.png"), title="MNIST, all strategies"
        )
        table = markdown_table(
            summarize(mnist_rounds), diagnostics_table(mnist_picks, 5)
        )
        wall = mnist_meta[0]["wall_seconds"]
        sections.append(
            "### MNIST (test split: pool 8,000, test 2,000, split seed "
            f"{mnist_meta[0]['split_seed']})\n\n"
            f"Default protocol, {len(mnist_meta[0]['strategies'])} default strategies x "
            f"5 seeds, `--jobs {mnist_meta[0]['jobs']}`: **{wall / 60:.1f} min wall**"
            + (
                f"; the variants run took {mnist_meta[1]['wall_seconds'] / 60:.1f} min"
                if len(mnist_meta) > 1
                else ""
            )
            + ".\n\n"
            + table
        )
    digits_rounds, digits_picks, digits_meta = combined(out, ["digits"])
    if digits_rounds:
        plot_curves(digits_rounds, str(out / "digits_all.png"), title="digits")
        sections.append(
            f"### digits (pool {digits_meta[0]['n_pool']}, test "
            f"{digits_meta[0]['n_test']}, split seed {digits_meta[0]['split_seed']})\n\n"
            f"{digits_meta[0]['wall_seconds'] / 60:.1f} min wall.\n\n"
            + markdown_table(
                summarize(digits_rounds), diagnostics_table(digits_picks, 5)
            )
        )
    timing_path = out / "query_round.json"
    if timing_path.exists():
        timing = json.loads(timing_path.read_text())
        sections.append(
            "### One ridge-leverage query round, MNIST pool of "
            f"{timing['n_pool']} (100 labeled, batch 5, 1 BLAS thread, median of 5)\n\n"
            f"embedding forward pass {timing['embedding_seconds_median'] * 1e3:.0f} ms, "
            f"greedy D-optimal batch {timing['select_seconds_median'] * 1e3:.0f} ms, "
            f"total {timing['total_seconds_median'] * 1e3:.0f} ms.\n"
        )
    text = (
        "Command: `python benchmarks/active_learning.py --mnist-dir "
        f"../shared/data/mnist --out {args.out} --jobs {args.jobs}`\n\n"
        f"Machine: {machine_line()}, shared with other jobs while it ran, so wall "
        "times are upper bounds.\n\n"
        + "\n".join(sections)
        + "\n![learning curves](active_learning.png)\n"
    )
    print(text)
    if args.write:
        write_section("active_learning", text)
        shutil.copy(PLOT, out / "active_learning.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    if not args.report_only:
        mnist = load_dataset(mnist_dir=args.mnist_dir)
        run("mnist", mnist, list(DEFAULT_STRATEGIES), args)
        run("mnist_variants", mnist, list(VARIANTS), args)
        timing = time_query_round(mnist)
        (pathlib.Path(args.out) / "query_round.json").write_text(json.dumps(timing))
        digits = load_dataset(dataset="digits")
        run("digits", digits, list(DEFAULT_STRATEGIES) + list(VARIANTS), args)
    report(args)


if __name__ == "__main__":
    main()
