"""Exceptions and warnings raised by dleverage.

Every error derives from :class:`DleverageError`, which is a :class:`ValueError`, so
``except ValueError`` still catches them. The command line turns any
:class:`DleverageError` into a one-line message and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "CorruptChunkError",
    "DatasetStoreError",
    "DleverageError",
    "DleverageWarning",
    "IncompleteOutputError",
    "InvalidInputError",
    "InvalidLabelsError",
    "InvalidRidgeError",
    "InvalidSampleSizeError",
    "InvalidScoresError",
    "InvalidSeedError",
    "NonFiniteInputError",
    "OutputExistsError",
    "OutputLockedError",
    "UnknownSchemeError",
    "UnsupportedDtypeError",
]


class DleverageError(ValueError):
    """Base class of all errors that dleverage raises on invalid input or state."""


class InvalidInputError(DleverageError):
    """The input matrix has the wrong shape, type or layout, or cannot be opened."""


class UnsupportedDtypeError(InvalidInputError):
    """The input dtype is not a real numeric or boolean dtype."""


class NonFiniteInputError(InvalidInputError):
    """The input matrix contains NaN or infinity.

    Attributes
    ----------
    row : int
        Index of the first row that holds a non-finite value.
    """

    def __init__(self, message: str, row: int) -> None:
        super().__init__(message)
        self.row = row


class InvalidRidgeError(DleverageError):
    """The ``ridge`` argument cannot be parsed or is out of range for the data."""


class OutputExistsError(DleverageError):
    """The output path exists already and overwriting was not requested."""


class IncompleteOutputError(DleverageError):
    """A stored result is missing its completion marker or some of its arrays."""


class InvalidScoresError(InvalidInputError):
    """Scores to sample from contain NaN, infinity or negative values, or are all zero.

    Attributes
    ----------
    row : int or None
        Index of the first invalid score, when one row is to blame.
    """

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


class InvalidSampleSizeError(DleverageError):
    """The requested sample size is not an integer >= 1, or too large for the scheme."""


class UnknownSchemeError(DleverageError):
    """The sampling scheme, base scheme or budget rule is not supported."""


class InvalidLabelsError(InvalidInputError):
    """Labels have the wrong length, shape or dtype for the scores they go with."""


class InvalidSeedError(InvalidInputError):
    """The random seed is not a non-negative integer."""


class CorruptChunkError(InvalidInputError):
    """A storage chunk of the input is missing or cannot be decoded.

    The message names the array and the chunk key; the error keeps a single
    message argument so that it pickles between Dask workers and the client.
    """


class OutputLockedError(DleverageError):
    """Another run holds the lock of the output path."""


class ClusterConnectionError(DleverageError):
    """The Dask scheduler cannot be reached, or the TLS settings are incomplete."""


class DatasetStoreError(DleverageError):
    """A dataset store for ``dleverage update`` is missing, invalid or inconsistent."""


class DleverageWarning(UserWarning):
    """Warning about a result that is valid but may not be what the caller expects."""
