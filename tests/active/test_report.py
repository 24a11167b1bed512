"""Learning-curve AUC, paired comparisons and the per-strategy summary."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from dleverage.active.report import (
    curve_auc,
    diagnostics_table,
    paired_comparison,
    summarize,
)


def test_auc_of_constant_and_linear_curves():
    n = np.array([100, 105, 110, 120])
    assert curve_auc(n, np.full(4, 0.8)) == pytest.approx(0.8)
    # A straight line from 0.5 to 0.9: its mean is the midpoint.
    assert curve_auc(n, 0.5 + 0.4 * (n - 100) / 20) == pytest.approx(0.7)


def test_auc_ignores_row_order():
    n = np.array([110, 100, 105])
    accuracy = np.array([0.9, 0.7, 0.8])
    assert curve_auc(n, accuracy) == pytest.approx(0.8)


def test_paired_comparison_matches_scipy():
    a = [0.81, 0.83, 0.80, 0.86, 0.84]
    b = [0.80, 0.80, 0.81, 0.82, 0.80]
    result = paired_comparison(a, b)
    assert result["wins"] == 4
    assert result["n"] == 5
    assert result["mean_diff"] == pytest.approx(np.mean(np.subtract(a, b)))
    assert result["t_pvalue"] == pytest.approx(scipy.stats.ttest_rel(a, b).pvalue)
    assert result["wilcoxon_pvalue"] == pytest.approx(
        scipy.stats.wilcoxon(np.subtract(a, b)).pvalue
    )


def test_paired_comparison_of_equal_samples_has_no_pvalue():
    result = paired_comparison([0.5, 0.6], [0.5, 0.6])
    assert result["wins"] == 0
    assert math.isnan(result["t_pvalue"])
    assert math.isnan(result["wilcoxon_pvalue"])


def rounds_of(strategy, seed, accuracies):
    return [
        {
            "strategy": strategy,
            "seed": seed,
            "round": k,
            "n_labeled": 10 + 5 * k,
            "accuracy": a,
        }
        for k, a in enumerate(accuracies)
    ]


def test_summarize_counts_wins_per_seed():
    rounds = (
        rounds_of("random", 0, [0.5, 0.6])
        + rounds_of("random", 1, [0.5, 0.7])
        + rounds_of("margin", 0, [0.5, 0.65])
        + rounds_of("margin", 1, [0.5, 0.66])
    )
    summary = {row["strategy"]: row for row in summarize(rounds)}
    margin = summary["margin"]
    assert margin["wins_vs_random"] == 1
    assert margin["final_mean"] == pytest.approx(0.655)
    assert margin["final_std"] == pytest.approx(np.std([0.65, 0.66], ddof=1))
    assert margin["final_diff_vs_random"] == pytest.approx(0.005)
    assert "wins_vs_margin" not in margin
    assert summary["random"]["wins_vs_margin"] == 1


def test_diagnostics_count_classes_per_batch():
    base = {
        "strategy": "s",
        "seed": 0,
        "predicted": 0,
        "norm_percentile": 50.0,
        "margin": 0.1,
        "leverage": 0.2,
    }
    picks = [
        {**base, "round": 1, "label": 3, "misclassified": 1},
        {**base, "round": 1, "label": 3, "misclassified": 0},
        {**base, "round": 2, "label": 1, "misclassified": 0},
        {**base, "round": 2, "label": 2, "misclassified": 0},
    ]
    (row,) = diagnostics_table(picks, batch_size=2)
    assert row["classes_per_batch"] == pytest.approx(1.5)
    assert row["misclassified_rate"] == pytest.approx(0.25)
