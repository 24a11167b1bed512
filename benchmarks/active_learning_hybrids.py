"""Search over gradient-free margin hybrids: which use of leverage keeps margin's gain.

Every hybrid starts from margin's ranking and uses the engine's factor of the
labeled embeddings only to change which of margin's candidates make the batch.
Three of the families are not shipped, because they lost to margin; they are
defined here so their numbers can be reproduced:

- ``margin_filter``: walk margin's order and skip a candidate whose leverage the
  batch so far has cut below ``tau`` times its leverage against the labeled set.
- ``margin_dense``: margin's ``shortlist`` best, then the ``batch_size`` of
  lowest pool-wide leverage (the most typical points); ``invert=1`` takes the
  highest (the most atypical).
- ``zmargin``: the log-odds gap of the two top classes over the posterior
  standard deviation of a Bayesian linear last layer, sqrt(h_B(x))^gamma, with
  the batch added to the factor after each pick (a batch upper-confidence rule).

The shipped families are ``margin_dopt`` and ``margin_leverage``
(:mod:`dleverage.active.leverage`). Each spec runs as its own part in
``OUT/DATASET/SPEC``, and a part whose ``run.json`` exists is kept. The report
pairs every part with the margin part of the same dataset by seed::

    python benchmarks/active_learning_hybrids.py --mnist-dir ../shared/data/mnist \
        --out /tmp/al-hybrids --jobs 2
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _results import machine_line, write_section  # noqa: E402
from active_learning import benchmark_parser, read_rows  # noqa: E402

from dleverage.active import strategies as registry  # noqa: E402
from dleverage.active.base import QueryState  # noqa: E402
from dleverage.active.data import load_dataset  # noqa: E402
from dleverage.active.experiment import run_experiment, write_outputs  # noqa: E402
from dleverage.active.leverage import _LeverageBase, rows_factor  # noqa: E402
from dleverage.active.report import summarize  # noqa: E402
from dleverage.active.representations import features  # noqa: E402
from dleverage.active.uncertainty import margins  # noqa: E402

POOL = "ridge_reference=pool,ridge_scale=0.01"

#: Specs per dataset, and the seeds they run on (0..seeds-1).
SEARCH = {
    "digits": (
        10,
        [
            "margin",
            "margin_filter:tau=0.5",
            "margin_filter:tau=0.5,space=normalized",
            "margin_dense:shortlist=10",
            "margin_dense:shortlist=10,invert=1",
            "zmargin:gamma=1",
            "zmargin:gamma=0.5",
            "zmargin:gamma=1,shortlist=20",
            "zmargin:gamma=1,space=normalized",
            "margin_dopt:shortlist=7",
            f"margin_leverage:{POOL}",
            f"margin_leverage:gamma=0.5,{POOL}",
            f"margin_leverage:gamma=2,{POOL}",
            f"margin_leverage:shortlist=50,{POOL}",
            f"margin_leverage:space=normalized,{POOL}",
            "margin_leverage",
            "margin_leverage:gamma=2",
            "margin_leverage:gamma=3,shortlist=50",
            "margin_leverage:shortlist=50",
            "margin_leverage:ridge_scale=0.0001",
        ],
    ),
    "mnist": (
        5,
        [
            "margin",
            f"margin_leverage:{POOL}",
            f"margin_leverage:shortlist=50,gamma=2,{POOL}",
            "margin_leverage",
            "margin_leverage:gamma=2",
            "margin_leverage:gamma=3,shortlist=50",
            "margin_leverage:shortlist=50",
            "margin_leverage:ridge_scale=0.0001",
        ],
    ),
}


def _margin_order(state: QueryState) -> np.ndarray:
    unlabeled = state.unlabeled
    return unlabeled[np.argsort(margins(state.probabilities[unlabeled]), kind="stable")]


class MarginFilter(_LeverageBase):
    """Margin's order, skipping a candidate with h_B(x) < tau * h_L(x)."""

    def __init__(self, *, tau: float = 0.5, **options) -> None:
        super().__init__(**options)
        self.tau = float(tau)

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        order = _margin_order(state)
        rows = features(state, self.space)
        labeled_rows = rows[state.labeled]
        labeled = rows_factor(labeled_rows, self._ridge(rows, labeled_rows))
        factor, picks = labeled, []
        for index in order:
            row = rows[index : index + 1]
            if picks and factor.score(row)[0] < self.tau * labeled.score(row)[0]:
                continue
            picks.append(index)
            factor = factor.add_rows(row)
            if len(picks) == batch_size:
                break
        return np.array(picks)


class MarginDense(_LeverageBase):
    """Margin's ``shortlist`` best, keeping the lowest (or highest) pool leverage."""

    def __init__(self, *, shortlist: int = 10, invert: int = 0, **options) -> None:
        super().__init__(**options)
        self.shortlist, self.invert = int(shortlist), bool(invert)

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        candidates = _margin_order(state)[: max(self.shortlist, batch_size)]
        rows = features(state, self.space)
        leverage = rows_factor(rows, self._ridge(rows, rows)).score(rows[candidates])
        keep = np.argsort(-leverage if self.invert else leverage, kind="stable")
        return candidates[np.sort(keep[:batch_size])]


