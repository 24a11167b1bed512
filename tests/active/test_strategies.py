"""Every registered strategy returns a valid batch; misuse is rejected."""

from __future__ import annotations

import numpy as np
import pytest

from dleverage.active.base import check_selection
from dleverage.active.experiment import run_experiment
from dleverage.active.strategies import STRATEGIES, make_strategy
from dleverage.errors import InvalidInputError

EXTRA_SPECS = (
    "margin_dopt:shortlist=20,space=normalized",
    "ridge_leverage:space=class_whitened,ridge_reference=labeled,ridge_scale=0.001",
    "margin_random_top50:shortlist=8",
    "margin_leverage:gamma=2,shortlist=50,space=normalized",
)


@pytest.mark.parametrize("spec", [*STRATEGIES, *EXTRA_SPECS])
def test_strategy_returns_valid_batch(spec, digits_state):
    strategy = make_strategy(spec)
    picks = strategy.select(digits_state, 7)
    assert picks.shape == (7,)
    assert np.unique(picks).size == 7
    assert picks.min() >= 0
    assert picks.max() < digits_state.n_pool
    assert not np.isin(picks, digits_state.labeled).any()
    check_selection(digits_state, picks, 7)
    assert strategy.name == spec


@pytest.mark.parametrize(
    "spec",
    [
        "margin",
        "entropy",
        "egl",
        "kcenter",
        "ridge_leverage",
        "margin_dopt",
        "margin_leverage",
    ],
)
def test_deterministic_strategy_repeats(spec, digits_state):
    strategy = make_strategy(spec)
    first = strategy.select(digits_state, 5)
    second = strategy.select(digits_state, 5)
    np.testing.assert_array_equal(first, second)


def test_margin_picks_smallest_margins(digits_state):
    picks = make_strategy("margin").select(digits_state, 5)
    probabilities = np.sort(digits_state.probabilities, axis=1)
    margin = probabilities[:, -1] - probabilities[:, -2]
    unlabeled = digits_state.unlabeled
    threshold = np.sort(margin[unlabeled])[4]
    assert np.all(margin[picks] <= threshold)


def test_only_egl_uses_gradients(digits_state):
    # Only EGL needs loss gradients; every leverage strategy is forward-only.
    uses = {name: make_strategy(name).uses_gradients for name in STRATEGIES}
    assert [name for name, flag in uses.items() if flag] == ["egl"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "Unknown strategy 'nope'. Expected one of: random, margin"),
        ("margin_dopt:shortlist", "Invalid option 'shortlist' in strategy"),
        ("margin_dopt:shortlist=ten", "Invalid value 'ten' for option 'shortlist'"),
        ("margin:shortlist=3", "Strategy 'margin' does not take the options"),
        ("ridge_leverage:space=pixels", "Invalid space 'pixels'. Expected one of"),
        ("ridge_leverage:reference=test", "Invalid reference 'test'. Expected"),
        ("ridge_leverage:ridge_scale=0", r"Invalid ridge_scale 0.0: expected > 0"),
        ("margin_leverage:", "no options after the colon"),
    ],
)
def test_make_strategy_rejects(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        make_strategy(spec)


def test_check_selection_rejects(digits_state):
    labeled = digits_state.labeled
    unlabeled = digits_state.unlabeled
    with pytest.raises(InvalidInputError, match=r"returned \(2,\) indices; expected"):
        check_selection(digits_state, unlabeled[:2], 3)
    with pytest.raises(InvalidInputError, match="duplicate indices"):
        check_selection(digits_state, np.array([unlabeled[0]] * 2), 2)
    with pytest.raises(InvalidInputError, match="outside"):
        check_selection(digits_state, np.array([unlabeled[0], 10**6]), 2)
    with pytest.raises(InvalidInputError, match="returned labeled indices"):
        check_selection(digits_state, np.array([unlabeled[0], labeled[0]]), 2)


def test_missing_representation_is_named(digits_state):
    digits_state.representations.pop("pca")
    with pytest.raises(InvalidInputError, match="Representation 'pca' is missing"):
        make_strategy("leverage_pca").select(digits_state, 2)


def test_run_experiment_rejects_a_string_of_strategies(digits):
    # A bare string would otherwise be read letter by letter ('m', 'a', ...).
    with pytest.raises(InvalidInputError, match="expected a list of registry names"):
        run_experiment(digits, "margin", seeds=1, rounds=1, initial=20, progress=False)
