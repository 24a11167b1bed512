"""The stratified scheme: class budgets and a base scheme inside each class."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.stats

import dleverage as dl
from dleverage.sampling.stratified import class_budgets
from dleverage.testing import heavy_scores

P_VALUE_FLOOR = 1e-3
LABELS = np.repeat([2, 5, 9], [20, 12, 8])


@pytest.mark.parametrize(
    ("size", "rows", "rule", "expected"),
    [
        (10, [20, 12, 8], "proportional", [5, 3, 2]),  # exact: 5, 3, 2
        (11, [20, 12, 8], "proportional", [6, 3, 2]),  # 5.5, 3.3, 2.2
        (7, [1, 1, 1], "proportional", [3, 2, 2]),  # equal remainders: lower first
        (10, [20, 12, 8], "equal", [4, 3, 3]),
        (2, [20, 12, 8], "equal", [1, 1, 0]),
    ],
)
def test_class_budgets(size, rows, rule, expected):
    budgets = class_budgets(size, np.array(rows), rule)
    np.testing.assert_array_equal(budgets, expected)


@pytest.mark.parametrize("base", ["iid", "topk", "uniform"])
@pytest.mark.parametrize("rule", ["proportional", "equal"])
def test_stratified_meets_budgets(base, rule):
    scores = da.from_array(heavy_scores(), chunks=7)
    result = dl.sample(
        scores,
        size=10,
        scheme="stratified",
        labels=LABELS,
        base=base,
        budget=rule,
        seed=4,
    )
    budgets = class_budgets(10, np.array([20, 12, 8]), rule)
    assert result.options["budgets"] == budgets.tolist()
    assert result.options["classes"] == [2, 5, 9]
    per_class = np.bincount(
        np.searchsorted([2, 5, 9], LABELS[result.indices]),
        weights=result.counts,
        minlength=3,
    )
    np.testing.assert_array_equal(per_class, budgets)


def test_stratified_topk_within_class():
    scores = heavy_scores()
    result = dl.sample(
        scores, size=10, scheme="stratified", labels=LABELS, base="topk", seed=0
    )
    expected = []
    for label, budget in zip([2, 5, 9], [5, 3, 2], strict=True):
        rows = np.flatnonzero(LABELS == label)
        order = np.lexsort((rows, -scores[rows]))
        expected.extend(rows[order[:budget]])
    np.testing.assert_array_equal(result.indices, np.sort(expected))


def test_stratified_iid_chi_square():
    # Within class g the draws are multinomial with p_i = h_i / H_g.
    scores = heavy_scores()
    chunked = da.from_array(scores, chunks=7)
    labels = da.from_array(LABELS, chunks=13)  # rechunked to the score blocks
    seeds = 150
    observed = np.zeros(scores.size)
    with dask.config.set(scheduler="synchronous"):
        for seed in range(seeds):
            result = dl.sample(
                chunked, size=20, scheme="stratified", labels=labels, seed=seed
            )
            observed[result.indices] += result.counts
    for label, budget in zip([2, 5, 9], [10, 6, 4], strict=True):
        member = (LABELS == label) & (scores > 0)
        p = scores[member] / scores[member].sum()
        _, p_value = scipy.stats.chisquare(observed[member], seeds * budget * p)
        assert p_value > P_VALUE_FLOOR, label
    first = dl.sample(chunked, size=20, scheme="stratified", labels=labels, seed=0)
    member = LABELS[first.indices] == 5
    p = scores[first.indices[member]] / scores[LABELS == 5].sum()
    np.testing.assert_allclose(first.probabilities[member], p, rtol=1e-12)
    np.testing.assert_allclose(first.weights[member], 1 / np.sqrt(6 * p), rtol=1e-12)


def test_stratified_bernoulli_expected_sizes():
    scores = heavy_scores()
    result = dl.sample(
        scores, size=10, scheme="stratified", labels=LABELS, base="bernoulli", seed=1
    )
    # The inclusion probabilities of each class sum to its budget over all rows;
    # on the selected rows they are min(1, c_g h_i) <= 1.
    assert np.all(result.probabilities <= 1.0)
    assert np.all(result.probabilities > 0.0)


def test_stratified_string_labels():
    labels = np.array(["cat", "dog"] * 20)
    result = dl.sample(
        heavy_scores(),
        size=6,
        scheme="stratified",
        labels=labels,
        budget="equal",
        seed=0,
    )
    assert result.options["classes"] == ["cat", "dog"]
    assert result.options["budgets"] == [3, 3]
    per_class = [
        np.sum(result.counts[labels[result.indices] == c]) for c in "cat dog".split()
    ]
    assert per_class == [3, 3]


def test_stratified_requires_labels():
    with pytest.raises(dl.InvalidLabelsError, match=r"needs labels"):
        dl.sample(heavy_scores(), size=5, scheme="stratified", seed=0)


def test_labels_only_for_stratified():
    with pytest.raises(dl.InvalidLabelsError, match=r"only used by"):
        dl.sample(heavy_scores(), size=5, scheme="iid", labels=LABELS, seed=0)


def test_labels_wrong_length():
    with pytest.raises(
        dl.InvalidLabelsError, match=r"Expected labels of shape \(40,\), one per score"
    ):
        dl.sample(
            heavy_scores(), size=5, scheme="stratified", labels=LABELS[:-1], seed=0
        )


def test_labels_float_rejected():
    with pytest.raises(dl.InvalidLabelsError, match=r"Unsupported label dtype float64"):
        dl.sample(
            heavy_scores(), size=5, scheme="stratified", labels=LABELS * 1.0, seed=0
        )


def test_class_budget_over_class_rows():
    with pytest.raises(
        dl.InvalidSampleSizeError, match=r"Class 9 has 8 rows, fewer than its budget"
    ):
        dl.sample(
            heavy_scores(),
            size=30,
            scheme="stratified",
            labels=LABELS,
            base="topk",
            budget="equal",
            seed=0,
        )
