"""Pool/test splits of MNIST and digits through the same loader."""

from __future__ import annotations

import numpy as np
import pytest

from dleverage.active.data import load_dataset, stratified_split
from dleverage.active.loop import initial_labeled
from dleverage.errors import InvalidInputError


def test_mnist_split_sizes_and_strata(mnist_dir):
    dataset = load_dataset(mnist_dir=mnist_dir)
    assert dataset.name == "mnist"
    assert dataset.X_pool.shape == (8000, 784)
    assert dataset.X_test.shape == (2000, 784)
    assert dataset.split_seed == 0
    assert dataset.X_pool.min() >= 0.0
    assert dataset.X_pool.max() <= 1.0
    pool_counts = np.bincount(dataset.y_pool, minlength=10)
    test_counts = np.bincount(dataset.y_test, minlength=10)
    # Stratified: each class keeps its share of the 10,000 images to within one.
    assert np.all(np.abs(pool_counts / 4 - test_counts) <= 1)


def test_mnist_split_is_reproducible(mnist_dir):
    first = load_dataset(mnist_dir=mnist_dir, split_seed=3)
    second = load_dataset(mnist_dir=mnist_dir, split_seed=3)
    np.testing.assert_array_equal(first.y_pool, second.y_pool)
    np.testing.assert_array_equal(first.X_test, second.X_test)


def test_digits_fallback():
    dataset = load_dataset(dataset="digits")
    assert dataset.name == "digits"
    assert dataset.X_pool.shape == (1348, 64)
    assert dataset.X_test.shape == (449, 64)
    assert dataset.source == "sklearn.datasets.load_digits"
    assert dataset.n_classes == 10


def test_split_is_disjoint_and_stratified(rng):
    y = np.repeat(np.arange(4), 25)
    first, second = stratified_split(y, n_first=60, n_second=40, seed=1)
    assert np.intersect1d(first, second).size == 0
    assert np.all(np.bincount(y[first]) == 15)


def test_initial_set_has_every_class(digits):
    labeled = initial_labeled(digits.y_pool, 20, 5)
    assert np.all(np.bincount(digits.y_pool[labeled], minlength=10) == 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "mnist"}, "Dataset 'mnist' needs the folder of its IDX files"),
        ({"dataset": "cifar"}, "Invalid dataset 'cifar'. Expected 'digits'"),
        ({"dataset": "digits", "n_pool": 1797}, "Cannot split 1797 samples into 1797"),
        ({"mnist_dir": "/nonexistent"}, "MNIST test images not found"),
    ],
)
def test_load_dataset_rejects(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        load_dataset(**kwargs)
