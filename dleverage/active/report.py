"""Summaries of an active-learning experiment: accuracy, AUC, paired tests, plots.

The area under the learning curve (AUC) is the trapezoid area of accuracy over
the number of labels, divided by the label range, so it is the mean accuracy
along the curve and lies in [0, 1]. Comparisons between two strategies pair the
trials of the same seed (same initial set, same model seed) and test the
per-seed differences with a two-sided paired t-test and a Wilcoxon signed-rank
test (scipy.stats).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import scipy.stats

__all__ = [
    "curve_auc",
    "diagnostics_table",
    "markdown_table",
    "paired_comparison",
    "plot_curves",
    "summarize",
]

logger = logging.getLogger(__name__)


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def curve_auc(n_labeled: np.ndarray, accuracy: np.ndarray) -> float:
    """Return the normalized area under accuracy(n_labeled), the curve's mean."""
    order = np.argsort(n_labeled)
    x = np.asarray(n_labeled, dtype=np.float64)[order]
    y = np.asarray(accuracy, dtype=np.float64)[order]
    if x[-1] == x[0]:
        return float(y.mean())
    return _trapezoid(y, x) / float(x[-1] - x[0])


def _per_seed(rounds: list[dict]) -> dict[str, dict[int, tuple[float, float]]]:
    """Return strategy -> seed -> (final accuracy, AUC)."""
    grouped: dict[str, dict[int, list[dict]]] = {}
    for row in rounds:
        grouped.setdefault(row["strategy"], {}).setdefault(row["seed"], []).append(row)
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for strategy, seeds in grouped.items():
        out[strategy] = {}
        for seed, rows in seeds.items():
            rows = sorted(rows, key=lambda r: r["round"])
            n = np.array([r["n_labeled"] for r in rows])
            acc = np.array([r["accuracy"] for r in rows])
            out[strategy][seed] = (float(acc[-1]), curve_auc(n, acc))
    return out


