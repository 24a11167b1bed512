"""Feature spaces for leverage: model embeddings, norm-robust transforms, fixed maps.

A space maps the query state to one row per pool point. ``"embedding"`` is the
model's 64-d penultimate ReLU embedding. ``"normalized"`` divides each row by its
Euclidean norm, so leverage depends on directions only. ``"class_whitened"`` centers and
whitens each row with the mean and covariance of its predicted class in the pool,
so a point scores by how atypical it is for its class, not by its norm. ``"pca"``
and ``"autoencoder"`` are fixed representations fitted once on the unlabeled pool
pixels (no labels) and unchanged across rounds.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from dleverage.active.base import QueryState
from dleverage.errors import InvalidInputError

__all__ = ["FIXED", "SPACES", "ensure", "features", "fit_fixed"]

logger = logging.getLogger(__name__)

#: Spaces computed from the model each round.
MODEL_SPACES = ("embedding", "normalized", "class_whitened")

#: Fixed representations fitted once per dataset on the pool pixels.
FIXED = ("pca", "autoencoder")

SPACES = MODEL_SPACES + FIXED

#: Components of the PCA representation.
PCA_COMPONENTS = 50

#: Autoencoder widths 784-128-32-128-784 (ReLU) and its training epochs.
AUTOENCODER_LAYERS = (128, 32, 128)
AUTOENCODER_EPOCHS = 30

#: Shrinkage of each class covariance toward its mean eigenvalue, for whitening.
WHITENING_SHRINKAGE = 0.1


def fit_fixed(name: str, X_pool: np.ndarray, *, seed: int = 0) -> np.ndarray:  # noqa: N803
    """Fit the fixed representation ``name`` on the pool pixels and return its rows.

    ``"pca"``: the first 50 principal components. ``"autoencoder"``: the 32-d
    bottleneck of a ReLU autoencoder 784-128-32-128-784 trained for 30 Adam
    epochs on the squared reconstruction error.

    Raises
    ------
    InvalidInputError
        For a name that is not a fixed representation.
    """
    if name == "pca":
        components = min(PCA_COMPONENTS, X_pool.shape[1], X_pool.shape[0])
        return PCA(n_components=components, random_state=seed).fit_transform(X_pool)
    if name == "autoencoder":
        autoencoder = MLPRegressor(
            hidden_layer_sizes=AUTOENCODER_LAYERS,
            activation="relu",
            solver="adam",
            max_iter=AUTOENCODER_EPOCHS,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            autoencoder.fit(X_pool, X_pool)
        activation = X_pool
        middle = len(AUTOENCODER_LAYERS) // 2 + 1
        for weights, bias in zip(
            autoencoder.coefs_[:middle], autoencoder.intercepts_[:middle], strict=True
        ):
            activation = np.maximum(activation @ weights + bias, 0.0)
        logger.info(
            "autoencoder loss after %d epochs: %.4g",
            autoencoder.n_iter_,
            autoencoder.loss_,
        )
        return activation
    raise InvalidInputError(
        f"Invalid fixed representation {name!r}. Expected one of {FIXED}."
    )


def ensure(dataset: object, names: set[str] | list[str], *, seed: int = 0) -> None:
    """Fit each missing fixed representation in ``names`` onto ``dataset``.

    ``dataset`` is an :class:`~dleverage.active.data.ActiveDataset`; the result
    goes into its ``representations`` dict, so trials share one fit.
    """
    for name in names:
        if name not in dataset.representations:
            logger.info("fitting the %s representation on the pool", name)
            dataset.representations[name] = fit_fixed(name, dataset.X_pool, seed=seed)


def _row_normalized(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def _class_whitened(rows: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Center and whiten rows with the shrunk covariance of their predicted class."""
    out = np.zeros_like(rows)
    d = rows.shape[1]
    for label in np.unique(predicted):
        members = predicted == label
        block = rows[members]
        centered = block - block.mean(axis=0)
        covariance = centered.T @ centered / max(block.shape[0] - 1, 1)
        mean_eigenvalue = np.trace(covariance) / d
        shrunk = (1 - WHITENING_SHRINKAGE) * covariance + WHITENING_SHRINKAGE * (
            mean_eigenvalue if mean_eigenvalue > 0 else 1.0
        ) * np.eye(d)
        eigenvalues, eigenvectors = np.linalg.eigh(shrunk)
        inverse_root = eigenvectors / np.sqrt(np.maximum(eigenvalues, 1e-12))
        out[members] = centered @ inverse_root
    return out


def features(state: QueryState, space: str) -> np.ndarray:
    """Return the rows of every pool point in ``space``, shape (n_pool, d).

    Raises
    ------
    InvalidInputError
        For an unknown space, or a fixed one that was not computed.
    """
    if space == "embedding":
        return state.embeddings
    if space == "normalized":
        return _row_normalized(state.embeddings)
    if space == "class_whitened":
        predicted = np.argmax(state.probabilities, axis=1)
        return _class_whitened(state.embeddings, predicted)
    if space in FIXED:
        return state.representation(space)
    raise InvalidInputError(
        f"Invalid feature space {space!r}. Expected one of {SPACES}."
    )
