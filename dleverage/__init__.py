"""dleverage: exact and ridge leverage scores of out-of-core matrices on Dask.

The main entry points::

    import dleverage as dl
    X = dl.open_matrix("features.zarr")
    result = dl.leverage_scores(X, ridge="rel:0.01")
    result.to_zarr("scores.zarr")
    dl.score_rows(result.factor, new_rows)
    dl.values(result)
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
    InvalidRidgeError,
    NonFiniteInputError,
    OutputExistsError,
    OutputLockedError,
    UnsupportedDtypeError,
)
from dleverage.factor import Factor, parse_ridge
from dleverage.io import describe_array, open_matrix, read_idx
from dleverage.scores import LeverageResult, leverage_scores, read_scores, score_rows
from dleverage.update import UpdateResult, read_dataset, update_dataset
from dleverage.valuation import greedy_d_optimal, values

__all__ = [
    "ClusterConnectionError",
    "CorruptChunkError",
    "DatasetStoreError",
    "DleverageError",
    "DleverageWarning",
    "Factor",
    "IncompleteOutputError",
    "InvalidInputError",
    "InvalidRidgeError",
    "LeverageResult",
    "NonFiniteInputError",
    "OutputExistsError",
    "OutputLockedError",
    "UnsupportedDtypeError",
    "UpdateResult",
    "__version__",
    "describe_array",
    "greedy_d_optimal",
    "leverage_scores",
    "open_matrix",
    "parse_ridge",
    "read_dataset",
    "read_idx",
    "read_scores",
    "score_rows",
    "update_dataset",
    "values",
]