def paired_comparison(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Compare paired samples a and b (same seeds, same order).

    Returns
    -------
    dict
        ``mean_diff`` (mean of a - b), ``wins`` (count of a > b), ``n``,
        ``t_pvalue`` (paired t-test) and ``wilcoxon_pvalue``; a p-value is NaN
        when it is undefined (fewer than 2 pairs, or all differences zero).
    """
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    result = {
        "mean_diff": float(diff.mean()) if diff.size else math.nan,
        "wins": int(np.sum(diff > 0)),
        "n": int(diff.size),
        "t_pvalue": math.nan,
        "wilcoxon_pvalue": math.nan,
    }
    if diff.size >= 2 and np.any(diff != 0):
        if np.ptp(diff) > 0:
            result["t_pvalue"] = float(scipy.stats.ttest_rel(a, b).pvalue)
        result["wilcoxon_pvalue"] = float(scipy.stats.wilcoxon(diff).pvalue)
    return result


def summarize(
    rounds: list[dict], baselines: Sequence[str] = ("random", "margin")
) -> list[dict]:
    """Return one summary row per strategy, in first-seen order.

    Each row has ``strategy``, ``seeds``, ``final_mean``, ``final_std``,
    ``auc_mean``, ``auc_std`` (std with ddof=1, 0 for one seed) and, for each
    baseline present, ``wins_vs_B`` (seeds where the final accuracy is higher),
    ``auc_wins_vs_B``, ``final_diff_vs_B``, ``auc_diff_vs_B`` and the paired
    p-values ``final_p_vs_B``/``auc_p_vs_B`` (t-test) and ``auc_wilcoxon_vs_B``.
    """
    per_seed = _per_seed(rounds)
    rows = []
    for strategy, seeds in per_seed.items():
        finals = np.array([seeds[s][0] for s in sorted(seeds)])
        aucs = np.array([seeds[s][1] for s in sorted(seeds)])
        ddof = 1 if finals.size > 1 else 0
        row: dict[str, object] = {
            "strategy": strategy,
            "seeds": int(finals.size),
            "final_mean": float(finals.mean()),
            "final_std": float(finals.std(ddof=ddof)),
            "auc_mean": float(aucs.mean()),
            "auc_std": float(aucs.std(ddof=ddof)),
        }
        for baseline in baselines:
            if baseline not in per_seed or baseline == strategy:
                continue
            common = sorted(set(seeds) & set(per_seed[baseline]))
            final = paired_comparison(
                [seeds[s][0] for s in common],
                [per_seed[baseline][s][0] for s in common],
            )
            auc = paired_comparison(
                [seeds[s][1] for s in common],
                [per_seed[baseline][s][1] for s in common],
            )
            row[f"wins_vs_{baseline}"] = final["wins"]
            row[f"final_diff_vs_{baseline}"] = final["mean_diff"]
            row[f"final_p_vs_{baseline}"] = final["t_pvalue"]
            row[f"auc_wins_vs_{baseline}"] = auc["wins"]
            row[f"auc_diff_vs_{baseline}"] = auc["mean_diff"]
            row[f"auc_p_vs_{baseline}"] = auc["t_pvalue"]
            row[f"auc_wilcoxon_vs_{baseline}"] = auc["wilcoxon_pvalue"]
        rows.append(row)
    return rows


def diagnostics_table(picks: list[dict], batch_size: int) -> list[dict]:
    """Return per-strategy means of the pick diagnostics.

    Columns: ``misclassified_rate`` (fraction of picks the model got wrong at
    query time), ``norm_percentile`` (mean percentile of the pick's embedding
    norm among unlabeled points), ``classes_per_batch`` (mean distinct true
    classes per batch of ``batch_size``), ``margin`` and ``leverage`` means.
    """
    grouped: dict[str, list[dict]] = {}
    for row in picks:
        grouped.setdefault(row["strategy"], []).append(row)
    table = []
    for strategy, rows in grouped.items():
        batches: dict[tuple[int, int], set[int]] = {}
        for row in rows:
            batches.setdefault((row["seed"], row["round"]), set()).add(row["label"])
        table.append(
            {
                "strategy": strategy,
                "picks": len(rows),
                "misclassified_rate": float(
                    np.mean([r["misclassified"] for r in rows])
                ),
                "norm_percentile": float(np.mean([r["norm_percentile"] for r in rows])),
                "classes_per_batch": float(np.mean([len(c) for c in batches.values()])),
                "batch_size": batch_size,
                "margin": float(np.mean([r["margin"] for r in rows])),
                "leverage": float(np.mean([r["leverage"] for r in rows])),
            }
        )
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def markdown_table(summary: list[dict], diagnostics: list[dict] | None = None) -> str:
    """Return the summary (and diagnostics) as a Markdown table."""
    by_strategy = {row["strategy"]: row for row in diagnostics or []}
    header = [
        "strategy",
        "final acc (mean +- std)",
        "AUC (mean +- std)",
        "final wins vs random",
        "AUC diff vs random (t p)",
        "final wins vs margin",
        "final diff vs margin",
        "AUC diff vs margin",
        "AUC wins vs margin",
        "AUC p vs margin (t / Wilcoxon)",
    ]
    if diagnostics:
        header += ["picks misclassified", "norm pct of picks", "classes per batch"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in summary:
        n = row["seeds"]
        cells = [
            row["strategy"],
            f"{row['final_mean']:.4f} +- {row['final_std']:.4f}",
            f"{row['auc_mean']:.4f} +- {row['auc_std']:.4f}",
            f"{row['wins_vs_random']}/{n}" if "wins_vs_random" in row else "-",
            (
                f"{row['auc_diff_vs_random']:+.4f} ({_cell(row['auc_p_vs_random'])})"
                if "auc_diff_vs_random" in row
                else "-"
            ),
            f"{row['wins_vs_margin']}/{n}" if "wins_vs_margin" in row else "-",
            (
                f"{row['final_diff_vs_margin']:+.4f}"
                if "final_diff_vs_margin" in row
                else "-"
            ),
            f"{row['auc_diff_vs_margin']:+.4f}" if "auc_diff_vs_margin" in row else "-",
            f"{row['auc_wins_vs_margin']}/{n}" if "auc_wins_vs_margin" in row else "-",
            (
                f"{_cell(row['auc_p_vs_margin'])} / "
                f"{_cell(row['auc_wilcoxon_vs_margin'])}"
            )
            if "auc_p_vs_margin" in row
            else "-",
        ]
        if diagnostics:
            d = by_strategy.get(row["strategy"])
            cells += (
                [
                    f"{d['misclassified_rate']:.2f}",
                    f"{d['norm_percentile']:.0f}",
                    f"{d['classes_per_batch']:.2f}",
                ]
                if d
                else ["-", "-", "-"]
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_curves(rounds: list[dict], path: str, *, title: str) -> None:
    """Write learning curves (mean over seeds, shaded +- 1 std) to a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grouped: dict[str, dict[int, list[float]]] = {}
    for row in rounds:
        grouped.setdefault(row["strategy"], {}).setdefault(row["n_labeled"], []).append(
            row["accuracy"]
        )
    figure, axes = plt.subplots(figsize=(8, 5.5))
    for strategy, by_n in grouped.items():
        n = np.array(sorted(by_n))
        values = [np.asarray(by_n[k]) for k in n]
        mean = np.array([v.mean() for v in values])
        std = np.array([v.std() for v in values])
        (line,) = axes.plot(n, mean, label=strategy, linewidth=1.5)
        axes.fill_between(n, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    axes.set_xlabel("labeled points")
    axes.set_ylabel("test accuracy")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120, format="png")
    plt.close(figure)
