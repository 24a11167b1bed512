"""Active-learning benchmark: the default protocol on MNIST and digits.

Parts, each saved to ``OUT/NAME`` and kept when ``OUT/NAME/run.json`` exists:

- ``mnist``: MNIST (pool 8,000, test 2,000), the default protocol (100 initial,
  40 rounds x 5, 5 seeds) with the default strategies, timed end to end;
- ``mnist_variants``: the same protocol and seeds with the other leverage
  strategies;
- ``mnist_heldout``: margin and the shipped hybrid on seeds 5-9, which played no
  part in choosing the hybrid's options;
- ``digits``, ``digits_variants``, ``digits_heldout``: the same on scikit-learn's
  digits, with 10 seeds (0-9) for the default strategies, 5 for the variants and
  seeds 10-19 held out;
- ``digits_copies``: digits with every pool image present 3 times (plus
  Gaussian pixel noise of std 0.01), where margin's batch is redundant by
  construction, with random, margin and the two hybrids on seeds 0-9;
- ``mnist_batch20``, ``digits_batch20``: the same label budget in 10 rounds of
  20, where a batch has more room for redundancy (5 and 10 seeds);
- ``query_round.json``: one query round over the 8,000-point MNIST pool;
- ``overlap.json``: how many of margin's picks each hybrid keeps, at 100 labels;
- ``anatomy.json``: what pool-trace leverage ranks high.

Then it prints the tables, writes ``benchmarks/active_learning.png`` and the
``active_learning`` section of RESULTS.md. ``--report-only`` rebuilds the report
from the saved parts::

    python benchmarks/active_learning.py --mnist-dir ../shared/data/mnist \
        --out /tmp/al-bench --jobs 2
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
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
DIGITS_PLOT = pathlib.Path(__file__).with_name("active_learning_digits.png")

#: The leverage strategies outside the default set: the first hybrid, and
#: leverage in a norm-robust space and in a fixed learned space.
VARIANTS = ("margin_dopt", "leverage_class_whitened", "leverage_autoencoder")

#: Strategies compared on held-out seeds.
HELDOUT = ("margin", "margin_leverage")

#: Hybrids whose batches are compared with margin's.
HYBRIDS = ("margin_leverage", "margin_dopt")

#: Strategies whose query round is timed.
TIMED = ("ridge_leverage", "margin_leverage", "margin_dopt", "margin", "kcenter")

#: Strategies on the pool of near copies, and the copies of each image.
COPIES_STRATEGIES = ("random", "margin", "margin_leverage", "margin_dopt")
COPIES = 3

#: Larger batches, same budget: 100 initial + 10 rounds x 20 = 300 labels.
BATCH_STRATEGIES = (
    "random",
    "margin",
    "kcenter",
    "margin_leverage",
    "margin_dopt:shortlist=40",
)
BATCH_PROTOCOL = {"rounds": 10, "batch_size": 20}

#: Seeds per dataset: (default strategies, variants, held-out first seed, count).
SEEDS = {"mnist": (5, 5, 5, 5), "digits": (10, 5, 10, 10)}


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


def with_copies(dataset, copies: int = COPIES, noise: float = 0.01):
    """Return ``dataset`` with each pool image ``copies`` times, plus pixel noise.

    Copy k of image i is pool index ``k * n + i``; the noise (std ``noise``,
    clipped to [0, 1], seed 0) keeps the copies distinct rows. The test set is
    unchanged.
    """
    rng = np.random.default_rng(0)
    pool = np.tile(dataset.X_pool, (copies, 1))
    pool = np.clip(pool + rng.normal(0.0, noise, size=pool.shape), 0.0, 1.0)
    return dataclasses.replace(
        dataset,
        name=f"{dataset.name} x{copies}",
        X_pool=pool,
        y_pool=np.tile(dataset.y_pool, copies),
        representations={},
    )


def run_part(
    name: str, dataset, strategies, seeds: int, args, first_seed: int = 0, **protocol
) -> None:
    """Run one part into ``OUT/name``, or keep it when its run.json exists.

    ``protocol`` overrides the default rounds, batch size or initial labels.
    """
    target = pathlib.Path(args.out) / name
    if (target / "run.json").exists():
        print(f"{name}: kept the saved part {target}", file=sys.stderr)
        return
    result = run_experiment(
        dataset,
        strategies,
        jobs=args.jobs,
        seeds=seeds,
        first_seed=first_seed,
        **protocol,
    )
    write_outputs(result, target)
    print(f"{name}: {result.metadata['wall_seconds']:.0f} s", file=sys.stderr)


def time_query_round(dataset, specs=TIMED, repeats: int = 5) -> dict:
    """Time one query round at 100 labels on the full pool, 1 BLAS thread.

    The forward pass (embeddings and softmax of every pool point) is timed apart
    from each strategy's ``select``, since every model-based strategy shares it.
    """
    with threadpool_limits(limits=1):
        labeled = initial_labeled(dataset.y_pool, 100, 0)
        model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=0)
        forward, select = [], {spec: [] for spec in specs}
        for _ in range(repeats):
            state = QueryState(
                dataset.X_pool,
                labeled,
                dataset.y_pool[labeled],
                model,
                np.random.default_rng(0),
            )
            start = time.perf_counter()
            _ = state.probabilities
            forward.append(time.perf_counter() - start)
            for spec in specs:
                strategy = make_strategy(spec)
                start = time.perf_counter()
                strategy.select(state, 5)
                select[spec].append(time.perf_counter() - start)
    return {
        "n_pool": int(dataset.X_pool.shape[0]),
        "forward_seconds_median": float(np.median(forward)),
        "select_seconds_median": {k: float(np.median(v)) for k, v in select.items()},
    }


def batch_overlap(dataset, specs=HYBRIDS, seeds: int = 5) -> dict:
    """Count the picks a hybrid shares with margin's batch, at 100 labels.

    For each seed the model is trained on that seed's initial set, and every
    hybrid and margin pick a batch of 5 from the same state. Returns, per
    hybrid, the mean number of its 5 picks that margin also picks.
    """
    shared = {spec: [] for spec in specs}
    with threadpool_limits(limits=1):
        for seed in range(seeds):
            labeled = initial_labeled(dataset.y_pool, 100, seed)
            model = fit_mlp(dataset.X_pool[labeled], dataset.y_pool[labeled], seed=seed)
            state = QueryState(
                dataset.X_pool,
                labeled,
                dataset.y_pool[labeled],
                model,
                np.random.default_rng(seed),
            )
            margin = set(make_strategy("margin").select(state, 5).tolist())
            for spec in specs:
                picks = make_strategy(spec).select(state, 5).tolist()
                shared[spec].append(len(margin & set(picks)))
    return {spec: float(np.mean(v)) for spec, v in shared.items()}


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


def load_parts(out: pathlib.Path, names: list[str]):
    """Merge the saved parts ``OUT/NAME`` for ``names``, in order.

    Parts pair by seed (the same initial set and model seed per seed), so parts
    of one dataset merge into one comparison.
    """
    rounds, picks, meta = [], [], []
    for name in names:
        folder = out / name
        if (folder / "run.json").exists():
            rounds += read_rows(folder / "rounds.csv")
            picks += read_rows(folder / "picks.csv")
            meta.append(json.loads((folder / "run.json").read_text()))
    return rounds, picks, meta


def cpu_line(meta: dict) -> str:
    """Describe a part's wall time and where its trials spent their CPU."""
    fit = sum(t["fit_seconds"] for t in meta["timing"].values())
    query = sum(t["query_seconds"] for t in meta["timing"].values())
    trials = len(meta["strategies"]) * meta["seeds"]
    return (
        f"{meta['wall_seconds'] / 60:.1f} min wall with `--jobs {meta['jobs']}`; "
        f"over its {trials} trials, training took {fit / 60:.1f} min of CPU and "
        f"queries {query / 60:.1f} min"
    )


