"""Query strategies behind one interface, and the registry of their names.

Every strategy is a :class:`~dleverage.active.base.Strategy`: ``select(state,
batch_size)`` returns distinct unlabeled pool indices. Names on the command line
are registry names, optionally with options: ``margin_dopt:shortlist=20`` or
``ridge_leverage:space=normalized,ridge_reference=labeled,ridge_scale=0.001``.

==========================  ===========================================================
name                        picks
==========================  ===========================================================
random                      uniformly at random
margin                      smallest top-two probability gap
entropy                     largest predictive entropy
egl                         largest expected last-layer gradient norm (closed form)
kcenter                     K-center greedy on the embeddings
ridge_leverage              greedy D-optimal on embeddings, lambda 1% of the pool
                            mean eigenvalue (the published setting)
ridge_leverage_labeled      same, lambda 0.1% of the labeled-set mean eigenvalue
ridge_leverage_pool         pool-wide leverage (relative to the whole pool)
leverage_normalized         greedy D-optimal on row-normalized embeddings
leverage_class_whitened     greedy D-optimal on per-class whitened embeddings
leverage_pca                greedy D-optimal on a fixed PCA-50 of the pool pixels
leverage_autoencoder        greedy D-optimal on a fixed autoencoder code of the pool
margin_dopt                 margin top 10, then a greedy D-optimal batch of them
margin_leverage             margin top 4 per pick, each margin discounted by the
                            share of its leverage the batch so far has explained
margin_random_top50         control: 5 at random from margin's top 50
==========================  ===========================================================
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from dleverage.active.base import QueryState, Strategy, check_selection
from dleverage.active.coreset import KCenterGreedy
from dleverage.active.leverage import MarginDOptimal, MarginLeverage, RidgeLeverage
from dleverage.active.uncertainty import (
    EntropyStrategy,
    ExpectedGradientLength,
    MarginShortlistRandom,
    MarginStrategy,
)
from dleverage.errors import InvalidInputError

__all__ = [
    "DEFAULT_STRATEGIES",
    "STRATEGIES",
    "QueryState",
    "RandomStrategy",
    "Strategy",
    "check_selection",
    "make_strategy",
]

logger = logging.getLogger(__name__)


class RandomStrategy(Strategy):
    """Uniformly random unlabeled points, from the trial's seeded generator."""

    name = "random"

    def select(self, state: QueryState, batch_size: int) -> np.ndarray:
        """Return ``batch_size`` unlabeled indices drawn without replacement."""
        return state.rng.choice(state.unlabeled, size=batch_size, replace=False)


#: Registry: name -> constructor taking the keyword options of that name.
STRATEGIES: dict[str, Callable[..., Strategy]] = {
    "random": RandomStrategy,
    "margin": MarginStrategy,
    "entropy": EntropyStrategy,
    "egl": ExpectedGradientLength,
    "kcenter": KCenterGreedy,
    "ridge_leverage": RidgeLeverage,
    "ridge_leverage_labeled": lambda **kw: RidgeLeverage(
        **{"ridge_reference": "labeled", "ridge_scale": 1e-3, **kw}
    ),
    "ridge_leverage_pool": lambda **kw: RidgeLeverage(**{"reference": "pool", **kw}),
    "leverage_normalized": lambda **kw: RidgeLeverage(**{"space": "normalized", **kw}),
    "leverage_class_whitened": lambda **kw: RidgeLeverage(
        **{"space": "class_whitened", **kw}
    ),
    "leverage_pca": lambda **kw: RidgeLeverage(**{"space": "pca", **kw}),
    "leverage_autoencoder": lambda **kw: RidgeLeverage(
        **{"space": "autoencoder", **kw}
    ),
    "margin_dopt": MarginDOptimal,
    "margin_leverage": MarginLeverage,
    "margin_random_top50": lambda **kw: MarginShortlistRandom(
        **{"shortlist": 50, **kw}
    ),
}

#: The strategies of the default protocol: the five baselines, the published
#: ridge leverage and the shipped leverage hybrid.
DEFAULT_STRATEGIES = (
    "random",
    "margin",
    "entropy",
    "egl",
    "kcenter",
    "ridge_leverage",
    "margin_leverage",
)

_OPTION_TYPES = {
    "space": str,
    "ridge_reference": str,
    "reference": str,
    "ridge_scale": float,
    "shortlist": int,
    "gamma": float,
}


def _parse_options(spec: str, text: str) -> dict[str, object]:
    options: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in _OPTION_TYPES:
            raise InvalidInputError(
                f"Invalid option {item!r} in strategy {spec!r}. Expected KEY=VALUE "
                f"with KEY one of {sorted(_OPTION_TYPES)}."
            )
        try:
            options[key] = _OPTION_TYPES[key](value)
        except ValueError as exc:
            raise InvalidInputError(
                f"Invalid value {value!r} for option {key!r} in strategy {spec!r}."
            ) from exc
    return options


def make_strategy(spec: str) -> Strategy:
    """Build a strategy from ``NAME`` or ``NAME:KEY=VALUE,...``.

    The strategy's ``name`` is ``spec`` itself, so options show in results.

    Raises
    ------
    InvalidInputError
        For an unknown name, a malformed option, or an option the strategy does
        not take.
    """
    base, colon, text = spec.partition(":")
    if colon and not text.strip(", "):
        raise InvalidInputError(
            f"Invalid strategy {spec!r}: no options after the colon. Write "
            f"{base!r} alone, or {base + ':KEY=VALUE'!r}."
        )
    if base not in STRATEGIES:
        raise InvalidInputError(
            f"Unknown strategy {base!r}. Expected one of: {', '.join(STRATEGIES)}."
        )
    options = _parse_options(spec, text)
    try:
        strategy = STRATEGIES[base](**options)
    except TypeError as exc:
        raise InvalidInputError(
            f"Strategy {base!r} does not take the options {sorted(options)}."
        ) from exc
    strategy.name = spec
    return strategy
