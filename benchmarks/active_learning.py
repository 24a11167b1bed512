"""Active-learning benchmark: the default protocol on MNIST and digits.

Parts, each saved to ``OUT/NAME`` and skipped when ``OUT/NAME/run.json`` or a
split part ``OUT/NAME_*/run.json`` exists:

- ``mnist``: MNIST (pool 8,000, test 2,000), the default protocol (100 initial,
  40 rounds x 5, 5 seeds) with the default strategies, timed end to end;
- ``mnist_variants``: the same protocol with the leverage variants and the
  control, on 3 seeds (the CPU budget of a shared 2-core machine);
- ``digits``: the default protocol and strategies on scikit-learn's digits;
- ``timing``: one ridge-leverage query round over the 8,000-point MNIST pool.

Then it prints the tables, writes ``benchmarks/active_learning.png`` and the
``active_learning`` section of RESULTS.md. ``--report-only`` rebuilds the report
from the saved CSVs::

    python benchmarks/active_learning.py --mnist-dir ../shared/data/mnist \
        --out /tmp/al-bench --jobs 2
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
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

#: Norm-robust and fixed-representation leverage, a diversifying hybrid and the
#: random-shortlist control.
VARIANTS = (
    "leverage_normalized",
    "leverage_class_whitened",
    "leverage_autoencoder",
    "margin_random_top50",
    "margin_dopt:space=normalized",
)
VARIANT_SEEDS = 3


def read_rows(path: pathlib.Path) -> list[dict]:
    """Read a rounds or picks CSV back, with numbers parsed."""
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key, value in row.items():
            if key != "strategy":
                row[key] = (
                    float(value) if any(c in value for c in ".en") else int(value)
                )
    return rows


def run_part(name: str, dataset, strategies, seeds: int, args) -> None:
    out = pathlib.Path(args.out)
    target = out / name
    saved = [p for p in [target, *out.glob(f"{name}_*")] if (p / "run.json").exists()]
    if saved:
        print(f"{name}: kept the {len(saved)} saved parts in {out}", file=sys.stderr)
        return
    result = run_experiment(dataset, strategies, jobs=args.jobs, seeds=seeds)
    write_outputs(result, target)
    print(f"{name}: {result.metadata['wall_seconds']:.0f} s", file=sys.stderr)


def time_query_round(dataset, repeats: int = 5) -> dict:
    """Time one ridge_leverage round at 100 labels on the full pool, 1 BLAS thread."""
    with threadpool_limits(limits=1):
        labeled = initial_labeled(dataset.y_pool, 100, 0)
        model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=0)
        strategy = make_strategy("ridge_leverage")
        select_times, embed_times = [], []
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
            select_times.append(time.perf_counter() - start)
    return {
        "n_pool": int(dataset.X_pool.shape[0]),
        "embedding_seconds_median": float(np.median(embed_times)),
        "select_seconds_median": float(np.median(select_times)),
        "total_seconds_median": float(np.median(np.add(select_times, embed_times))),
    }


def leverage_anatomy(dataset, top: int = 100) -> dict:
    """Measure what pool-trace leverage ranks high, at 100 labels (seed 0).

    Returns the Spearman rank correlation of each score with the embedding norm
    over the unlabeled pool, and the misclassification rate among the ``top``
    highest-scored unlabeled points, next to the pool-wide rate.
    """
    import scipy.stats

    from dleverage.active.leverage import ridge_for, rows_factor
    from dleverage.active.uncertainty import margins

    with threadpool_limits(limits=1):
        labeled = initial_labeled(dataset.y_pool, 100, 0)
        model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=0)
    state = QueryState(
        dataset.X_pool,
        labeled,
        dataset.y_pool[labeled],
        model,
        np.random.default_rng(0),
    )
    unlabeled = state.unlabeled
    embeddings = state.embeddings
    normalized = embeddings / np.maximum(
        np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-300
    )
    scores = {}
    for name, rows in (("leverage", embeddings), ("leverage_normalized", normalized)):
        factor = rows_factor(rows[labeled], ridge_for(rows, 0.01))
        scores[name] = factor.score(rows[unlabeled])
    scores["negative_margin"] = -margins(state.probabilities[unlabeled])
    norms = np.linalg.norm(embeddings[unlabeled], axis=1)
    predicted = model.classes[np.argmax(state.probabilities[unlabeled], axis=1)]
    wrong = predicted != dataset.y_pool[unlabeled]
    result = {"top": top, "pool_misclassified": float(wrong.mean())}
    for name, score in scores.items():
        best = np.argsort(-score, kind="stable")[:top]
        result[name] = {
            "spearman_with_norm": float(scipy.stats.spearmanr(score, norms)[0]),
            "top_misclassified": float(wrong[best].mean()),
        }
    return result


def load_parts(out: pathlib.Path, patterns: list[str]):
    """Merge the saved parts whose folder names match ``patterns``, in order.

    Parts of one protocol may be split across folders (``digits_random``,
    ``digits_margin``, ...); trials are paired by seed, so they merge as one run.
    """
    rounds, picks, meta = [], [], []
    folders = [p for pattern in patterns for p in sorted(out.glob(pattern))]
    for folder in folders:
        if (folder / "run.json").exists():
            rounds += read_rows(folder / "rounds.csv")
            picks += read_rows(folder / "picks.csv")
            meta.append(json.loads((folder / "run.json").read_text()))
    return rounds, picks, meta


def merged_meta(meta: list[dict]) -> dict:
    """Combine the metadata of parts: strategies, timings and summed wall time."""
    merged = dict(meta[0])
    merged["strategies"] = [s for m in meta for s in m["strategies"]]
    merged["timing"] = {k: v for m in meta for k, v in m["timing"].items()}
    merged["wall_seconds"] = sum(m["wall_seconds"] for m in meta)
    merged["parts"] = len(meta)
    return merged


def cpu_line(meta: dict) -> str:
    fit = sum(t["fit_seconds"] for t in meta["timing"].values())
    query = sum(t["query_seconds"] for t in meta["timing"].values())
    trials = len(meta["strategies"]) * meta["seeds"]
    parts = meta.get("parts", 1)
    split = (
        f" (summed over {parts} saved parts that ran side by side)" if parts > 1 else ""
    )
    return (
        f"{meta['wall_seconds'] / 60:.1f} min wall with `--jobs {meta['jobs']}`"
        f"{split}; "
        f"summed over its {trials} trials, training took {fit / 60:.1f} min and "
        f"queries {query / 60:.1f} min"
    )


def mnist_section(out: pathlib.Path) -> str:
    default_parts = ["mnist", *(f"mnist_{name}" for name in DEFAULT_STRATEGIES)]
    rounds, picks, parts = load_parts(out, default_parts)
    if not rounds:
        return ""
    meta = [merged_meta(parts)]
    variant_rounds, variant_picks, variant_parts = load_parts(
        out, ["mnist_variants", "mnist_variants_*"]
    )
    rounds, picks = rounds + variant_rounds, picks + variant_picks
    if variant_parts:
        meta.append(merged_meta(variant_parts))
    default = [r for r in rounds if r["strategy"] in DEFAULT_STRATEGIES]
    plot_curves(
        default,
        str(PLOT),
        title=f"MNIST (pool 8,000): 100 + 40 x 5 labels, {meta[0]['seeds']} seeds",
    )
    plot_curves(rounds, str(out / "mnist_all.png"), title="MNIST, all strategies")
    lines = [
        f"### MNIST: pool 8,000, test 2,000, split seed {meta[0]['split_seed']}",
        "",
        f"100 initial + 40 rounds x 5, {len(meta[0]['strategies'])} default "
        f"strategies x {meta[0]['seeds']} seeds: " + cpu_line(meta[0]) + ".",
    ]
    if len(meta) > 1:
        lines.append(
            f"Variants ({', '.join(meta[1]['strategies'])}; "
            f"{meta[1]['seeds']} seeds, compared on their common seeds): "
            + cpu_line(meta[1])
            + "."
        )
    lines += ["", markdown_table(summarize(rounds), diagnostics_table(picks, 5))]
    return "\n".join(lines)


def digits_section(out: pathlib.Path) -> str:
    rounds, picks, parts = load_parts(out, ["digits", "digits_*"])
    if not rounds:
        return ""
    meta = [merged_meta(parts)]
    plot_curves(rounds, str(out / "digits_all.png"), title="digits")
    return "\n".join(
        [
            f"### digits: pool {meta[0]['n_pool']}, test {meta[0]['n_test']}, "
            f"split seed {meta[0]['split_seed']}",
            "",
            f"100 initial + 40 rounds x 5, {len(meta[0]['strategies'])} default "
            f"strategies x {meta[0]['seeds']} seeds: " + cpu_line(meta[0]) + ".",
            "",
            markdown_table(summarize(rounds), diagnostics_table(picks, 5)),
        ]
    )


def timing_section(out: pathlib.Path) -> str:
    path = out / "query_round.json"
    if not path.exists():
        return ""
    timing = json.loads(path.read_text())
    return (
        f"### One ridge-leverage query round over the MNIST pool of "
        f"{timing['n_pool']}\n\n100 labeled, batch 5, 1 BLAS thread, median of 5: "
        f"embedding forward pass {timing['embedding_seconds_median'] * 1e3:.0f} ms, "
        f"factor and greedy D-optimal batch "
        f"{timing['select_seconds_median'] * 1e3:.0f} ms, total "
        f"{timing['total_seconds_median'] * 1e3:.0f} ms.\n"
    )


def anatomy_section(out: pathlib.Path) -> str:
    path = out / "anatomy.json"
    if not path.exists():
        return ""
    anatomy = json.loads(path.read_text())
    lines = [
        "### What leverage ranks high (MNIST, seed 0, 100 labels, one model)",
        "",
        f"Over the unlabeled pool; the model misclassifies "
        f"{anatomy['pool_misclassified']:.1%} of it.",
        "",
        f"| score | Spearman with embedding norm | misclassified in top "
        f"{anatomy['top']} |",
        "| --- | --- | --- |",
    ]
    for name in ("leverage", "leverage_normalized", "negative_margin"):
        row = anatomy[name]
        lines.append(
            f"| {name} | {row['spearman_with_norm']:+.2f} | "
            f"{row['top_misclassified']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def report(args) -> str:
    out = pathlib.Path(args.out)
    sections = [
        mnist_section(out),
        anatomy_section(out),
        digits_section(out),
        timing_section(out),
    ]
    return (
        "Command that runs every part: `python benchmarks/active_learning.py "
        f"--mnist-dir ../shared/data/mnist --out {args.out} --jobs 2`"
        + (
            "; this section was rebuilt from saved parts with `--report-only`"
            if args.report_only
            else ""
        )
        + "\n\n"
        f"Machine: {machine_line()}, shared with other jobs while it ran (load "
        "average 6-13 on 2 cores), so wall times are upper bounds.\n\n"
        + (pathlib.Path(args.notes).read_text() + "\n" if args.notes else "")
        + "\n\n".join(s for s in sections if s)
        + "\n\n![learning curves](active_learning.png)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--notes", help="Markdown file put before the tables (how the run went)"
    )
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    if not args.report_only:
        mnist = load_dataset(mnist_dir=args.mnist_dir)
        run_part("mnist", mnist, list(DEFAULT_STRATEGIES), 5, args)
        run_part("mnist_variants", mnist, list(VARIANTS), VARIANT_SEEDS, args)
        if not (out / "anatomy.json").exists():
            anatomy = leverage_anatomy(mnist)
            (out / "anatomy.json").write_text(json.dumps(anatomy))
        if not (out / "query_round.json").exists():
            timing = time_query_round(mnist)
            (out / "query_round.json").write_text(json.dumps(timing))
        run_part("digits", load_dataset(dataset="digits"), DEFAULT_STRATEGIES, 5, args)
    text = report(args)
    print(text)
    if args.write:
        write_section("active_learning", text)


if __name__ == "__main__":
    main()