def dataset_section(out: pathlib.Path, name: str, title: str) -> str:
    """Tables of one dataset: default and variant parts, then the held-out seeds."""
    rounds, picks, meta = load_parts(out, [name, f"{name}_variants"])
    if not rounds:
        return ""
    default = [r for r in rounds if r["strategy"] in DEFAULT_STRATEGIES]
    plot_curves(
        default,
        str(PLOT if name == "mnist" else DIGITS_PLOT),
        title=f"{title}: 100 + 40 x 5 labels, {meta[0]['seeds']} seeds",
    )
    lines = [
        f"### {title}: pool {meta[0]['n_pool']}, test {meta[0]['n_test']}, "
        f"split seed {meta[0]['split_seed']}",
        "",
    ]
    for part in meta:
        lines.append(
            f"- {', '.join(part['strategies'])} on seeds "
            f"{part['first_seed']}-{part['first_seed'] + part['seeds'] - 1}: "
            + cpu_line(part)
            + "."
        )
    lines += [
        "",
        "Variants are compared with random and margin on their common seeds.",
        "",
        markdown_table(summarize(rounds), diagnostics_table(picks, 5)),
    ]
    held_rounds, held_picks, held_meta = load_parts(out, [f"{name}_heldout"])
    if held_rounds:
        first = held_meta[0]["first_seed"]
        lines += [
            "",
            f"Held-out seeds {first}-{first + held_meta[0]['seeds'] - 1} "
            f"(not used to choose any option): " + cpu_line(held_meta[0]) + ".",
            "",
            markdown_table(summarize(held_rounds), diagnostics_table(held_picks, 5)),
        ]
    return "\n".join(lines)


