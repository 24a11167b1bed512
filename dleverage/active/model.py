"""The 784-256-64-10 ReLU MLP of the experiment and its forward-pass quantities.

The network is scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` with
hidden layers (256, 64), ReLU and a softmax output trained on the log-loss. It is
retrained from scratch every round with the trial's fixed seed, not warm-started.
The model after each round then depends only on the labeled set, so differences
between strategies come from what they queried, not from inherited optimizer
state. A refit on at most 300 points took 0.4-0.9 s on one core here.

The 64-d penultimate embedding is recomputed from ``coefs_`` and ``intercepts_``,
``e(x) = relu(relu(x W_0 + b_0) W_1 + b_1)``, so no framework hook is needed.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

__all__ = ["HIDDEN_LAYERS", "MLP", "fit_mlp"]

logger = logging.getLogger(__name__)

#: Hidden layer widths: 784 -> 256 -> 64 -> 10 on MNIST.
HIDDEN_LAYERS = (256, 64)

#: Adam epochs; on 100-300 points the training loss has flattened by then.
MAX_ITER = 200


@dataclass(frozen=True)
class MLP:
    """A fitted MLP with the forward-pass quantities the strategies use.

    Attributes
    ----------
    classifier : MLPClassifier
    classes : ndarray of shape (n_classes,)
        Labels in the order of the softmax outputs.
    """

    classifier: MLPClassifier
    classes: np.ndarray

    def embed(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 (standard symbol)
        """Return the penultimate-layer (64-d) ReLU embedding of each row of X."""
        activation = np.asarray(X, dtype=np.float64)
        for weights, bias in zip(
            self.classifier.coefs_[:-1], self.classifier.intercepts_[:-1], strict=True
        ):
            activation = np.maximum(activation @ weights + bias, 0.0)
        return activation

    def probabilities_from_embedding(self, embedding: np.ndarray) -> np.ndarray:
        """Return class probabilities of shape (n, n_classes) from embeddings.

        Softmax over the output units; with two classes scikit-learn has one
        logistic output unit, whose probability is returned as [1 - p, p].
        """
        logits = (
            embedding @ self.classifier.coefs_[-1] + self.classifier.intercepts_[-1]
        )
        if self.classifier.out_activation_ == "logistic":
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Return softmax outputs of shape (n, n_classes)."""
        return self.probabilities_from_embedding(self.embed(X))

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:  # noqa: N803
        """Return the fraction of rows of X whose predicted class equals y."""
        predicted = self.classes[np.argmax(self.predict_proba(X), axis=1)]
        return float(np.mean(predicted == y))


def fit_mlp(
    X: np.ndarray,  # noqa: N803 (standard symbol)
    y: np.ndarray,
    *,
    seed: int,
    hidden_layers: tuple[int, ...] = HIDDEN_LAYERS,
    max_iter: int = MAX_ITER,
) -> MLP:
    """Train the MLP from scratch on (X, y) with Adam and a fixed seed.

    The output layer is softmax over the classes present in ``y``; the strategies
    assume every class is present, which the stratified initial set guarantees.
    Convergence warnings are silenced because stopping at ``max_iter`` epochs is
    the protocol, not a failure.
    """
    classifier = MLPClassifier(
        hidden_layer_sizes=hidden_layers,
        activation="relu",
        solver="adam",
        alpha=1e-4,
        max_iter=max_iter,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        classifier.fit(X, y)
    logger.debug("fit MLP on %d points in %d epochs", X.shape[0], classifier.n_iter_)
    return MLP(classifier=classifier, classes=classifier.classes_)
