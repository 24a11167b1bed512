"""EGL against finite differences, and the MLP forward pass against sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from dleverage.active.model import MLP, fit_mlp
from dleverage.active.uncertainty import expected_gradient_length


@pytest.fixture(scope="module")
def tiny_model():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    classifier = MLPClassifier(hidden_layer_sizes=(5, 3), max_iter=50, random_state=0)
    classifier.fit(X, y)
    return MLP(classifier=classifier, classes=classifier.classes_), X[:6]


def log_loss(model: MLP, h: np.ndarray, weights, bias, label: int) -> float:
    logits = h @ weights + bias
    logits = logits - logits.max()
    return float(np.log(np.exp(logits).sum()) - logits[label])


def finite_difference_norm(model: MLP, h: np.ndarray, label: int, step: float):
    weights = model.classifier.coefs_[-1]
    bias = model.classifier.intercepts_[-1]
    squared = 0.0
    for array_index, array in enumerate((weights, bias)):
        for position in np.ndindex(array.shape):
            plus = [weights.copy(), bias.copy()]
            minus = [weights.copy(), bias.copy()]
            plus[array_index][position] += step
            minus[array_index][position] -= step
            derivative = (
                log_loss(model, h, *plus, label) - log_loss(model, h, *minus, label)
            ) / (2 * step)
            squared += derivative**2
    return np.sqrt(squared)


def test_egl_equals_finite_difference(tiny_model):
    model, X = tiny_model
    h = model.embed(X)
    p = model.predict_proba(X)
    closed = expected_gradient_length(h, p)
    numeric = np.array(
        [
            sum(
                p[i, k] * finite_difference_norm(model, h[i], k, 1e-6)
                for k in range(p.shape[1])
            )
            for i in range(X.shape[0])
        ]
    )
    # Central differences: truncation O(step^2) ~ 1e-12, rounding ~ eps / step
    # ~ 1e-10 per partial derivative, so 1e-7 relative is a safe bound.
    np.testing.assert_allclose(closed, numeric, rtol=1e-7)


def test_forward_pass_matches_sklearn(tiny_model):
    model, X = tiny_model
    np.testing.assert_allclose(
        model.predict_proba(X), model.classifier.predict_proba(X), rtol=1e-12
    )


def test_fit_mlp_architecture(digits):
    model = fit_mlp(digits.X_pool[:50], digits.y_pool[:50], seed=0, max_iter=5)
    shapes = [w.shape for w in model.classifier.coefs_]
    assert shapes == [(64, 256), (256, 64), (64, model.classes.size)]
    assert model.embed(digits.X_pool[:3]).shape == (3, 64)
    assert model.classifier.out_activation_ == "softmax"