def copies_section(out: pathlib.Path) -> str:
    """Table of the near-copies pool and the distinct images each strategy bought."""
    rounds, picks, meta = load_parts(out, ["digits_copies"])
    if not rounds:
        return ""
    n_images = meta[0]["n_pool"] // COPIES
    distinct = {}
    for strategy in meta[0]["strategies"]:
        counts = []
        for seed in range(meta[0]["seeds"]):
            images = [
                int(p["pool_index"]) % n_images
                for p in picks
                if p["strategy"] == strategy and p["seed"] == seed
            ]
            counts.append(len(set(images)) / len(images))
        distinct[strategy] = float(np.mean(counts))
    lines = [
        f"### digits with {COPIES} near copies of every pool image "
        f"(pool {meta[0]['n_pool']})",
        "",
        f"{', '.join(meta[0]['strategies'])} on seeds 0-{meta[0]['seeds'] - 1}: "
        + cpu_line(meta[0])
        + ".",
        "",
        markdown_table(summarize(rounds), diagnostics_table(picks, 5)),
        "",
        "| strategy | distinct images among the 200 queries (mean share) |",
        "| --- | --- |",
        *(f"| {k} | {v:.1%} |" for k, v in distinct.items()),
    ]
    return "\n".join(lines)


def batch_section(out: pathlib.Path) -> str:
    """Tables of the 10 x 20 protocol on both datasets."""
    lines = []
    for name in ("mnist", "digits"):
        rounds, picks, meta = load_parts(out, [f"{name}_batch20"])
        if not rounds:
            continue
        lines += [
            f"### {meta[0]['dataset']}: {meta[0]['initial']} initial + "
            f"{meta[0]['rounds']} rounds x {meta[0]['batch_size']}",
            "",
            f"Seeds 0-{meta[0]['seeds'] - 1}: " + cpu_line(meta[0]) + ".",
            "",
            markdown_table(
                summarize(rounds), diagnostics_table(picks, meta[0]["batch_size"])
            ),
            "",
        ]
    return "\n".join(lines)


def read_json(path: pathlib.Path) -> dict | None:
    """Return the saved JSON at ``path``, or None when that part has not run."""
    return json.loads(path.read_text()) if path.exists() else None


def timing_section(out: pathlib.Path) -> str:
    timing = read_json(out / "query_round.json")
    if timing is None:
        return ""
    forward = timing["forward_seconds_median"]
    lines = [
        f"### One query round over the MNIST pool of {timing['n_pool']}",
        "",
        "100 labeled, batch 5, 1 BLAS thread, median of 5. The forward pass "
        f"(embeddings and softmax of the pool, shared by every model-based "
        f"strategy) took {forward * 1e3:.0f} ms.",
        "",
        "| strategy | select (ms) | forward pass + select (ms) |",
        "| --- | --- | --- |",
    ]
    for spec, seconds in timing["select_seconds_median"].items():
        lines.append(
            f"| {spec} | {seconds * 1e3:.0f} | {(seconds + forward) * 1e3:.0f} |"
        )
    return "\n".join(lines) + "\n"


