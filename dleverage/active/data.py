"""Pool and test sets for the active-learning experiment: MNIST or scikit-learn digits.

Both datasets go through the same code path: features scaled to [0, 1], then a
stratified split into an unlabeled pool and a held-out test set, with the split seed
kept in the result.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from dleverage.errors import InvalidInputError
from dleverage.io.idx import load_mnist

__all__ = ["ActiveDataset", "load_dataset", "stratified_split"]

logger = logging.getLogger(__name__)

#: Pool and test sizes of the default MNIST protocol, taken from the 10,000-image
#: test split (the only split that some installations have).
MNIST_POOL = 8000
MNIST_TEST = 2000

#: Seed of the pool/test split, fixed so that every trial uses the same pool.
DEFAULT_SPLIT_SEED = 0


@dataclass
class ActiveDataset:
    """An unlabeled pool with hidden labels and a held-out test set.

    Attributes
    ----------
    name : str
        ``"mnist"`` or ``"digits"``.
    X_pool : ndarray of shape (n_pool, n_features), float64 in [0, 1]
    y_pool : ndarray of shape (n_pool,), int64
        Labels revealed only when a point is queried.
    X_test : ndarray of shape (n_test, n_features)
    y_test : ndarray of shape (n_test,)
    split_seed : int
        Seed of the stratified pool/test split.
    source : str
        Where the images came from (a folder or ``"sklearn.datasets.load_digits"``).
    representations : dict of str to ndarray
        Fixed pool representations fitted once on the unlabeled pool (for example
        ``"pca"``), filled by :func:`dleverage.active.representations.ensure`.
    """

    name: str
    X_pool: np.ndarray  # noqa: N815 (standard symbol)
    y_pool: np.ndarray
    X_test: np.ndarray  # noqa: N815 (standard symbol)
    y_test: np.ndarray
    split_seed: int
    source: str
    representations: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def n_classes(self) -> int:
        """Number of distinct labels in the pool."""
        return int(np.unique(self.y_pool).size)


def stratified_split(
    y: np.ndarray, *, n_first: int, n_second: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices of ``y`` into two disjoint stratified sets of the given sizes.

    Raises
    ------
    InvalidInputError
        If ``n_first + n_second`` exceeds ``len(y)`` or either size is < 1.
    """
    from sklearn.model_selection import train_test_split

    if n_first < 1 or n_second < 1 or n_first + n_second > y.shape[0]:
        raise InvalidInputError(
            f"Cannot split {y.shape[0]} samples into {n_first} and {n_second}; "
            "both sizes must be >= 1 and their sum at most the number of samples."
        )
    indices = np.arange(y.shape[0])
    first, second = train_test_split(
        indices,
        train_size=n_first,
        test_size=n_second,
        stratify=y,
        random_state=seed,
    )
    return np.sort(first), np.sort(second)


def load_dataset(
    *,
    mnist_dir: str | os.PathLike[str] | None = None,
    dataset: str = "digits",
    n_pool: int | None = None,
    n_test: int | None = None,
    split_seed: int = DEFAULT_SPLIT_SEED,
) -> ActiveDataset:
    """Load MNIST from ``mnist_dir`` (its test split) or scikit-learn's digits.

    Parameters
    ----------
    mnist_dir : str or path-like, optional
        Folder of the MNIST IDX files; when given, ``dataset`` is ignored.
    dataset : {"digits", "mnist"}, default="digits"
        ``"mnist"`` needs ``mnist_dir``.
    n_pool, n_test : int, optional
        Pool and test sizes. Defaults: 8,000 and 2,000 for MNIST; for digits
        (1,797 images) 1,348 and 449, a 75/25 split.
    split_seed : int, default=0

    Raises
    ------
    InvalidInputError
        For an unknown dataset, ``"mnist"`` without a folder, missing IDX files,
        or sizes that do not fit the data, or a negative ``split_seed``.
    """
    if not 0 <= int(split_seed) < 2**32:
        raise InvalidInputError(
            f"Invalid split seed {split_seed!r}: expected an integer in [0, 2**32)."
        )
    if mnist_dir is not None:
        images, labels = load_mnist(mnist_dir, split="test")
        features = images.astype(np.float64) / 255.0
        name, source = "mnist", os.fspath(mnist_dir)
        default_pool, default_test = MNIST_POOL, MNIST_TEST
    elif dataset == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        features = digits.data.astype(np.float64) / 16.0
        labels = digits.target
        name, source = "digits", "sklearn.datasets.load_digits"
        default_test = int(round(0.25 * labels.shape[0]))
        default_pool = labels.shape[0] - default_test
    elif dataset == "mnist":
        raise InvalidInputError(
            "Dataset 'mnist' needs the folder of its IDX files: pass mnist_dir "
            "(--mnist-dir DIR on the command line)."
        )
    else:
        raise InvalidInputError(
            f"Invalid dataset {dataset!r}. Expected 'digits', or 'mnist' with a folder."
        )
    labels = np.asarray(labels, dtype=np.int64)
    pool, test = stratified_split(
        labels,
        n_first=default_pool if n_pool is None else n_pool,
        n_second=default_test if n_test is None else n_test,
        seed=split_seed,
    )
    logger.info(
        "dataset %s: pool %d, test %d, split seed %d",
        name,
        pool.size,
        test.size,
        split_seed,
    )
    return ActiveDataset(
        name=name,
        X_pool=features[pool],
        y_pool=labels[pool],
        X_test=features[test],
        y_test=labels[test],
        split_seed=split_seed,
        source=source,
    )