class ZMargin(_LeverageBase):
    """Smallest log-odds gap over h_B(x)^(gamma/2), the batch added after each pick."""

    def __init__(self, *, gamma: float = 1.0, shortlist: int = 0, **options) -> None:
        super().__init__(**options)
        self.gamma, self.shortlist = float(gamma), int(shortlist)

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        unlabeled = state.unlabeled
        top_two = np.sort(state.probabilities[unlabeled], axis=1)[:, -2:]
        gap = np.log(np.maximum(top_two[:, 1], 1e-300)) - np.log(
            np.maximum(top_two[:, 0], 1e-300)
        )
        keep = np.argsort(gap, kind="stable")
        if self.shortlist:
            keep = keep[: max(self.shortlist, batch_size)]
        candidates, gap = unlabeled[keep], gap[keep]
        rows = features(state, self.space)
        labeled_rows = rows[state.labeled]
        factor = rows_factor(labeled_rows, self._ridge(rows, labeled_rows))
        available = np.ones(candidates.size, dtype=bool)
        picks = []
        for _ in range(batch_size):
            leverage = np.maximum(factor.score(rows[candidates]), 1e-300)
            score = np.where(available, gap / leverage ** (self.gamma / 2), np.inf)
            best = int(np.argmin(score))
            available[best] = False
            picks.append(candidates[best])
            factor = factor.add_rows(rows[candidates[best] : candidates[best] + 1])
        return np.array(picks)


def register() -> None:
    """Add the unshipped families to the registry (worker processes fork after)."""
    registry.STRATEGIES.update(
        margin_filter=MarginFilter, margin_dense=MarginDense, zmargin=ZMargin
    )
    registry._OPTION_TYPES.update(tau=float, invert=int)


def part_folder(out: pathlib.Path, dataset: str, spec: str) -> pathlib.Path:
    return out / dataset / spec.replace(":", "__").replace(",", "_").replace("=", "-")


def section(out: pathlib.Path) -> str:
    lines = []
    for dataset, (seeds, specs) in SEARCH.items():
        rounds = []
        for spec in specs:
            folder = part_folder(out, dataset, spec)
            if (folder / "rounds.csv").exists():
                rounds += read_rows(folder / "rounds.csv")
        if not rounds:
            continue
        lines += [
            f"### {dataset}, seeds 0-{seeds - 1}, paired with margin",
            "",
            "| strategy | AUC | AUC diff vs margin | AUC wins | t p | Wilcoxon p "
            "| final acc diff |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in summarize(rounds, baselines=("margin",)):
            if row["strategy"] == "margin":
                lines.append(f"| margin | {row['auc_mean']:.4f} | - | - | - | - | - |")
                continue
            p_values = (
                f"{row['auc_p_vs_margin']:.2f} | {row['auc_wilcoxon_vs_margin']:.2f}"
                if np.isfinite(row["auc_p_vs_margin"])
                else "same curves as margin | -"
            )
            lines.append(
                f"| {row['strategy']} | {row['auc_mean']:.4f} | "
                f"{row['auc_diff_vs_margin']:+.4f} | "
                f"{row['auc_wins_vs_margin']}/{row['seeds']} | {p_values} | "
                f"{row['final_diff_vs_margin']:+.4f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    args = benchmark_parser(__doc__.splitlines()[0]).parse_args()

    out = pathlib.Path(args.out)
    register()
    if not args.report_only:
        for dataset, (seeds, specs) in SEARCH.items():
            data = (
                load_dataset(mnist_dir=args.mnist_dir)
                if dataset == "mnist"
                else load_dataset(dataset="digits")
            )
            for spec in specs:
                folder = part_folder(out, dataset, spec)
                if (folder / "run.json").exists():
                    continue
                result = run_experiment(
                    data, [spec], seeds=seeds, jobs=args.jobs, progress=False
                )
                write_outputs(result, folder)
                wall = json.loads((folder / "run.json").read_text())["wall_seconds"]
                print(f"{dataset} {spec}: {wall:.0f} s", file=sys.stderr)

    text = (
        "## Active learning: the search over margin hybrids\n\n"
        "Command: `python benchmarks/active_learning_hybrids.py --mnist-dir "
        f"../shared/data/mnist --out {args.out} --jobs 2`"
        + ("; rebuilt from the saved parts" if args.report_only else "")
        + f"\n\nMachine: {machine_line()}.\n\n"
        + (pathlib.Path(args.notes).read_text() + "\n" if args.notes else "")
        + section(out)
    )
    print(text)
    if args.write:
        write_section("active_learning_hybrids", text)


if __name__ == "__main__":
    main()