def overlap_section(out: pathlib.Path) -> str:
    overlap = read_json(out / "overlap.json")
    if overlap is None:
        return ""
    lines = [
        "### How far the hybrids move from margin's batch",
        "",
        "Picks out of 5 that margin also picks, from the same model trained on "
        "each seed's 100 initial labels (seeds 0-4), mean over seeds.",
        "",
        "| hybrid | " + " | ".join(overlap) + " |",
        "| --- | " + " | ".join("---" for _ in overlap) + " |",
    ]
    for spec in HYBRIDS:
        lines.append(
            f"| {spec} | "
            + " | ".join(f"{overlap[name][spec]:.1f}" for name in overlap)
            + " |"
        )
    return "\n".join(lines) + "\n"


def anatomy_section(out: pathlib.Path) -> str:
    anatomy = read_json(out / "anatomy.json")
    if anatomy is None:
        return ""
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
        dataset_section(out, "mnist", "MNIST"),
        dataset_section(out, "digits", "digits"),
        copies_section(out),
        batch_section(out),
        overlap_section(out),
        timing_section(out),
        anatomy_section(out),
    ]
    load = ""
    loads = read_json(out / "load.json")
    if loads is not None:
        load = (
            f", 1-minute load average {loads['start']:.1f} at the start and "
            f"{loads['end']:.1f} at the end"
        )
    return (
        "## Active learning: default protocol, variants and held-out seeds\n\n"
        "Command: `python benchmarks/active_learning.py --mnist-dir "
        f"../shared/data/mnist --out {args.out} --jobs 2`"
        + (
            "; this section was rebuilt from the saved parts"
            if args.report_only
            else ""
        )
        + f"\n\nMachine: {machine_line()}{load}.\n\n"
        + (pathlib.Path(args.notes).read_text() + "\n" if args.notes else "")
        + "\n\n".join(s for s in sections if s)
        + "\n\n![MNIST learning curves](active_learning.png)\n"
        + "\n![digits learning curves](active_learning_digits.png)\n"
    )


def benchmark_parser(description: str) -> argparse.ArgumentParser:
    """Build the command-line parser shared by the active-learning benchmarks."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--notes", help="Markdown file put before the tables (the findings)"
    )
    parser.add_argument("--no-write", dest="write", action="store_false")
    return parser


def main() -> None:
    args = benchmark_parser(__doc__.splitlines()[0]).parse_args()
    out = pathlib.Path(args.out)
    if not args.report_only:
        out.mkdir(parents=True, exist_ok=True)
        start_load = os.getloadavg()[0]
        datasets = {
            "mnist": load_dataset(mnist_dir=args.mnist_dir),
            "digits": load_dataset(dataset="digits"),
        }
        for name, dataset in datasets.items():
            seeds, variant_seeds, held_first, held_seeds = SEEDS[name]
            run_part(name, dataset, list(DEFAULT_STRATEGIES), seeds, args)
            run_part(f"{name}_variants", dataset, list(VARIANTS), variant_seeds, args)
            run_part(
                f"{name}_heldout", dataset, list(HELDOUT), held_seeds, args, held_first
            )
        for name, dataset in datasets.items():
            run_part(
                f"{name}_batch20",
                dataset,
                list(BATCH_STRATEGIES),
                SEEDS[name][0],
                args,
                **BATCH_PROTOCOL,
            )
        run_part(
            "digits_copies",
            with_copies(datasets["digits"]),
            list(COPIES_STRATEGIES),
            10,
            args,
        )
        if not (out / "overlap.json").exists():
            overlap = {name: batch_overlap(d) for name, d in datasets.items()}
            (out / "overlap.json").write_text(json.dumps(overlap))
        if not (out / "query_round.json").exists():
            timing = time_query_round(datasets["mnist"])
            (out / "query_round.json").write_text(json.dumps(timing))
        if not (out / "anatomy.json").exists():
            anatomy = leverage_anatomy(datasets["mnist"])
            (out / "anatomy.json").write_text(json.dumps(anatomy))
        if not (out / "load.json").exists():
            (out / "load.json").write_text(
                json.dumps({"start": start_load, "end": os.getloadavg()[0]})
            )
    text = report(args)
    print(text)
    if args.write:
        write_section("active_learning", text)


if __name__ == "__main__":
    main()
