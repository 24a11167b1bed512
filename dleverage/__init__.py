"""dleverage: exact and ridge leverage scores of out-of-core matrices on Dask.

The main entry points::

    import dleverage as dl
    X = dl.open_matrix("features.zarr")
    result = dl.leverage_scores(X, ridge="rel:0.01")
    result.to_zarr("scores.zarr")
    dl.score_rows(result.factor, new_rows)
    dl.values(result)
    subset = dl.sample("scores.zarr", size=1000, scheme="iid", seed=0)
    subset.to_zarr("subset.zarr", materialize="features.zarr")
"""

from dleverage._version import __version__
from dleverage.errors import (
    ClusterConnectionError,
    CorruptChunkError,
    DatasetStoreError,
    DleverageError,
    DleverageWarning,
    IncompleteOutputError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidRidgeError,
    InvalidSampleSizeError,
    InvalidScoresError,
    InvalidSeedError,
    NonFiniteInputError,
    OutputExistsError,
    OutputLockedError,
    UnknownSchemeError,
    UnsupportedDtypeError,
)
from dleverage.estimators import LeverageSampler, LeverageScorer
from dleverage.factor import Factor, parse_ridge
from dleverage.io import describe_array, open_matrix, read_idx
from dleverage.report import render_report, score_summary
from dleverage.sampling import SampleResult, read_sample, sample
from dleverage.scores import LeverageResult, leverage_scores, read_scores, score_rows
from dleverage.train import fit_subset, read_subset, ridge_solve, sketch_and_solve
from dleverage.update import UpdateResult, read_dataset, update_dataset
from dleverage.valuation import (
    a_optimal_gains,
    d_optimal_gains,
    greedy_batch,
    greedy_d_optimal,
    values,
)

__all__ = [
    "ClusterConnectionError",
    "CorruptChunkError",
    "DatasetStoreError",
    "DleverageError",
    "DleverageWarning",
    "Factor",
    "IncompleteOutputError",
    "InvalidInputError",
    "InvalidLabelsError",
    "InvalidRidgeError",
    "InvalidSampleSizeError",
    "InvalidScoresError",
    "InvalidSeedError",
    "LeverageResult",
    "LeverageSampler",
    "LeverageScorer",
    "NonFiniteInputError",
    "OutputExistsError",
    "OutputLockedError",
    "SampleResult",
    "UnknownSchemeError",
    "UnsupportedDtypeError",
    "UpdateResult",
    "__version__",
    "a_optimal_gains",
    "d_optimal_gains",
    "describe_array",
    "fit_subset",
    "greedy_batch",
    "greedy_d_optimal",
    "leverage_scores",
    "open_matrix",
    "parse_ridge",
    "read_dataset",
    "read_idx",
    "read_sample",
    "read_scores",
    "read_subset",
    "render_report",
    "ridge_solve",
    "sample",
    "score_rows",
    "score_summary",
    "sketch_and_solve",
    "update_dataset",
    "values",
]
