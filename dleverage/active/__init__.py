"""Active learning with ridge leverage against uncertainty and core-set baselines.

Modules: :mod:`~dleverage.active.data` (MNIST or digits pool/test split),
:mod:`~dleverage.active.model` (the 784-256-64-10 MLP), :mod:`~dleverage.active.base`
(the strategy interface), :mod:`~dleverage.active.strategies` (the registry),
:mod:`~dleverage.active.loop` (one trial), :mod:`~dleverage.active.experiment`
(all trials and their outputs) and :mod:`~dleverage.active.report` (summaries).
"""

from dleverage.active.base import QueryState, Strategy
from dleverage.active.data import ActiveDataset, load_dataset
from dleverage.active.experiment import ExperimentResult, run_experiment, write_outputs
from dleverage.active.loop import TrialResult, run_trial
from dleverage.active.model import MLP, fit_mlp
from dleverage.active.strategies import DEFAULT_STRATEGIES, STRATEGIES, make_strategy

__all__ = [
    "DEFAULT_STRATEGIES",
    "MLP",
    "STRATEGIES",
    "ActiveDataset",
    "ExperimentResult",
    "QueryState",
    "Strategy",
    "TrialResult",
    "fit_mlp",
    "load_dataset",
    "make_strategy",
    "run_experiment",
    "run_trial",
    "write_outputs",
]
